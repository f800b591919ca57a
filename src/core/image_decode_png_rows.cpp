// --deep=decode for PNG, the image data (image_decode_formats.h): read as
// PngImageFile.load_read gives them to ZipDecode.c (64 KiB at a time within each
// IDAT, fdAT or DDAT chunk, anything else ending them) and inflated with zlib row by
// row as ZipDecode.c does: a filter byte of 0 to 4 per row, done at the last row or
// where the stream ends on a row boundary, a zlib error (a bad Adler-32 included, when
// the read that completes the last row holds it) fails. The common case, a whole
// stream of exactly the image's rows, is inflated at once with libdeflate.
// Memory: 64 KiB of rows at a time; at most 32 MiB of rows for the common case.
#include <zlib.h>

#include <algorithm>
#include <array>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <libdeflate.h>

#include "core/image_decode_formats.h"

namespace lv::decode {

bool png_is_cid(std::string_view cid) {
  return cid.size() == 4 && std::all_of(cid.begin(), cid.end(), [](char ch) {
           return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_';
         });
}

std::string png_printable(std::string_view cid) {
  std::string out(cid);
  for (char& ch : out) {
    if (ch < 0x20 || ch > 0x7E) ch = '?';
  }
  return out;
}

std::string png_truncated(std::string_view where, std::uint64_t size) {
  return fmt::format("PNG ends at byte {} {} (truncated)", size, where);
}

std::string png_fdat(Reader& r, std::uint64_t at, std::uint64_t length, std::optional<std::uint32_t>& seq) {
  if (length < 4) return fmt::format("PNG fdAT chunk at byte {} of {} bytes (too short)", at, length);
  std::string_view number;
  if (!r.safe_read(4, number)) return png_truncated(fmt::format("inside chunk 'fdAT' at byte {}", at), r.size());
  if (!seq || *seq + 1 != be32(number, 0)) return fmt::format("PNG animation whose frames are out of sequence (fdAT at byte {})", at);
  seq = be32(number, 0);
  return {};
}

namespace {

// ZipDecode.c on one PNG image: rows of `bits` per pixel, inflated in Pillow's
// reads; each row's output in pieces of at most 64 KiB (only its filter byte is kept).
class ZipRows {
 public:
  enum class Step { more, done, broken, bad_filter, memory };

  ZipRows(std::uint64_t xsize, std::uint64_t ysize, int bits, bool interlaced)
      : xsize_(xsize), ysize_(ysize), bits_(static_cast<std::uint64_t>(bits)), interlaced_(interlaced) {
    ok_ = inflateInit(&z_) == Z_OK;
    row_len_ = interlaced_ ? pass_row(0) : (bits_ * xsize_ + 7) / 8;
  }
  ~ZipRows() {
    if (ok_) inflateEnd(&z_);
  }
  ZipRows(const ZipRows&) = delete;
  ZipRows& operator=(const ZipRows&) = delete;

  // One call of ImagingZipDecode on a read of the image data.
  Step feed(std::string_view data) {
    if (!ok_) return Step::memory;
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    z_.avail_in = static_cast<uInt>(data.size());
    bool filled = false;  // the last inflate filled its output: Pillow's single call goes on
    while (z_.avail_in > 0 || filled) {
      const std::uint64_t need = row_len_ + 1 - got_;
      const auto give = static_cast<uInt>(std::min<std::uint64_t>(need, out_.size()));
      z_.next_out = out_.data();
      z_.avail_out = give;
      const int err = inflate(&z_, Z_NO_FLUSH);
      if (filled && err == Z_BUF_ERROR) break;  // nothing more without input: that call ended here
      if (err < 0) {
        message_ = z_.msg != nullptr ? z_.msg : "error";
        return err == Z_MEM_ERROR ? Step::memory : Step::broken;
      }
      const std::uint64_t produced = give - z_.avail_out;
      if (got_ == 0 && produced > 0) filter_ = out_[0];
      got_ += produced;
      filled = z_.avail_out == 0;
      if (got_ < row_len_ + 1) {
        if (filled) continue;
        break;  // needs more input
      }
      filled = false;
      if (filter_ > 4) return Step::bad_filter;
      ++rows_;
      got_ = 0;
      if (interlaced_) {
        y_ += kRowStep[pass_];
        while (y_ >= ysize_ || row_len_ == 0) {
          if (++pass_ == 7) {
            y_ = ysize_;
            break;
          }
          y_ = kRowStart[pass_];
          row_len_ = pass_row(pass_);
        }
      } else {
        ++y_;
      }
      if (y_ >= ysize_ || err == Z_STREAM_END) return Step::done;
    }
    return Step::more;
  }

  // Rows whole so far (of all passes), the bad filter byte, zlib's message.
  std::uint64_t rows() const { return rows_; }
  unsigned filter() const { return filter_; }
  const std::string& message() const { return message_; }

 private:
  static constexpr std::uint64_t kOffset[7] = {7, 3, 3, 1, 1, 0, 0};
  static constexpr std::uint64_t kColStep[7] = {8, 8, 4, 4, 2, 2, 1};
  static constexpr std::uint64_t kRowStart[7] = {0, 0, 4, 0, 2, 0, 1};
  static constexpr std::uint64_t kRowStep[7] = {8, 8, 8, 4, 4, 2, 2};
  std::uint64_t pass_row(int pass) const { return ((xsize_ + kOffset[pass]) / kColStep[pass] * bits_ + 7) / 8; }

  z_stream z_{};
  bool ok_ = false;
  std::uint64_t xsize_, ysize_, bits_;
  bool interlaced_;
  int pass_ = 0;
  std::uint64_t y_ = 0, row_len_ = 0, got_ = 0;
  unsigned char filter_ = 0;
  std::uint64_t rows_ = 0;
  std::string message_;
  std::array<unsigned char, 65536> out_{};
};

// The common case, fast: the IDAT chunks that follow one another, whole, inflate
// with libdeflate to exactly the rows the image needs, each with a valid filter
// byte. Then Pillow's ZipDecode ends at the last row without an error; `after` is
// where the chunks after them start. False leaves it to ZipRows.
bool png_rows_fast(std::string_view bytes, std::uint64_t first_idat, std::uint64_t xsize, std::uint64_t ysize, int bits,
                   bool interlaced, std::uint64_t& after) {
  constexpr std::uint64_t kMaxRaw = 32u << 20;
  const auto b = static_cast<std::uint64_t>(bits);
  std::vector<std::pair<std::uint64_t, std::uint64_t>> passes;  // (rows, bytes per row without the filter byte)
  if (!interlaced) {
    passes.emplace_back(ysize, (xsize * b + 7) / 8);
  } else {
    static constexpr std::uint64_t kStart[7][2] = {{0, 0}, {4, 0}, {0, 4}, {2, 0}, {0, 2}, {1, 0}, {0, 1}};
    static constexpr std::uint64_t kStep[7][2] = {{8, 8}, {8, 8}, {4, 8}, {4, 4}, {2, 4}, {2, 2}, {1, 2}};
    for (int k = 0; k < 7; ++k) {
      const std::uint64_t pw = xsize > kStart[k][0] ? (xsize - kStart[k][0] + kStep[k][0] - 1) / kStep[k][0] : 0;
      const std::uint64_t ph = ysize > kStart[k][1] ? (ysize - kStart[k][1] + kStep[k][1] - 1) / kStep[k][1] : 0;
      if (pw > 0 && ph > 0) passes.emplace_back(ph, (pw * b + 7) / 8);
    }
  }
  std::uint64_t raw = 0;
  for (const auto& [rows, row] : passes) raw += rows * (row + 1);
  if (raw == 0 || raw > kMaxRaw) return false;
  thread_local std::string idat;
  idat.clear();
  std::uint64_t pos = first_idat;
  while (pos + 12 <= bytes.size() && bytes.substr(static_cast<std::size_t>(pos) + 4, 4) == "IDAT") {
    const std::uint64_t length = be32(bytes, static_cast<std::size_t>(pos));
    if (pos + 12 + length > bytes.size()) return false;
    idat.append(bytes.substr(static_cast<std::size_t>(pos) + 8, static_cast<std::size_t>(length)));
    pos += 12 + length;
  }
  struct Free {
    void operator()(libdeflate_decompressor* d) const { libdeflate_free_decompressor(d); }
  };
  thread_local std::unique_ptr<libdeflate_decompressor, Free> inflater(libdeflate_alloc_decompressor());
  thread_local std::string rows;
  if (!inflater) return false;
  rows.resize(static_cast<std::size_t>(raw));
  if (libdeflate_zlib_decompress(inflater.get(), idat.data(), idat.size(), rows.data(), rows.size(), nullptr) != LIBDEFLATE_SUCCESS) {
    return false;
  }
  std::uint64_t at = 0;
  for (const auto& [n, row] : passes) {
    for (std::uint64_t y = 0; y < n; ++y, at += row + 1) {
      if (static_cast<unsigned char>(rows[static_cast<std::size_t>(at)]) > 4) return false;
    }
  }
  if (idat.capacity() > (64u << 20)) std::string().swap(idat);
  if (rows.capacity() > (64u << 20)) std::string().swap(rows);
  after = pos;
  return true;
}

}  // namespace

std::string png_image_data(Reader& r, std::string_view bytes, std::uint64_t first_at, std::uint64_t length, const PngRows& image,
                           std::optional<std::uint32_t>& seq) {
  std::uint64_t after = 0;
  if (image.whole_image && bytes.substr(static_cast<std::size_t>(first_at) + 4, 4) == "IDAT" &&
      png_rows_fast(bytes, first_at, image.xsize, image.ysize, image.bits, image.interlaced, after)) {
    r.seek(after - 4);  // before the last IDAT's CRC, which load_end skips
    return {};
  }
  std::uint64_t remaining = length;  // of the current chunk
  auto rows = std::make_unique<ZipRows>(image.xsize, image.ysize, image.bits, image.interlaced);
  for (;;) {
    while (remaining == 0) {
      r.read(4);  // the CRC: not checked
      const std::uint64_t at = r.tell();
      const std::string_view hdr = r.read(8);
      if (hdr.size() < 4) return png_truncated("before its image data are complete", bytes.size());
      const std::string_view cid = hdr.substr(4);
      if (!png_is_cid(cid)) return fmt::format("PNG chunk '{}' at byte {}: not a chunk name (PIL: broken PNG file)", png_printable(cid), at);
      remaining = be32(hdr, 0);
      if (cid != "IDAT" && cid != "DDAT" && cid != "fdAT") {
        return fmt::format("PNG image data end before the image does (chunk '{}' at byte {})", cid, at);
      }
      if (cid == "fdAT") {
        if (std::string why = png_fdat(r, at, remaining, seq); !why.empty()) return why;
        remaining -= 4;
      }
    }
    const std::uint64_t want = std::min<std::uint64_t>(kPilBlock, remaining);
    remaining -= want;
    const std::string_view s = r.read(want);
    if (s.empty()) return png_truncated("before its image data are complete", bytes.size());
    switch (rows->feed(s)) {
      case ZipRows::Step::more: break;
      case ZipRows::Step::done:
        r.seek(r.tell() + remaining);  // load_end skips the rest of the chunk
        return {};
      case ZipRows::Step::broken: return fmt::format("PNG image data damaged in row {} (zlib: {})", rows->rows(), rows->message());
      case ZipRows::Step::bad_filter:
        return fmt::format("PNG image data damaged: row {} has filter type {} (0 to 4)", rows->rows(), rows->filter());
      case ZipRows::Step::memory: return "PNG: zlib could not start";
    }
  }
}

}  // namespace lv::decode
