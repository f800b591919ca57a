#include "core/read_run.h"

#include <algorithm>

#include "core/fs.h"

namespace lv {

ReadRun::ReadRun(const std::vector<ReadItem>& items, std::string root, unsigned jobs)
    : items_(items), root_(std::move(root)), results_(items.size()),
      done_(std::make_unique<std::atomic<bool>[]>(items.size())) {
  jobs = static_cast<unsigned>(std::clamp<std::size_t>(jobs, 1, std::max<std::size_t>(items.size(), 1)));
  workers_.reserve(jobs);
  for (unsigned i = 0; i < jobs; ++i) workers_.emplace_back([this] { work(); });
}

ReadRun::~ReadRun() {
  stop_.store(true);
  for (auto& t : workers_) t.join();
}

void ReadRun::work() {
  FileReader reader(&bytes_done_, &busy_);
  std::string path;
  std::chrono::steady_clock::time_point last_wake{};
  for (;;) {
    if (stop_.load(std::memory_order_relaxed)) return;
    std::size_t i = next_.fetch_add(1, std::memory_order_relaxed);
    if (i >= items_.size()) return;
    const ReadItem& item = items_[i];
    path = join_path(root_, item.path);
    busy_.fetch_add(1, std::memory_order_relaxed);
    results_[i] = reader.read(path, item.algorithms, item.expected_size);
    busy_.fetch_sub(1, std::memory_order_relaxed);
    files_done_.fetch_add(1, std::memory_order_relaxed);
    // seq_cst store then load, against wait()'s store of waiting_for_ then
    // load of done_[i]: one of the two sides always sees the other.
    done_[i].store(true);
    // Waking the caller for every small file costs more than reading it: wake
    // it at most every 2 ms while work remains (it also wakes on its timeout),
    // and always for the last items.
    if (waiting_for_.load() <= i) {
      auto now = std::chrono::steady_clock::now();
      if (now - last_wake >= std::chrono::milliseconds(2) || next_.load(std::memory_order_relaxed) >= items_.size()) {
        last_wake = now;
        { std::lock_guard lock(mutex_); }
        cv_.notify_one();
      }
    }
  }
}

const FileReadResult* ReadRun::wait(std::size_t i, std::chrono::milliseconds timeout) {
  if (done_[i].load(std::memory_order_acquire)) return &results_[i];
  std::unique_lock lock(mutex_);
  waiting_for_.store(i);
  bool done = cv_.wait_for(lock, timeout, [&] { return done_[i].load(); });
  waiting_for_.store(SIZE_MAX);
  return done ? &results_[i] : nullptr;
}

const FileReadResult& ReadRun::wait(std::size_t i) {
  if (done_[i].load(std::memory_order_acquire)) return results_[i];
  std::unique_lock lock(mutex_);
  waiting_for_.store(i);
  cv_.wait(lock, [&] { return done_[i].load(); });
  waiting_for_.store(SIZE_MAX);
  return results_[i];
}

ReadProgress ReadRun::progress() const {
  return {files_done_.load(std::memory_order_relaxed), bytes_done_.load(std::memory_order_relaxed)};
}

}  // namespace lv
