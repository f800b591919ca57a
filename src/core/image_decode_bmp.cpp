// --deep=decode for BMP (image_decode_formats.h), as Pillow reads one: the header as
// BmpImagePlugin._bitmap reads it (header sizes, bit depths, compressions and bit
// fields it supports, palette sizes), then rows as RawDecode.c needs them (whole,
// the last one without its padding) or run-length data as BmpRleDecoder reads them
// (until every pixel is there), and the palette's 256 entries.
#include <string>

#include <fmt/format.h>

#include "core/image_decode_formats.h"

namespace lv::decode {
namespace {

std::string bmp_truncated(std::string_view where, std::uint64_t size) {
  return fmt::format("BMP ends at byte {} {} (truncated)", size, where);
}

}  // namespace

DecodeVerdict bmp(std::string_view bytes) {
  DecodeVerdict v;
  Reader r(bytes);
  const std::string_view head = r.read(14);
  if (head.size() < 14) {
    v.problem = bmp_truncated("inside its header", bytes.size());
    return v;
  }
  std::uint64_t offset = le32(head, 10);
  const std::string_view hs = r.read(4);
  if (hs.size() < 4) {
    v.problem = bmp_truncated("inside its header", bytes.size());
    return v;
  }
  const std::uint64_t header = le32(hs, 0);
  std::string_view d;
  if (!r.safe_read(static_cast<std::int64_t>(header) - 4, d)) {
    v.problem = bmp_truncated("inside its header", bytes.size());
    return v;
  }
  std::uint64_t width = 0, height = 0, bits = 0, compression = 0, colors = 0, padding = 3;
  bool top_down = false;
  std::uint32_t masks[4] = {0, 0, 0, 0};
  if (header == 12) {
    if (d.size() < 8) {
      v.problem = bmp_truncated("inside its header", bytes.size());
      return v;
    }
    width = le16(d, 0);
    height = le16(d, 2);
    bits = le16(d, 6);
  } else if (header == 40 || header == 64 || header == 108 || header == 124) {
    top_down = u8(d, 7) == 0xFF;
    width = le32(d, 0);
    height = top_down ? (1ull << 32) - le32(d, 4) : le32(d, 4);
    bits = le16(d, 10);
    compression = le32(d, 12);
    colors = le32(d, 28);
    padding = 4;
    if (compression == 3) {
      if (d.size() >= 52) {
        for (int k = 0; k < 4; ++k) masks[k] = le32(d, 36 + 4 * static_cast<std::size_t>(k));
      } else {
        for (int k = 0; k < 3; ++k) {
          const std::string_view m = r.read(4);
          if (m.size() < 4) {
            v.problem = bmp_truncated("inside its bit masks", bytes.size());
            return v;
          }
          masks[k] = le32(m, 0);
        }
      }
    }
  } else {
    v.problem = fmt::format("BMP with a header of {} bytes (PIL reads 12, 40, 64, 108 or 124)", header);
    return v;
  }
  if (colors == 0) colors = bits < 64 ? (1ull << bits) : ~0ull;
  if (offset == 14 + header && bits <= 8) offset += 4 * colors;
  char mode = 0;  // 'P', 'R' (RGB), then '1' or 'L' for a gray palette, 'A' (RGBA)
  std::uint64_t raw_bits = 0;
  switch (bits) {
    case 1: mode = 'P', raw_bits = 1; break;
    case 4: mode = 'P', raw_bits = 4; break;
    case 8: mode = 'P', raw_bits = 8; break;
    case 16: mode = 'R', raw_bits = 16; break;
    case 24: mode = 'R', raw_bits = 24; break;
    case 32: mode = 'R', raw_bits = 32; break;
    default:
      v.problem = fmt::format("BMP of {} bits per pixel (PIL reads 1, 4, 8, 16, 24 or 32)", bits);
      return v;
  }
  bool rle = false;
  if (compression == 3) {
    const auto is = [&](std::uint32_t a, std::uint32_t b, std::uint32_t c, std::uint32_t x) {
      return masks[0] == a && masks[1] == b && masks[2] == c && masks[3] == x;
    };
    const auto is3 = [&](std::uint32_t a, std::uint32_t b, std::uint32_t c) { return masks[0] == a && masks[1] == b && masks[2] == c; };
    bool known = false;
    if (bits == 32) {
      known = is(0xFF0000, 0xFF00, 0xFF, 0) || is(0xFF000000, 0xFF0000, 0xFF00, 0) || is(0xFF000000, 0xFF0000, 0xFF00, 0xFF) ||
              is(0xFF, 0xFF00, 0xFF0000, 0xFF000000) || is(0xFF0000, 0xFF00, 0xFF, 0xFF000000) || is(0, 0, 0, 0);
    } else if (bits == 24) {
      known = is3(0xFF0000, 0xFF00, 0xFF);
    } else if (bits == 16) {
      known = is3(0xF800, 0x7E0, 0x1F) || is3(0x7C00, 0x3E0, 0x1F);
    }
    if (!known) {
      v.problem = "BMP whose bit fields PIL does not read (Unsupported BMP bitfields layout)";
      return v;
    }
  } else if (compression == 1 || compression == 2) {
    rle = true;
  } else if (compression != 0) {
    v.problem = fmt::format("BMP of compression {} (PIL reads none, RLE8, RLE4 and bit fields)", compression);
    return v;
  }
  std::uint64_t palette_len = 0;
  if (mode == 'P') {
    if (colors == 0 || colors > 65536) {
      v.problem = fmt::format("BMP with a palette of {} colors (PIL: unsupported palette size)", colors);
      return v;
    }
    const std::string_view pal = r.read(padding * colors);
    bool gray = true;
    for (std::uint64_t i = 0; i < colors && gray; ++i) {
      const std::uint64_t val = colors == 2 ? (i == 0 ? 0 : 255) : i;
      const std::string_view rgb = pal.substr(std::min<std::size_t>(pal.size(), static_cast<std::size_t>(i * padding)), 3);
      gray = rgb.size() == 3 && u8(rgb, 0) == (val & 255) && u8(rgb, 1) == (val & 255) && u8(rgb, 2) == (val & 255);
    }
    if (gray) {
      mode = colors == 2 ? '1' : 'L';
      raw_bits = colors == 2 ? 1 : 8;
    } else {
      palette_len = pal.size();
    }
  }
  v.problem = pixel_check(width, height, v);
  if (!v.problem.empty()) return v;
  if (offset == 0) offset = r.tell();
  // The decoder's rectangle (0, 0, width, height): x0 = x1 = 0 is the whole image.
  if (width == 0 || height == 0 || width > 0x7FFFFFFF || height > 0x7FFFFFFF) {
    v.problem = fmt::format("BMP of {} x {} pixels (PIL cannot load an empty image)", width, height);
    return v;
  }
  if (!rle) {
    // RawDecode.c: rows of the stride, the last without its padding.
    const std::uint64_t stride = ((width * bits + 31) >> 3) & ~std::uint64_t{3};
    const std::uint64_t row = (raw_bits * width + 7) / 8;
    if (row > stride) {
      v.problem = "BMP whose rows are shorter than its pixels";
      return v;
    }
    const std::uint64_t need = offset + stride * (height - 1) + row;
    if (need > bytes.size()) {
      v.problem = fmt::format("BMP of {} x {} at {} bits needs {} bytes, the file has {} (truncated)", width, height, bits, need,
                              bytes.size());
      return v;
    }
  } else {
    if (mode != 'P' && mode != 'L') {
      v.problem = "BMP of run-length data PIL cannot unpack (not a palette image)";
      return v;
    }
    // BmpRleDecoder.decode, counting the pixels it would collect.
    const bool rle4 = compression == 2;
    const std::uint64_t total = width * height;
    std::uint64_t have = 0, x = 0;
    r.seek(offset);
    while (have < total) {
      const std::string_view pair = r.read(2);
      if (pair.size() < 2) break;
      std::uint64_t n = u8(pair, 0);
      const std::uint32_t b = u8(pair, 1);
      if (n > 0) {
        if (x + n > width) n = width > x ? width - x : 0;
        have += n;
        x += n;
      } else if (b == 0) {
        if (have % width != 0) have += width - have % width;
        x = 0;
      } else if (b == 1) {
        break;
      } else if (b == 2) {
        if (r.read(2).size() < 2) break;
        const std::string_view delta = r.read(2);
        if (delta.size() < 2) {
          v.problem = "BMP run-length delta cut short (PIL: not enough values to unpack)";
          return v;
        }
        have += u8(delta, 0) + std::uint64_t{u8(delta, 1)} * width;
        x = have % width;
      } else {
        const std::uint64_t count = rle4 ? b / 2 : b;
        const std::string_view lit = r.read(count);
        have += rle4 ? 2 * lit.size() : lit.size();
        if (lit.size() < count) break;
        x += b;
        if (r.tell() % 2 != 0) r.seek(r.tell() + 1);
      }
    }
    if (have < total) {
      v.problem = fmt::format("BMP whose run-length data give {} of its {} pixels (PIL: not enough image data)", have, total);
      return v;
    }
  }
  if (palette_len * 8 / (padding * 8) > 256) {
    v.problem = fmt::format("BMP palette of {} colors (PIL: invalid palette size, 256 at most)", palette_len / padding);
    return v;
  }
  return v;
}


}  // namespace lv::decode
