#include "core/chunk_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace lv {
namespace {

constexpr std::size_t kChunk = 4u << 20;
constexpr std::size_t kQueued = 3;  // chunks waiting; with the one being written and the one filling, ~20 MiB at most
constexpr std::uint64_t kWritebackStep = 32u << 20;

int write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return 0;
}

}  // namespace

ChunkWriter::ChunkWriter(int fd) : fd_(fd) {
  current_.reserve(kChunk);
  thread_ = std::thread([this] { run(); });
}

ChunkWriter::~ChunkWriter() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  ready_.notify_one();
  space_.notify_all();
  if (thread_.joinable()) thread_.join();
}

int ChunkWriter::write(std::string_view data) {
  while (!data.empty()) {
    const std::size_t n = std::min(data.size(), kChunk - current_.size());
    current_.append(data.data(), n);
    data.remove_prefix(n);
    if (current_.size() == kChunk) hand_over();
  }
  return error_.load(std::memory_order_relaxed);  // called per record piece: no lock
}

void ChunkWriter::hand_over() {
  std::unique_lock lock(mu_);
  space_.wait(lock, [&] { return queue_.size() < kQueued || stopping_; });
  queue_.push_back(std::move(current_));
  if (!spare_.empty()) {
    current_ = std::move(spare_.back());
    spare_.pop_back();
  } else {
    current_ = std::string();
    current_.reserve(kChunk);
  }
  current_.clear();
  ready_.notify_one();
}

int ChunkWriter::finish() {
  if (!current_.empty()) hand_over();
  {
    std::lock_guard lock(mu_);
    closing_ = true;
  }
  ready_.notify_one();
  if (thread_.joinable()) thread_.join();
  return error_.load();
}

void ChunkWriter::run() {
  std::uint64_t written = 0, synced = 0;
  for (;;) {
    std::string chunk;
    {
      std::unique_lock lock(mu_);
      ready_.wait(lock, [&] { return !queue_.empty() || closing_ || stopping_; });
      if (stopping_ || queue_.empty()) return;
      chunk = std::move(queue_.front());
      queue_.pop_front();
    }
    space_.notify_one();
    int err = error_.load(std::memory_order_relaxed);  // after a failure, chunks are dropped
    if (err == 0) err = write_all(fd_, chunk);
    if (err == 0) {
      written += chunk.size();
      if (written - synced >= kWritebackStep) {
        // Advisory (a pipe or device says ESPIPE/EINVAL): the fsync reports what matters.
        (void)::sync_file_range(fd_, static_cast<off_t>(synced), static_cast<off_t>(written - synced), SYNC_FILE_RANGE_WRITE);
        synced = written;
      }
    }
    if (err != 0) error_.store(err);  // only this thread stores: the first errno, kept
    std::lock_guard lock(mu_);
    if (spare_.size() < kQueued + 1) spare_.push_back(std::move(chunk));
  }
}

}  // namespace lv
