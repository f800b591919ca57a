// The central directory of a ZIP archive, read by hand from a ZipInput: libzip
// does not expose the local header offsets, which the overlap, header and
// junk checks need. Handles ZIP64 end records and extra fields, archive
// comments, and bytes before the archive (self-extractors, `cat`).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/flat_map.h"
#include "core/result.h"
#include "core/zip_input.h"

namespace lv {

struct ZipEntry {
  std::string name;  // raw bytes, as stored
  std::uint64_t header_offset = 0;  // of the local header, from the start of the file
  std::uint64_t compressed_size = 0;
  std::uint64_t size = 0;
  std::uint32_t crc32 = 0;
  std::uint16_t method = 0;
  std::uint16_t flags = 0;
  std::uint16_t made_by = 0;
  std::uint32_t external_attributes = 0;

  bool encrypted() const { return (flags & 0x0001) != 0; }
  bool has_descriptor() const { return (flags & 0x0008) != 0; }
  bool utf8_flag() const { return (flags & 0x0800) != 0; }
  bool is_directory() const { return !name.empty() && name.back() == '/'; }
  // A Unix symbolic link (made on Unix, S_IFLNK in the mode bits).
  bool is_symlink() const;
  // The Unix permission bits, when made on Unix; 0 otherwise.
  std::uint32_t unix_mode() const;
};

struct ZipDirectory {
  std::vector<ZipEntry> entries;       // in central-directory order
  std::uint64_t file_size = 0;
  std::uint64_t directory_start = 0;   // where the central directory starts in the file
  std::uint64_t directory_size = 0;
  // Bytes in front of the archive proper (a self-extractor stub, junk): the
  // offset of the first local header, or where the directory starts when
  // there are no entries. Offsets in `entries` already include it.
  std::uint64_t leading_bytes = 0;
  bool zip64 = false;
};

// Reads the end records and the whole central directory (its memory follows
// the number of entries, ~100 bytes each; never more than the archive's size).
// Duplicates and overlap are not checked here: that is zip_test's job.
// An archive that cannot be read at all is an Error naming the archive and the
// byte offset, with `kind` one of "not_a_zip", "truncated_archive",
// "bad_central_directory", "unsupported" (split archives), "io".
Result<ZipDirectory> read_zip_directory(ZipInput& input);

// Entry indexes in the order their local headers lie in the file (ties in
// central-directory order): the order entries are read in.
std::vector<std::size_t> entries_by_offset(const ZipDirectory& dir);
// The first entry of each name; keys view `dir`'s names (valid while it lives, unmoved).
FlatStringMap<std::uint64_t> first_entry_by_name(const ZipDirectory& dir);

// Why an entry name may not be extracted as it is ("an absolute path", "a '..'
// component", "a backslash", "a NUL byte", "a drive letter", "invalid UTF-8
// although the UTF-8 flag is set", "empty"), or empty when it may.
std::string zip_name_problem(std::string_view name, bool utf8_flag);

// Little-endian field readers over bounded spans (also used by zip_test).
inline std::uint16_t le16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] | (p[1] << 8)); }
inline std::uint32_t le32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) | (static_cast<std::uint32_t>(p[1]) << 8) |
         (static_cast<std::uint32_t>(p[2]) << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
}
inline std::uint64_t le64(const std::uint8_t* p) { return le32(p) | (static_cast<std::uint64_t>(le32(p + 4)) << 32); }

inline constexpr std::uint32_t kLocalHeaderSig = 0x04034b50;
inline constexpr std::uint32_t kCentralHeaderSig = 0x02014b50;
inline constexpr std::uint32_t kEndSig = 0x06054b50;
inline constexpr std::uint32_t kZip64EndSig = 0x06064b50;
inline constexpr std::uint32_t kZip64LocatorSig = 0x07064b50;
inline constexpr std::uint32_t kDescriptorSig = 0x08074b50;
inline constexpr std::size_t kLocalHeaderSize = 30;
inline constexpr std::size_t kCentralHeaderSize = 46;

}  // namespace lv
