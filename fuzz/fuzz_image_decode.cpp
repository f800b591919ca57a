// Fuzzes `--deep=decode` (image_decode.h): libjpeg, libpng, giflib and libwebp
// behind their wrappers, on hostile bytes of each format.
// Invariants:
// - it returns (no crash, no hang, no read out of bounds in the wrappers: ASan;
//   no longjmp across C++ frames that own memory: LeakSanitizer);
// - the file and the same bytes in memory give the same verdict, word for word;
// - what the structure walk refuses (unless it leaves it to the decoder), the
//   decoder refuses with the same reason: decoding adds checks, never removes one;
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
  if (!s.problem.empty() && !s.undecided) LV_FUZZ_CHECK(v.problem == s.problem, v.problem + " | " + s.problem);
  lv_fuzz::MemFile file(bytes);
  if (!file.path().empty()) {
    const lv::DecodeVerdict f = lv::image_decode_check(file.path());
    LV_FUZZ_CHECK(f.problem == v.problem && f.warning == v.warning, f.problem + " | " + v.problem);
  }
  return 0;
}
