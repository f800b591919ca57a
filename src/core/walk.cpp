#include "core/walk.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <cstring>
#include <mutex>
#include <cerrno>
#include <thread>

#include "core/file_reader.h"
#include "core/fs.h"

namespace lv {
namespace {

constexpr std::size_t kParallelFrom = 4096;  // entries in one folder

// One folder's entries: names packed in one buffer (a folder of 500K images
// would otherwise cost 500K small allocations), with their d_type.
struct Listing {
  std::string names;
  std::vector<std::uint32_t> ends;  // names[end(i-1), ends[i]) is entry i
  std::vector<unsigned char> types;
  std::string_view name(std::size_t i) const {
    const std::size_t from = i == 0 ? 0 : ends[i - 1];
    return std::string_view(names).substr(from, ends[i] - from);
  }
  std::size_t size() const { return ends.size(); }
};

enum Kind : signed char { kSkip = 0, kFile = 1, kFolder = 2, kProblem = -1 };

struct Walker {
  const WalkOptions& options;
  const FileVisitor& visit;
  const std::function<void(std::size_t)>& listed;
  WalkResult& out;

  // Lists one folder (owning `dir_fd`), sizes its entries, then descends.
  void walk(int dir_fd, const std::string& prefix, const std::string& shown) {
    DIR* dir = ::fdopendir(dir_fd);
    if (dir == nullptr) {
      out.problems.push_back(fmt::format("{}: {}", shown, error_text(errno)));
      ::close(dir_fd);
      return;
    }
    Listing list;
    while (dirent* d = ::readdir(dir)) {
      std::string_view name = d->d_name;
      if (name == "." || name == "..") continue;
      list.names.append(name);
      list.ends.push_back(static_cast<std::uint32_t>(list.names.size()));
      list.types.push_back(d->d_type);
    }
    const std::size_t n = list.size();
    if (listed) listed(n);
    std::vector<std::uint64_t> sizes(n, 0);
    std::vector<signed char> kinds(n, kSkip);
    std::mutex notes_lock;
    std::vector<std::pair<std::size_t, std::string>> notes;  // (entry, sentence): rare
    auto note = [&](std::size_t i, std::string text) {
      std::lock_guard<std::mutex> g(notes_lock);
      notes.emplace_back(i, std::move(text));
    };
    auto classify = [&](std::size_t i) {
      char path[NAME_MAX + 1];
      const std::string_view name = list.name(i);
      if (name.size() > NAME_MAX) {
        note(i, fmt::format("{}: name too long", join_path(shown, name)));
        kinds[i] = kProblem;
        return;
      }
      std::memcpy(path, name.data(), name.size());
      path[name.size()] = '\0';
      struct stat st{};
      if (::fstatat(dir_fd, path, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        note(i, fmt::format("{}: {}", join_path(shown, name), error_text(errno)));
        kinds[i] = kProblem;
        return;
      }
      if (S_ISDIR(st.st_mode)) {
        kinds[i] = kFolder;
      } else if (S_ISREG(st.st_mode)) {
        kinds[i] = kFile;
        sizes[i] = static_cast<std::uint64_t>(st.st_size);
      } else if (S_ISLNK(st.st_mode)) {
        if (::fstatat(dir_fd, path, &st, 0) != 0) {
          note(i, fmt::format("{}: symbolic link to nothing readable ({})", join_path(shown, name), error_text(errno)));
        } else if (S_ISREG(st.st_mode)) {
          kinds[i] = kFile;
          sizes[i] = static_cast<std::uint64_t>(st.st_size);
        } else {
          note(i, fmt::format("{}: symbolic link to a folder or special file, not followed", join_path(shown, name)));
        }
      } else {
        note(i, fmt::format("{}: not a regular file (FIFO, socket or device)", join_path(shown, name)));
      }
    };
    // Folders known from d_type need no stat (nor files, when no size is
    // asked for); everything else is sized.
    std::vector<std::size_t> to_stat;
    for (std::size_t i = 0; i < n; ++i) {
      if (list.types[i] == DT_DIR) {
        kinds[i] = kFolder;
      } else if (list.types[i] == DT_REG && !options.sizes) {
        kinds[i] = kFile;
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

    for (auto& [i, text] : notes) (kinds[i] == kProblem ? out.problems : out.skipped).push_back(std::move(text));
    std::vector<std::string_view> subdirs;
    std::string rel = prefix;
    if (!rel.empty()) rel += '/';
    const std::size_t rel_base = rel.size();
    for (std::size_t i = 0; i < n; ++i) {
      if (kinds[i] == kFolder) {
        subdirs.push_back(list.name(i));
      } else if (kinds[i] == kFile) {
        rel.resize(rel_base);
        rel.append(list.name(i));
        visit(rel, sizes[i]);
      }
    }
    for (std::string_view name : subdirs) {
      const std::string child(name);
      if (!options.skip_folders.empty() &&
          std::find(options.skip_folders.begin(), options.skip_folders.end(), prefix.empty() ? child : prefix + "/" + child) !=
              options.skip_folders.end()) {
        continue;
      }
      int fd = ::openat(dir_fd, child.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0) {
        out.problems.push_back(fmt::format("{}: {}", join_path(shown, child), error_text(errno)));
        continue;
      }
      walk(fd, prefix.empty() ? child : prefix + "/" + child, join_path(shown, child));
    }
    ::closedir(dir);
  }
};

}  // namespace

Result<WalkResult> walk_each(const std::string& root, const WalkOptions& options, const FileVisitor& visit,
                             const std::function<void(std::size_t)>& listed) {
  int fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Error{fmt::format("'{}': {}", root, error_text(errno))};
  WalkResult out;
  Walker{options, visit, listed, out}.walk(fd, "", root);
  std::sort(out.problems.begin(), out.problems.end());
  std::sort(out.skipped.begin(), out.skipped.end());
  return out;
}

Result<WalkResult> walk_files(const std::string& root, const WalkOptions& options) {
  std::vector<WalkedFile> files;
  auto walked = walk_each(root, options, [&](std::string_view relative, std::uint64_t size) {
    files.push_back({std::string(relative), size});
  });
  if (!walked) return walked.error();
  WalkResult out = std::move(walked.value());
  out.files = std::move(files);
  if (options.sort) {
    std::sort(out.files.begin(), out.files.end(),
              [](const WalkedFile& a, const WalkedFile& b) { return a.relative < b.relative; });
  }
  return out;
}

}  // namespace lv
