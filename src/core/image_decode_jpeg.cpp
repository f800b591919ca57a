// --deep=decode for JPEG: libjpeg with a suspending source holding the whole file,
// as Pillow's decoder is fed: the image is truncated when libjpeg asks for more
// data before the last row (PIL: "image file is truncated"); libjpeg's warnings
// (corrupt data, extraneous bytes) are ignored as Pillow ignores them; the markers
// after the last row are read, and only their errors count (a missing end marker
// does not). Decoded at 1/8 scale: every block is entropy-decoded all the same.
#include <csetjmp>
#include <cstdio>  // jpeglib.h needs FILE
#include <cstring>

#include <fmt/format.h>
#include <jerror.h>
#include <jpeglib.h>

#include "core/image_decode_formats.h"

namespace lv::decode {
namespace {

// libjpeg's memory for one image: the coefficient buffers of a progressive JPEG at
// PIL's pixel limit in four components (178,956,970 x 4 x 2 bytes) fit.
constexpr long kJpegMemory = 1536L << 20;
// Progressive scans decoded at most (a JPEG of tens of thousands of tiny scans takes
// minutes in any decoder).
constexpr int kMaxScans = 1000;

// The C-style part: between setjmp and longjmp only libjpeg's frames and
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

}  // namespace

DecodeVerdict jpeg(std::string_view bytes) {
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

}  // namespace lv::decode
