// The per-format halves of --deep=decode (image_decode.h), for image_decode*.cpp
// only: each takes the whole file in memory and says whether Pillow 9.4 loads it
// (Image.open(path).convert('RGB')), following Pillow's own steps for the format.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/image_decode.h"

namespace lv::decode {

// ImageFile.MAXBLOCK: what ImageFile.load reads at a time for a decoder.
inline constexpr std::size_t kPilBlock = 65536;

// PIL's pixel limits: the problem above 178,956,970 pixels; above 89,478,485, sets
// v.warning and returns empty.
std::string pixel_check(std::uint64_t w, std::uint64_t h, DecodeVerdict& v);

// The file's bytes with Python's file semantics: read(n) gives up to n bytes, a
// position may be past the end (reads there give nothing).
class Reader {
 public:
  explicit Reader(std::string_view bytes) : b_(bytes) {}
  std::uint64_t tell() const { return pos_; }
  std::uint64_t size() const { return b_.size(); }
  void seek(std::uint64_t pos) { pos_ = pos; }
  std::string_view read(std::uint64_t n) {
    if (pos_ >= b_.size()) return {};
    const std::string_view s = b_.substr(static_cast<std::size_t>(pos_), static_cast<std::size_t>(std::min<std::uint64_t>(n, b_.size())));
    pos_ += s.size();
    return s;
  }
  int byte() {
    const std::string_view s = read(1);
    return s.empty() ? -1 : static_cast<unsigned char>(s[0]);
  }
  // ImageFile._safe_read: exactly n bytes (none for n <= 0), false when the file ends first.
  bool safe_read(std::int64_t n, std::string_view& out) {
    out = {};
    if (n <= 0) return true;
    out = read(static_cast<std::uint64_t>(n));
    return out.size() == static_cast<std::uint64_t>(n);
  }

 private:
  std::string_view b_;
  std::uint64_t pos_ = 0;
};

// Integers in a byte string; the caller checks the bounds.
inline std::uint32_t u8(std::string_view s, std::size_t at) { return static_cast<unsigned char>(s[at]); }
inline std::uint32_t be16(std::string_view s, std::size_t at) { return (u8(s, at) << 8) | u8(s, at + 1); }
inline std::uint32_t be32(std::string_view s, std::size_t at) { return (be16(s, at) << 16) | be16(s, at + 2); }
inline std::uint32_t le16(std::string_view s, std::size_t at) { return u8(s, at) | (u8(s, at + 1) << 8); }
inline std::uint32_t le32(std::string_view s, std::size_t at) { return le16(s, at) | (le16(s, at + 2) << 16); }

// PNG's shared steps (image_decode_png_rows.cpp): chunk names as Pillow's reader
// takes them (four of [A-Za-z0-9_]), shown with '?' for bytes out of ASCII; a
// truncation's words; an fdAT chunk's sequence number (PngStream.chunk_fdAT), empty
// when in sequence.
bool png_is_cid(std::string_view cid);
std::string png_printable(std::string_view cid);
std::string png_truncated(std::string_view where, std::uint64_t size);
std::string png_fdat(Reader& r, std::uint64_t at, std::uint64_t length, std::optional<std::uint32_t>& seq);

// The rectangle PNG's decoder fills: its size, bits per pixel, Adam7 or not, and
// whether it is the whole image (not an APNG frame's).
struct PngRows {
  std::uint64_t xsize = 0, ysize = 0;
  int bits = 0;
  bool interlaced = false, whole_image = true;
};

// The image data from the first data chunk (at byte `first_at`, the reader at its
// data, `length` bytes of them), read and inflated as Pillow does: empty when the
// rows are all there (the reader then where load_end starts), else why not.
std::string png_image_data(Reader& r, std::string_view bytes, std::uint64_t first_at, std::uint64_t length, const PngRows& rows,
                           std::optional<std::uint32_t>& seq);

DecodeVerdict jpeg(std::string_view bytes);  // image_decode_jpeg.cpp
DecodeVerdict png(std::string_view bytes);   // image_decode_png.cpp
DecodeVerdict gif(std::string_view bytes);   // image_decode_gif.cpp
DecodeVerdict bmp(std::string_view bytes);   // image_decode_bmp.cpp
DecodeVerdict webp(std::string_view bytes);  // image_decode.cpp

}  // namespace lv::decode
