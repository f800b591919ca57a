// The per-format halves of --deep=decode (image_decode.h), for image_decode*.cpp
// only: each takes the whole file in memory, after the structure walk passed it
// (or left it undecided), and says whether PIL would load it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/image_decode.h"

namespace lv::decode {

// PIL's pixel limits: the problem above 178,956,970 pixels; above 89,478,485, sets
// v.warning and returns empty.
std::string pixel_check(std::uint64_t w, std::uint64_t h, DecodeVerdict& v);

DecodeVerdict jpeg(std::string_view bytes);  // image_decode_jpeg.cpp
DecodeVerdict png(std::string_view bytes);   // image_decode_png.cpp
DecodeVerdict gif(std::string_view bytes);   // image_decode.cpp
DecodeVerdict webp(std::string_view bytes);
DecodeVerdict bmp(std::string_view bytes);

}  // namespace lv::decode
