// Hashes a file while another thread appends to it, reading the bytes back
// from the page cache on a thread of its own, and starts their writeback as it
// goes. `fetch` receives and writes on one thread, as `curl -o` does, and the
// SHA-256 (1.3 CPU-s for 2 GB) and most of the disk writing of the final
// fsync happen meanwhile instead of after.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "core/hashing.h"
#include "core/result.h"

namespace lv {

class TrailingDigest {
 public:
  // `fd` stays open and owned by the caller until finish() or the destructor.
  // Bytes [0, already) are in the file now; writeback starts every `step` bytes.
  TrailingDigest(int fd, Algorithm algorithm, std::uint64_t already, std::uint64_t step = 32u << 20);
  ~TrailingDigest();
  TrailingDigest(const TrailingDigest&) = delete;
  TrailingDigest& operator=(const TrailingDigest&) = delete;

  // Bytes [0, written) are in the file. Cheap: call it after each write.
  void advance(std::uint64_t written);
  // The file was truncated to zero: everything hashed so far is dropped.
  void restart();
  // Waits until [0, size) is hashed; the digest, or why a byte could not be read back.
  Result<Digest> finish(std::uint64_t size);

 private:
  void launch(std::uint64_t already);
  void stop();
  void run();

  int fd_;
  Algorithm algorithm_;
  std::uint64_t step_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::atomic<std::uint64_t> written_{0};
  std::uint64_t notified_ = 0;  // the writer's: written_ at the last wake-up
  std::uint64_t target_ = 0;    // guarded: finish()'s size once `finishing_`
  bool finishing_ = false;      // guarded
  bool stopping_ = false;       // guarded
  std::uint64_t hashed_ = 0;    // the thread's, read after join
  std::optional<Error> error_;  // the thread's, read after join
  MultiHasher hasher_;
  std::vector<unsigned char> buf_;
  std::thread thread_;
};

}  // namespace lv
