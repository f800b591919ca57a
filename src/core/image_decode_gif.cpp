// --deep=decode for GIF (image_decode_formats.h), as Pillow reads one: the blocks up
// to the first image as GifImagePlugin reads them (a graphic control extension needs
// its flags and delay, a NETSCAPE2.0 extension its loop block, ...), then Pillow's
// own LZW decoder (GifDecode.c) over the image's data, fed 64 KiB at a time: it
// reads sub-blocks itself (on past their terminator while the image is not
// complete), refuses a code past the table, and is done at the last pixel. Not
// giflib: its LZW and block checks differ from Pillow's both ways.
// Memory: the LZW table (8 KiB) and the unread part of one sub-block.
#include <array>
#include <memory>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "core/image_decode_formats.h"

namespace lv::decode {
namespace {

// GifDecode.c (Pillow 9.4): LZW codes in sub-blocks it reads itself (on past the
// block terminator when the image is not complete), pixels counted into rows.
class GifLzw {
 public:
  enum class Step { more, done, broken };

  GifLzw(int bits, bool interlace, std::uint64_t xsize, std::uint64_t ysize)
      : bits_(bits), clear_(1 << bits), end_(clear_ + 1), xsize_(xsize), ysize_(ysize) {
    if (interlace) {
      interlace_ = 1;
      step_ = 8;
    }
  }

  // One call of ImagingGifDecode: the bytes it consumed (a block is not started
  // before the whole of it is there), or done / broken. Only the control flow is
  // kept: how many pixels each code gives, not their values.
  Step feed(std::string_view buf, std::size_t& consumed) {
    std::size_t ptr = 0;
    for (;;) {
      if (state_ == 1) {
        next_ = clear_ + 2;
        codesize_ = bits_ + 1;
        codemask_ = (1 << codesize_) - 1;
        bufferindex_ = kTable;
        state_ = 2;
      }
      std::uint64_t pixels = 1;
      if (bufferindex_ < kTable) {  // the rest of the last string, in one piece
        pixels = static_cast<std::uint64_t>(kTable - bufferindex_);
        bufferindex_ = kTable;
      } else {
        while (bitcount_ < codesize_) {
          if (blocksize_ > 0) {
            bitbuffer_ |= u8(buf, ptr++) << bitcount_;
            --blocksize_;
            bitcount_ += 8;
          } else {
            if (ptr >= buf.size() || buf.size() - ptr < std::size_t{u8(buf, ptr)} + 1) {
              consumed = ptr;
              return Step::more;
            }
            blocksize_ = static_cast<int>(u8(buf, ptr++));
          }
        }
        int c = static_cast<int>(bitbuffer_ & static_cast<std::uint32_t>(codemask_));
        bitbuffer_ >>= codesize_;
        bitcount_ -= codesize_;
        if (c == clear_) {
          if (state_ != 2) state_ = 1;
          continue;
        }
        if (c == end_) {  // this call returns; the next one reads on
          consumed = ptr;
          return Step::more;
        }
        if (state_ == 2) {  // the first code after a clear: a pixel value
          if (c > clear_) return Step::broken;
          lastcode_ = c;
          state_ = 3;
        } else {
          const int thiscode = c;
          if (c > next_) return Step::broken;
          if (c == next_) {
            if (bufferindex_ <= 0) return Step::broken;
            --bufferindex_;
            c = lastcode_;
          }
          while (c >= clear_) {
            if (bufferindex_ <= 0 || c >= kTable) return Step::broken;
            --bufferindex_;
            c = link_[static_cast<std::size_t>(c)];
          }
          if (next_ < kTable) {
            link_[static_cast<std::size_t>(next_)] = static_cast<std::uint16_t>(lastcode_);
            if (next_ == codemask_ && codesize_ < 12) {
              ++codesize_;
              codemask_ = (1 << codesize_) - 1;
            }
            ++next_;
          }
          lastcode_ = thiscode;
        }
      }
      if (const Step s = put(pixels); s != Step::more) return s;
    }
  }

 private:
  static constexpr int kTable = 4096;

  // `n` pixels into the rows: done after the last row.
  Step put(std::uint64_t n) {
    if (y_ >= ysize_) return Step::broken;  // IMAGING_CODEC_OVERRUN
    while (n > 0) {
      const std::uint64_t k = std::min(n, xsize_ - x_);
      x_ += k;
      n -= k;
      if (x_ >= xsize_) {
        x_ = 0;
        y_ += static_cast<std::uint64_t>(step_);
        while (y_ >= ysize_) {
          switch (interlace_) {
            case 1:
              y_ = 4;
              interlace_ = 2;
              break;
            case 2:
              step_ = 4;
              y_ = 2;
              interlace_ = 3;
              break;
            case 3:
              step_ = 2;
              y_ = 1;
              interlace_ = 0;
              break;
            default: return Step::done;
          }
        }
      }
    }
    return Step::more;
  }

  int bits_, clear_, end_;
  std::uint64_t xsize_, ysize_, x_ = 0, y_ = 0;
  int interlace_ = 0, step_ = 1;
  int state_ = 1;
  int next_ = 0, codesize_ = 0, codemask_ = 0;
  std::uint32_t bitbuffer_ = 0;
  int bitcount_ = 0, blocksize_ = 0;
  int bufferindex_ = kTable;
  int lastcode_ = 0;
  std::array<std::uint16_t, kTable> link_{};
};

std::string gif_truncated(std::string_view where, std::uint64_t size) {
  return fmt::format("GIF ends at byte {} {} (truncated)", size, where);
}

// GifImageFile.data(): a sub-block (fewer bytes at the end of the file), none at
// a terminator or the end.
std::optional<std::string_view> gif_data(Reader& r) {
  const int n = r.byte();
  if (n <= 0) return std::nullopt;
  return r.read(static_cast<std::uint64_t>(n));
}

// A color table of `n` bytes as Pillow reads it (fewer at the end of the file):
// false where _is_palette_needed indexes past its end (an entry cut short, after
// entries that are all the identity gray).
bool gif_palette(Reader& r, std::uint64_t n) {
  const std::string_view p = r.read(n);
  for (std::size_t i = 0; i < p.size(); i += 3) {
    if (u8(p, i) != i / 3) return true;
    if (i + 1 >= p.size()) return false;
    if (u8(p, i + 1) != u8(p, i)) return true;
    if (i + 2 >= p.size()) return false;
    if (u8(p, i + 2) != u8(p, i + 1)) return true;
  }
  return true;
}

}  // namespace

DecodeVerdict gif(std::string_view bytes) {
  DecodeVerdict v;
  Reader r(bytes);
  const std::string_view head = r.read(13);
  if (head.size() < 11 || (head.size() < 12 && (u8(head, 10) & 0x80))) {
    v.problem = gif_truncated("inside its header", bytes.size());
    return v;
  }
  std::uint64_t width = le16(head, 6), height = le16(head, 8);
  const std::uint32_t flags = u8(head, 10);
  if ((flags & 0x80) && !gif_palette(r, 3u << ((flags & 7) + 1))) {
    v.problem = gif_truncated("inside its color table", bytes.size());
    return v;
  }
  // GifImageFile._seek(0): the blocks up to the first image descriptor.
  int s = r.byte();
  if (s < 0 || s == 0x3B) {
    v.problem = s < 0 ? gif_truncated("before its first image", bytes.size()) : "GIF without an image (its trailer comes first)";
    return v;
  }
  std::uint64_t x0 = 0, y0 = 0, x1 = 0, y1 = 0, image_at = 0;
  int bits = 0;
  bool interlace = false, image = false;
  for (;;) {
    if (s == -2) s = r.byte();
    if (s < 0 || s == 0x3B) break;
    const std::uint64_t at = r.tell() - 1;
    if (s == 0x21) {
      const int label = r.byte();
      const std::optional<std::string_view> block = gif_data(r);
      if (label < 0) {
        v.problem = gif_truncated(fmt::format("inside the extension at byte {}", at), bytes.size());
        return v;
      }
      if (label == 0xF9) {  // graphic control: flags, delay, transparent index
        const std::size_t need = block && !block->empty() && (u8(*block, 0) & 1) ? 4 : 3;
        if (!block || block->size() < need) {
          v.problem = fmt::format("GIF graphic control extension at byte {} of {} bytes (too short)", at, block ? block->size() : 0);
          return v;
        }
      } else if (label == 0xFE) {  // comment: its blocks up to a terminator
        for (auto b = block; b && !b->empty(); b = gif_data(r)) {
        }
        s = -2;
        continue;
      } else if (label == 0xFF) {  // application: NETSCAPE2.0 has a second block
        if (!block) {
          v.problem = fmt::format("GIF application extension at byte {} without data", at);
          return v;
        }
        if (block->substr(0, 11) == "NETSCAPE2.0" && !gif_data(r)) {
          v.problem = fmt::format("GIF NETSCAPE2.0 extension at byte {} without its loop block", at);
          return v;
        }
      }
      while (true) {
        const auto b = gif_data(r);
        if (!b || b->empty()) break;
      }
    } else if (s == 0x2C) {
      const std::string_view d = r.read(9);
      if (d.size() < 9) {
        v.problem = gif_truncated(fmt::format("inside the image descriptor at byte {}", at), bytes.size());
        return v;
      }
      x0 = le16(d, 0);
      y0 = le16(d, 2);
      x1 = x0 + le16(d, 4);
      y1 = y0 + le16(d, 6);
      if (x1 > width || y1 > height) {
        width = std::max(x1, width);
        height = std::max(y1, height);
        v.problem = pixel_check(width, height, v);
        if (!v.problem.empty()) return v;
      }
      const std::uint32_t f = u8(d, 8);
      interlace = (f & 0x40) != 0;
      if ((f & 0x80) && !gif_palette(r, 3u << ((f & 7) + 1))) {
        v.problem = gif_truncated("inside the image's color table", bytes.size());
        return v;
      }
      image_at = at;
      bits = r.byte();
      if (bits < 0) {
        v.problem = gif_truncated(fmt::format("inside the image at byte {}", at), bytes.size());
        return v;
      }
      image = true;
      break;
    }  // other bytes: skipped
    s = -2;
  }
  if (!image) {
    v.problem = s == 0x3B ? "GIF without an image (its trailer comes first)" : gif_truncated("before its first image", bytes.size());
    return v;
  }
  v.problem = pixel_check(width, height, v);
  if (!v.problem.empty()) return v;
  // The decoder's rectangle: x0 = x1 = 0 is the whole image.
  std::uint64_t xsize = x1 - x0, ysize = y1 - y0;
  if (x0 == 0 && x1 == 0) {
    xsize = width;
    ysize = height;
  }
  if (xsize == 0 || ysize == 0) {
    v.problem = fmt::format("GIF image of {} x {} pixels (PIL cannot load an empty image)", xsize, ysize);
    return v;
  }
  if (bits > 12) {
    v.problem = fmt::format("GIF image with an LZW code size of {} (12 at most)", bits);
    return v;
  }
  // ImageFile.load: 64 KiB reads, each appended to what the decoder left.
  auto lzw = std::make_unique<GifLzw>(bits, interlace, xsize, ysize);
  std::string pending;
  for (;;) {
    const std::string_view more = r.read(kPilBlock);
    if (more.empty()) {
      v.problem = gif_truncated(fmt::format("before the image that starts at byte {} is complete", image_at), bytes.size());
      return v;
    }
    pending.append(more);
    std::size_t consumed = 0;
    const GifLzw::Step step = lzw->feed(pending, consumed);
    if (step == GifLzw::Step::done) return v;
    if (step == GifLzw::Step::broken) {
      v.problem = fmt::format("GIF image data damaged (LZW codes PIL cannot decode) in the image that starts at byte {}", image_at);
      return v;
    }
    pending.erase(0, consumed);
  }
}


}  // namespace lv::decode
