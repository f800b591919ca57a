// --deep=decode: whether Pillow 9.4 (Debian python3-pil) loads the file with
// `Image.open(path).convert('RGB')` at its defaults (LOAD_TRUNCATED_IMAGES False,
// MAX_IMAGE_PIXELS 89,478,485), found by doing what Pillow does: each step of its
// Python readers that can refuse a file is followed (JpegImagePlugin,
// PngImagePlugin, GifImagePlugin, WebPImagePlugin, BmpImagePlugin, ImageFile.load
// and its 64 KiB reads), and the image data go through the code Pillow runs on them:
//   JPEG  libjpeg-turbo, the library Pillow links, fed through a suspending source
//         64 KiB at a time as ImageFile.load feeds JpegDecode.c: loaded when the
//         last row comes out (the end marker may be missing), truncated when the
//         data end first, broken on libjpeg's errors; its warnings (corrupt data,
//         extraneous bytes) are ignored as Pillow ignores them. Decoded at 1/8
//         scale: every block is entropy-decoded all the same.
//   PNG   zlib, row by row as ZipDecode.c inflates, IDAT by IDAT in Pillow's reads:
//         filter bytes 0-4; done at the last row, or where the zlib stream ends on
//         a row boundary; a bad Adler-32 counts only when the read that completes
//         the last row holds it. Pillow's chunk reader before the image data (CRCs,
//         each handler's own checks: a short pHYs, a zTXt over 1 MiB, ...) and after
//         it (load_end: chunks cut short, handlers' checks; no CRCs), and its
//         256-color palette. Not libpng: Pillow does not use it, and libpng refuses
//         files Pillow loads (an unknown critical chunk, a stream that ends early)
//         and loads files Pillow refuses (short ancillary chunks are benign errors).
//   GIF   Pillow's own LZW decoder (GifDecode.c) over the first image, its blocks as
//         GifImagePlugin reads them (not giflib: its LZW and block checks differ).
//   WebP  libwebpdemux and libwebp as WebPAnimDecoder runs them: the container
//         whole, the first frame decoded (at 1/8 scale).
//   BMP   the header as BmpImagePlugin reads it, the rows against the file's size,
//         run-length data as its BmpRleDecoder reads them.
// The structure walk runs first (image_check.h): its reasons say where a file is
// damaged; where Pillow's steps refuse a file too, the walk's words are given.
// JPEG in image_decode_jpeg.cpp, PNG in image_decode_png.cpp, GIF in
// image_decode_gif.cpp, BMP in image_decode_bmp.cpp; WebP and the dispatch here.
// Memory per call: the file; then 64 KiB of rows (PNG; at most 32 MiB for a whole
// stream inflated at once), a 1/8-scale row (JPEG), 8 KiB (GIF), a 1/8-scale frame
// (WebP, plus libwebp's ARGB image of a lossless frame: 4 bytes per pixel), and the
// coefficient buffers of a progressive JPEG (2 bytes per pixel and component), capped
// at 1.5 GiB, which a JPEG within PIL's pixel limit never needs more than.
#include "core/image_decode.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <string>

#include <fmt/format.h>
#include <webp/decode.h>
#include <webp/demux.h>

#include "core/file_reader.h"
#include "core/fs.h"
#include "core/image_check.h"
#include "core/image_decode_formats.h"
#include "core/names.h"

namespace lv {
namespace decode {

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

namespace {

// WebP: Pillow's WebPAnimDecoder (libwebpdemux) reads the container whole (a file
// it cannot demux is refused), the first frame is decoded when loading.

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

}  // namespace

DecodeVerdict webp(std::string_view bytes) {
  DecodeVerdict v;
  const WebPData whole{reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()};
  struct Demux {
    void operator()(WebPDemuxer* d) const { WebPDemuxDelete(d); }
  };
  std::unique_ptr<WebPDemuxer, Demux> demux(WebPDemux(&whole));
  if (!demux) {
    v.problem = "WebP whose container libwebp cannot read (PIL: could not create decoder object)";
    return v;
  }
  const std::uint64_t canvas_w = WebPDemuxGetI(demux.get(), WEBP_FF_CANVAS_WIDTH);
  const std::uint64_t canvas_h = WebPDemuxGetI(demux.get(), WEBP_FF_CANVAS_HEIGHT);
  v.problem = pixel_check(canvas_w, canvas_h, v);
  if (!v.problem.empty()) return v;
  WebPIterator iter;
  if (!WebPDemuxGetFrame(demux.get(), 1, &iter)) {
    v.problem = "WebP without a frame";
    return v;
  }
  WebPDecoderConfig config;
  WebPInitDecoderConfig(&config);
  if (VP8StatusCode s = WebPGetFeatures(iter.fragment.bytes, iter.fragment.size, &config.input); s != VP8_STATUS_OK) {
    v.problem = fmt::format("WebP that libwebp cannot decode: {}", webp_status(s));
  } else {
    config.options.use_scaling = 1;
    config.options.scaled_width = std::max(1, config.input.width / 8);
    config.options.scaled_height = std::max(1, config.input.height / 8);
    config.output.colorspace = MODE_RGBA;
    if (VP8StatusCode d = WebPDecode(iter.fragment.bytes, iter.fragment.size, &config); d != VP8_STATUS_OK) {
      v.problem = fmt::format("WebP that libwebp cannot decode: {}", webp_status(d));
    }
    WebPFreeDecBuffer(&config.output);
  }
  WebPDemuxReleaseIterator(&iter);
  return v;
}


}  // namespace decode

DecodeVerdict image_decode_check_bytes(std::string_view bytes) {
  // The structure walk first: its reasons say where a file is damaged. For the
  // formats followed here Pillow's answer decides, in the walk's words when both
  // refuse: the walk is a few checks that Pillow's steps include, and where it
  // refuses a file Pillow loads (a rare walk mistake, docs/robustness.md), the
  // decoding level does not repeat it.
  StructureVerdict sv = image_structure_check_bytes(bytes, /*decoding=*/true);
  DecodeVerdict v;
  if (sv.format == "jpeg") {
    v = decode::jpeg(bytes);
  } else if (sv.format == "png") {
    v = decode::png(bytes);
  } else if (sv.format == "gif") {
    v = decode::gif(bytes);
  } else if (sv.format == "webp") {
    v = decode::webp(bytes);
  } else if (sv.format == "bmp") {
    v = decode::bmp(bytes);
  } else {
    v.problem = sv.problem;  // TIFF (walked), ICO, not an image: the walk's answer
  }
  if (!v.problem.empty() && !sv.problem.empty()) v.problem = std::move(sv.problem);
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
