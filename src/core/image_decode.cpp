// --deep=decode: each format decoded with its own library, configured the way
// Pillow (Debian python3-pil, which links the same libjpeg-turbo, zlib and libwebp)
// reads it; JPEG in image_decode_jpeg.cpp, PNG in image_decode_png.cpp, here:
//   GIF   giflib, the first image's rows (PIL's convert loads the first frame).
//   WebP  libwebp, the first frame (libwebpdemux for animations), scaled down while
//         decoding so that memory does not follow the canvas.
//   BMP   the sizes from the header (the structure walk checked the rest).
// Memory per call: the file, one row (PNG, GIF), a 1/8-scale output (JPEG, WebP),
// at most 32 MiB of inflated PNG rows, and libjpeg's own buffers (capped).
#include "core/image_decode.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include <fmt/format.h>
#include <gif_lib.h>
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

}  // namespace

DecodeVerdict gif(std::string_view bytes) {
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

namespace {

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
DecodeVerdict bmp(std::string_view bytes) {
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


}  // namespace decode

DecodeVerdict image_decode_check_bytes(std::string_view bytes) {
  // The structure walk first: it says what PIL's own parsers refuse before any
  // decoder runs, and never refuses what PIL loads, but for one case it leaves
  // to the decoder (a JPEG scan cut off with no end marker).
  StructureVerdict sv = image_structure_check_bytes(bytes, /*decoding=*/true);
  DecodeVerdict v;
  if (!sv.problem.empty() && !sv.undecided) {
    v.problem = std::move(sv.problem);
  } else if (sv.format == "jpeg") {
    v = decode::jpeg(bytes);
  } else if (sv.format == "png") {
    v = decode::png(bytes);
  } else if (sv.format == "gif") {
    v = decode::gif(bytes);
  } else if (sv.format == "webp") {
    v = decode::webp(bytes);
  } else if (sv.format == "bmp") {
    v = decode::bmp(bytes);
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
