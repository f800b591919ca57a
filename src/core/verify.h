// What a file's read means for a manifest entry: the statuses of `check`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
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
  unconfirmed,    // the size matched (if known); a digest differs from an unconfirmed value
};
std::string_view status_name(FileStatus s);

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

}  // namespace lv
