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
  auto file = AtomicFile::create(path);
  if (!file) return file.error();
  if (auto s = file->write(data); !s) return s;
  return file->commit();
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

Status write_all(int fd, std::span<const std::uint8_t> bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error{error_text(errno)};
    bytes = bytes.subspan(static_cast<std::size_t>(n));
  }
  return {};
}

}  // namespace lv
