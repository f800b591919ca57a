#include "core/image_check.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <fmt/format.h>
#include <libdeflate.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <vector>

#include "core/file_reader.h"

namespace lv {
namespace {

constexpr std::size_t kWindow = 256 * 1024;

// The bytes of one file, seen through windows: at() gives up to n bytes at a
// position (fewer at the end, none past it), valid until the next call.
class Source {
 public:
  // Set when the answer is a JPEG scan cut off with no end marker (StructureVerdict::undecided).
  bool undecided = false;
  // Stop a PNG's walk at its image data (a decoder reads them next).
  bool leave_image_data = false;
  virtual ~Source() = default;
  std::uint64_t size() const { return size_; }
  virtual std::string_view at(std::uint64_t pos, std::size_t n) = 0;

  bool byte(std::uint64_t pos, std::uint8_t& out) {
    const std::string_view w = at(pos, 1);
    if (w.empty()) return false;
    out = static_cast<std::uint8_t>(w[0]);
    return true;
  }
  // Big- or little-endian integers of `n` bytes.
  bool uint(std::uint64_t pos, int n, bool big, std::uint32_t& out) {
    const std::string_view w = at(pos, static_cast<std::size_t>(n));
    if (w.size() < static_cast<std::size_t>(n)) return false;
    out = 0;
    for (int i = 0; i < n; ++i) {
      const auto b = static_cast<std::uint8_t>(w[static_cast<std::size_t>(big ? i : n - 1 - i)]);
      out = (out << 8) | b;
    }
    return true;
  }
  // The first byte `c` at or after pos, or size() when there is none.
  std::uint64_t find(std::uint64_t pos, char c) {
    for (;;) {
      const std::string_view w = at(pos, kWindow);
      if (w.empty()) return size_;
      const void* hit = std::memchr(w.data(), c, w.size());
      if (hit != nullptr) return pos + static_cast<std::uint64_t>(static_cast<const char*>(hit) - w.data());
      pos += w.size();
    }
  }

 protected:
  std::uint64_t size_ = 0;
};

class MemorySource : public Source {
 public:
  explicit MemorySource(std::string_view bytes) : bytes_(bytes) { size_ = bytes.size(); }
  std::string_view at(std::uint64_t pos, std::size_t n) override {
    if (pos >= size_) return {};
    return bytes_.substr(static_cast<std::size_t>(pos), n);
  }

 private:
  std::string_view bytes_;
};

// A window over a file read with pread. A file that shrinks while it is read
// just ends early (the walk then says where), and one that grows is read to
// the size it had.
class FileSource : public Source {
 public:
  FileSource(int fd, std::uint64_t size) : fd_(fd) { size_ = size; }
  std::string_view at(std::uint64_t pos, std::size_t n) override {
    if (pos >= size_) return {};
    const bool inside = pos >= start_ && pos < start_ + length_;
    if (!inside || (pos + n > start_ + length_ && start_ + length_ < size_)) refill(pos);
    if (pos >= start_ + length_) return {};
    const std::size_t from = static_cast<std::size_t>(pos - start_);
    return std::string_view(buf_.data() + from, std::min(n, length_ - from));
  }

 private:
  void refill(std::uint64_t pos) {
    buf_.resize(kWindow);
    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(kWindow, size_ - pos));
    std::size_t got = 0;
    while (got < want) {
      const ssize_t r = ::pread(fd_, buf_.data() + got, want - got, static_cast<off_t>(pos + got));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) break;
      got += static_cast<std::size_t>(r);
    }
    start_ = pos;
    length_ = got;
    if (got < want) size_ = pos + got;  // it shrank while read: it ends here
  }

  int fd_;
  std::vector<char> buf_;
  std::uint64_t start_ = 0;
  std::size_t length_ = 0;
};

std::string truncated(std::string_view format, std::string_view where, std::uint64_t size) {
  return fmt::format("{} ends at byte {} {} (truncated)", format, size, where);
}

bool is_sof(std::uint8_t m) {
  return m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC;
}

// A JPEG whose data end inside a scan, before the end marker. Truncated,
// unless the file ends with a long run of zero bytes (a download written into a
// zero-filled file, EOI replaced by padding): libjpeg reads the zeros as data
// and PIL loads the image.
std::string scan_ends(Source& s, std::uint64_t scan_at) {
  constexpr std::uint64_t kZeroTail = 32;
  if (s.size() >= kZeroTail) {
    const std::string_view tail = s.at(s.size() - kZeroTail, kZeroTail);
    if (tail.size() == kZeroTail && std::all_of(tail.begin(), tail.end(), [](char c) { return c == 0; })) return {};
  }
  s.undecided = true;
  return truncated("JPEG", fmt::format("inside the scan that starts at byte {}", scan_at), s.size());
}

// JPEG: SOI, marker segments, each scan's entropy-coded data, EOI.
std::string check_jpeg(Source& s) {
  std::uint64_t pos = 2;
  bool frame = false;
  bool restarts = false;  // a DRI set a restart interval
  for (;;) {
    // The next marker; stray bytes before it are skipped, as libjpeg does.
    pos = s.find(pos, '\xFF');
    std::uint8_t m = 0xFF;
    while (m == 0xFF) {
      if (!s.byte(++pos, m)) return truncated("JPEG", "before its end marker", s.size());
    }
    const std::uint64_t marker_at = pos - 1;
    ++pos;
    if (m == 0xD9) return frame ? std::string() : "JPEG without a frame header before its end marker";
    if (m == 0x00 || m == 0x01 || (m >= 0xD0 && m <= 0xD7)) continue;  // stuffed byte, TEM, RSTn: no segment
    if (m == 0xD8) return fmt::format("JPEG with a second start-of-image marker at byte {}", marker_at);
    std::uint32_t length = 0;
    if (!s.uint(pos, 2, true, length)) return truncated("JPEG", fmt::format("inside the marker at byte {}", marker_at), s.size());
    if (length < 2 && ((m >= 0xE0 && m <= 0xEF) || m == 0xFE)) {
      pos += 2;  // libjpeg skips nothing more of an APPn or COM this short, and PIL loads the file
      continue;
    }
    if (length < 2) return fmt::format("JPEG segment 0x{:02X} at byte {} has a length of {}", m, marker_at, length);
    if (pos + length > s.size()) {
      return truncated("JPEG", fmt::format("inside segment 0x{:02X} at byte {} ({} bytes long)", m, marker_at, length), s.size());
    }
    frame = frame || is_sof(m);
    if (m == 0xDD) {  // DRI: the restart interval
      std::uint32_t interval = 0;
      restarts = s.uint(pos + 2, 2, true, interval) && interval > 0;
    }
    pos += length;
    if (m != 0xDA) continue;
    if (!frame) return fmt::format("JPEG scan at byte {} before any frame header", marker_at);
    // The entropy-coded data: up to an 0xFF that starts a marker (not 00, RSTn or fill).
    for (;;) {
      pos = s.find(pos, '\xFF');
      if (pos >= s.size()) return scan_ends(s, marker_at);
      std::uint64_t next = pos + 1;
      std::uint8_t b = 0xFF;
      while (b == 0xFF) {
        if (!s.byte(next, b)) return scan_ends(s, marker_at);
        if (b == 0xFF) ++next;
      }
      // Stuffed zero, restart marker, or, in a scan with restart intervals, a marker
      // below 0xC0 (invalid: libjpeg resynchronises past it): still the scan.
      if (b == 0x00 || (b >= 0xD0 && b <= 0xD7) || (restarts && b < 0xC0)) {
        pos = next + 1;
        continue;
      }
      pos = next - 1;  // the 0xFF before the marker
      break;
    }
  }
}

// PNG: signature, IHDR before the image data, the chunks before the image data with their
// CRCs, the IDAT chunks' zlib stream to its end.
std::string check_png(Source& s) {
  std::uint64_t pos = 8;
  bool no_header = true;  // IHDR not seen yet
  bool in_idat = false;
  z_stream z{};
  if (inflateInit(&z) != Z_OK) return "PNG: zlib could not start";
  struct End {
    z_stream& z;
    ~End() { inflateEnd(&z); }
  } end{z};
  std::vector<unsigned char> scratch(64 * 1024);
  for (;;) {
    std::uint32_t length = 0, type = 0;
    if (!s.uint(pos, 4, true, length) || !s.uint(pos + 4, 4, true, type)) {
      return truncated("PNG", in_idat ? "before its image data is complete" : "before its image data", s.size());
    }
    char name[5] = {static_cast<char>(type >> 24), static_cast<char>(type >> 16), static_cast<char>(type >> 8),
                    static_cast<char>(type), 0};
    for (char& c : name) {
      if (c != 0 && !std::isalpha(static_cast<unsigned char>(c))) c = '?';
    }
    if (length > 0x7FFFFFFFu) return fmt::format("PNG chunk '{}' at byte {} has a length of {}", name, pos, length);
    // PIL reads chunks in any order before the image data, IHDR among them.
    if (std::string_view(name) == "IHDR") no_header = false;
    if (no_header && std::string_view(name) == "IDAT") return fmt::format("PNG whose image data (IDAT at byte {}) come before its header (IHDR)", pos);
    const std::uint64_t data = pos + 8;
    // Decoding follows: libpng inflates the image data itself (and says what is wrong).
    if (std::string_view(name) == "IDAT" && s.leave_image_data) return {};
    if (std::string_view(name) == "IDAT") {
      in_idat = true;
      for (std::uint64_t at = data; at < data + length;) {
        const std::string_view w = s.at(at, static_cast<std::size_t>(std::min<std::uint64_t>(kWindow, data + length - at)));
        if (w.empty()) return truncated("PNG", fmt::format("inside chunk 'IDAT' at byte {}", pos), s.size());
        z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(w.data()));
        z.avail_in = static_cast<uInt>(w.size());
        while (z.avail_in > 0) {
          z.next_out = scratch.data();
          z.avail_out = static_cast<uInt>(scratch.size());
          const int r = inflate(&z, Z_NO_FLUSH);
          if (r == Z_STREAM_END) return {};  // what follows the image data, PIL does not read
          if (r != Z_OK && r != Z_BUF_ERROR) {
            return fmt::format("PNG image data damaged in chunk 'IDAT' at byte {} (zlib: {})", pos, z.msg ? z.msg : "error");
          }
          if (r == Z_BUF_ERROR && z.avail_out != 0) break;  // needs more input
        }
        at += w.size();
      }
      pos = data + length + 4;  // PIL does not check the image data's CRCs
      continue;
    }
    if (in_idat) return fmt::format("PNG image data ends before its zlib stream does (chunk '{}' at byte {})", name, pos);
    if (data + length + 4 > s.size()) {
      return truncated("PNG", fmt::format("inside chunk '{}' at byte {} ({} bytes long)", name, pos, length), s.size());
    }
    std::uint32_t crc = static_cast<std::uint32_t>(libdeflate_crc32(0, s.at(pos + 4, 4).data(), 4));
    for (std::uint64_t at = data; at < data + length;) {
      const std::string_view w = s.at(at, static_cast<std::size_t>(std::min<std::uint64_t>(kWindow, data + length - at)));
      if (w.empty()) return truncated("PNG", fmt::format("inside chunk '{}' at byte {}", name, pos), s.size());
      crc = static_cast<std::uint32_t>(libdeflate_crc32(crc, w.data(), w.size()));
      at += w.size();
    }
    std::uint32_t stored = 0;
    if (!s.uint(data + length, 4, true, stored)) return truncated("PNG", fmt::format("inside chunk '{}' at byte {}", name, pos), s.size());
    if (stored != crc) {
      return fmt::format("PNG chunk '{}' at byte {}: CRC {:08x}, the chunk says {:08x}", name, pos, crc, stored);
    }
    if (std::string_view(name) == "IEND") return "PNG without image data (IDAT)";
    pos = data + length + 4;
  }
}

// Sub-blocks from pos to their terminator; the position after it, or 0 when
// the file ends first. `at_boundary` says whether it ended between two
// sub-blocks (rather than inside one).
std::uint64_t skip_sub_blocks(Source& s, std::uint64_t pos, bool* at_boundary = nullptr) {
  for (;;) {
    std::uint8_t n = 0;
    if (!s.byte(pos, n)) {
      if (at_boundary != nullptr) *at_boundary = pos == s.size();
      return 0;
    }
    ++pos;
    if (n == 0) return pos;
    pos += n;
    if (pos > s.size()) {
      if (at_boundary != nullptr) *at_boundary = false;
      return 0;
    }
  }
}

// GIF: header, logical screen, color table, blocks up to the end of the first image.
std::string check_gif(Source& s) {
  std::uint8_t flags = 0;
  if (!s.byte(10, flags)) return truncated("GIF", "inside its header", s.size());
  std::uint64_t pos = 13 + ((flags & 0x80) ? 3u * (2u << (flags & 7)) : 0u);
  for (;;) {
    std::uint8_t b = 0;
    if (!s.byte(pos, b)) return truncated("GIF", "before its first image", s.size());
    if (b == 0x3B) return "GIF without an image (its trailer comes first)";
    if (b == 0x21) {
      const std::uint64_t next = skip_sub_blocks(s, pos + 2);
      if (next == 0) return truncated("GIF", fmt::format("inside the extension block at byte {}", pos), s.size());
      pos = next;
    } else if (b == 0x2C) {
      std::uint8_t image_flags = 0;
      if (!s.byte(pos + 9, image_flags)) return truncated("GIF", fmt::format("inside the image descriptor at byte {}", pos), s.size());
      const std::uint64_t data = pos + 10 + ((image_flags & 0x80) ? 3u * (2u << (image_flags & 7)) : 0u) + 1;
      // The data's sub-blocks whole, only their terminator missing: PIL decodes it.
      bool at_boundary = false;
      if (skip_sub_blocks(s, data, &at_boundary) == 0 && !at_boundary) {
        return truncated("GIF", fmt::format("inside the image data that starts at byte {}", pos), s.size());
      }
      return {};
    } else {
      ++pos;  // PIL skips bytes it does not know
    }
  }
}

// WebP: the RIFF size against the file size, and the image chunk.
std::string check_webp(Source& s) {
  std::uint32_t riff = 0;
  if (!s.uint(4, 4, false, riff)) return truncated("WebP", "inside its header", s.size());
  const std::uint64_t end = 8 + static_cast<std::uint64_t>(riff);
  if (end > s.size()) return fmt::format("WebP whose RIFF header says {} bytes, the file has {} (truncated)", end, s.size());
  for (std::uint64_t pos = 12;;) {
    std::string_view fourcc = s.at(pos, 4);
    std::uint32_t length = 0;
    if (fourcc.size() < 4 || !s.uint(pos + 4, 4, false, length) || pos + 8 > end) {
      return fmt::format("WebP without an image chunk (VP8, VP8L or ANMF) within its {} bytes", end);
    }
    std::string name(fourcc);
    for (char& c : name) {
      if (c < 0x20 || c > 0x7E) c = '?';  // a message is one line of text
    }
    if (pos + 8 + length > end) {
      return fmt::format("WebP chunk '{}' at byte {} runs past the end of the RIFF data ({} bytes, truncated)", name, pos, end);
    }
    if (name == "VP8 " || name == "VP8L" || name == "ANMF") return {};
    if (pos == 12 && name != "VP8X") return fmt::format("WebP whose first chunk is '{}' (not VP8, VP8L or VP8X)", name);
    pos += 8 + length + (length & 1);
  }
}

// BMP: the headers and the pixel data against the file size.
std::string check_bmp(Source& s) {
  std::uint32_t offset = 0, header = 0;
  if (!s.uint(10, 4, false, offset) || !s.uint(14, 4, false, header)) return truncated("BMP", "inside its header", s.size());
  std::uint32_t width = 0, height = 0, bpp = 0, compression = 0;
  if (header == 12) {
    if (!s.uint(18, 2, false, width) || !s.uint(20, 2, false, height) || !s.uint(24, 2, false, bpp)) {
      return truncated("BMP", "inside its header", s.size());
    }
  } else if (header == 40 || header == 64 || header == 108 || header == 124) {  // the ones PIL reads
    if (!s.uint(18, 4, false, width) || !s.uint(22, 4, false, height) || !s.uint(28, 2, false, bpp) ||
        !s.uint(30, 4, false, compression)) {
      return truncated("BMP", "inside its header", s.size());
    }
    height = static_cast<std::uint32_t>(std::abs(static_cast<std::int64_t>(static_cast<std::int32_t>(height))));
    std::uint32_t colors = 0;
    if (!s.uint(46, 4, false, colors)) return truncated("BMP", "inside its header", s.size());
    // A palette of more colors than a pixel can index: PIL's "invalid palette size".
    if (bpp <= 8 && colors > 256) return fmt::format("BMP of {} bits per pixel with a palette of {} colors", bpp, colors);
  } else {
    return fmt::format("BMP with a header of {} bytes (PIL reads 12, 40, 64, 108 or 124)", header);
  }
  if (bpp != 1 && bpp != 4 && bpp != 8 && bpp != 16 && bpp != 24 && bpp != 32) {
    return fmt::format("BMP of {} bits per pixel (PIL reads 1, 4, 8, 16, 24 or 32)", bpp);
  }
  if (offset > s.size()) return fmt::format("BMP whose pixel data would start at byte {}, past its end (truncated)", offset);
  if (compression != 0 && compression != 3 && compression != 6) return {};  // run-length data: its length is not known up front
  const std::uint64_t row = ((static_cast<std::uint64_t>(bpp) * width + 31) / 32) * 4;
  const std::uint64_t need = static_cast<std::uint64_t>(offset) + row * height;
  if (need > s.size()) return fmt::format("BMP of {}x{} at {} bits needs {} bytes, the file has {} (truncated)", width, height, bpp, need, s.size());
  return {};
}

// What a file that is no image is.
// TIFF: the first directory and the strips or tiles it points to, against the
// file's size (PIL reads the first image).
std::string check_tiff(Source& s) {
  const bool big = s.at(0, 1) == "M";
  std::uint32_t ifd = 0, entries = 0;
  if (!s.uint(4, 4, big, ifd)) return truncated("TIFF", "inside its header", s.size());
  if (!s.uint(ifd, 2, big, entries) || std::uint64_t{ifd} + 2 + 12ull * entries > s.size()) {
    return truncated("TIFF", fmt::format("inside its first directory (at byte {})", ifd), s.size());
  }
  // A tag's values: SHORT or LONG, inline when they fit in 4 bytes.
  struct Values {
    std::uint64_t at = 0, count = 0;
    int width = 0;
  };
  Values offsets, counts;
  for (std::uint32_t i = 0; i < entries; ++i) {
    const std::uint64_t e = std::uint64_t{ifd} + 2 + 12ull * i;
    std::uint32_t tag = 0, type = 0, count = 0, value = 0;
    if (!s.uint(e, 2, big, tag) || !s.uint(e + 2, 2, big, type) || !s.uint(e + 4, 4, big, count) || !s.uint(e + 8, 4, big, value)) {
      return truncated("TIFF", "inside its first directory", s.size());
    }
    if (tag != 273 && tag != 279 && tag != 324 && tag != 325) continue;
    if (type != 3 && type != 4) continue;
    const int width = type == 3 ? 2 : 4;
    Values v{std::uint64_t{count} * static_cast<std::uint64_t>(width) <= 4 ? e + 8 : value, count, width};
    (tag == 273 || tag == 324 ? offsets : counts) = v;
  }
  const std::uint64_t n = std::min(offsets.count, counts.count);
  for (std::uint64_t k = 0; k < n && k < (1u << 20); ++k) {
    std::uint32_t off = 0, len = 0;
    if (!s.uint(offsets.at + k * static_cast<std::uint64_t>(offsets.width), offsets.width, big, off) ||
        !s.uint(counts.at + k * static_cast<std::uint64_t>(counts.width), counts.width, big, len)) {
      return truncated("TIFF", "inside its strip table", s.size());
    }
    if (std::uint64_t{off} + len > s.size()) {
      return truncated("TIFF", fmt::format("inside strip {} (bytes {} to {})", k, off, std::uint64_t{off} + len), s.size());
    }
  }
  return {};
}

std::string not_an_image(std::string_view head) {
  std::string_view t = head;
  if (t.starts_with("\xEF\xBB\xBF")) t.remove_prefix(3);
  while (!t.empty() && (t.front() == ' ' || t.front() == '\n' || t.front() == '\r' || t.front() == '\t')) t.remove_prefix(1);
  std::string lower(t.substr(0, 64));
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower.starts_with("<!doctype html") || lower.starts_with("<html") || lower.starts_with("<head") ||
      lower.starts_with("<!--") || lower.starts_with("<body")) {
    return "an HTML page";
  }
  if (lower.starts_with("<?xml")) return lower.find("<svg") != std::string::npos ? "an SVG image (PIL cannot open it)" : "an XML document";
  if (!t.empty() && (t.front() == '{' || t.front() == '[')) return "JSON text";
  const bool text = !head.empty() && std::all_of(head.begin(), head.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u >= 0x20 || c == '\n' || c == '\r' || c == '\t';
  });
  if (text) return "text";
  std::string bytes;
  for (std::size_t i = 0; i < head.size() && i < 4; ++i) {
    bytes += fmt::format("{}{:02x}", i ? " " : "", static_cast<unsigned char>(head[i]));
  }
  return "unknown format: first bytes " + bytes;
}

std::string check(Source& s) {
  if (s.size() == 0) return "an empty file";
  const std::string_view head = s.at(0, 64);
  auto starts = [&](std::string_view sig, std::size_t at = 0) { return head.size() >= at + sig.size() && head.substr(at, sig.size()) == sig; };
  if (starts("\xFF\xD8\xFF")) return check_jpeg(s);
  if (starts("\x89PNG\r\n\x1A\n")) return check_png(s);
  if (starts("GIF87a") || starts("GIF89a")) return check_gif(s);
  if (starts("RIFF") && starts("WEBP", 8)) return check_webp(s);
  if (starts("BM")) return check_bmp(s);
  // TIFF: its first directory and strips; ICO (not in LLaVA's data): not walked.
  if (starts(std::string_view("II*\0", 4)) || starts(std::string_view("MM\0*", 4))) return check_tiff(s);
  if (starts(std::string_view("\0\0\1\0", 4))) return {};  // ICO: not walked, not called damaged
  return not_an_image(head);
}

}  // namespace

std::string_view image_format_of(std::string_view head) {
  auto starts = [&](std::string_view sig, std::size_t at = 0) { return head.size() >= at + sig.size() && head.substr(at, sig.size()) == sig; };
  if (starts("\xFF\xD8\xFF")) return "jpeg";
  if (starts("\x89PNG\r\n\x1A\n")) return "png";
  if (starts("GIF87a") || starts("GIF89a")) return "gif";
  if (starts("RIFF") && starts("WEBP", 8)) return "webp";
  if (starts("BM")) return "bmp";
  if (starts("II*\0") || starts("MM\0*")) return "tiff";
  if (starts(std::string_view("\0\0\1\0", 4))) return "ico";
  return {};
}

std::string image_structure_problem_bytes(std::string_view bytes) { return image_structure_check_bytes(bytes).problem; }

StructureVerdict image_structure_check_bytes(std::string_view bytes, bool decoding) {
  MemorySource s(bytes);
  s.leave_image_data = decoding;
  StructureVerdict out{check(s), false, {}};
  out.undecided = s.undecided && !out.problem.empty();
  out.format = image_format_of(bytes.substr(0, 16));
  return out;
}

std::string image_structure_problem(const std::string& path) { return image_structure_check(path).problem; }

StructureVerdict image_structure_check(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) return {error_text(errno), false, {}};
  struct stat st{};
  StructureVerdict out;
  if (::fstat(fd, &st) != 0) {
    out.problem = error_text(errno);
  } else if (!S_ISREG(st.st_mode)) {
    out.problem = "not a regular file";
  } else {
    FileSource s(fd, static_cast<std::uint64_t>(st.st_size));
    out.problem = check(s);
    out.undecided = s.undecided && !out.problem.empty();
    out.format = image_format_of(s.at(0, 16));
  }
  ::close(fd);
  return out;
}

}  // namespace lv
