#include "core/image_check.h"

#include <doctest/doctest.h>
#include <zlib.h>

#include <string>

#include "test_util.h"

using namespace lv;

namespace {

std::string be32(std::uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
}

// SOI, a frame header, a scan with `data` as its entropy-coded bytes, EOI.
std::string jpeg(const std::string& data) {
  std::string j = "\xFF\xD8";
  j += std::string("\xFF\xE0\x00\x06JFIF", 8);
  j += std::string("\xFF\xC0\x00\x0B\x08\x00\x01\x00\x01\x01\x01\x11\x00", 13);
  j += std::string("\xFF\xDA\x00\x08\x01\x01\x00\x00\x3F\x00", 10);
  j += data;
  j += "\xFF\xD9";
  return j;
}

std::string chunk(const std::string& type, const std::string& data) {
  std::string c = be32(static_cast<std::uint32_t>(data.size())) + type + data;
  const auto crc = static_cast<std::uint32_t>(crc32(crc32(0, nullptr, 0), reinterpret_cast<const Bytef*>(c.data() + 4), static_cast<uInt>(c.size() - 4)));
  return c + be32(crc);
}

std::string png() {
  const std::string raw("\x00\x10\x20\x30", 4);  // one row of a 1x1 RGB image
  uLongf n = compressBound(raw.size());
  std::string z(n, '\0');
  compress(reinterpret_cast<Bytef*>(z.data()), &n, reinterpret_cast<const Bytef*>(raw.data()), raw.size());
  z.resize(n);
  return std::string("\x89PNG\r\n\x1A\n", 8) + chunk("IHDR", be32(1) + be32(1) + std::string("\x08\x02\x00\x00\x00", 5)) +
         chunk("IDAT", z) + chunk("IEND", "");
}

std::string gif() {
  std::string g = "GIF89a";
  g += std::string("\x01\x00\x01\x00\x80\x00\x00", 7);     // 1x1, a global table of 2 colors
  g += std::string("\x00\x00\x00\xFF\xFF\xFF", 6);
  g += std::string("\x21\xF9\x04\x00\x00\x00\x00\x00", 8);  // graphic control extension
  g += std::string("\x2C\x00\x00\x00\x00\x01\x00\x01\x00\x00", 10);
  g += std::string("\x02\x02\x44\x01\x00", 5);              // LZW data, terminator
  g += ";";
  return g;
}

}  // namespace

TEST_CASE("JPEG: the marker walk and the scan to its end marker") {
  const std::string good = jpeg(std::string("\x12\x34\xFF\x00\x56\xFF\xD0\x78", 8));
  CHECK(image_structure_problem_bytes(good) == "");
  CHECK(image_structure_problem_bytes(good + std::string(100, '\0')) == "");   // zero padding after EOI: PIL loads it
  CHECK(image_structure_problem_bytes(good + std::string(100, '\xFF')) == "");  // 0xFF fill
  CHECK(image_structure_problem_bytes(good + "trailing garbage") == "");
  CHECK(image_structure_problem_bytes(good.substr(0, good.size() - 4)) ==
        "JPEG ends at byte 39 inside the scan that starts at byte 23 (truncated)");
  CHECK(image_structure_problem_bytes(good.substr(0, 20)) ==
        "JPEG ends at byte 20 inside segment 0xC0 at byte 10 (11 bytes long) (truncated)");
  std::string no_frame = good;
  no_frame.erase(10, 13);
  CHECK(image_structure_problem_bytes(no_frame) == "JPEG scan at byte 10 before any frame header");
  // Cut inside the scan, then zero-filled (a download into a preallocated file): PIL reads
  // the zeros as data and loads it; a short zero tail is still a truncation.
  CHECK(image_structure_problem_bytes(good.substr(0, good.size() - 4) + std::string(32, '\0')) == "");
  CHECK(image_structure_problem_bytes(good.substr(0, good.size() - 4) + std::string(8, '\0')) ==
        "JPEG ends at byte 47 inside the scan that starts at byte 23 (truncated)");
  // An APP0 whose length says 1: libjpeg skips only the length, and PIL loads the file.
  std::string short_app = good;
  short_app[5] = '\x01';
  CHECK(image_structure_problem_bytes(short_app) == "");
  std::string short_length = good;
  short_length[13] = '\x01';
  CHECK(image_structure_problem_bytes(short_length) == "JPEG segment 0xC0 at byte 10 has a length of 1");
}

TEST_CASE("PNG: chunks, CRCs before the image data, the zlib stream to its end") {
  const std::string good = png();
  CHECK(image_structure_problem_bytes(good) == "");
  // What follows the image data is not needed: PIL loads a PNG without IEND.
  CHECK(image_structure_problem_bytes(good.substr(0, good.size() - 12)) == "");
  std::string bad_crc = good;
  bad_crc[29] ^= 1;  // the IHDR CRC
  CHECK(image_structure_problem_bytes(bad_crc).starts_with("PNG chunk 'IHDR' at byte 8: CRC "));
  CHECK(image_structure_problem_bytes(good.substr(0, 45)) == "PNG ends at byte 45 inside chunk 'IDAT' at byte 33 (truncated)");
  CHECK(image_structure_problem_bytes(good.substr(0, 33)) == "PNG ends at byte 33 before its image data (truncated)");
  // Chunks before IHDR are read (PIL does); image data before it is not.
  const std::string ihdr = good.substr(8, 25), rest = good.substr(33);
  CHECK(image_structure_problem_bytes(good.substr(0, 8) + chunk("tEXt", std::string("a\0b", 3)) + ihdr + rest) == "");
  CHECK(image_structure_problem_bytes(good.substr(0, 8) + rest) == "PNG whose image data (IDAT at byte 8) come before its header (IHDR)");
}

TEST_CASE("GIF: blocks to the end of the first image; WebP and BMP sizes") {
  const std::string g = gif();
  CHECK(image_structure_problem_bytes(g) == "");
  CHECK(image_structure_problem_bytes(g.substr(0, g.size() - 1)) == "");  // no trailer: PIL loads it
  CHECK(image_structure_problem_bytes(g.substr(0, g.size() - 2)) == "");  // nor block terminator: PIL loads it too
  CHECK(image_structure_problem_bytes(g.substr(0, g.size() - 3)) ==
        "GIF ends at byte 40 inside the image data that starts at byte 27 (truncated)");
  std::string webp = std::string("RIFF") + std::string("\x1A\x00\x00\x00", 4) + "WEBP" + "VP8L" + std::string("\x0A\x00\x00\x00", 4) +
                     std::string(10, '\x2F') + std::string(4, '\0');
  CHECK(image_structure_problem_bytes(webp) == "");
  // A chunk name of control bytes is shown as '?': a reason is one line (found by the fuzzer).
  CHECK(image_structure_problem_bytes(std::string("RIFF\x0C\x00\x00\x00WEBPVP\n\n\x00\x00\x00\x00", 20)) ==
        "WebP whose first chunk is 'VP?" "?' (not VP8, VP8L or VP8X)");
  CHECK(image_structure_problem_bytes(webp.substr(0, 30)) == "WebP whose RIFF header says 34 bytes, the file has 30 (truncated)");
  std::string bmp = "BM" + std::string(8, '\0') + std::string("\x36\x00\x00\x00\x28\x00\x00\x00", 8) +
                    std::string("\x02\x00\x00\x00\x02\x00\x00\x00\x01\x00\x18\x00", 12) + std::string(24, '\0') + std::string(16, '\x7F');
  CHECK(image_structure_problem_bytes(bmp) == "");
  CHECK(image_structure_problem_bytes(bmp.substr(0, 60)) == "BMP of 2x2 at 24 bits needs 70 bytes, the file has 60 (truncated)");
}

TEST_CASE("what is not an image is named") {
  CHECK(image_structure_problem_bytes("<!DOCTYPE html><html><body>Not found</body></html>") == "an HTML page");
  CHECK(image_structure_problem_bytes("\n  <html>") == "an HTML page");
  CHECK(image_structure_problem_bytes("{\"error\": \"forbidden\"}") == "JSON text");
  CHECK(image_structure_problem_bytes("Access denied\n") == "text");
  CHECK(image_structure_problem_bytes(std::string("\x00\x01\x02\x03\x04", 5)) == "unknown format: first bytes 00 01 02 03");
  CHECK(image_structure_problem_bytes("") == "an empty file");
}

TEST_CASE("files: the same answers, and a window that moves over a large file") {
  test::TempDir dir;
  std::string big = jpeg(std::string(700 * 1024, '\x55'));
  dir.write("big.jpg", big);
  dir.write("cut.jpg", big.substr(0, 500 * 1024));
  CHECK(image_structure_problem(dir.path() + "/big.jpg") == "");
  CHECK(image_structure_problem(dir.path() + "/cut.jpg") == "JPEG ends at byte 512000 inside the scan that starts at byte 23 (truncated)");
  CHECK(image_structure_problem(dir.path() + "/absent.jpg") == "No such file or directory");
  CHECK(image_structure_problem(dir.path()) == "not a regular file");
}
