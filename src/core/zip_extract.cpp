#include "core/zip_extract.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <libdeflate.h>

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <mutex>
#include <optional>
#include <thread>

#include "core/atomic_file.h"
#include "core/file_reader.h"
#include "core/flat_map.h"
#include "core/fs.h"
#include "core/names.h"

namespace lv {
namespace {

constexpr std::uint64_t kRatioFrom = 1u << 20;  // smaller entries may compress as they like
constexpr std::size_t kClaim = 16;

std::pair<std::string_view, std::string_view> split_name(std::string_view name) {
  const std::size_t slash = name.rfind('/');
  if (slash == std::string_view::npos) return {{}, name};
  return {name.substr(0, slash), name.substr(slash + 1)};
}

// CRC-32 of an existing file, to skip what is already there; nullopt when unreadable.
std::optional<std::uint32_t> crc_of_file(int dir_fd, const std::string& name, std::vector<std::uint8_t>& buf) {
  Fd fd(::openat(dir_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
  if (fd.fd < 0) return std::nullopt;
  buf.resize(1u << 20);
  std::uint32_t crc = 0;
  for (;;) {
    ssize_t n = ::read(fd.fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::nullopt;
    if (n == 0) return crc;
    crc = static_cast<std::uint32_t>(libdeflate_crc32(crc, buf.data(), static_cast<std::size_t>(n)));
  }
}

// A link target that stays inside DEST from the folder `dir`: relative, no NUL,
// '..' only as leading components (a '..' after a name could climb out through
// another link), and no more of them than `dir` is deep.
bool link_stays_inside(std::string_view dir, std::string_view target) {
  if (target.empty() || target.front() == '/' || target.find('\0') != std::string_view::npos) return false;
  std::size_t depth = 0;
  for (std::size_t pos = 0; pos <= dir.size() && !dir.empty();) {
    std::size_t slash = dir.find('/', pos);
    if (slash == std::string_view::npos) slash = dir.size();
    if (std::string_view part = dir.substr(pos, slash - pos); !part.empty() && part != ".") ++depth;
    pos = slash + 1;
  }
  bool leading = true;
  for (std::size_t pos = 0; pos <= target.size();) {
    std::size_t slash = target.find('/', pos);
    if (slash == std::string_view::npos) slash = target.size();
    const std::string_view part = target.substr(pos, slash - pos);
    pos = slash + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!leading || depth == 0) return false;
      --depth;
    } else {
      leading = false;
    }
  }
  return true;
}

struct Job {
  const ZipDirectory& dir;
  const ExtractOptions& options;
  const std::string& dest;
  int root;
  const std::vector<std::size_t>& todo;  // entry indexes, by offset
  std::vector<ExtractState> state;
  std::vector<std::string> reason;
  std::atomic<std::uint64_t> written_bytes{0};
  std::atomic<std::size_t> next{0};
  std::atomic<bool> stop{false};
  std::mutex mutex;
  std::optional<Error> error;

  void fail_run(Error e) {
    std::lock_guard lock(mutex);
    if (!error) error = std::move(e);
    stop = true;
  }

  void run(ZipInput& input) {
    ZipScratch scratch;
    DestFolders folders(root);
    std::vector<std::uint8_t> buf;
    while (!stop.load(std::memory_order_relaxed)) {
      const std::size_t at = next.fetch_add(kClaim);
      if (at >= todo.size()) return;
      const std::size_t after = at + kClaim;
      input.set_read_ahead_limit(after < todo.size() ? dir.entries[todo[after]].header_offset : dir.directory_start);
      for (std::size_t k = at; k < std::min(at + kClaim, todo.size()) && !stop.load(std::memory_order_relaxed); ++k) {
        one(input, scratch, folders, buf, todo[k]);
        if (options.progress != nullptr) {
          options.progress->entries.fetch_add(1, std::memory_order_relaxed);
          options.progress->bytes.fetch_add(dir.entries[todo[k]].compressed_size, std::memory_order_relaxed);
        }
      }
    }
  }

  void one(ZipInput& input, ZipScratch& scratch, DestFolders& folders, std::vector<std::uint8_t>& buf, std::size_t i) {
    const ZipEntry& e = dir.entries[i];
    auto refuse = [&](std::string why) {
      state[i] = ExtractState::refused;
      reason[i] = std::move(why);
    };
    if (e.is_directory()) {
      std::string_view name = e.name;
      name.remove_suffix(1);
      auto fd = folders.open(name);
      if (!fd) return refuse(fd.error().message);
      state[i] = ExtractState::written;
      return;
    }
    const auto [folder, base] = split_name(e.name);
    auto dir_fd = folders.open(folder);
    if (!dir_fd) return refuse(dir_fd.error().message);
    const std::string final_name(base);
    struct stat st{};
    if (::fstatat(*dir_fd, final_name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
      if (S_ISDIR(st.st_mode)) return refuse("a folder of that name is in the way");
      if (S_ISREG(st.st_mode) && static_cast<std::uint64_t>(st.st_size) == e.size && !e.is_symlink()) {
        auto crc = crc_of_file(*dir_fd, final_name, buf);
        if (crc && *crc == e.crc32) {
          state[i] = ExtractState::skipped;
          return;
        }
      }
      // An empty file is what an interrupted download leaves: never an image to keep.
      const bool empty_file = S_ISREG(st.st_mode) && st.st_size == 0;
      if (!options.overwrite && !empty_file) {
        return refuse(S_ISLNK(st.st_mode) ? "a symbolic link of that name is already there (--overwrite replaces the link, "
                                            "not what it points to)"
                                          : "a different file of that name is already there (--overwrite replaces it)");
      }
    }
    // A fixed temporary name: a run killed with SIGKILL leaves it, and the re-run reuses it.
    std::string tmp = "." + final_name + ".lv-part";
    if (tmp.size() > NAME_MAX) tmp = fmt::format(".lv-part-{}", i);
    const std::string shown_tmp = join_path(join_path(dest, std::string(folder)), tmp);
    if (e.is_symlink()) return link(input, scratch, *dir_fd, folder, final_name, tmp, i);
    // A stale temporary (an interrupted run) or anything planted under its name
    // is removed, never written through: the file is created exclusively.
    ::unlinkat(*dir_fd, tmp.c_str(), 0);
    // Registered before it exists: a signal at any moment removes it.
    const int slot = register_temporary(shown_tmp);
    struct Unregister {
      int slot;
      ~Unregister() { unregister_temporary(slot); }
    } unregister{slot};
    Fd out(::openat(*dir_fd, tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666));
    if (out.fd < 0) return fail_run(Error{fmt::format("{}: {}", quote_name(shown_tmp), error_text(errno))});
    EntrySink sink = [&](std::span<const std::uint8_t> bytes) -> Status {
      if (auto w = write_all(out.fd, bytes); !w) return Error{fmt::format("{}: {}", quote_name(shown_tmp), w.error().message)};
      return {};
    };
    auto outcome = read_entry(input, dir, i, scratch, &sink);
    if (!outcome || !outcome->findings.empty()) {
      ::unlinkat(*dir_fd, tmp.c_str(), 0);
      if (!outcome) return fail_run(outcome.error());
      const ZipFinding& f = outcome->findings.front();
      state[i] = ExtractState::failed;
      reason[i] = fmt::format("{}: {}", zip_finding_name(f.kind), f.detail);
      return;
    }
    const int closed = ::close(out.fd);
    out.fd = -1;
    if (closed != 0) {
      const int err = errno;
      ::unlinkat(*dir_fd, tmp.c_str(), 0);
      return fail_run(Error{fmt::format("{}: {}", quote_name(shown_tmp), error_text(err))});
    }
    if (::renameat(*dir_fd, tmp.c_str(), *dir_fd, final_name.c_str()) != 0) {
      const int err = errno;
      ::unlinkat(*dir_fd, tmp.c_str(), 0);
      return refuse(fmt::format("cannot rename it into place: {}", error_text(err)));
    }
    written_bytes.fetch_add(e.size, std::memory_order_relaxed);
    state[i] = ExtractState::written;
  }

  void link(ZipInput& input, ZipScratch& scratch, int dir_fd, std::string_view folder, const std::string& final_name,
            const std::string& tmp, std::size_t i) {
    std::string target;
    EntrySink sink = [&](std::span<const std::uint8_t> b) -> Status {
      if (target.size() + b.size() > PATH_MAX) return Error{"a symbolic link target longer than PATH_MAX"};
      target.append(reinterpret_cast<const char*>(b.data()), b.size());
      return {};
    };
    auto outcome = read_entry(input, dir, i, scratch, &sink);
    if (!outcome) {
      state[i] = ExtractState::failed;
      reason[i] = outcome.error().message;
      return;
    }
    if (!outcome->findings.empty()) {
      state[i] = ExtractState::failed;
      reason[i] = outcome->findings.front().detail;
      return;
    }
    if (!link_stays_inside(folder, target)) {
      state[i] = ExtractState::refused;
      reason[i] = fmt::format("a symbolic link to {}, outside the destination", quote_name(target));
      return;
    }
    ::unlinkat(dir_fd, tmp.c_str(), 0);
    if (::symlinkat(target.c_str(), dir_fd, tmp.c_str()) != 0 ||
        ::renameat(dir_fd, tmp.c_str(), dir_fd, final_name.c_str()) != 0) {
      state[i] = ExtractState::failed;
      reason[i] = fmt::format("cannot create the symbolic link: {}", error_text(errno));
      ::unlinkat(dir_fd, tmp.c_str(), 0);
      return;
    }
    state[i] = ExtractState::written;
  }
};


}  // namespace

Result<ExtractResult> extract_zip(const std::string& archive, const ExtractOptions& o) {
  auto input = ZipInput::open_file(archive);
  if (!input) return input.error();
  ZipTestOptions look;
  look.list_only = true;
  auto listed = test_zip(*input, look);  // structure only: names, duplicates, symlinks, overlap
  if (!listed) return listed.error();
  const ZipDirectory& dir = listed->dir;
  const std::size_t n = dir.entries.size();

  ExtractResult result;
  std::vector<ExtractState> state(n, ExtractState::not_selected);
  std::vector<std::string> reason(n);
  if (o.only != nullptr) {
    const FlatStringMap<std::uint64_t> by_name = first_entry_by_name(dir);
    StringArena seen_names;
    FlatStringMap<std::uint8_t> seen;
    for (const auto& name : *o.only) {
      if (seen.find(name).second != nullptr) continue;
      seen.try_emplace(seen_names.intern(name), 1);
      auto [key, index] = by_name.find(name);
      if (index == nullptr) {
        result.problems.push_back({-1, name, "not in the archive"});
        ++result.not_found;
      } else {
        state[*index] = ExtractState::written;  // selected; decided below
      }
    }
  } else {
    std::fill(state.begin(), state.end(), ExtractState::written);
  }
  // Refusals the central directory alone decides.
  for (const auto& f : listed->findings) {
    if (f.entry < 0) continue;
    const auto i = static_cast<std::size_t>(f.entry);
    if (state[i] == ExtractState::not_selected) continue;
    if (f.kind == ZipFindingKind::symlink && o.allow_symlinks) continue;
    if (f.kind == ZipFindingKind::duplicate || f.kind == ZipFindingKind::unsafe_name || f.kind == ZipFindingKind::symlink ||
        f.kind == ZipFindingKind::overlapping) {
      if (state[i] != ExtractState::refused) reason[i] = fmt::format("{}: {}", zip_finding_name(f.kind), f.detail);
      state[i] = ExtractState::refused;
    }
  }
  std::uint64_t total = 0;
  std::vector<std::size_t> todo;
  for (std::size_t i : entries_by_offset(dir)) {  // in file order: the order they are read in
    if (state[i] != ExtractState::written) continue;
    const ZipEntry& e = dir.entries[i];
    if (e.header_offset > dir.directory_start || e.compressed_size > dir.directory_start - e.header_offset) {
      state[i] = ExtractState::refused;
      reason[i] = fmt::format("truncated: its data would run past the central directory at byte {}", dir.directory_start);
      continue;
    }
    if (e.size > kRatioFrom && e.size / std::max<std::uint64_t>(1, e.compressed_size) > o.max_ratio) {
      state[i] = ExtractState::refused;
      reason[i] = fmt::format("it would inflate {} bytes to {} ({}:1, above the limit of {}:1; see --max-ratio)",
                              e.compressed_size, e.size, e.size / std::max<std::uint64_t>(1, e.compressed_size), o.max_ratio);
      continue;
    }
    total = total > UINT64_MAX - e.size ? UINT64_MAX : total + e.size;
    todo.push_back(i);
  }
  if (o.max_total_bytes > 0 && total > o.max_total_bytes) {
    return Error{fmt::format("{}: extracting would write {} bytes, above the limit of {} (--max-total-bytes); nothing written",
                             quote_name(archive), total, o.max_total_bytes)};
  }
  if (auto made = make_directories(o.dest); !made) return made.error();
  Fd root(::open(o.dest.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (root.fd < 0) return Error{fmt::format("{}: {}", quote_name(o.dest), error_text(errno))};
  struct statvfs fs{};
  if (::fstatvfs(root.fd, &fs) == 0) {
    const std::uint64_t free_bytes = static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize;
    if (total > free_bytes) {
      // Files already there do not count: check them before giving up.
      std::uint64_t needed = 0;
      for (std::size_t i : todo) {
        struct stat st{};
        const std::string path = join_path(o.dest, dir.entries[i].name);
        if (::lstat(path.c_str(), &st) != 0 || static_cast<std::uint64_t>(st.st_size) != dir.entries[i].size) {
          needed = needed > UINT64_MAX - dir.entries[i].size ? UINT64_MAX : needed + dir.entries[i].size;
        }
      }
      if (needed > free_bytes) {
        return Error{fmt::format("{}: extracting needs {} bytes, and only {} are free; nothing written", quote_name(o.dest),
                                 needed, free_bytes)};
      }
    }
  }
  std::vector<std::size_t> files;
  std::uint64_t compressed = 0;
  for (std::size_t i : todo) {
    if (dir.entries[i].is_directory()) continue;
    files.push_back(i);
    compressed += dir.entries[i].compressed_size;
  }
  if (o.progress != nullptr) {
    o.progress->total_entries = files.size();
    o.progress->total_bytes = compressed;
    o.progress->sized = true;
  }
  Job files_job{dir, o, o.dest, root.fd, files, std::move(state), std::move(reason), {}, {}, {}, {}, {}};
  {
    // Folder entries first, on this thread: they need no data.
    ZipScratch scratch;
    DestFolders folders(root.fd);
    std::vector<std::uint8_t> buf;
    for (std::size_t i : todo) {
      if (dir.entries[i].is_directory()) files_job.one(*input, scratch, folders, buf, i);
    }
  }
  const unsigned jobs = std::max(1u, std::min<unsigned>(o.jobs, static_cast<unsigned>(files.size() / kClaim + 1)));
  std::vector<ZipInput> inputs;
  for (unsigned t = 1; t < jobs; ++t) {
    auto other = input->reopen();
    if (!other) return other.error();
    inputs.push_back(std::move(other.value()));
  }
  {
    std::vector<std::jthread> threads;
    auto guarded = [&files_job](ZipInput& in) {
      try {
        files_job.run(in);
      } catch (const std::exception& e) {
        files_job.fail_run(Error{fmt::format("{}: {}", quote_name(in.name()), e.what())});
      }
    };
    for (auto& in : inputs) threads.emplace_back([&guarded, &in] { guarded(in); });
    guarded(*input);
  }
  if (files_job.error) return *files_job.error;

  for (std::size_t i = 0; i < n; ++i) {
    const ExtractState s = files_job.state[i];
    if (s == ExtractState::not_selected) continue;
    if (dir.entries[i].is_directory() && s == ExtractState::written) continue;  // folders are not counted
    ++result.selected;
    switch (s) {
      case ExtractState::written: ++result.written; break;
      case ExtractState::skipped: ++result.skipped; break;
      case ExtractState::refused: ++result.refused; break;
      case ExtractState::failed: ++result.failed; break;
      case ExtractState::not_selected: break;
    }
    if (s == ExtractState::refused || s == ExtractState::failed) {
      result.problems.push_back({static_cast<std::int64_t>(i), dir.entries[i].name, files_job.reason[i]});
    }
  }
  // Entry problems first (entry order), then the names --only gave that the archive lacks.
  std::stable_partition(result.problems.begin(), result.problems.end(), [](const ExtractProblem& p) { return p.entry >= 0; });
  result.bytes_written = files_job.written_bytes.load();
  return result;
}

}  // namespace lv
