// Writes to a file descriptor on a thread of its own: the caller's writes are
// copied into 4 MiB chunks, and full chunks are written (and their writeback
// to disk started every 32 MiB) while the caller goes on. `rewrite` produces
// 200+ MB: the write system calls and most of the final fsync's disk work
// leave its busiest thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace lv {

class ChunkWriter {
 public:
  explicit ChunkWriter(int fd);
  ~ChunkWriter();  // stops without writing what is still queued
  ChunkWriter(const ChunkWriter&) = delete;
  ChunkWriter& operator=(const ChunkWriter&) = delete;

  // 0, or the errno of the first failed write (later writes are dropped).
  int write(std::string_view data);
  // Writes what is left and waits for it: 0 or the first errno.
  int finish();

 private:
  void hand_over();
  void run();

  int fd_;
  std::string current_;
  std::mutex mu_;
  std::condition_variable ready_, space_;
  std::deque<std::string> queue_;     // guarded
  std::vector<std::string> spare_;    // guarded: written chunks, reused
  bool closing_ = false;              // guarded
  bool stopping_ = false;             // guarded
  std::atomic<int> error_{0};         // the first failed write's errno
  std::thread thread_;
};

}  // namespace lv
