// Verifies files against manifest entries on a bounded pool of worker threads.
// Worker i writes only results[i]; the caller reads results in input order as
// they complete, so what it prints is the same for any number of jobs.
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
#include "core/manifest.h"

namespace lv {

enum class FileStatus : std::uint8_t {
  ok,             // every expected digest (and the size, if known) matched
  failed,         // a digest or the size differs
  size_only,      // no digest known; the size matched
  unknown,        // neither digest nor size known; the file exists
  missing,
  directory,
  dangling_link,
  link_loop,
  special,        // FIFO, socket, device: never read
  unreadable,     // open or read failed (permissions, I/O error)
  unlisted,       // found by --audit, named by no manifest
};
std::string_view status_name(FileStatus s);
// Statuses that sha256sum reports as "FAILED open or read".
bool is_open_or_read_failure(FileStatus s);

struct VerifyItem {
  const ManifestEntry* entry = nullptr;  // the expectations; null: just hash
  std::string_view path;                 // on disk, relative to the run's root
  AlgorithmSet algorithms;               // used when entry is null
};

struct FileResult {
  FileStatus status = FileStatus::missing;
  std::optional<std::uint64_t> size;  // the size on disk, when it could be seen
  std::vector<Digest> actual;         // computed digests, strongest first
  bool size_mismatch = false;         // failed on size alone (no digest computed)
  int error_number = 0;
};

// Compares what was read with what the entry expects.
FileResult judge(const ManifestEntry& entry, const FileReadResult& read);
// What was read, with no expectation: ok for a regular file read to its end.
FileResult describe(const FileReadResult& read);

struct VerifyProgress {
  std::uint64_t files_done = 0;
  std::uint64_t bytes_done = 0;
};

class VerifyRun {
 public:
  // Starts `jobs` workers (at least 1) over `items`, whose paths resolve
  // against `root` (see join_path); items must outlive the run.
  VerifyRun(const std::vector<VerifyItem>& items, std::string root, unsigned jobs);
  ~VerifyRun();
  VerifyRun(const VerifyRun&) = delete;
  VerifyRun& operator=(const VerifyRun&) = delete;

  // The result of item i once it is done; nullptr if it is not done within `timeout`.
  const FileResult* wait(std::size_t i, std::chrono::milliseconds timeout);
  // Item i's result; only after wait(i) returned it.
  const FileResult& result(std::size_t i) const { return results_[i]; }
  VerifyProgress progress() const;

 private:
  void work();

  const std::vector<VerifyItem>& items_;
  const std::string root_;
  std::vector<FileResult> results_;
  std::unique_ptr<std::atomic<bool>[]> done_;
  std::atomic<std::size_t> next_{0};
  std::atomic<std::uint64_t> files_done_{0};
  std::atomic<std::uint64_t> bytes_done_{0};
  std::atomic<bool> stop_{false};
  // The index the caller sleeps on; workers wake it only for that one.
  std::atomic<std::size_t> waiting_for_{SIZE_MAX};
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::thread> workers_;
};

}  // namespace lv
