// `--deep=decode`: whether PIL would load an image (`Image.open(p).convert('RGB')`,
// the LLaVA loader), decided by decoding it with the formats' own libraries
// (libjpeg-turbo, libpng, giflib, libwebp) configured to be as strict and as
// lenient as Pillow is. Decoding is done in bounded memory per call, whatever
// the image's dimensions; no libjpeg/libpng error longjmps across C++ frames that
// hold resources, and nothing calls exit.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace lv {

// PIL's decompression-bomb limits (Image.MAX_IMAGE_PIXELS and twice it).
inline constexpr std::uint64_t kPilWarnPixels = 89'478'485;
inline constexpr std::uint64_t kPilMaxPixels = 2 * kPilWarnPixels;  // 178,956,970

struct DecodeVerdict {
  // Why PIL would not load the image, one line ("a truncated JPEG: the data
  // ends inside the scan", "above PIL's limit: 20000 x 20000 = 400,000,000
  // pixels (178,956,970 at most)"); empty when it would.
  std::string problem;
  // What PIL would warn about while loading it (the image loads): above
  // 89,478,485 pixels. Empty otherwise.
  std::string warning;
  // The format the content is in ("jpeg", "png", ...: image_format_of), empty when none.
  std::string_view format;
};

// Decodes the file at `path` (its content decides the format, as in PIL).
DecodeVerdict image_decode_check(const std::string& path);

// The same for bytes in memory (tests, fuzzing).
DecodeVerdict image_decode_check_bytes(std::string_view bytes);

}  // namespace lv
