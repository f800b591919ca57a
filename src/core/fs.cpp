#include "core/fs.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include "core/atomic_file.h"
#include "core/file_reader.h"
#include "core/names.h"

namespace lv {
namespace {

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

Result<std::string> read_file(const std::string& path, std::size_t room) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
  if (fd.get() < 0) return Error{error_text(errno)};
  struct stat st{};
  if (::fstat(fd.get(), &st) != 0) return Error{error_text(errno)};
  if (S_ISDIR(st.st_mode)) return Error{error_text(EISDIR)};
  if (!S_ISREG(st.st_mode)) return Error{"not a regular file"};
  std::string out;
  out.reserve(static_cast<std::size_t>(st.st_size) + room);
  if (auto s = append_all(fd.get(), out); !s) return s.error();
  return out;
}

Status write_file_atomic(const std::string& path, std::string_view data) {
  const std::pair<std::string, std::string_view> one[] = {{path, data}};
  return write_files_atomic(one);
}

Status write_files_atomic(std::span<const std::pair<std::string, std::string_view>> files) {
  std::vector<AtomicFile> pending;
  pending.reserve(files.size());
  for (const auto& [path, data] : files) {
    auto file = AtomicFile::create(path);
    if (!file) return file.error();
    if (auto s = file->write(data); !s) return s;
    if (auto s = file->sync(); !s) return s;
    pending.push_back(std::move(file.value()));
  }
  for (auto& file : pending) {
    if (auto s = file.commit(); !s) return s;
  }
  return {};
}

std::string join_path(std::string_view root, std::string_view name) {
  if (root.empty() || root == "." || name.starts_with('/')) return std::string(name);
  std::string out(root);
  if (!out.ends_with('/')) out.push_back('/');
  out.append(name);
  return out;
}

bool is_normal_path(std::string_view path) {
  if (path.empty() || path == "." || path.ends_with('/') || path.starts_with("./")) return false;
  return path.find("//") == std::string_view::npos && path.find("/./") == std::string_view::npos &&
         path.find("..") == std::string_view::npos && !path.ends_with("/.");
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
  if (parts.empty()) return absolute ? std::string(1, '/') : std::string(1, '.');
  std::string out;
  if (absolute) out.push_back('/');
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i) out.push_back('/');
    out.append(parts[i]);
  }
  return out;
}

Status make_directories(const std::string& path) {
  std::string built;
  for (std::size_t pos = 0; pos <= path.size();) {
    std::size_t slash = path.find('/', pos);
    if (slash == std::string::npos) slash = path.size();
    built = path.substr(0, slash);
    pos = slash + 1;
    if (built.empty()) continue;
    if (::mkdir(built.c_str(), 0777) != 0 && errno != EEXIST) {
      return Error{fmt::format("{}: cannot create: {}", quote_name(built), error_text(errno))};
    }
  }
  return {};
}

Fd::~Fd() {
  if (fd >= 0) ::close(fd);
}

void Fd::reset(int f) {
  if (fd >= 0 && fd != f) ::close(fd);
  fd = f;
}

Status write_all(int fd, std::span<const std::uint8_t> bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error{error_text(errno)};
    bytes = bytes.subspan(static_cast<std::size_t>(n));
  }
  return {};
}

DestFolders::~DestFolders() {
  if (last_fd_ >= 0) ::close(last_fd_);
}

Result<int> DestFolders::open(std::string_view dir) {
  if (dir.empty() || dir == ".") return root_;
  if (last_fd_ >= 0 && dir == last_) return last_fd_;
  if (last_fd_ >= 0) ::close(last_fd_);
  last_fd_ = -1;
  int fd = root_;
  std::size_t pos = 0;
  while (pos <= dir.size()) {
    std::size_t slash = dir.find('/', pos);
    if (slash == std::string_view::npos) slash = dir.size();
    const std::string part(dir.substr(pos, slash - pos));
    pos = slash + 1;
    if (part.empty() || part == ".") continue;
    if (::mkdirat(fd, part.c_str(), 0777) != 0 && errno != EEXIST) {
      const int err = errno;
      if (fd != root_) ::close(fd);
      return Error{fmt::format("cannot create folder {}: {}", quote_name(dir.substr(0, slash)), error_text(err))};
    }
    const int next = ::openat(fd, part.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    const int err = errno;
    if (fd != root_) ::close(fd);
    if (next < 0) {
      if (err == ELOOP || err == ENOTDIR) {
        return Error{fmt::format("{} is a symbolic link or not a folder: not followed", quote_name(dir.substr(0, slash)))};
      }
      return Error{fmt::format("cannot open folder {}: {}", quote_name(dir.substr(0, slash)), error_text(err))};
    }
    fd = next;
  }
  if (fd == root_) return root_;  // only "." parts
  last_.assign(dir);
  last_fd_ = fd;
  return fd;
}

Result<std::vector<std::string>> read_name_list(const std::string& path) {
  auto text = read_file(path);
  if (!text) return with_context(quote_name(path), text.error());
  std::vector<std::string> names;
  std::string_view rest = *text;
  while (!rest.empty()) {
    std::size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!line.empty()) names.emplace_back(line);
  }
  return names;
}

}  // namespace lv
