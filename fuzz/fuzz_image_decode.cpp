// Fuzzes `--deep=decode` (image_decode.h): Pillow's steps for JPEG (marker reader,
// libjpeg through a suspending source), PNG (chunk handlers, zlib row by row),
// GIF (block reader, Pillow's LZW decoder), WebP (libwebpdemux, libwebp) and BMP
// (header, rows, run-length data), on hostile bytes of each format.
// Invariants:
// - it returns (no crash, no hang, no read out of bounds: ASan; no longjmp across
//   C++ frames that own memory: LeakSanitizer);
// - the file and the same bytes in memory give the same verdict, word for word;
// - when the structure walk refuses the file too, the reason is the walk's;
// - bytes appended to a GIF that loads never make it refused (Pillow's decoder
//   stops at the image's last pixel);
// - the problem and the warning are one line each.
#include <cstdint>
#include <string>

#include "core/image_check.h"
#include "core/image_decode.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes = lv_fuzz::as_text(data, size);
  const lv::DecodeVerdict v = lv::image_decode_check_bytes(bytes);
  LV_FUZZ_CHECK(v.problem.find('\n') == std::string::npos, v.problem);
  LV_FUZZ_CHECK(v.warning.find('\n') == std::string::npos, v.warning);
  const lv::StructureVerdict s = lv::image_structure_check_bytes(bytes, /*decoding=*/true);
  if (!s.problem.empty() && !v.problem.empty()) LV_FUZZ_CHECK(v.problem == s.problem, v.problem + " | " + s.problem);
  const bool gif = bytes.starts_with("GIF87a") || bytes.starts_with("GIF89a");
  if (v.problem.empty() && gif) {
    const std::string longer = std::string(bytes) + std::string("\0\xFF\xD8 trailing", 11);
    LV_FUZZ_CHECK(lv::image_decode_check_bytes(longer).problem.empty(), lv::image_decode_check_bytes(longer).problem);
  }
  lv_fuzz::MemFile file(bytes);
  if (!file.path().empty()) {
    const lv::DecodeVerdict f = lv::image_decode_check(file.path());
    LV_FUZZ_CHECK(f.problem == v.problem && f.warning == v.warning, f.problem + " | " + v.problem);
  }
  return 0;
}
