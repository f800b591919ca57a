// --deep=decode for JPEG (image_decode_formats.h): JpegImagePlugin._open reads the
// markers up to the first scan in Python, with each handler's own checks; then
// ImageFile.load feeds the whole file, from byte 0, 64 KiB at a time, to libjpeg-turbo
// (the library Pillow links) through JpegDecode.c's suspending source: the image
// loads when its last row comes out (a missing end marker is no error), is truncated
// when the data end first, broken on libjpeg's errors; libjpeg's warnings (corrupt
// data, extraneous bytes) are ignored as Pillow ignores them. Decoded at 1/8 scale:
// every block is entropy-decoded all the same, the output is 64 times smaller.
// Memory: a row at 1/8 scale, libjpeg's tables, and the coefficient buffers of a
// progressive JPEG (2 bytes per pixel and component), capped at kJpegMemory.
#include <csetjmp>
#include <cstdio>  // jpeglib.h needs FILE
#include <cstring>
#include <memory>
#include <string>

#include <fmt/format.h>
#include <jerror.h>
#include <jpeglib.h>

#include "core/image_decode_formats.h"

namespace lv::decode {
namespace {

// libjpeg's memory for one image: the coefficient buffers of a progressive JPEG at
// PIL's pixel limit in four components (178,956,970 x 4 x 2 bytes, and the padding
// of its blocks: 1.45 GB) fit.
constexpr long kJpegMemory = 1536L << 20;
// Progressive scans decoded at most (a JPEG of tens of thousands of tiny scans takes
// minutes in any decoder).
constexpr int kMaxScans = 1000;

struct JpegHeader {
  std::uint32_t width = 0, height = 0;
  int layers = 0;  // 0: no frame header seen
};

// JpegImagePlugin's reading of the markers before the first scan (each handler's
// own checks included); empty when it reaches the scan.
std::string jpeg_markers(Reader& r, JpegHeader& h) {
  const auto ends = [&] { return fmt::format("JPEG ends at byte {} inside its header (truncated)", r.size()); };
  // ICC_PROFILE APP2 segments since the last frame header: how many, and the
  // smallest (Pillow sorts them and reads the first one's byte 13).
  std::size_t icc_count = 0;
  std::string icc_first;
  r.seek(3);
  int s = 0xFF;
  for (;;) {
    if (s != 0xFF) {  // bytes between segments are skipped one at a time
      s = r.byte();
      if (s < 0) return ends();
      continue;
    }
    const std::uint64_t at = r.tell() - 1;
    const int b = r.byte();
    if (b < 0) return ends();
    const unsigned marker = 0xFF00u | static_cast<unsigned>(b);
    if (marker == 0xFFFF) continue;  // fill byte: the second FF starts the marker
    if (marker == 0xFF00) {
      s = r.byte();
      if (s < 0) return ends();
      continue;
    }
    if (marker < 0xFFC0) return fmt::format("JPEG with an invalid marker FF {:02X} at byte {} (PIL: no marker found)", b, at);
    const bool no_segment = marker == 0xFFC8 || (marker >= 0xFFD0 && marker <= 0xFFD9) || (marker >= 0xFFF0 && marker <= 0xFFFD);
    if (!no_segment) {
      const std::string_view len = r.read(2);
      if (len.size() < 2) return ends();
      std::string_view seg;
      if (!r.safe_read(static_cast<std::int64_t>(be16(len, 0)) - 2, seg)) return ends();
      const bool sof = (marker >= 0xFFC0 && marker <= 0xFFCF && marker != 0xFFC4 && marker != 0xFFC8 && marker != 0xFFCC) ||
                       marker == 0xFFDE;
      if (sof) {
        if (seg.size() < 5) return fmt::format("JPEG frame header at byte {} of {} bytes (too short)", at, seg.size() + 2);
        h.width = be16(seg, 3);
        h.height = be16(seg, 1);
        if (u8(seg, 0) != 8) return fmt::format("JPEG of {}-bit samples (PIL reads 8)", u8(seg, 0));
        if (seg.size() < 6) return fmt::format("JPEG frame header at byte {} of {} bytes (too short)", at, seg.size() + 2);
        const std::uint32_t layers = u8(seg, 5);
        if (layers != 1 && layers != 3 && layers != 4) return fmt::format("JPEG of {} components (PIL reads 1, 3 or 4)", layers);
        h.layers = static_cast<int>(layers);
        if (icc_count > 0 && icc_first.size() < 14) return fmt::format("JPEG with an ICC profile segment of {} bytes (too short)", icc_first.size() + 2);
        icc_count = 0;
        icc_first.clear();
        if ((seg.size() - 6) % 3 != 0) return fmt::format("JPEG frame header at byte {} whose component list is cut short", at);
      } else if (marker == 0xFFDB) {
        for (std::string_view t = seg; !t.empty();) {
          const std::size_t table = 1 + (u8(t, 0) >= 16 ? 128 : 64);
          if (t.size() < table) return fmt::format("JPEG quantization table at byte {} is cut short", at);
          t.remove_prefix(table);
        }
      } else if (marker == 0xFFE0 && seg.starts_with("JFIF") && seg.size() < 7) {
        return fmt::format("JPEG with a JFIF segment of {} bytes (too short)", seg.size() + 2);
      } else if (marker == 0xFFEE && seg.starts_with("Adobe") && seg.size() < 7) {
        return fmt::format("JPEG with an Adobe segment of {} bytes (too short)", seg.size() + 2);
      } else if (marker == 0xFFE2 && seg.starts_with(std::string_view("ICC_PROFILE\0", 12))) {
        if (icc_count++ == 0 || seg < icc_first) icc_first.assign(seg);
      } else if (marker == 0xFFED && seg.starts_with(std::string_view("Photoshop 3.0\0", 14))) {
        // Image resource blocks; a name length past the end is an IndexError in Pillow
        // (its struct errors end the walk quietly).
        for (std::uint64_t off = 14; off + 4 <= seg.size() && seg.substr(static_cast<std::size_t>(off), 4) == "8BIM";) {
          off += 4;
          if (off + 2 > seg.size()) break;
          const std::uint32_t code = be16(seg, static_cast<std::size_t>(off));
          off += 2;
          if (off >= seg.size()) return fmt::format("JPEG with a Photoshop segment at byte {} cut short", at);
          off += 1 + u8(seg, static_cast<std::size_t>(off));
          off += off & 1;
          if (off + 4 > seg.size()) break;
          const std::uint64_t size = be32(seg, static_cast<std::size_t>(off));
          off += 4;
          if (code == 0x03ED && std::min<std::uint64_t>(size, seg.size() - off) < 14) break;
          off += size;
          off += off & 1;
        }
      }
    }
    if (marker == 0xFFDA) break;
    s = r.byte();
    if (s < 0) return ends();
  }
  if (h.layers == 0) return "JPEG without a frame header before its first scan";
  return {};
}

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

// Pillow's suspending source (JpegDecode.c): the buffer is what the caller gives;
// a skip past its end is remembered for the next call.
struct JpegSource {
  jpeg_source_mgr pub;
  long skip;
};

extern "C" void src_init(j_decompress_ptr) {}
extern "C" boolean src_fill(j_decompress_ptr) { return FALSE; }
extern "C" void src_skip(j_decompress_ptr cinfo, long n) {
  auto* src = reinterpret_cast<JpegSource*>(cinfo->src);
  if (n > static_cast<long>(src->pub.bytes_in_buffer)) {
    src->skip = n - static_cast<long>(src->pub.bytes_in_buffer);
    src->pub.next_input_byte += src->pub.bytes_in_buffer;
    src->pub.bytes_in_buffer = 0;
  } else if (n > 0) {
    src->pub.bytes_in_buffer -= static_cast<std::size_t>(n);
    src->pub.next_input_byte += n;
    src->skip = 0;
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

// JpegDecode.c's state, plain data: it lives across calls, a longjmp never leaves
// a C++ object behind.
struct JpegCtx {
  jpeg_decompress_struct cinfo;
  JpegError err;
  JpegSource src;
  jpeg_progress_mgr progress;
  J_COLOR_SPACE out_space;
  int state;  // 0: not created; 1 header, 2 start, 3 rows, 4 finish (JpegDecode.c's states)
  JSAMPARRAY row;
};

constexpr long kJpegDone = -1, kJpegBroken = -2;

// One call of ImagingJpegDecode on `n` bytes: the bytes it consumed, or kJpegDone
// (the last row came out), or kJpegBroken (libjpeg's error, in ctx->err.message).
// C in all but name: between setjmp and longjmp only libjpeg's frames and this one.
long jpeg_feed(JpegCtx* c, const unsigned char* buf, std::size_t n) {
  if (setjmp(c->err.jump) != 0) {
    jpeg_destroy_decompress(&c->cinfo);
    c->state = 0;
    return kJpegBroken;
  }
  if (c->state == 0) {
    c->cinfo.err = jpeg_std_error(&c->err.pub);
    c->err.pub.error_exit = jpeg_on_error;
    c->err.pub.emit_message = jpeg_on_message;
    c->err.pub.output_message = jpeg_on_output;
    c->err.message[0] = '\0';
    jpeg_create_decompress(&c->cinfo);
    c->state = 1;
    c->cinfo.mem->max_memory_to_use = kJpegMemory;
    c->progress.progress_monitor = jpeg_on_progress;
    c->cinfo.progress = &c->progress;
    c->src.pub.init_source = src_init;
    c->src.pub.fill_input_buffer = src_fill;
    c->src.pub.skip_input_data = src_skip;
    c->src.pub.resync_to_restart = jpeg_resync_to_restart;
    c->src.pub.term_source = src_term;
    c->src.pub.bytes_in_buffer = 0;
    c->src.skip = 0;
    c->cinfo.src = &c->src.pub;
  }
  c->src.pub.next_input_byte = buf;
  c->src.pub.bytes_in_buffer = n;
  if (c->src.skip > 0) {
    src_skip(&c->cinfo, c->src.skip);
    if (c->src.skip > 0) return static_cast<long>(c->src.pub.next_input_byte - buf);
  }
  switch (c->state) {
    case 1: {
      int ok = 0;
      do {
        ok = jpeg_read_header(&c->cinfo, FALSE);
      } while (ok == JPEG_HEADER_TABLES_ONLY);
      if (ok == JPEG_SUSPENDED) break;
      // Pillow's output color space (L, RGBX, CMYK), at 1/8 scale: every block is
      // entropy-decoded all the same; the inverse DCT and the output are 64 times smaller.
      c->cinfo.out_color_space = c->out_space;
      c->cinfo.scale_num = 1;
      c->cinfo.scale_denom = 8;
      c->cinfo.dct_method = JDCT_IFAST;
      c->cinfo.do_fancy_upsampling = FALSE;
      c->cinfo.do_block_smoothing = FALSE;
      c->state = 2;
    }
      [[fallthrough]];
    case 2:
      if (!jpeg_start_decompress(&c->cinfo)) break;
      c->row = (*c->cinfo.mem->alloc_sarray)(reinterpret_cast<j_common_ptr>(&c->cinfo), JPOOL_IMAGE,
                                             c->cinfo.output_width * static_cast<JDIMENSION>(c->cinfo.output_components), 1);
      c->state = 3;
      [[fallthrough]];
    case 3: {
      bool rows = true;
      while (c->cinfo.output_scanline < c->cinfo.output_height) {
        if (jpeg_read_scanlines(&c->cinfo, c->row, 1) != 1) {
          rows = false;
          break;
        }
      }
      if (!rows) break;
      c->state = 4;
    }
      [[fallthrough]];
    case 4:
      // The markers after the last row, as far as this buffer goes: their errors
      // count, running out of data does not (JpegDecode.c ends either way).
      (void)jpeg_finish_decompress(&c->cinfo);
      jpeg_destroy_decompress(&c->cinfo);
      c->state = 0;
      return kJpegDone;
    default: break;
  }
  return static_cast<long>(c->src.pub.next_input_byte - buf);
}

}  // namespace

DecodeVerdict jpeg(std::string_view bytes) {
  DecodeVerdict v;
  Reader r(bytes);
  JpegHeader h;
  v.problem = jpeg_markers(r, h);
  if (!v.problem.empty()) return v;
  v.problem = pixel_check(h.width, h.height, v);
  if (!v.problem.empty()) return v;
  if (h.width == 0 || h.height == 0) {
    v.problem = fmt::format("JPEG of {} x {} pixels (PIL cannot load an empty image)", h.width, h.height);
    return v;
  }
  struct Free {
    void operator()(JpegCtx* c) const {
      if (c->state != 0) jpeg_destroy_decompress(&c->cinfo);
      delete c;
    }
  };
  std::unique_ptr<JpegCtx, Free> ctx(new JpegCtx());
  ctx->out_space = h.layers == 1 ? JCS_GRAYSCALE : h.layers == 4 ? JCS_CMYK : JCS_EXT_RGBX;
  // ImageFile.load: 64 KiB reads from byte 0, each appended to what the decoder left.
  std::string pending;
  for (std::size_t pos = 0;;) {
    const std::string_view s = bytes.substr(std::min(pos, bytes.size()), kPilBlock);
    if (s.empty()) {
      v.problem = fmt::format("JPEG ends at byte {} before its image data are complete (truncated)", bytes.size());
      return v;
    }
    pos += s.size();
    pending.append(s);
    const long n = jpeg_feed(ctx.get(), reinterpret_cast<const unsigned char*>(pending.data()), pending.size());
    if (n == kJpegDone) return v;
    if (n == kJpegBroken) {
      v.problem = fmt::format("JPEG that libjpeg cannot decode: {}", ctx->err.message);
      return v;
    }
    pending.erase(0, static_cast<std::size_t>(n));
  }
}


}  // namespace lv::decode
