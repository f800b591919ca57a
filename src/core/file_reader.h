// Reads one file from disk through a MultiHasher, and says what the path turned
// out to be when it is not a readable regular file. Never blocks on FIFOs or
// devices: the path is opened non-blocking and anything that is not a regular
// file is classified from fstat before a byte is read.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/hashing.h"

namespace lv {

enum class PathKind : std::uint8_t {
  regular,        // read to the end (or skipped on a size mismatch)
  missing,        // ENOENT/ENOTDIR, and not a symlink
  directory,
  dangling_link,  // a symlink whose target does not exist
  link_loop,      // ELOOP
  special,        // FIFO, socket, character or block device
  unreadable,     // EACCES, EIO, ... (see error_number)
};

struct FileReadResult {
  PathKind kind = PathKind::regular;
  int error_number = 0;           // errno behind missing/unreadable/...; 0 otherwise
  std::uint64_t size = 0;         // bytes read, or st_size when the read was skipped
  bool size_mismatch = false;     // expected_size given and st_size differs: nothing read
  std::vector<Digest> digests;    // empty unless the file was read
};

class FileReader {
 public:
  // `progress`, when given, is advanced by the number of bytes read as they are read.
  // `busy` counts the readers at work: a large file is read ahead on a second
  // thread only while fewer readers than cores are busy (a core is idle).
  explicit FileReader(std::atomic<std::uint64_t>* progress = nullptr, const std::atomic<unsigned>* busy = nullptr);

  FileReadResult read(const std::string& path, AlgorithmSet algorithms,
                      std::optional<std::uint64_t> expected_size);

 private:
  // errno, or 0 when the file was read to its end.
  int hash_in_place(int fd, std::uint64_t& total);
  int hash_with_read_ahead(int fd, std::uint64_t& total);

  std::vector<unsigned char> buffer_;
  std::vector<std::vector<unsigned char>> ahead_;  // read-ahead slots, allocated on first use
  MultiHasher hasher_;
  std::atomic<std::uint64_t>* progress_;
  const std::atomic<unsigned>* busy_;
  unsigned cores_;
};

// The errno text ("No such file or directory"), as strerror gives it.
std::string error_text(int error_number);

}  // namespace lv
