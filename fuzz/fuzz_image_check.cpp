// Fuzzes the `--deep` structure walk (image_check.h) on hostile bytes: JPEG
// marker segments and scans, PNG chunks and zlib data, GIF blocks, WebP and
// BMP headers, and what is no image at all.
// Invariants:
// - it returns (no crash, no hang, no read out of bounds: ASan);
// - the walk over a file (a window moved with pread) and the walk over the
//   same bytes in memory give the same answer, word for word;
// - appending bytes to a whole JPEG, PNG or GIF never makes it damaged (PIL
//   ignores what follows the image), JPEGs that end in zero padding excepted;
// - the answer is one line of text.
#include <cstdint>
#include <string>

#include "core/image_check.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes = lv_fuzz::as_text(data, size);
  const std::string in_memory = lv::image_structure_problem_bytes(bytes);
  LV_FUZZ_CHECK(in_memory.find('\n') == std::string::npos, in_memory);
  lv_fuzz::MemFile file(bytes);
  if (!file.path().empty()) {
    const std::string from_file = lv::image_structure_problem(file.path());
    LV_FUZZ_CHECK(from_file == in_memory, from_file + " | " + in_memory);
  }
  const bool walked = bytes.starts_with("\xFF\xD8\xFF") || bytes.starts_with("\x89PNG\r\n\x1A\n") ||
                      bytes.starts_with("GIF87a") || bytes.starts_with("GIF89a");
  // (Not for a JPEG ending in zero bytes: a scan cut short and zero-filled is read as data,
  // and what is appended then continues that scan.)
  const bool zero_tail_jpeg = bytes.starts_with("\xFF\xD8\xFF") && bytes.back() == '\0';
  if (walked && in_memory.empty() && !zero_tail_jpeg) {
    const std::string longer = std::string(bytes) + std::string("\0\xFF\xD8 trailing", 11);
    LV_FUZZ_CHECK(lv::image_structure_problem_bytes(longer).empty(), lv::image_structure_problem_bytes(longer));
  }
  return 0;
}
