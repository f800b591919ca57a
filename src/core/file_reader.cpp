#include "core/file_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace lv {
namespace {

// 1 MiB reads: small reads cost OpenSSL's dgst ~25% on large files, and the
// buffer is per worker, so memory stays a few MB whatever the file size.
constexpr std::size_t kBufferBytes = 1 << 20;

class FdCloser {
 public:
  explicit FdCloser(int fd) : fd_(fd) {}
  ~FdCloser() { ::close(fd_); }
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;

 private:
  int fd_;
};

FileReadResult failure(PathKind kind, int err) {
  FileReadResult r;
  r.kind = kind;
  r.error_number = err;
  return r;
}

FileReadResult classify_open_error(const std::string& path, int err) {
  if (err == ELOOP) return failure(PathKind::link_loop, err);
  if (err == ENOENT || err == ENOTDIR) {
    struct stat st{};
    if (::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
      return failure(PathKind::dangling_link, err);
    }
    return failure(PathKind::missing, err);
  }
  return failure(PathKind::unreadable, err);
}

}  // namespace

std::string error_text(int error_number) {
  char buf[256];
  // GNU strerror_r returns the message pointer.
  return ::strerror_r(error_number, buf, sizeof buf);
}

FileReader::FileReader(std::atomic<std::uint64_t>* progress)
    : buffer_(kBufferBytes), progress_(progress) {}

FileReadResult FileReader::read(const std::string& path, AlgorithmSet algorithms,
                                std::optional<std::uint64_t> expected_size) {
  // "-" is standard input, as in coreutils: the one special file that is read.
  const bool stdin_name = path == "-";
  int fd = stdin_name ? ::dup(0) : ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) return classify_open_error(path, errno);
  FdCloser closer(fd);

  struct stat st{};
  if (::fstat(fd, &st) != 0) return failure(PathKind::unreadable, errno);
  if (S_ISDIR(st.st_mode)) return failure(PathKind::directory, EISDIR);
  if (!S_ISREG(st.st_mode) && !stdin_name) return failure(PathKind::special, 0);
  if (!S_ISREG(st.st_mode)) expected_size.reset();  // a pipe has no size to compare

  FileReadResult r;
  r.size = static_cast<std::uint64_t>(st.st_size);
  if (expected_size && *expected_size != r.size) {
    r.size_mismatch = true;
    return r;
  }
  if (algorithms.empty()) return r;

  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  hasher_.start(algorithms);
  std::uint64_t total = 0;
  for (;;) {
    ssize_t n = ::read(fd, buffer_.data(), buffer_.size());
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      hasher_.finish();
      return failure(PathKind::unreadable, err);
    }
    hasher_.update(buffer_.data(), static_cast<std::size_t>(n));
    total += static_cast<std::uint64_t>(n);
    if (progress_ != nullptr) progress_->fetch_add(static_cast<std::uint64_t>(n), std::memory_order_relaxed);
  }
  r.size = total;
  r.digests = hasher_.finish();
  return r;
}

}  // namespace lv
