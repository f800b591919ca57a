// `llava-verify zip`: every entry of an archive tested (local header, data,
// CRC-32, size), the structure checked (duplicates, unsafe names, symlinks,
// overlap, junk before the archive), and the contents compared with a
// manifest of entries or a record file. Findings are data; only an archive
// that cannot be read at all is an Error.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/hashing.h"
#include "core/manifest.h"
#include "core/result.h"
#include "core/zip_directory.h"
#include "core/zip_entry.h"

namespace lv {

// Updated by the workers; read by whoever draws progress.
struct ZipProgress {
  std::atomic<std::uint64_t> entries{0};
  std::atomic<std::uint64_t> bytes{0};  // compressed bytes read
  // What there is to do, once known (after the central directory is read).
  std::atomic<std::uint64_t> total_entries{0};
  std::atomic<std::uint64_t> total_bytes{0};
  std::atomic<bool> sized{false};
};

struct ZipTestOptions {
  unsigned jobs = 1;
  bool list_only = false;          // the central directory only; no data read
  const Manifest* entries = nullptr;  // --entries: compare (sha256 computed only where it names one)
  AlgorithmSet hash_all;              // digests of every entry's data (manifest create --zip)
  ZipProgress* progress = nullptr;
};

struct ZipChanged {
  std::string name;
  std::string detail;  // "size 1234, the manifest says 1200"
};

struct ZipReport {
  std::string archive;  // as given
  ZipDirectory dir;
  bool list_only = false;
  std::vector<ZipFinding> findings;  // by entry, then kind; the archive's own (entry -1) first
  std::uint64_t ok = 0;              // entries with no finding
  std::uint64_t data_bytes = 0;      // sum of the entries' sizes
  std::array<std::uint64_t, kZipFindingKinds> counts{};  // entries with each kind of finding
  std::vector<std::vector<Digest>> digests;  // per entry, with hash_all (empty when its data were unreadable)
  // --entries
  bool compared = false;
  std::string manifest_name;
  std::vector<std::string> missing;  // in the manifest, not in the archive (manifest order)
  std::vector<std::string> extra;    // file entries the manifest does not name (archive order)
  std::vector<ZipChanged> changed;   // (manifest order)
  std::uint64_t malformed_manifest_lines = 0;
  // --records
  bool records_compared = false;
  std::string records_name;
  std::uint64_t records = 0, referenced = 0;
  std::vector<std::string> not_in_archive;  // distinct referenced images without an entry (record order)
  std::vector<std::string> unreferenced;    // file entries no record names (archive order)

  bool clean() const;  // no finding and no difference
};

// Tests the archive at `path`.
Result<ZipReport> test_zip(const std::string& path, const ZipTestOptions& options);
// The same over an open input (each worker reopens it).
Result<ZipReport> test_zip(ZipInput& input, const ZipTestOptions& options);

// --records: which referenced images are not entries, which file entries no
// record names. Names are compared after the record's `image` is checked.
Status compare_with_records(ZipReport& report, const std::string& records_path);

}  // namespace lv
