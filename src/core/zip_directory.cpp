#include "core/zip_directory.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <numeric>

#include "core/names.h"

namespace lv {
namespace {

constexpr std::size_t kEndSize = 22;
constexpr std::size_t kZip64LocatorSize = 20;
constexpr std::size_t kZip64EndSize = 56;
constexpr std::size_t kMaxComment = 65535;
constexpr std::size_t kWindow = 4u << 20;  // central directory read in 4 MiB windows

// A forward-only window over a byte range of the input.
class Window {
 public:
  explicit Window(ZipInput& in) : in_(in) {}
  // At least `need` bytes at absolute `offset`, or fewer when the input ends.
  Result<std::span<const std::uint8_t>> at(std::uint64_t offset, std::size_t need) {
    if (offset < start_ || offset + need > start_ + buf_.size()) {
      // No bigger than what the input still holds (a small archive gets a small buffer).
      const std::uint64_t left = offset < in_.size() ? in_.size() - offset : 0;
      buf_.resize(static_cast<std::size_t>(std::min<std::uint64_t>(std::max(kWindow, need), std::max<std::uint64_t>(left, need))));
      auto n = in_.read_at(offset, buf_);
      if (!n) return n.error();
      buf_.resize(*n);
      start_ = offset;
    }
    std::size_t from = static_cast<std::size_t>(offset - start_);
    return std::span<const std::uint8_t>(buf_.data() + from, std::min(need, buf_.size() - from));
  }

 private:
  ZipInput& in_;
  std::vector<std::uint8_t> buf_;
  std::uint64_t start_ = 0;
};

struct EndRecord {
  std::uint64_t position = 0;  // absolute
  std::uint32_t disk = 0, directory_disk = 0;
  std::uint64_t entries = 0;
  std::uint64_t directory_size = 0;
  std::uint64_t directory_offset = 0;
};

// The ZIP64 extra field (0x0001) replaces, in order, the fields that are
// saturated in the fixed header.
bool apply_zip64_extra(std::span<const std::uint8_t> extra, ZipEntry& e, bool size_sat, bool csize_sat, bool offset_sat) {
  std::size_t p = 0;
  while (p + 4 <= extra.size()) {
    std::uint16_t id = le16(&extra[p]);
    std::uint16_t len = le16(&extra[p + 2]);
    if (p + 4 + len > extra.size()) break;  // a malformed tail is ignored, as Info-ZIP does
    if (id == 0x0001) {
      std::size_t q = p + 4;
      const std::size_t end = q + len;
      auto take = [&](std::uint64_t& field) {
        if (q + 8 > end) return false;
        field = le64(&extra[q]);
        q += 8;
        return true;
      };
      if (size_sat && !take(e.size)) return false;
      if (csize_sat && !take(e.compressed_size)) return false;
      if (offset_sat && !take(e.header_offset)) return false;
      return true;
    }
    p += 4 + len;
  }
  return !(size_sat || csize_sat || offset_sat);
}

}  // namespace

bool ZipEntry::is_symlink() const { return (made_by >> 8) == 3 && ((external_attributes >> 16) & 0170000) == 0120000; }

std::uint32_t ZipEntry::unix_mode() const { return (made_by >> 8) == 3 ? (external_attributes >> 16) & 07777 : 0; }

std::vector<std::size_t> entries_by_offset(const ZipDirectory& dir) {
  std::vector<std::size_t> order(dir.entries.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return dir.entries[a].header_offset < dir.entries[b].header_offset;
  });
  return order;
}

FlatStringMap<std::uint64_t> first_entry_by_name(const ZipDirectory& dir) {
  FlatStringMap<std::uint64_t> first;
  first.reserve(dir.entries.size());
  for (std::size_t i = 0; i < dir.entries.size(); ++i) first.try_emplace(dir.entries[i].name, i);  // keeps the first
  return first;
}

std::string zip_name_problem(std::string_view name, bool utf8_flag) {
  if (name.empty()) return "an empty name";
  if (name.find('\0') != std::string_view::npos) return "a NUL byte";
  if (name.front() == '/') return "an absolute path";
  if (name.find('\\') != std::string_view::npos) return "a backslash";
  if (name.size() >= 2 && name[1] == ':' && std::isalpha(static_cast<unsigned char>(name[0]))) return "a drive letter";
  // Folders end with '/': that last empty component is theirs.
  const std::string_view path = name.back() == '/' ? name.substr(0, name.size() - 1) : name;
  std::string_view other;
  for (std::size_t pos = 0; pos <= path.size();) {
    std::size_t slash = path.find('/', pos);
    if (slash == std::string_view::npos) slash = path.size();
    const std::string_view part = path.substr(pos, slash - pos);
    if (part == "..") return "a '..' component";
    if (part == "." && other.empty()) other = "a '.' component (another spelling of a shorter name)";
    if (part.empty() && other.empty()) other = "an empty component ('//', another spelling of a shorter name)";
    pos = slash + 1;
  }
  if (!other.empty()) return std::string(other);
  if (name.ends_with(".lv-part")) return "the suffix .lv-part, which extract uses for its temporary files";
  if (utf8_flag && !is_valid_utf8(name)) return "invalid UTF-8 although the UTF-8 flag is set";
  return {};
}

Result<ZipDirectory> read_zip_directory(ZipInput& in) {
  const std::uint64_t file_size = in.size();
  auto fail = [&](std::string_view kind, const std::string& message) {
    return Error{fmt::format("{}: {}", quote_name(in.name()), message), std::string(kind)};
  };
  if (file_size == 0) return fail("not_a_zip", "not a zip archive (an empty file)");

  // The end record is in the last 22 + 65,535 bytes (its comment is at most that long).
  const std::size_t tail_size = static_cast<std::size_t>(std::min<std::uint64_t>(file_size, kEndSize + kMaxComment));
  const std::uint64_t tail_start = file_size - tail_size;
  std::vector<std::uint8_t> tail(tail_size);
  if (auto n = in.read_at(tail_start, tail); !n) {
    return Error{n.error().message, "io"};
  } else if (*n != tail_size) {
    return fail("io", fmt::format("the file shrank while it was read (at byte {})", tail_start + *n));
  }
  std::optional<std::size_t> found, loose;
  for (std::size_t i = tail_size >= kEndSize ? tail_size - kEndSize + 1 : 0; i-- > 0;) {
    if (le32(&tail[i]) != kEndSig) continue;
    std::size_t comment = le16(&tail[i + 20]);
    if (i + kEndSize + comment == tail_size) {
      found = i;
      break;
    }
    if (!loose && i + kEndSize + comment <= tail_size) loose = i;  // junk after the comment
  }
  if (!found) found = loose;
  if (!found) {
    std::array<std::uint8_t, 4> head{};
    auto n = in.read_at(0, head);
    if (n && *n == 4 && le32(head.data()) == kLocalHeaderSig) {
      return fail("truncated_archive",
                  "no end of central directory record: the archive is cut short (it starts like a zip archive)");
    }
    return fail("not_a_zip", "not a zip archive (no end of central directory record)");
  }
  const std::uint8_t* e = &tail[*found];
  EndRecord end;
  end.position = tail_start + *found;
  end.disk = le16(e + 4);
  end.directory_disk = le16(e + 6);
  end.entries = le16(e + 10);
  end.directory_size = le32(e + 12);
  end.directory_offset = le32(e + 16);

  ZipDirectory dir;
  dir.file_size = file_size;
  std::uint64_t directory_end = end.position;  // the central directory ends where the end records start

  // ZIP64: a locator right before the end record points at the ZIP64 end record.
  if (end.position >= kZip64LocatorSize) {
    std::array<std::uint8_t, kZip64LocatorSize> loc{};
    auto n = in.read_at(end.position - kZip64LocatorSize, loc);
    if (!n) return Error{n.error().message, "io"};
    if (*n == loc.size() && le32(loc.data()) == kZip64LocatorSig) {
      const std::uint64_t stated = le64(&loc[8]);
      const std::uint32_t disks = le32(&loc[16]);
      if (disks > 1) return fail("unsupported", fmt::format("a split archive ({} parts): not supported", disks));
      // Where it says, or right before the locator when bytes precede the archive.
      std::array<std::uint8_t, kZip64EndSize> rec{};
      std::uint64_t at = stated;
      bool ok = false;
      for (int attempt = 0; attempt < 2 && !ok; ++attempt) {
        if (attempt == 1) {
          if (end.position < kZip64LocatorSize + kZip64EndSize) break;
          at = end.position - kZip64LocatorSize - kZip64EndSize;
        }
        if (at > end.position - kZip64LocatorSize || end.position - kZip64LocatorSize - at < kZip64EndSize) continue;
        auto r = in.read_at(at, rec);
        if (!r) return Error{r.error().message, "io"};
        ok = *r == rec.size() && le32(rec.data()) == kZip64EndSig;
      }
      if (!ok) {
        return fail("bad_central_directory",
                    fmt::format("the ZIP64 end of central directory record is not at byte {} where its locator says", stated));
      }
      dir.zip64 = true;
      end.disk = le32(&rec[16]);
      end.directory_disk = le32(&rec[20]);
      end.entries = le64(&rec[32]);
      end.directory_size = le64(&rec[40]);
      end.directory_offset = le64(&rec[48]);
      directory_end = at;
    }
  }
  if (end.disk != 0 || end.directory_disk != 0) {
    return fail("unsupported", fmt::format("disk {} of a split archive: not supported", end.disk));
  }
  if (end.directory_size > directory_end) {
    return fail("bad_central_directory",
                fmt::format("the end record at byte {} gives a central directory of {} bytes, more than the {} bytes before it",
                            end.position, end.directory_size, directory_end));
  }
  const std::uint64_t start = directory_end - end.directory_size;
  if (end.directory_offset > start) {
    return fail("bad_central_directory",
                fmt::format("the end record at byte {} puts the central directory at byte {}, past where it can start "
                            "(byte {}): the archive is cut short or damaged",
                            end.position, end.directory_offset, start));
  }
  const std::uint64_t shift = start - end.directory_offset;  // bytes before the archive, offsets not adjusted
  if (end.entries > end.directory_size / kCentralHeaderSize) {
    return fail("bad_central_directory",
                fmt::format("the end record says {} entries, but the central directory's {} bytes hold at most {}",
                            end.entries, end.directory_size, end.directory_size / kCentralHeaderSize));
  }
  dir.directory_start = start;
  dir.directory_size = end.directory_size;
  dir.entries.reserve(static_cast<std::size_t>(end.entries));

  Window window(in);
  std::uint64_t pos = start;
  while (pos < directory_end) {
    const std::size_t index = dir.entries.size();
    auto head = window.at(pos, kCentralHeaderSize);
    if (!head) return Error{head.error().message, "io"};
    if (head->size() < kCentralHeaderSize || le32(head->data()) != kCentralHeaderSig) {
      return fail("bad_central_directory",
                  fmt::format("entry {}: no central directory header at byte {}", index, pos));
    }
    const std::uint8_t* h = head->data();
    const std::size_t name_len = le16(h + 28), extra_len = le16(h + 30), comment_len = le16(h + 32);
    const std::size_t record = kCentralHeaderSize + name_len + extra_len + comment_len;
    if (pos + record > directory_end) {
      return fail("bad_central_directory",
                  fmt::format("entry {}: its central directory header at byte {} runs past the directory's end", index, pos));
    }
    ZipEntry entry;
    entry.made_by = le16(h + 4);
    entry.flags = le16(h + 8);
    entry.method = le16(h + 10);
    entry.crc32 = le32(h + 16);
    entry.compressed_size = le32(h + 20);
    entry.size = le32(h + 24);
    const std::uint16_t start_disk = le16(h + 34);
    entry.external_attributes = le32(h + 38);
    entry.header_offset = le32(h + 42);
    auto full = window.at(pos, record);
    if (!full) return Error{full.error().message, "io"};
    if (full->size() < record) return fail("io", fmt::format("the file shrank while it was read (at byte {})", pos));
    const std::uint8_t* r = full->data();
    entry.name.assign(reinterpret_cast<const char*>(r + kCentralHeaderSize), name_len);
    const bool size_sat = entry.size == 0xFFFFFFFF, csize_sat = entry.compressed_size == 0xFFFFFFFF,
               offset_sat = entry.header_offset == 0xFFFFFFFF;
    if (size_sat || csize_sat || offset_sat) {
      if (!apply_zip64_extra({r + kCentralHeaderSize + name_len, extra_len}, entry, size_sat, csize_sat, offset_sat)) {
        return fail("bad_central_directory",
                    fmt::format("entry {} ({}): its sizes need a ZIP64 extra field that is missing or short",
                                index, quote_name(entry.name)));
      }
      dir.zip64 = true;
    }
    if (start_disk != 0 && start_disk != 0xFFFF) {
      return fail("unsupported", fmt::format("entry {}: on disk {} of a split archive: not supported", index, start_disk));
    }
    // An offset past the end stays as the archive gives it (reported, never wrapped).
    if (entry.header_offset <= file_size - shift) entry.header_offset += shift;
    dir.entries.push_back(std::move(entry));
    pos += record;
  }
  const std::uint64_t held = dir.entries.size();
  // Writers without ZIP64 keep only the low 16 bits of the count.
  if (held != end.entries && !(!dir.zip64 && held > 0xFFFF && (held & 0xFFFF) == end.entries)) {
    return fail("bad_central_directory",
                fmt::format("the end record says {} entries, the central directory holds {}", end.entries, held));
  }
  dir.leading_bytes = start;
  for (const auto& en : dir.entries) dir.leading_bytes = std::min(dir.leading_bytes, en.header_offset);
  return dir;
}

}  // namespace lv
