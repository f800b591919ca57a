// Reading one entry of a ZIP archive: its local header against the central
// directory, then its data, inflated where needed, with the CRC-32 and the
// size checked. The bytes go to a sink as they come (hashing, writing), so
// test and extract share one path.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/zip_directory.h"
#include "core/zip_input.h"

namespace lv {

// What can be wrong with an archive or an entry, in the order reports list them.
enum class ZipFindingKind : std::uint8_t {
  junk_before,
  duplicate,
  unsafe_name,
  symlink,
  encrypted,
  unsupported_method,
  header_mismatch,
  truncated,
  bad_data,
  size_mismatch,
  bad_crc,
  overlapping,
};
inline constexpr std::size_t kZipFindingKinds = 12;
std::string_view zip_finding_name(ZipFindingKind k);  // "bad_crc", ... (report keys)

struct ZipFinding {
  ZipFindingKind kind;
  std::int64_t entry = -1;  // index in the central directory; -1 for the archive
  std::uint64_t offset = 0; // of the entry's local header (or the problem)
  std::string detail;       // a sentence fragment: "the data give 0x..., the central directory says 0x..."
};

// Buffers and decompressor reused across the entries one thread reads.
class ZipScratch {
 public:
  ZipScratch();
  ~ZipScratch();
  ZipScratch(const ZipScratch&) = delete;
  ZipScratch& operator=(const ZipScratch&) = delete;

 private:
  friend struct EntryReader;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct EntryOutcome {
  std::vector<ZipFinding> findings;  // empty: the entry is sound
  std::uint64_t extent_end = 0;      // end of its local header, data and descriptor
  bool data_read = false;            // false when the data could not be checked at all
  std::uint32_t crc32 = 0;           // of the data read (when data_read)
};

// Receives the entry's bytes in order; an error stops the read and is returned.
using EntrySink = std::function<Status(std::span<const std::uint8_t>)>;

// Reads entry `index`. Findings are data; an Error means the archive could not
// be read (I/O) or the sink failed.
Result<EntryOutcome> read_entry(ZipInput& input, const ZipDirectory& dir, std::size_t index, ZipScratch& scratch,
                                const EntrySink* sink = nullptr);

// "stored", "deflate", "bzip2", "lzma", "zstd", ... or "method N".
std::string zip_method_name(std::uint16_t method);

}  // namespace lv
