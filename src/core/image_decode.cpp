// --deep=decode: each format decoded with its own library, configured the way
// Pillow (Debian python3-pil, which links the same libjpeg-turbo, zlib and libwebp)
// reads it. What decides, per format:
//   JPEG  libjpeg with a suspending source holding the whole file, as Pillow's
//         decoder is fed: the image is truncated when libjpeg asks for more data
//         before the last row (PIL: "image file is truncated"); libjpeg's warnings
//         (corrupt data, extraneous bytes) are ignored as Pillow ignores them; the
//         markers after the last row are read, and only their errors count (a
//         missing end marker does not).
//   PNG   libpng row by row: IDAT CRCs are not checked (PIL does not), the zlib
//         stream's Adler-32 is; the file may end after the last row (PIL stops
//         there); IHDR may come after other chunks. The chunks before the image
//         data (and their CRCs) are the structure walk's.
//   GIF   giflib, the first image's rows (PIL's convert loads the first frame).
//   WebP  libwebp, the first frame (libwebpdemux for animations), scaled down while
//         decoding so that memory does not follow the canvas.
// Memory per call: the file, one row (PNG, GIF), a 1/8-scale output (JPEG, WebP)
// and libjpeg's own buffers, capped by kJpegMemory.
#include "core/image_decode.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csetjmp>
#include <cstdio>  // jpeglib.h needs FILE
#include <cstring>
#include <memory>
#include <vector>

#include <fmt/format.h>
#include <gif_lib.h>
#include <libdeflate.h>
#include <jerror.h>
#include <jpeglib.h>
#include <png.h>
#include <webp/decode.h>
#include <webp/demux.h>

#include "core/file_reader.h"
#include "core/fs.h"
#include "core/image_check.h"
#include "core/names.h"

namespace lv {
namespace {

// libjpeg's memory for one image: the coefficient buffers of a progressive JPEG at
// PIL's pixel limit in four components (178,956,970 x 4 x 2 bytes) fit.
constexpr long kJpegMemory = 1536L << 20;
// Progressive scans decoded at most (a JPEG of tens of thousands of tiny scans takes
// minutes in any decoder).
constexpr int kMaxScans = 1000;

std::string pixel_check(std::uint64_t w, std::uint64_t h, DecodeVerdict& v) {
  const std::uint64_t pixels = w * h;
  if (pixels > kPilMaxPixels) {
    return fmt::format("above PIL's limit: {} x {} = {} pixels ({} at most)", w, h, group_digits(pixels),
                       group_digits(kPilMaxPixels));
  }
  if (pixels > kPilWarnPixels) {
    v.warning = fmt::format("{} x {} = {} pixels: PIL warns above {} (DecompressionBombWarning)", w, h, group_digits(pixels),
                            group_digits(kPilWarnPixels));
  }
  return {};
}

// ---------------------------------------------------------------------------
// JPEG. The C-style part: between setjmp and longjmp only libjpeg's frames and
// this function's trivially destructible locals.

struct JpegError {
  jpeg_error_mgr pub;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

extern "C" void jpeg_on_error(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<JpegError*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(err->jump, 1);
}
extern "C" void jpeg_on_message(j_common_ptr, int) {}  // warnings are ignored, as Pillow does
extern "C" void jpeg_on_output(j_common_ptr) {}

extern "C" void src_init(j_decompress_ptr) {}
// The whole file is in the buffer: asking for more means it ended (suspend, as
// Pillow's source does when its caller has no more data).
extern "C" boolean src_fill(j_decompress_ptr) { return FALSE; }
extern "C" void src_skip(j_decompress_ptr cinfo, long n) {
  if (n <= 0) return;
  jpeg_source_mgr* src = cinfo->src;
  const auto k = static_cast<std::size_t>(n);
  if (k > src->bytes_in_buffer) {
    src->next_input_byte += src->bytes_in_buffer;
    src->bytes_in_buffer = 0;
  } else {
    src->next_input_byte += k;
    src->bytes_in_buffer -= k;
  }
}
extern "C" void src_term(j_decompress_ptr) {}

extern "C" void jpeg_on_progress(j_common_ptr common) {
  auto* cinfo = reinterpret_cast<j_decompress_ptr>(common);
  if (common->is_decompressor && cinfo->input_scan_number > kMaxScans) {
    auto* err = reinterpret_cast<JpegError*>(common->err);
    std::snprintf(err->message, sizeof err->message, "more than %d scans", kMaxScans);
    std::longjmp(err->jump, 2);
  }
}

enum class JpegOutcome { ok, suspended, error, too_large };

struct JpegResult {
  JpegOutcome outcome = JpegOutcome::ok;
  char message[JMSG_LENGTH_MAX] = {};
  JDIMENSION width = 0, height = 0, rows = 0;
};

// Plain C in spirit: no object with a destructor lives across setjmp.
void decode_jpeg_c(const unsigned char* data, std::size_t size, JpegResult* out) {
  jpeg_decompress_struct cinfo;
  JpegError err;
  jpeg_source_mgr src;
  std::memset(&cinfo, 0, sizeof cinfo);
  cinfo.err = jpeg_std_error(&err.pub);
  err.pub.error_exit = jpeg_on_error;
  err.pub.emit_message = jpeg_on_message;
  err.pub.output_message = jpeg_on_output;
  err.message[0] = '\0';
  jpeg_progress_mgr progress;
  progress.progress_monitor = jpeg_on_progress;
  if (const int jumped = setjmp(err.jump); jumped != 0) {
    out->outcome = JpegOutcome::error;
    std::memcpy(out->message, err.message, sizeof out->message);
    jpeg_destroy_decompress(&cinfo);
    return;
  }
  jpeg_create_decompress(&cinfo);
  cinfo.mem->max_memory_to_use = kJpegMemory;
  cinfo.progress = &progress;
  src.next_input_byte = data;
  src.bytes_in_buffer = size;
  src.init_source = src_init;
  src.fill_input_buffer = src_fill;
  src.skip_input_data = src_skip;
  src.resync_to_restart = jpeg_resync_to_restart;
  src.term_source = src_term;
  cinfo.src = &src;
  if (jpeg_read_header(&cinfo, TRUE) != JPEG_HEADER_OK) {
    out->outcome = JpegOutcome::suspended;
    jpeg_destroy_decompress(&cinfo);
    return;
  }
  out->width = cinfo.image_width;
  out->height = cinfo.image_height;
  if (static_cast<std::uint64_t>(cinfo.image_width) * cinfo.image_height > kPilMaxPixels) {
    out->outcome = JpegOutcome::too_large;
    jpeg_destroy_decompress(&cinfo);
    return;
  }
  // The color spaces Pillow asks for (RGB, L, CMYK), at 1/8 scale: every block is
  // entropy-decoded all the same, the inverse DCT and the output are 64 times smaller.
  switch (cinfo.num_components) {
    case 1: cinfo.out_color_space = JCS_GRAYSCALE; break;
    case 4: cinfo.out_color_space = JCS_CMYK; break;
    default: break;  // libjpeg's default for 3 components (RGB); others fail in start
  }
  cinfo.scale_num = 1;
  cinfo.scale_denom = 8;
  cinfo.dct_method = JDCT_IFAST;
  cinfo.do_fancy_upsampling = FALSE;
  cinfo.do_block_smoothing = FALSE;
  if (!jpeg_start_decompress(&cinfo)) {
    out->outcome = JpegOutcome::suspended;
    jpeg_destroy_decompress(&cinfo);
    return;
  }
  const JDIMENSION stride = cinfo.output_width * static_cast<JDIMENSION>(cinfo.output_components);
  JSAMPARRAY row = (*cinfo.mem->alloc_sarray)(reinterpret_cast<j_common_ptr>(&cinfo), JPOOL_IMAGE, stride, 1);
  while (cinfo.output_scanline < cinfo.output_height) {
    if (jpeg_read_scanlines(&cinfo, row, 1) == 0) {
      out->outcome = JpegOutcome::suspended;
      break;
    }
  }
  out->rows = cinfo.output_scanline;
  // The markers after the last row, up to the end marker, as Pillow reads them: an
  // error there fails; running out of data (no end marker) does not.
  if (out->outcome == JpegOutcome::ok) (void)jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
}

DecodeVerdict decode_jpeg(std::string_view bytes) {
  DecodeVerdict v;
  JpegResult r;
  decode_jpeg_c(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), &r);
  switch (r.outcome) {
    case JpegOutcome::ok: v.problem = pixel_check(r.width, r.height, v); break;
    case JpegOutcome::too_large: v.problem = pixel_check(r.width, r.height, v); break;
    case JpegOutcome::suspended:
      v.problem = r.width == 0 ? fmt::format("JPEG ends at byte {} inside its header (truncated)", bytes.size())
                               : fmt::format("JPEG ends at byte {} before its image data are complete (truncated)", bytes.size());
      break;
    case JpegOutcome::error: v.problem = fmt::format("JPEG that libjpeg cannot decode: {}", r.message); break;
  }
  return v;
}

// ---------------------------------------------------------------------------
// PNG.

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

DecodeVerdict decode_png(std::string_view bytes) {
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

// ---------------------------------------------------------------------------
// GIF (giflib reports errors by return codes: no jumps).

struct GifInput {
  const unsigned char* data;
  std::size_t size;
  std::size_t pos;
};

// After the file's last byte, a block terminator and the trailer: giflib reads
// the first image's blocks to their terminator after its last row, PIL stops at
// the last row. Pixel data that end early still fail (an empty block where data
// should be).
constexpr unsigned char kGifTail[] = {0x00, 0x3B};

extern "C" int gif_read_input(GifFileType* gif, GifByteType* out, int n) {
  auto* in = static_cast<GifInput*>(gif->UserData);
  std::size_t want = static_cast<std::size_t>(std::max(n, 0)), k = 0;
  while (k < want && in->pos < in->size + sizeof kGifTail) {
    out[k++] = in->pos < in->size ? in->data[in->pos] : kGifTail[in->pos - in->size];
    ++in->pos;
  }
  return static_cast<int>(k);
}

std::string gif_error(int code) {
  const char* text = GifErrorString(code);
  return fmt::format("GIF that giflib cannot decode: {}", text != nullptr ? text : "unknown error");
}

DecodeVerdict decode_gif(std::string_view bytes) {
  DecodeVerdict v;
  GifInput in{reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), 0};
  int code = 0;
  GifFileType* gif = DGifOpen(&in, gif_read_input, &code);
  if (gif == nullptr) {
    v.problem = gif_error(code);
    return v;
  }
  struct Closer {
    GifFileType* g;
    ~Closer() { DGifCloseFile(g, nullptr); }
  } closer{gif};
  v.problem = pixel_check(static_cast<std::uint64_t>(gif->SWidth), static_cast<std::uint64_t>(gif->SHeight), v);
  if (!v.problem.empty()) return v;
  for (;;) {
    GifRecordType type = UNDEFINED_RECORD_TYPE;
    if (DGifGetRecordType(gif, &type) == GIF_ERROR) {
      if (gif->Error == D_GIF_ERR_WRONG_RECORD && in.pos < in.size) continue;  // PIL skips unknown bytes
      v.problem = gif_error(gif->Error);
      return v;
    }
    if (type == TERMINATE_RECORD_TYPE) {
      v.problem = "GIF without an image before its trailer";
      return v;
    }
    if (type == EXTENSION_RECORD_TYPE) {
      int ext_code = 0;
      GifByteType* ext = nullptr;
      if (DGifGetExtension(gif, &ext_code, &ext) == GIF_ERROR) {
        v.problem = gif_error(gif->Error);
        return v;
      }
      while (ext != nullptr) {
        if (DGifGetExtensionNext(gif, &ext) == GIF_ERROR) {
          v.problem = gif_error(gif->Error);
          return v;
        }
      }
      continue;
    }
    if (type != IMAGE_DESC_RECORD_TYPE) continue;
    if (DGifGetImageDesc(gif) == GIF_ERROR) {
      v.problem = gif_error(gif->Error);
      return v;
    }
    const int w = gif->Image.Width, h = gif->Image.Height;
    if (w <= 0 || h <= 0) return v;
    std::vector<GifPixelType> line(static_cast<std::size_t>(w));
    for (int y = 0; y < h; ++y) {
      if (DGifGetLine(gif, line.data(), w) == GIF_ERROR) {
        v.problem = gif_error(gif->Error);
        return v;
      }
    }
    return v;  // the first frame is what PIL's convert loads
  }
}

// ---------------------------------------------------------------------------
// WebP: the first frame, decoded at 1/8 scale.

std::string webp_status(VP8StatusCode s) {
  switch (s) {
    case VP8_STATUS_OK: return "ok";
    case VP8_STATUS_OUT_OF_MEMORY: return "out of memory";
    case VP8_STATUS_INVALID_PARAM: return "invalid parameter";
    case VP8_STATUS_BITSTREAM_ERROR: return "bitstream error";
    case VP8_STATUS_UNSUPPORTED_FEATURE: return "unsupported feature";
    case VP8_STATUS_SUSPENDED: return "suspended";
    case VP8_STATUS_USER_ABORT: return "aborted";
    case VP8_STATUS_NOT_ENOUGH_DATA: return "not enough data (truncated)";
  }
  return "unknown status";
}

DecodeVerdict decode_webp(std::string_view bytes) {
  DecodeVerdict v;
  const auto* data = reinterpret_cast<const std::uint8_t*>(bytes.data());
  WebPBitstreamFeatures features;
  if (VP8StatusCode s = WebPGetFeatures(data, bytes.size(), &features); s != VP8_STATUS_OK) {
    v.problem = fmt::format("WebP that libwebp cannot decode: {}", webp_status(s));
    return v;
  }
  WebPData whole{data, bytes.size()};
  WebPData frame = whole;
  WebPDemuxer* demux = nullptr;
  WebPIterator iter;
  std::uint64_t canvas_w = static_cast<std::uint64_t>(features.width), canvas_h = static_cast<std::uint64_t>(features.height);
  if (features.has_animation) {
    demux = WebPDemux(&whole);
    if (demux == nullptr) {
      v.problem = "WebP that libwebp cannot decode: its animation cannot be read";
      return v;
    }
    canvas_w = WebPDemuxGetI(demux, WEBP_FF_CANVAS_WIDTH);
    canvas_h = WebPDemuxGetI(demux, WEBP_FF_CANVAS_HEIGHT);
    if (!WebPDemuxGetFrame(demux, 1, &iter)) {
      WebPDemuxDelete(demux);
      v.problem = "WebP animation without a frame";
      return v;
    }
    frame = iter.fragment;
  }
  v.problem = pixel_check(canvas_w, canvas_h, v);
  if (v.problem.empty()) {
    WebPDecoderConfig config;
    WebPInitDecoderConfig(&config);
    if (VP8StatusCode s = WebPGetFeatures(frame.bytes, frame.size, &config.input); s != VP8_STATUS_OK) {
      v.problem = fmt::format("WebP that libwebp cannot decode: {}", webp_status(s));
    } else {
      config.options.use_scaling = 1;
      config.options.scaled_width = std::max(1, config.input.width / 8);
      config.options.scaled_height = std::max(1, config.input.height / 8);
      config.output.colorspace = MODE_RGBA;
      if (VP8StatusCode d = WebPDecode(frame.bytes, frame.size, &config); d != VP8_STATUS_OK) {
        v.problem = fmt::format("WebP that libwebp cannot decode: {}", webp_status(d));
      }
      WebPFreeDecBuffer(&config.output);
    }
  }
  if (demux != nullptr) {
    WebPDemuxReleaseIterator(&iter);
    WebPDemuxDelete(demux);
  }
  return v;
}

// BMP: the sizes from its header (the structure walk checked them against the file).
DecodeVerdict decode_bmp(std::string_view bytes) {
  DecodeVerdict v;
  if (bytes.size() < 26) return v;
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const std::uint32_t header = p[14] | (p[15] << 8) | (p[16] << 16) | (static_cast<std::uint32_t>(p[17]) << 24);
  std::uint64_t w = 0, h = 0;
  if (header == 12) {
    w = p[18] | (p[19] << 8);
    h = p[20] | (p[21] << 8);
  } else {
    const auto s32 = [&](std::size_t at) {
      return static_cast<std::int32_t>(p[at] | (p[at + 1] << 8) | (p[at + 2] << 16) | (static_cast<std::uint32_t>(p[at + 3]) << 24));
    };
    const std::int64_t sw = s32(18), sh = s32(22);
    w = static_cast<std::uint64_t>(sw < 0 ? -sw : sw);
    h = static_cast<std::uint64_t>(sh < 0 ? -sh : sh);
  }
  v.problem = pixel_check(w, h, v);
  return v;
}

}  // namespace

DecodeVerdict image_decode_check_bytes(std::string_view bytes) {
  // The structure walk first: it says what PIL's own parsers refuse before any
  // decoder runs, and never refuses what PIL loads, but for one case it leaves
  // to the decoder (a JPEG scan cut off with no end marker).
  StructureVerdict sv = image_structure_check_bytes(bytes, /*decoding=*/true);
  DecodeVerdict v;
  if (!sv.problem.empty() && !sv.undecided) {
    v.problem = std::move(sv.problem);
  } else if (sv.format == "jpeg") {
    v = decode_jpeg(bytes);
  } else if (sv.format == "png") {
    v = decode_png(bytes);
  } else if (sv.format == "gif") {
    v = decode_gif(bytes);
  } else if (sv.format == "webp") {
    v = decode_webp(bytes);
  } else if (sv.format == "bmp") {
    v = decode_bmp(bytes);
  }  // TIFF, ICO: walked (TIFF) or not, not decoded (LLaVA's data do not use them)
  // A scan cut off with no end marker that does not decode: the walk's words say where.
  if (sv.undecided && !v.problem.empty()) v.problem = std::move(sv.problem);
  v.format = sv.format;
  return v;
}

DecodeVerdict image_decode_check(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (fd.get() < 0) return {error_text(errno), {}, {}};
  struct stat st{};
  if (::fstat(fd.get(), &st) != 0) return {error_text(errno), {}, {}};
  if (!S_ISREG(st.st_mode)) return {"not a regular file", {}, {}};
  // One read of the size fstat gave, and one byte more to see the end: a file
  // that changes meanwhile is judged on what was read.
  thread_local std::string buf;
  const auto want = static_cast<std::size_t>(st.st_size) + 1;
  buf.resize(want);
  std::size_t got = 0;
  while (got < want) {
    const ssize_t n = ::read(fd.get(), buf.data() + got, want - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return {error_text(errno), {}, {}};
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  DecodeVerdict v = image_decode_check_bytes(std::string_view(buf.data(), std::min(got, want - 1)));
  if (buf.capacity() > (64u << 20)) std::string().swap(buf);  // do not keep a huge file's buffer per thread
  return v;
}

}  // namespace lv
