#include "core/file_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>

namespace lv {
namespace {

// 1 MiB reads: small reads cost OpenSSL's dgst ~25% on large files, and the
// buffer is per worker, so memory stays a few MB whatever the file size.
constexpr std::size_t kBufferBytes = 1 << 20;
// Files from this size on are read ahead on a second thread.
constexpr std::uint64_t kReadAheadFrom = 16u << 20;

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

// Reads into a buffer, then hashes it: the copy and the hash take turns.
ssize_t read_some(int fd, unsigned char* buf, std::size_t n) {
  for (;;) {
    ssize_t got = ::read(fd, buf, n);
    if (got >= 0 || errno != EINTR) return got;
  }
}

}  // namespace

int FileReader::hash_in_place(int fd, std::uint64_t& total) {
  for (;;) {
    ssize_t n = read_some(fd, buffer_.data(), buffer_.size());
    if (n == 0) return 0;
    if (n < 0) return errno;
    hasher_.update(buffer_.data(), static_cast<std::size_t>(n));
    total += static_cast<std::uint64_t>(n);
    if (progress_ != nullptr) progress_->fetch_add(static_cast<std::uint64_t>(n), std::memory_order_relaxed);
  }
}

// For large files, a second thread copies the next blocks from the page cache
// while this one hashes: on one core the copy costs ~18% of the time, which
// keeps a single stream below the SHA-256 ceiling (docs/benchmarks.md).
int FileReader::hash_with_read_ahead(int fd, std::uint64_t& total) {
  constexpr std::size_t kSlots = 4;
  if (ahead_.size() < kSlots) ahead_.assign(kSlots, std::vector<unsigned char>(kBufferBytes));
  std::array<ssize_t, kSlots> length{};
  std::mutex mutex;
  std::condition_variable changed;
  std::uint64_t produced = 0, consumed = 0;
  bool finished = false, stop = false;
  int read_error = 0;

  std::thread reader([&] {
    for (std::uint64_t k = 0;; ++k) {
      {
        std::unique_lock lock(mutex);
        changed.wait(lock, [&] { return stop || k - consumed < kSlots; });
        if (stop) return;
      }
      ssize_t n = read_some(fd, ahead_[k % kSlots].data(), kBufferBytes);
      const int err = n < 0 ? errno : 0;  // before anything else can change errno
      std::lock_guard lock(mutex);
      if (n <= 0) {
        read_error = err;
        finished = true;
      } else {
        length[k % kSlots] = n;
        produced = k + 1;
      }
      changed.notify_all();
      if (finished) return;
    }
  });
  for (std::uint64_t k = 0;; ++k) {
    {
      std::unique_lock lock(mutex);
      changed.wait(lock, [&] { return produced > k || finished; });
      if (produced <= k) break;  // finished, everything consumed
    }
    auto n = static_cast<std::size_t>(length[k % kSlots]);
    hasher_.update(ahead_[k % kSlots].data(), n);
    total += n;
    if (progress_ != nullptr) progress_->fetch_add(n, std::memory_order_relaxed);
    std::lock_guard lock(mutex);
    consumed = k + 1;
    changed.notify_all();
  }
  {
    std::lock_guard lock(mutex);
    stop = true;
    changed.notify_all();
  }
  reader.join();
  return read_error;
}

std::string error_text(int error_number) {
  char buf[256];
  // GNU strerror_r returns the message pointer.
  return ::strerror_r(error_number, buf, sizeof buf);
}

FileReader::FileReader(std::atomic<std::uint64_t>* progress, const std::atomic<unsigned>* busy)
    : buffer_(kBufferBytes), progress_(progress), busy_(busy), cores_(std::max(1u, std::thread::hardware_concurrency())) {}

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

  hasher_.start(algorithms);
  std::uint64_t total = 0;
  int err = 0;
  const bool core_idle = busy_ == nullptr || busy_->load(std::memory_order_relaxed) < cores_;
  if (S_ISREG(st.st_mode) && r.size >= kReadAheadFrom && core_idle) {
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    err = hash_with_read_ahead(fd, total);
  } else {
    err = hash_in_place(fd, total);
  }
  if (err != 0) {
    hasher_.finish();
    return failure(PathKind::unreadable, err);
  }
  r.size = total;
  r.digests = hasher_.finish();
  return r;
}

}  // namespace lv
