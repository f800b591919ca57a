// `llava-verify extract`: entries of an archive written under a folder, and
// nowhere else. Names are checked (no '..', no absolute paths), folders are
// opened one component at a time without following symbolic links, each file
// is written under a temporary name beside its final one and renamed only
// when its CRC-32 and size are right. Bomb limits: total bytes, ratio per
// entry, free disk; overlapping entries are refused.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/zip_test.h"

namespace lv {

struct ExtractOptions {
  std::string dest;
  unsigned jobs = 1;
  const std::vector<std::string>* only = nullptr;  // entry names to extract; null: all
  bool overwrite = false;        // replace files that differ (same size and CRC-32 are always skipped)
  bool allow_symlinks = false;   // write symlink entries whose target stays inside dest
  std::uint64_t max_total_bytes = 0;  // 0: no limit but the free disk space
  std::uint64_t max_ratio = 100;      // size / compressed size, for entries over 1 MiB
  ZipProgress* progress = nullptr;
};

enum class ExtractState : std::uint8_t { written, skipped, refused, failed, not_selected };

struct ExtractProblem {
  std::int64_t entry = -1;  // -1: a name of --only that the archive lacks
  std::string name;
  std::string reason;
};

struct ExtractResult {
  std::uint64_t selected = 0;
  std::uint64_t written = 0, skipped = 0, refused = 0, failed = 0;
  std::uint64_t bytes_written = 0;
  std::vector<ExtractProblem> problems;  // entry order; --only names not found last (list order)
  std::uint64_t not_found = 0;
};

// An Error when nothing could be done: the archive cannot be read, DEST cannot
// be made, a limit is exceeded before anything is written.
Result<ExtractResult> extract_zip(const std::string& archive, const ExtractOptions& options);

}  // namespace lv
