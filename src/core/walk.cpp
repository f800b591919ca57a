#include "core/walk.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <thread>

#include "core/file_reader.h"
#include "core/fs.h"

namespace lv {
namespace {

constexpr std::size_t kParallelFrom = 4096;  // entries in one folder

struct Entry {
  std::string name;
  unsigned char type;  // d_type
};

struct Walker {
  const WalkOptions& options;
  WalkResult& out;

  // Lists one folder (owning `dir_fd`), sizes its entries, then descends.
  void walk(int dir_fd, const std::string& prefix, const std::string& shown) {
    DIR* dir = ::fdopendir(dir_fd);
    if (dir == nullptr) {
      out.problems.push_back(fmt::format("{}: {}", shown, error_text(errno)));
      ::close(dir_fd);
      return;
    }
    std::vector<Entry> entries;
    while (dirent* d = ::readdir(dir)) {
      std::string_view name = d->d_name;
      if (name == "." || name == "..") continue;
      entries.push_back({std::string(name), d->d_type});
    }
    std::vector<std::string> subdirs;
    std::vector<std::size_t> files;  // indexes of entries that are files
    std::vector<std::uint64_t> sizes(entries.size(), 0);
    std::vector<int> kinds(entries.size(), 0);  // 0 skip, 1 file, 2 folder
    std::vector<std::string> notes(entries.size());
    auto classify = [&](std::size_t i) {
      const Entry& e = entries[i];
      struct stat st{};
      if (::fstatat(dir_fd, e.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        notes[i] = fmt::format("{}: {}", join_path(shown, e.name), error_text(errno));
        kinds[i] = -1;  // a problem
        return;
      }
      if (S_ISDIR(st.st_mode)) {
        kinds[i] = 2;
      } else if (S_ISREG(st.st_mode)) {
        kinds[i] = 1;
        sizes[i] = static_cast<std::uint64_t>(st.st_size);
      } else if (S_ISLNK(st.st_mode)) {
        if (::fstatat(dir_fd, e.name.c_str(), &st, 0) != 0) {
          notes[i] = fmt::format("{}: symbolic link to nothing readable ({})", join_path(shown, e.name), error_text(errno));
        } else if (S_ISREG(st.st_mode)) {
          kinds[i] = 1;
          sizes[i] = static_cast<std::uint64_t>(st.st_size);
        } else {
          notes[i] = fmt::format("{}: symbolic link to a folder or special file, not followed", join_path(shown, e.name));
        }
      } else {
        notes[i] = fmt::format("{}: not a regular file (FIFO, socket or device)", join_path(shown, e.name));
      }
    };
    // Folders known from d_type need no stat (nor files, when no size is
    // asked for); everything else is sized.
    std::vector<std::size_t> to_stat;
    for (std::size_t i = 0; i < entries.size(); ++i) {
      if (entries[i].type == DT_DIR) {
        kinds[i] = 2;
      } else if (entries[i].type == DT_REG && !options.sizes) {
        kinds[i] = 1;
        sizes[i] = kSizeUnknown;
      } else {
        to_stat.push_back(i);
      }
    }
    const unsigned jobs = to_stat.size() >= kParallelFrom ? std::max(1u, options.jobs) : 1u;
    std::atomic<std::size_t> next{0};
    auto work = [&] {
      constexpr std::size_t kChunk = 256;
      for (std::size_t at; (at = next.fetch_add(kChunk)) < to_stat.size();) {
        for (std::size_t k = at; k < std::min(at + kChunk, to_stat.size()); ++k) classify(to_stat[k]);
      }
    };
    std::vector<std::thread> threads;
    for (unsigned t = 1; t < jobs; ++t) threads.emplace_back(work);
    work();
    for (auto& t : threads) t.join();

    for (std::size_t i = 0; i < entries.size(); ++i) {
      std::string rel = prefix.empty() ? entries[i].name : prefix + "/" + entries[i].name;
      switch (kinds[i]) {
        case 1: out.files.push_back({std::move(rel), sizes[i]}); break;
        case 2: subdirs.push_back(std::move(entries[i].name)); break;
        case -1: out.problems.push_back(std::move(notes[i])); break;
        default: out.skipped.push_back(std::move(notes[i])); break;
      }
    }
    for (const auto& name : subdirs) {
      int fd = ::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      std::string rel = prefix.empty() ? name : prefix + "/" + name;
      if (fd < 0) {
        out.problems.push_back(fmt::format("{}: {}", join_path(shown, name), error_text(errno)));
        continue;
      }
      walk(fd, rel, join_path(shown, name));
    }
    ::closedir(dir);
  }
};

}  // namespace

Result<WalkResult> walk_files(const std::string& root, const WalkOptions& options) {
  int fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Error{fmt::format("'{}': {}", root, error_text(errno))};
  WalkResult out;
  Walker{options, out}.walk(fd, "", root);
  if (options.sort) {
    std::sort(out.files.begin(), out.files.end(),
              [](const WalkedFile& a, const WalkedFile& b) { return a.relative < b.relative; });
  }
  std::sort(out.problems.begin(), out.problems.end());
  std::sort(out.skipped.begin(), out.skipped.end());
  return out;
}

}  // namespace lv
