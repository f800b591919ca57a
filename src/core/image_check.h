// `--deep` at its default level: whether an image file's structure is whole,
// reading as little as needed and never decoding pixels. Each format is walked
// the way PIL reads it, so that an image PIL loads (`Image.open(p).convert('RGB')`,
// the LLaVA loader) is never called damaged:
//   JPEG  SOI, marker segments with their lengths, each scan's entropy-coded data
//         to the next marker, up to EOI; bytes after EOI are allowed (PIL ignores
//         them), stray bytes between segments are skipped as libjpeg does.
//   PNG   signature, IHDR before the image data, each chunk before the image data whole and with
//         its CRC (PIL checks those), the IDAT chunks whole and their zlib stream
//         complete; what follows the image data is not read (PIL does not need it).
//   GIF   header, logical screen, color tables, extension blocks and the first
//         image's sub-blocks to their terminator (PIL loads the first frame).
//   WebP  the RIFF size against the file size, a VP8 / VP8L / VP8X chunk that fits.
//   BMP   the header sizes and the pixel data against the file size.
// Anything else is named: "an HTML page", "JSON text", "text", "unknown format:
// first bytes 3c 21 44 4f".
#pragma once

#include <string>
#include <string_view>

namespace lv {

// Why the file at `path` is not a whole image; empty when it is. Memory is
// bounded (a 256 KiB window), whatever the file's size; a file that changes
// while it is read gives an answer, never a crash.
std::string image_structure_problem(const std::string& path);

// The same, saying whether the structure alone cannot decide: a JPEG whose data
// end inside a scan, with no end marker, loads in PIL when the scan holds every
// block (only the marker is lost) and fails when it is cut short; only decoding
// tells (image_decode.h). `problem` is then the truncation.
struct StructureVerdict {
  std::string problem;
  bool undecided = false;
  std::string_view format;  // what the first bytes announce (image_format_of)
};
StructureVerdict image_structure_check(const std::string& path);
// With `decoding`, a PNG's walk stops at its image data, which the decoder
// inflates next (the walk would inflate them too).
StructureVerdict image_structure_check_bytes(std::string_view bytes, bool decoding = false);

// The same for bytes in memory (tests, fuzzing).
std::string image_structure_problem_bytes(std::string_view bytes);

// The image format the first bytes of a file announce, as PIL tells formats
// apart: "jpeg", "png", "gif", "webp", "bmp", "tiff", "ico"; empty for others.
std::string_view image_format_of(std::string_view head);

}  // namespace lv
