// --deep=decode for PNG (image_decode_formats.h), as Pillow reads one: its chunk
// reader up to the image data (PngImageFile._open: chunk names, CRCs, and each
// chunk handler's own checks: a short pHYs, a zTXt over 1 MiB, ...); the image data
// 64 KiB at a time within the IDAT chunks (load_read), inflated with zlib row by row
// as ZipDecode.c does: filter bytes 0 to 4, done at the last row or where the zlib
// stream ends on a row boundary, a bad Adler-32 counted only when the read that
// completes the last row holds it; then the chunks after the image data (load_end:
// no CRCs, but chunks cut short and handlers' checks fail) and the palette (256
// entries). Not libpng: Pillow does not use it, and it refuses files Pillow loads (an
// unknown critical chunk, a stream that ends early) and loads files Pillow refuses
// (short ancillary chunks are benign errors there).
// The image data are read in image_decode_png_rows.cpp. Memory: a text chunk's 1 MiB.
#include <zlib.h>

#include <algorithm>
#include <array>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "core/image_decode_formats.h"

namespace lv::decode {
namespace {

// PngImagePlugin: a zTXt, iTXt or iCCP decompresses to at most 1 MiB; text in all at
// most 64 MiB.
constexpr std::size_t kPilTextChunk = 1u << 20;
constexpr std::uint64_t kPilTextMemory = 64ull << 20;

// zlib's inflate of `data` into at most `limit` bytes, as Pillow's
// _safe_zlib_decompress calls zlib.decompressobj().decompress(data, limit).
enum class Inflated { ok, too_large, error };
Inflated inflate_limited(std::string_view data, std::size_t limit, std::string* out) {
  z_stream z{};
  if (inflateInit(&z) != Z_OK) return Inflated::error;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  std::array<unsigned char, 16384> buf;
  std::size_t total = 0;
  int err = Z_OK;
  Inflated result = Inflated::ok;
  while (total < limit) {
    const auto give = static_cast<uInt>(std::min<std::size_t>(buf.size(), limit - total));
    z.next_out = buf.data();
    z.avail_out = give;
    err = inflate(&z, Z_SYNC_FLUSH);
    const std::size_t got = give - z.avail_out;
    if (out != nullptr) out->append(reinterpret_cast<const char*>(buf.data()), got);
    total += got;
    if (err != Z_OK && err != Z_BUF_ERROR) break;
    if (z.avail_out != 0) break;  // all the input it could use
  }
  if (err != Z_OK && err != Z_BUF_ERROR && err != Z_STREAM_END) {
    result = Inflated::error;  // zlib.error
  } else if (err != Z_STREAM_END && z.avail_in > 0) {
    result = Inflated::too_large;  // an unconsumed tail: "Decompressed Data Too Large"
  }
  inflateEnd(&z);
  return result;
}

// Python's strict UTF-8 decoding: the code points, or nothing when invalid.
std::optional<std::uint64_t> utf8_length(std::string_view s) {
  std::uint64_t n = 0;
  for (std::size_t i = 0; i < s.size(); ++n) {
    const std::uint32_t c = u8(s, i);
    std::size_t k = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (k == 0 || i + k > s.size()) return std::nullopt;
    std::uint32_t cp = k == 1 ? c : k == 2 ? (c & 0x1F) : k == 3 ? (c & 0x0F) : (c & 0x07);
    for (std::size_t j = 1; j < k; ++j) {
      const std::uint32_t d = u8(s, i + j);
      if ((d >> 6) != 2) return std::nullopt;
      cp = (cp << 6) | (d & 0x3F);
    }
    if ((k == 2 && cp < 0x80) || (k == 3 && cp < 0x800) || (k == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return std::nullopt;
    }
    i += k;
  }
  return n;
}

// What PngStream knows of the image while it reads the chunks.
struct PngInfo {
  std::uint64_t width = 0, height = 0;
  int bits = 0;       // bits per pixel of the rawmode; 0: no mode (an unknown bit depth and color type)
  char mode = 0;      // '1', 'L', 'I', 'R' (RGB), 'P', 'A' (LA), 'X' (RGBA), 0: none
  bool interlace = false;
  bool palette = false;  // a PLTE read while the mode was P
  std::uint64_t palette_len = 0;
  bool trns_int = false;  // a P image's tRNS that names one index
  std::uint64_t text_memory = 0;
  std::optional<std::uint32_t> seq;       // the APNG sequence number
  std::optional<std::uint32_t> n_frames;  // acTL
  bool bbox = false;
  std::uint64_t bx0 = 0, by0 = 0, bx1 = 0, by1 = 0;
  bool default_image = false;
};

void png_mode(PngInfo& p, std::uint32_t depth, std::uint32_t color) {
  struct Mode {
    std::uint32_t depth, color;
    char mode;
    int bits;
  };
  static constexpr Mode kModes[] = {{1, 0, '1', 1},  {2, 0, 'L', 2},  {4, 0, 'L', 4},  {8, 0, 'L', 8},  {16, 0, 'I', 16},
                                    {8, 2, 'R', 24}, {16, 2, 'R', 48}, {1, 3, 'P', 1},  {2, 3, 'P', 2},  {4, 3, 'P', 4},
                                    {8, 3, 'P', 8},  {8, 4, 'A', 16}, {16, 4, 'X', 32}, {8, 6, 'X', 32}, {16, 6, 'X', 64}};
  for (const Mode& m : kModes) {
    if (m.depth == depth && m.color == color) {
      p.mode = m.mode;
      p.bits = m.bits;
    }
  }
}

// PngStream.call(cid): the handler's checks on a chunk whose data are `s` (read
// whole). Empty when it passes; `idat` is set for IDAT (and fdAT), which end the
// chunks before the image data.
std::string png_handler(PngInfo& p, std::string_view cid, std::string_view s, std::uint64_t at) {
  const auto short_chunk = [&](std::string_view what) { return fmt::format("PNG {} chunk at byte {} of {} bytes (too short)", what, at, s.size()); };
  if (cid == "IHDR") {
    if (s.size() < 13) return short_chunk("IHDR");
    p.width = be32(s, 0);
    p.height = be32(s, 4);
    png_mode(p, u8(s, 8), u8(s, 9));
    if (u8(s, 12) != 0) p.interlace = true;
    if (u8(s, 11) != 0) return fmt::format("PNG whose header names filter method {} (PIL: unknown filter category)", u8(s, 11));
  } else if (cid == "PLTE") {
    if (p.mode == 'P') {
      p.palette = true;
      p.palette_len = s.size();
    }
  } else if (cid == "tRNS") {
    if (p.mode == 'P') {
      // One 0 among FF bytes names one transparent index; anything else is an alpha table.
      p.trns_int = std::count(s.begin(), s.end(), '\0') == 1 &&
                   std::all_of(s.begin(), s.end(), [](char ch) { return ch == '\0' || ch == '\xFF'; });
    } else if ((p.mode == '1' || p.mode == 'L' || p.mode == 'I') && s.size() < 2) {
      return short_chunk("tRNS");
    } else if (p.mode == 'R' && s.size() < 6) {
      return short_chunk("tRNS");
    }
  } else if (cid == "gAMA") {
    if (s.size() < 4) return short_chunk("gAMA");
  } else if (cid == "cHRM") {
    if (s.size() % 4 != 0) return fmt::format("PNG cHRM chunk at byte {} of {} bytes (not a multiple of 4)", at, s.size());
  } else if (cid == "sRGB") {
    if (s.empty()) return short_chunk("sRGB");
  } else if (cid == "pHYs") {
    if (s.size() < 9) return short_chunk("pHYs");
  } else if (cid == "tEXt" || cid == "zTXt") {
    const std::size_t nul = s.find('\0');
    const std::string_view key = s.substr(0, nul);
    std::string_view value = nul == std::string_view::npos ? std::string_view() : s.substr(nul + 1);
    std::uint64_t text = value.size();
    if (cid == "zTXt") {
      const std::uint32_t method = value.empty() ? 0 : u8(value, 0);
      if (method != 0) return fmt::format("PNG zTXt chunk at byte {} with compression method {}", at, method);
      std::size_t out = 0;
      std::string inflated;
      const Inflated z = inflate_limited(value.empty() ? value : value.substr(1), kPilTextChunk, &inflated);
      if (z == Inflated::too_large) return fmt::format("PNG zTXt chunk at byte {} decompresses to more than 1 MiB (PIL: Decompressed Data Too Large)", at);
      out = z == Inflated::ok ? inflated.size() : 0;
      text = out;
    }
    if (!key.empty()) {
      p.text_memory += text;
      if (p.text_memory > kPilTextMemory) return fmt::format("PNG with more than 64 MiB of text (chunk at byte {})", at);
    }
  } else if (cid == "iTXt") {
    const std::size_t nul = s.find('\0');
    if (nul == std::string_view::npos) return {};
    std::string_view r = s.substr(nul + 1);
    if (r.size() < 2) return {};
    const std::uint32_t flag = u8(r, 0), method = u8(r, 1);
    r.remove_prefix(2);
    const std::size_t n1 = r.find('\0');
    if (n1 == std::string_view::npos) return {};
    const std::size_t n2 = r.find('\0', n1 + 1);
    if (n2 == std::string_view::npos) return {};
    const std::string_view lang = r.substr(0, n1), tkey = r.substr(n1 + 1, n2 - n1 - 1);
    std::string_view value = r.substr(n2 + 1);
    std::string inflated;
    if (flag != 0) {
      if (method != 0) return {};
      const Inflated z = inflate_limited(value, kPilTextChunk, &inflated);
      if (z == Inflated::too_large) return fmt::format("PNG iTXt chunk at byte {} decompresses to more than 1 MiB (PIL: Decompressed Data Too Large)", at);
      if (z == Inflated::error) return {};
      value = inflated;
    }
    const auto chars = utf8_length(value);
    if (!utf8_length(lang) || !utf8_length(tkey) || !chars) return {};
    p.text_memory += *chars;
    if (p.text_memory > kPilTextMemory) return fmt::format("PNG with more than 64 MiB of text (chunk at byte {})", at);
  } else if (cid == "iCCP") {
    const std::size_t nul = s.find('\0');
    if (s.empty() || (nul == std::string_view::npos && u8(s, s.size() - 1) != 0)) {
      return fmt::format("PNG iCCP chunk at byte {} without its profile name's end", at);
    }
    const Inflated z = inflate_limited(s.substr(std::min(s.size(), nul + 2)), kPilTextChunk, nullptr);
    if (z == Inflated::too_large) return fmt::format("PNG iCCP chunk at byte {} decompresses to more than 1 MiB (PIL: Decompressed Data Too Large)", at);
  } else if (cid == "acTL") {
    if (s.size() < 8) return short_chunk("acTL");
    if (p.n_frames) {
      p.n_frames.reset();
    } else {
      const std::uint32_t n = be32(s, 0);
      if (n != 0 && n <= 0x80000000u) p.n_frames = n;
    }
  } else if (cid == "fcTL") {
    if (s.size() < 26) return short_chunk("fcTL");
    const std::uint32_t seq = be32(s, 0);
    if ((!p.seq && seq != 0) || (p.seq && *p.seq + 1 != seq)) return fmt::format("PNG animation whose frames are out of sequence (fcTL at byte {})", at);
    p.seq = seq;
    const std::uint64_t w = be32(s, 4), h = be32(s, 8), x = be32(s, 12), y = be32(s, 16);
    if (x + w > p.width || y + h > p.height) return fmt::format("PNG animation frame outside the image (fcTL at byte {})", at);
    p.bbox = true;
    p.bx0 = x;
    p.by0 = y;
    p.bx1 = x + w;
    p.by1 = y + h;
  }
  return {};
}

}  // namespace

DecodeVerdict png(std::string_view bytes) {
  DecodeVerdict v;
  Reader r(bytes);
  PngInfo p;
  r.seek(8);
  // PngImageFile._open: the chunks up to the first IDAT (or fdAT), each handled and
  // its CRC checked.
  std::uint64_t idat_len = 0, idat_at = 0;
  bool tile = false;
  for (;;) {
    const std::uint64_t at = r.tell();
    const std::string_view hdr = r.read(8);
    if (hdr.size() < 4) {
      v.problem = png_truncated("before its image data", bytes.size());
      return v;
    }
    const std::string_view cid = hdr.substr(4);
    if (!png_is_cid(cid)) {
      v.problem = fmt::format("PNG chunk '{}' at byte {}: not a chunk name (PIL: broken PNG file)", png_printable(cid), at);
      return v;
    }
    const std::uint64_t length = be32(hdr, 0);
    if (cid == "IDAT") {
      if (p.n_frames && !p.bbox) p.default_image = true;
      idat_len = length;
      idat_at = at;
      tile = true;
      break;
    }
    if (cid == "IEND") break;
    if (cid == "fdAT") {
      v.problem = png_fdat(r, at, length, p.seq);
      if (!v.problem.empty()) return v;
      if (p.n_frames && !p.bbox) p.default_image = true;
      idat_len = length - 4;
      idat_at = at;
      tile = true;
      break;
    }
    std::string_view s;
    if (!r.safe_read(length, s)) {
      v.problem = png_truncated(fmt::format("inside chunk '{}' at byte {} ({} bytes long)", cid, at, length), bytes.size());
      return v;
    }
    v.problem = png_handler(p, cid, s, at);
    if (!v.problem.empty()) return v;
    const std::string_view crc = r.read(4);
    if (crc.size() < 4) {
      v.problem = png_truncated(fmt::format("inside chunk '{}' at byte {} ({} bytes long)", cid, at, length), bytes.size());
      return v;
    }
    const auto want = static_cast<std::uint32_t>(
        crc32(crc32(crc32(0, nullptr, 0), reinterpret_cast<const Bytef*>(cid.data()), 4), reinterpret_cast<const Bytef*>(s.data()),
              static_cast<uInt>(s.size())));
    if (want != be32(crc, 0)) {
      v.problem = fmt::format("PNG chunk '{}' at byte {}: CRC {:08x}, the chunk says {:08x}", cid, at, want, be32(crc, 0));
      return v;
    }
  }
  // What the image is from here on; `p` goes on as PngStream's state (load_end).
  const PngInfo image = p;
  // Image.open's pixel limits, on the header's size.
  v.problem = pixel_check(p.width, p.height, v);
  if (!v.problem.empty()) return v;
  if (!tile) {
    v.problem = "PNG without image data before its end (IEND before IDAT)";
    return v;
  }
  if (p.mode == 0) {
    v.problem = "PNG of a bit depth and color type PIL has no mode for";
    return v;
  }
  // The decoder's rectangle: the first frame's (fcTL) or the image; x0 = x1 = 0 is the whole image.
  std::uint64_t xsize = p.width, ysize = p.height;
  if (p.bbox && !(p.bx0 == 0 && p.bx1 == 0)) {
    xsize = p.bx1 - p.bx0;
    ysize = p.by1 - p.by0;
  }
  if (xsize == 0 || ysize == 0 || xsize > 0x7FFFFFFF || ysize > 0x7FFFFFFF) {
    v.problem = fmt::format("PNG of {} x {} pixels (PIL cannot load an empty image)", xsize, ysize);
    return v;
  }
  // ImageFile.load with PngImageFile.load_read, ZipDecode.c on each read.
  const PngRows rows{xsize, ysize, p.bits, p.interlace, !p.bbox};
  v.problem = png_image_data(r, bytes, idat_at, idat_len, rows, p.seq);
  if (!v.problem.empty()) return v;
  // PngImageFile.load_end: the chunks after the image data, without CRCs, up to IEND
  // (or the next frame of an animation); what ends their walk quietly and what fails.
  const bool animated = (p.n_frames ? *p.n_frames + (p.default_image ? 1 : 0) : 1) > 1;
  for (;;) {
    r.read(4);
    const std::uint64_t at = r.tell();
    const std::string_view hdr = r.read(8);
    if (hdr.size() < 4 || !png_is_cid(hdr.substr(4))) break;
    const std::string_view cid = hdr.substr(4);
    std::uint64_t length = be32(hdr, 0);
    if (cid == "IEND" || (cid == "fcTL" && animated)) break;
    if (cid == "fdAT") {
      v.problem = png_fdat(r, at, length, p.seq);
      if (!v.problem.empty()) return v;
      length -= 4;
    }
    std::string_view s;
    if (!r.safe_read(static_cast<std::int64_t>(length), s)) {
      v.problem = png_truncated(fmt::format("inside chunk '{}' at byte {} ({} bytes long), after its image data", cid, at, length),
                                bytes.size());
      return v;
    }
    if (cid != "IDAT" && cid != "fdAT") {
      v.problem = png_handler(p, cid, s, at);
      if (!v.problem.empty()) return v;
    }
  }
  // Image.load puts the palette in: a mode that has one, 256 entries of 3 bytes at
  // most (one byte or two more pass).
  if (image.palette && image.mode != 'P' && image.mode != 'L' && image.mode != 'A') {
    v.problem = "PNG with a palette (PLTE) and a header that is no longer a palette image's";
    return v;
  }
  if (image.palette && image.palette_len * 8 / 24 > 256) {
    v.problem = fmt::format("PNG palette of {} bytes (PIL: invalid palette size, 768 at most)", image.palette_len);
    return v;
  }
  // convert('RGB') of a palette image with one transparent index and no palette.
  if (image.mode == 'P' && !image.palette && p.trns_int) {
    v.problem = "PNG palette image with a transparent index and no palette (PLTE)";
    return v;
  }
  return v;
}


}  // namespace lv::decode
