#include "core/trailing_digest.h"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <exception>

#include "core/file_reader.h"

namespace lv {
namespace {

constexpr std::uint64_t kWakeStep = 1u << 20;  // the writer wakes the thread every MiB
constexpr std::size_t kChunk = 1u << 20;

}  // namespace

TrailingDigest::TrailingDigest(int fd, Algorithm algorithm, std::uint64_t already, std::uint64_t step)
    : fd_(fd), algorithm_(algorithm), step_(step), buf_(kChunk) {
  launch(already);
}

TrailingDigest::~TrailingDigest() { stop(); }

void TrailingDigest::launch(std::uint64_t already) {
  AlgorithmSet set;
  set.add(algorithm_);
  hasher_.start(set);
  written_.store(already, std::memory_order_release);
  notified_ = already;
  target_ = 0;
  finishing_ = false;
  stopping_ = false;
  hashed_ = 0;
  error_.reset();
  thread_ = std::thread([this] { run(); });
}

void TrailingDigest::stop() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_one();
  thread_.join();
}

void TrailingDigest::advance(std::uint64_t written) {
  written_.store(written, std::memory_order_release);
  if (written - notified_ < kWakeStep) return;
  notified_ = written;
  {
    std::lock_guard lock(mutex_);  // under the lock: the thread cannot miss it between test and wait
  }
  cv_.notify_one();
}

void TrailingDigest::restart() {
  stop();
  // Called from libcurl's callbacks: nothing may be thrown through them.
  try {
    launch(0);
  } catch (const std::exception& e) {
    error_ = Error{fmt::format("cannot start hashing again: {}", e.what())};
  }
}

Result<Digest> TrailingDigest::finish(std::uint64_t size) {
  {
    std::lock_guard lock(mutex_);
    written_.store(std::max(size, written_.load(std::memory_order_relaxed)), std::memory_order_release);
    target_ = size;
    finishing_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
  if (error_) return *error_;
  if (hashed_ != size) return Error{fmt::format("{} bytes hashed, {} expected", hashed_, size)};
  return hasher_.finish().front();
}

void TrailingDigest::run() {
  std::uint64_t synced = 0;  // writeback started for [0, synced)
  for (;;) {
    const std::uint64_t avail = written_.load(std::memory_order_acquire);
    std::uint64_t until = avail;
    bool done = false;
    {
      std::unique_lock lock(mutex_);
      if (stopping_) return;
      if (finishing_) {
        until = target_;
        done = hashed_ >= target_;
      } else if (hashed_ >= avail) {
        cv_.wait(lock, [&] { return stopping_ || finishing_ || written_.load(std::memory_order_acquire) > hashed_; });
        continue;
      }
    }
    if (done) return;
    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, until - hashed_));
    const ssize_t n = ::pread(fd_, buf_.data(), want, static_cast<off_t>(hashed_));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      error_ = Error{n < 0 ? fmt::format("cannot read back byte {}: {}", hashed_, error_text(errno))
                           : fmt::format("the file ends at byte {}, {} were written", hashed_, until)};
      return;
    }
    hasher_.update(buf_.data(), static_cast<std::size_t>(n));
    hashed_ += static_cast<std::uint64_t>(n);
    if (hashed_ - synced >= step_) {
      // Advisory: the fsync before the rename reports what this cannot.
      (void)::sync_file_range(fd_, static_cast<off_t>(synced), static_cast<off_t>(hashed_ - synced), SYNC_FILE_RANGE_WRITE);
      synced = hashed_;
    }
  }
}

}  // namespace lv
