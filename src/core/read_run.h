// Reads files on a bounded pool of worker threads. Worker i writes only
// results[i]; the caller takes results in any order as they complete, and
// prints in its own order, so output is the same for any number of jobs.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/file_reader.h"

namespace lv {

struct ReadItem {
  std::string_view path;                      // relative to the run's root
  AlgorithmSet algorithms;                    // digests to compute in the one pass
  std::optional<std::uint64_t> expected_size; // a different size skips the read
};

struct ReadProgress {
  std::uint64_t files_done = 0;
  std::uint64_t bytes_done = 0;
};

class ReadRun {
 public:
  // Starts `jobs` workers (at least 1) over `items`, whose paths resolve against
  // `root` (see join_path); items must outlive the run.
  ReadRun(const std::vector<ReadItem>& items, std::string root, unsigned jobs);
  ~ReadRun();
  ReadRun(const ReadRun&) = delete;
  ReadRun& operator=(const ReadRun&) = delete;

  // Item i's result once it is done; nullptr if it is not done within `timeout`.
  const FileReadResult* wait(std::size_t i, std::chrono::milliseconds timeout);
  // Item i's result, once it is done (for callers with no progress to draw).
  const FileReadResult& wait(std::size_t i);
  ReadProgress progress() const;

 private:
  void work();

  const std::vector<ReadItem>& items_;
  const std::string root_;
  std::vector<FileReadResult> results_;
  std::unique_ptr<std::atomic<bool>[]> done_;
  std::atomic<std::size_t> next_{0};
  std::atomic<std::uint64_t> files_done_{0};
  std::atomic<std::uint64_t> bytes_done_{0};
  std::atomic<unsigned> busy_{0};  // workers reading a file now
  std::atomic<bool> stop_{false};
  // The index the caller sleeps on (SIZE_MAX: none).
  std::atomic<std::size_t> waiting_for_{SIZE_MAX};
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::thread> workers_;
};

}  // namespace lv
