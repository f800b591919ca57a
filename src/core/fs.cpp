#include "core/fs.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include "core/file_reader.h"

namespace lv {
namespace {

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

Status write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error{error_text(errno)};
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

}  // namespace

namespace {

Status append_all(int fd, std::string& out) {
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n == 0) return {};
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error{error_text(errno)};
    }
    out.append(buf, static_cast<std::size_t>(n));
  }
}

}  // namespace

Result<std::string> read_stream(int fd) {
  std::string out;
  if (auto s = append_all(fd, out); !s) return s.error();
  return out;
}

Result<std::string> read_file(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
  if (fd.get() < 0) return Error{error_text(errno)};
  struct stat st{};
  if (::fstat(fd.get(), &st) != 0) return Error{error_text(errno)};
  if (S_ISDIR(st.st_mode)) return Error{error_text(EISDIR)};
  if (!S_ISREG(st.st_mode)) return Error{"not a regular file"};
  std::string out;
  out.reserve(static_cast<std::size_t>(st.st_size));
  if (auto s = append_all(fd.get(), out); !s) return s.error();
  return out;
}

Status write_file_atomic(const std::string& path, std::string_view data) {
  std::string tmp = path + ".tmp-XXXXXX";
  Fd fd(::mkstemp(tmp.data()));
  if (fd.get() < 0) return Error{fmt::format("cannot create a temporary file beside '{}': {}", path, error_text(errno))};
  // mkstemp creates 0600; give the file the mode a plain open() would, under the umask.
  mode_t mask = ::umask(0);
  ::umask(mask);
  ::fchmod(fd.get(), 0666 & ~mask);
  auto fail = [&](std::string what) -> Status {
    ::unlink(tmp.c_str());
    return Error{fmt::format("writing '{}': {}", path, what)};
  };
  if (auto s = write_all(fd.get(), data); !s) return fail(s.error().message);
  if (::fsync(fd.get()) != 0) return fail(error_text(errno));
  if (::close(fd.release()) != 0) return fail(error_text(errno));
  if (::rename(tmp.c_str(), path.c_str()) != 0) return fail(error_text(errno));
  return {};
}

namespace {

void walk_dir(int dir_fd, const std::string& prefix, const std::string& shown, WalkResult& out) {
  DIR* dir = ::fdopendir(dir_fd);
  if (dir == nullptr) {
    out.problems.push_back(fmt::format("{}: {}", shown, error_text(errno)));
    ::close(dir_fd);
    return;
  }
  std::vector<std::string> subdirs;
  while (dirent* d = ::readdir(dir)) {
    std::string_view name = d->d_name;
    if (name == "." || name == "..") continue;
    std::string rel = prefix.empty() ? std::string(name) : prefix + "/" + std::string(name);
    struct stat st{};
    if (::fstatat(dir_fd, d->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
      out.problems.push_back(fmt::format("{}: {}", join_path(shown, name), error_text(errno)));
      continue;
    }
    if (S_ISDIR(st.st_mode)) {
      subdirs.push_back(std::string(name));
    } else if (S_ISREG(st.st_mode)) {
      out.files.push_back({rel, static_cast<std::uint64_t>(st.st_size)});
    } else if (S_ISLNK(st.st_mode)) {
      if (::fstatat(dir_fd, d->d_name, &st, 0) != 0) {
        out.skipped.push_back(fmt::format("{}: symbolic link to nothing readable ({})", join_path(shown, name),
                                          error_text(errno)));
      } else if (S_ISREG(st.st_mode)) {
        out.files.push_back({rel, static_cast<std::uint64_t>(st.st_size)});
      } else {
        out.skipped.push_back(fmt::format("{}: symbolic link to a folder or special file, not followed",
                                          join_path(shown, name)));
      }
    } else {
      out.skipped.push_back(fmt::format("{}: not a regular file (FIFO, socket or device)", join_path(shown, name)));
    }
  }
  for (const auto& name : subdirs) {
    int fd = ::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    std::string rel = prefix.empty() ? name : prefix + "/" + name;
    if (fd < 0) {
      out.problems.push_back(fmt::format("{}: {}", join_path(shown, name), error_text(errno)));
      continue;
    }
    walk_dir(fd, rel, join_path(shown, name), out);
  }
  ::closedir(dir);
}

}  // namespace

Result<WalkResult> walk_files(const std::string& root) {
  int fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Error{fmt::format("'{}': {}", root, error_text(errno))};
  WalkResult out;
  walk_dir(fd, "", root, out);
  std::sort(out.files.begin(), out.files.end(),
            [](const WalkedFile& a, const WalkedFile& b) { return a.relative < b.relative; });
  std::sort(out.problems.begin(), out.problems.end());
  std::sort(out.skipped.begin(), out.skipped.end());
  return out;
}

std::string join_path(std::string_view root, std::string_view name) {
  if (root.empty() || root == "." || name.starts_with('/')) return std::string(name);
  std::string out(root);
  if (!out.ends_with('/')) out.push_back('/');
  out.append(name);
  return out;
}

std::string normalize_path(std::string_view path) {
  const bool absolute = path.starts_with('/');
  std::vector<std::string_view> parts;
  std::size_t pos = 0;
  while (pos <= path.size()) {
    std::size_t slash = path.find('/', pos);
    std::string_view part = path.substr(pos, slash == std::string_view::npos ? std::string_view::npos : slash - pos);
    pos = slash == std::string_view::npos ? path.size() + 1 : slash + 1;
    if (part.empty() || part == ".") continue;
    if (part == ".." && !parts.empty() && parts.back() != "..") {
      parts.pop_back();
    } else if (part == ".." && absolute) {
      continue;
    } else {
      parts.push_back(part);
    }
  }
  std::string out = absolute ? "/" : "";
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i) out.push_back('/');
    out.append(parts[i]);
  }
  if (out.empty()) out = ".";
  return out;
}

}  // namespace lv
