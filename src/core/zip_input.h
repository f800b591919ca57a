// Random access to the bytes of a ZIP archive: a file on disk (pread on its
// own descriptor: one system call per entry, no stdio copy), or any libzip
// source (a buffer in memory for tests and fuzzing, later remote archives).
// Each worker thread opens its own ZipInput; one instance is not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "core/result.h"

struct zip_source;

namespace lv {

class ZipInput {
 public:
  // `name` is how errors name the archive.
  static Result<ZipInput> open_file(const std::string& path);
  // The buffer must outlive the ZipInput.
  static Result<ZipInput> open_memory(std::span<const std::uint8_t> data, std::string name);

  ZipInput(ZipInput&&) noexcept;
  ZipInput& operator=(ZipInput&&) noexcept;
  ~ZipInput();

  std::uint64_t size() const { return size_; }
  const std::string& name() const { return name_; }

  // Reads up to out.size() bytes at `offset`; fewer only at the end of the
  // archive. Errors name the archive and the offset.
  Result<std::size_t> read_at(std::uint64_t offset, std::span<std::uint8_t> out);

  // Up to n bytes at `offset` (fewer only at the end of the archive), served
  // from a read-ahead window: one large read for many small entries. The view
  // is valid until the next peek. Reads ahead up to the limit set below.
  Result<std::span<const std::uint8_t>> peek(std::uint64_t offset, std::size_t n);
  // Where read-ahead stops (the end of this thread's share of the entries);
  // 0: no read-ahead beyond what is asked.
  void set_read_ahead_limit(std::uint64_t limit) { read_ahead_limit_ = limit; }

  // Another input on the same bytes (for another thread).
  Result<ZipInput> reopen() const;

 private:
  ZipInput(zip_source* source, std::string name, std::string path, std::span<const std::uint8_t> memory);
  Status open_source();

  zip_source* source_ = nullptr;  // null for files, which use fd_
  int fd_ = -1;
  std::string name_;
  std::string path_;                        // empty for memory inputs
  std::span<const std::uint8_t> memory_;    // memory inputs
  std::uint64_t size_ = 0;
  std::uint64_t position_ = 0;              // of the source, to save seeks
  std::unique_ptr<std::uint8_t[]> window_;
  std::size_t window_capacity_ = 0, window_size_ = 0;
  std::uint64_t window_start_ = 0;
  std::uint64_t read_ahead_limit_ = 0;
};

}  // namespace lv
