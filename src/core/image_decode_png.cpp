// --deep=decode for PNG: the chunks before the image data (and their CRCs) are the
// structure walk's; then the image data are inflated whole with libdeflate into
// exactly the bytes the header says, row filters checked (the common case), or,
// for anything else, read by libpng row by row: IDAT CRCs are not checked (PIL does
// not), the zlib stream's Adler-32 is; the file may end after the last row (PIL
// stops there); IHDR may come after other chunks.
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include <fmt/format.h>
#include <libdeflate.h>
#include <png.h>

#include "core/image_decode_formats.h"

namespace lv::decode {
namespace {

struct PngInput {
  const unsigned char* data;
  std::size_t size;
  std::size_t pos;
  png_uint_32 rows_expected = 0;  // the image's height, once known
  bool interlaced = false;
};

struct PngState {
  std::jmp_buf jump;
  char message[256];
  bool rows_done = false;  // the file ended after the last row: where PIL stops reading
};

extern "C" void png_on_error(png_structp png, png_const_charp msg) {
  auto* st = static_cast<PngState*>(png_get_error_ptr(png));
  std::snprintf(st->message, sizeof st->message, "%s", msg);
  std::longjmp(st->jump, 1);
}
extern "C" void png_on_warning(png_structp, png_const_charp) {}

extern "C" void png_read_input(png_structp png, png_bytep out, png_size_t n) {
  auto* in = static_cast<PngInput*>(png_get_io_ptr(png));
  if (n > in->size - in->pos) {
    // libpng reads on after the last row (the rest of the zlib stream, the next
    // chunk); PIL does not. Past the last row of the last pass, the end is fine.
    auto* st = static_cast<PngState*>(png_get_error_ptr(png));
    const png_uint_32 rows = png_get_current_row_number(png);
    const png_byte pass = png_get_current_pass_number(png);
    st->rows_done = in->rows_expected != 0 && (in->interlaced ? pass >= 7 : rows >= in->rows_expected);
    png_error(png, "the file ends (truncated)");
  }
  std::memcpy(out, in->data + in->pos, n);
  in->pos += n;
}

enum class PngOutcome { ok, error, too_large };

struct PngResult {
  PngOutcome outcome = PngOutcome::ok;
  char message[256] = {};
  png_uint_32 width = 0, height = 0;
};

void decode_png_c(const unsigned char* data, std::size_t size, PngResult* out) {
  PngInput in{data, size, 0};
  PngState st;
  st.message[0] = '\0';
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &st, png_on_error, png_on_warning);
  if (png == nullptr) {
    out->outcome = PngOutcome::error;
    std::snprintf(out->message, sizeof out->message, "out of memory");
    return;
  }
  png_infop info = png_create_info_struct(png);
  png_bytep volatile row = nullptr;  // set after setjmp, freed after a longjmp
  if (setjmp(st.jump) != 0) {
    out->outcome = st.rows_done ? PngOutcome::ok : PngOutcome::error;
    std::memcpy(out->message, st.message, sizeof out->message);
    png_free(png, row);
    png_destroy_read_struct(&png, info != nullptr ? &info : nullptr, nullptr);
    return;
  }
  if (info == nullptr) png_error(png, "out of memory");
  png_set_read_fn(png, &in, png_read_input);
  // As Pillow: no IDAT CRC; the zlib stream's checksum does count.
  png_set_crc_action(png, PNG_CRC_QUIET_USE, PNG_CRC_QUIET_USE);
  png_set_benign_errors(png, 0);
  png_set_option(png, PNG_SKIP_sRGB_CHECK_PROFILE, PNG_OPTION_ON);
  png_set_user_limits(png, 0x7fffffff, 0x7fffffff);
  png_set_chunk_malloc_max(png, 256u << 20);  // chunks are in the file anyway (the structure walk checked their lengths)
  png_read_info(png, info);
  out->width = png_get_image_width(png, info);
  out->height = png_get_image_height(png, info);
  if (static_cast<std::uint64_t>(out->width) * out->height > kPilMaxPixels) {
    out->outcome = PngOutcome::too_large;
    png_destroy_read_struct(&png, &info, nullptr);
    return;
  }
  const int passes = png_set_interlace_handling(png);
  in.interlaced = passes > 1;
  in.rows_expected = out->height;
  png_read_update_info(png, info);
  row = static_cast<png_bytep>(png_malloc(png, png_get_rowbytes(png, info)));
  for (int p = 0; p < passes; ++p) {
    for (png_uint_32 y = 0; y < out->height; ++y) png_read_row(png, row, nullptr);
  }
  png_free(png, row);
  png_destroy_read_struct(&png, &info, nullptr);
}

// PIL reads the chunks before IHDR (text, ...) and goes on; libpng wants IHDR
// first. The same chunks with IHDR moved to the front; empty when it is there.
std::string ihdr_first(std::string_view bytes) {
  std::size_t pos = 8;
  while (pos + 12 <= bytes.size()) {
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data()) + pos;
    const std::uint64_t length = (std::uint64_t{p[0]} << 24) | (p[1] << 16) | (p[2] << 8) | p[3];
    const std::uint64_t end = pos + 12 + length;
    if (end > bytes.size()) return {};
    if (bytes.substr(pos + 4, 4) == "IHDR") {
      if (pos == 8) return {};
      std::string out(bytes.substr(0, 8));
      out.append(bytes.substr(pos, end - pos));
      out.append(bytes.substr(8, pos - 8));
      out.append(bytes.substr(end));
      return out;
    }
    if (bytes.substr(pos + 4, 4) == "IDAT") return {};
    pos = end;
  }
  return {};
}

// The common case, fast: the image data inflated whole with libdeflate into a
// buffer of exactly the size the header says (small images only), each row's
// filter byte valid. True means PIL loads it; false means libpng decides (also
// for every damaged file, so that the reasons are libpng's).
bool png_loads_fast(std::string_view bytes) {
  constexpr std::uint64_t kMaxRaw = 32u << 20;
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  auto be32 = [&](std::size_t at) {
    return (std::uint32_t{p[at]} << 24) | (std::uint32_t{p[at + 1]} << 16) | (std::uint32_t{p[at + 2]} << 8) | p[at + 3];
  };
  if (bytes.size() < 33 || bytes.substr(12, 4) != "IHDR") return false;
  const std::uint64_t w = be32(16), h = be32(20);
  const unsigned depth = p[24], color = p[25], interlace = p[28];
  unsigned channels = 0;
  switch (color) {
    case 0: channels = (depth == 1 || depth == 2 || depth == 4 || depth == 8 || depth == 16) ? 1 : 0; break;
    case 3: channels = (depth == 1 || depth == 2 || depth == 4 || depth == 8) ? 1 : 0; break;
    case 2: channels = (depth == 8 || depth == 16) ? 3 : 0; break;
    case 4: channels = (depth == 8 || depth == 16) ? 2 : 0; break;
    case 6: channels = (depth == 8 || depth == 16) ? 4 : 0; break;
    default: break;
  }
  if (channels == 0 || p[26] != 0 || p[27] != 0 || interlace > 1 || w == 0 || h == 0) return false;
  const std::uint64_t bits = std::uint64_t{depth} * channels;
  // The rows of each pass (Adam7 when interlaced), one filter byte each.
  std::vector<std::pair<std::uint64_t, std::uint64_t>> passes;  // (rows, bytes per row without the filter byte)
  if (interlace == 0) {
    passes.emplace_back(h, (w * bits + 7) / 8);
  } else {
    static constexpr int kStart[7][2] = {{0, 0}, {4, 0}, {0, 4}, {2, 0}, {0, 2}, {1, 0}, {0, 1}};
    static constexpr int kStep[7][2] = {{8, 8}, {8, 8}, {4, 8}, {4, 4}, {2, 4}, {2, 2}, {1, 2}};
    for (int k = 0; k < 7; ++k) {
      const std::uint64_t pw = w > std::uint64_t(kStart[k][0]) ? (w - kStart[k][0] + kStep[k][0] - 1) / kStep[k][0] : 0;
      const std::uint64_t ph = h > std::uint64_t(kStart[k][1]) ? (h - kStart[k][1] + kStep[k][1] - 1) / kStep[k][1] : 0;
      if (pw > 0 && ph > 0) passes.emplace_back(ph, (pw * bits + 7) / 8);
    }
  }
  std::uint64_t raw = 0;
  for (const auto& [rows, row] : passes) raw += rows * (row + 1);
  if (raw > kMaxRaw) return false;
  // The IDAT chunks, in a row (the structure walk checked the chunks before them).
  thread_local std::string idat;
  idat.clear();
  bool palette = false, in_idat = false;
  for (std::size_t pos = 8; pos + 12 <= bytes.size();) {
    const std::uint64_t length = be32(pos);
    const std::string_view type = bytes.substr(pos + 4, 4);
    if (pos + 12 + length > bytes.size()) return false;
    if (type == "IDAT") {
      in_idat = true;
      idat.append(bytes.substr(pos + 8, length));
    } else if (in_idat) {
      break;
    }
    palette = palette || type == "PLTE";
    pos += 12 + length;
  }
  if (!in_idat || (color == 3 && !palette)) return false;
  struct Free {
    void operator()(libdeflate_decompressor* d) const { libdeflate_free_decompressor(d); }
  };
  thread_local std::unique_ptr<libdeflate_decompressor, Free> inflater(libdeflate_alloc_decompressor());
  thread_local std::vector<unsigned char> out;
  if (!inflater) return false;
  out.resize(raw);
  std::size_t used = 0;
  // Exactly `raw` bytes: more (or less) data than the rows need is libpng's to judge.
  if (libdeflate_zlib_decompress(inflater.get(), idat.data(), idat.size(), out.data(), raw, &used) != LIBDEFLATE_SUCCESS ||
      used != raw) {
    return false;
  }
  std::uint64_t at = 0;
  for (const auto& [rows, row] : passes) {
    for (std::uint64_t y = 0; y < rows; ++y, at += row + 1) {
      if (out[at] > 4) return false;
    }
  }
  if (out.capacity() > (8u << 20)) std::vector<unsigned char>().swap(out);
  return true;
}

}  // namespace

DecodeVerdict png(std::string_view bytes) {
  const std::string reordered = ihdr_first(bytes);
  if (!reordered.empty()) bytes = reordered;
  DecodeVerdict v;
  if (png_loads_fast(bytes)) {
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
    const auto w = (std::uint64_t{p[16]} << 24) | (std::uint64_t{p[17]} << 16) | (std::uint64_t{p[18]} << 8) | p[19];
    const auto h = (std::uint64_t{p[20]} << 24) | (std::uint64_t{p[21]} << 16) | (std::uint64_t{p[22]} << 8) | p[23];
    v.problem = pixel_check(w, h, v);
    return v;
  }
  PngResult r;
  decode_png_c(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), &r);
  if (r.outcome == PngOutcome::error) {
    v.problem = fmt::format("PNG that libpng cannot decode: {}", r.message);
  } else {
    v.problem = pixel_check(r.width, r.height, v);
  }
  return v;
}

}  // namespace lv::decode
