// --deep=decode's verdicts, whole messages; PIL's own verdicts on a corpus are
// checked by tests/cli/compat_decode_pil.sh.
#include "core/image_decode.h"

#include <doctest/doctest.h>
#include <zlib.h>

#include <fmt/format.h>

#include <string>
#include <vector>

#include "core/image_check.h"

using namespace lv;

namespace {

// A whole 1x1 baseline JPEG (libjpeg decodes it; PIL loads it).
const std::string kJpeg(
    "\xff\xd8\xff\xe0\x00\x10\x4a\x46\x49\x46\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xdb\x00\x43\x00\x08\x06\x06"
    "\x07\x06\x05\x08\x07\x07\x07\x09\x09\x08\x0a\x0c\x14\x0d\x0c\x0b\x0b\x0c\x19\x12\x13\x0f\x14\x1d\x1a\x1f\x1e\x1d"
    "\x1a\x1c\x1c\x20\x24\x2e\x27\x20\x22\x2c\x23\x1c\x1c\x28\x37\x29\x2c\x30\x31\x34\x34\x34\x1f\x27\x39\x3d\x38\x32"
    "\x3c\x2e\x33\x34\x32\xff\xc0\x00\x0b\x08\x00\x01\x00\x01\x01\x01\x11\x00\xff\xc4\x00\x1f\x00\x00\x01\x05\x01\x01"
    "\x01\x01\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\xff\xc4\x00\xb5\x10"
    "\x00\x02\x01\x03\x03\x02\x04\x03\x05\x05\x04\x04\x00\x00\x01\x7d\x01\x02\x03\x00\x04\x11\x05\x12\x21\x31\x41\x06"
    "\x13\x51\x61\x07\x22\x71\x14\x32\x81\x91\xa1\x08\x23\x42\xb1\xc1\x15\x52\xd1\xf0\x24\x33\x62\x72\x82\x09\x0a\x16"
    "\x17\x18\x19\x1a\x25\x26\x27\x28\x29\x2a\x34\x35\x36\x37\x38\x39\x3a\x43\x44\x45\x46\x47\x48\x49\x4a\x53\x54\x55"
    "\x56\x57\x58\x59\x5a\x63\x64\x65\x66\x67\x68\x69\x6a\x73\x74\x75\x76\x77\x78\x79\x7a\x83\x84\x85\x86\x87\x88\x89"
    "\x8a\x92\x93\x94\x95\x96\x97\x98\x99\x9a\xa2\xa3\xa4\xa5\xa6\xa7\xa8\xa9\xaa\xb2\xb3\xb4\xb5\xb6\xb7\xb8\xb9\xba"
    "\xc2\xc3\xc4\xc5\xc6\xc7\xc8\xc9\xca\xd2\xd3\xd4\xd5\xd6\xd7\xd8\xd9\xda\xe1\xe2\xe3\xe4\xe5\xe6\xe7\xe8\xe9\xea"
    "\xf1\xf2\xf3\xf4\xf5\xf6\xf7\xf8\xf9\xfa\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00\xd2\xcf\x20\xff\xd9",
    333);

std::string be32(std::uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
}

std::string chunk(const std::string& type, const std::string& data) {
  std::string c = be32(static_cast<std::uint32_t>(data.size())) + type + data;
  const auto crc = static_cast<std::uint32_t>(
      crc32(crc32(0, nullptr, 0), reinterpret_cast<const Bytef*>(c.data() + 4), static_cast<uInt>(c.size() - 4)));
  return c + be32(crc);
}

// A PNG of w x h at `depth` bits, color type `type`, every row `row` (filter byte included).
std::string png(std::uint32_t w, std::uint32_t h, char depth, char type, const std::string& row) {
  std::string raw;
  raw.reserve(row.size() * h);
  for (std::uint32_t y = 0; y < h; ++y) raw += row;
  uLongf n = compressBound(raw.size());
  std::string z(n, '\0');
  compress2(reinterpret_cast<Bytef*>(z.data()), &n, reinterpret_cast<const Bytef*>(raw.data()), raw.size(), 9);
  z.resize(n);
  return std::string("\x89PNG\r\n\x1A\n", 8) + chunk("IHDR", be32(w) + be32(h) + depth + type + std::string(3, '\0')) +
         chunk("IDAT", z) + chunk("IEND", "");
}

std::string rgb_png() { return png(2, 2, 8, 2, std::string("\x00\x10\x20\x30\x40\x50\x60", 7)); }

}  // namespace

TEST_CASE("decode: whole images load") {
  CHECK(image_decode_check_bytes(kJpeg).problem == "");
  CHECK(image_decode_check_bytes(kJpeg + std::string(64, '\0')).problem == "");  // padding after the end marker
  CHECK(image_decode_check_bytes(rgb_png()).problem == "");
  std::string gif = "GIF89a";
  gif += std::string("\x01\x00\x01\x00\x80\x00\x00", 7);     // 1x1, a global table of 2 colors
  gif += std::string("\x00\x00\x00\xFF\xFF\xFF", 6);
  gif += std::string("\x2C\x00\x00\x00\x00\x01\x00\x01\x00\x00", 10);
  gif += std::string("\x02\x02\x44\x01\x00", 5);              // LZW data, terminator
  gif += ";";
  CHECK(image_decode_check_bytes(gif).problem == "");
}

TEST_CASE("decode: a JPEG whose data end before the last row is truncated") {
  // Even with only FF D9 missing: libjpeg's bit reader wants the bytes after this tiny
  // scan's one block, and PIL says "image file is truncated (3 bytes not processed)".
  CHECK(image_decode_check_bytes(kJpeg.substr(0, kJpeg.size() - 2)).problem ==
        "JPEG ends at byte 331 inside the scan that starts at byte 318 (truncated)");
  // Cut inside the entropy-coded data.
  CHECK(image_decode_check_bytes(kJpeg.substr(0, kJpeg.size() - 4)).problem ==
        "JPEG ends at byte 329 inside the scan that starts at byte 318 (truncated)");
}

TEST_CASE("decode: PIL's pixel limits, decided from the header") {
  std::string big = kJpeg;
  const std::size_t sof = big.find("\xFF\xC0");
  REQUIRE(sof != std::string::npos);
  big[sof + 5] = static_cast<char>(10000 >> 8);  // height 10000
  big[sof + 6] = static_cast<char>(10000 & 0xFF);
  big[sof + 7] = static_cast<char>(20000 >> 8);  // width 20000
  big[sof + 8] = static_cast<char>(20000 & 0xFF);
  CHECK(image_decode_check_bytes(big).problem == "above PIL's limit: 20000 x 10000 = 200,000,000 pixels (178,956,970 at most)");

  // 9,500 x 9,500 one-bit pixels: PIL loads it, and warns.
  const std::string row = std::string(1, '\0') + std::string((9500 + 7) / 8, '\xFF');
  const DecodeVerdict v = image_decode_check_bytes(png(9500, 9500, 1, 0, row));
  CHECK(v.problem == "");
  CHECK(v.warning == "9500 x 9500 = 90,250,000 pixels: PIL warns above 89,478,485 (DecompressionBombWarning)");
  CHECK(image_decode_check_bytes(png(20000, 10000, 1, 0, std::string(1, '\0'))).problem ==
        "above PIL's limit: 20000 x 10000 = 200,000,000 pixels (178,956,970 at most)");
}

TEST_CASE("decode: PNG data that end early, or a bad filter, fail; what follows the last row is not read") {
  const std::string whole = rgb_png();
  const std::size_t iend = whole.find("IEND") - 4;
  CHECK(image_decode_check_bytes(whole.substr(0, iend)).problem == "");  // no IEND: PIL stops after the rows
  const std::string cut = png(64, 64, 8, 2, std::string(1, '\0') + std::string(192, '\x55'));
  const std::size_t idat = cut.find("IDAT");
  CHECK(image_decode_check_bytes(cut.substr(0, idat + 10)).problem.rfind("PNG", 0) == 0);
  CHECK(image_decode_check_bytes(png(2, 2, 8, 2, std::string("\x09\x10\x20\x30\x40\x50\x60", 7))).problem ==
        "PNG image data damaged: row 0 has filter type 9 (0 to 4)");
}

namespace {

std::string zlib_of(const std::string& raw) {
  uLongf n = compressBound(raw.size());
  std::string z(n, '\0');
  compress2(reinterpret_cast<Bytef*>(z.data()), &n, reinterpret_cast<const Bytef*>(raw.data()), raw.size(), 9);
  z.resize(n);
  return z;
}

const std::string kSignature("\x89PNG\r\n\x1A\n", 8);

// An 8-bit RGB PNG of w x h: IHDR (compression method `method`), `before`, the IDAT
// chunks `idats`, `after`, IEND.
std::string png_of(std::uint32_t w, std::uint32_t h, const std::vector<std::string>& idats, const std::string& before = "",
                   const std::string& after = "", char method = 0) {
  std::string out = kSignature + chunk("IHDR", be32(w) + be32(h) + std::string("\x08\x02", 2) + method + std::string(2, '\0'));
  out += before;
  for (const std::string& z : idats) out += chunk("IDAT", z);
  return out + after + chunk("IEND", "");
}

// `rows` rows of a 4-pixel-wide RGB image, filter byte 0.
std::string rgb_rows(int rows) {
  std::string raw;
  for (int y = 0; y < rows; ++y) raw += std::string(1, '\0') + std::string(12, static_cast<char>(0x20 + y));
  return raw;
}

// A 1x1 GIF with a global table of two colors; `ext` before the image, `lzw` its data.
std::string gif_of(const std::string& ext, std::uint16_t w = 1, const std::string& lzw = std::string("\x02\x44\x01", 3)) {
  std::string g = "GIF89a";
  g += std::string(1, static_cast<char>(w)) + std::string("\x00\x01\x00\x80\x00\x00", 6) + std::string("\x00\x00\x00\xFF\xFF\xFF", 6);
  g += ext;
  g += std::string("\x2C\x00\x00\x00\x00", 5) + std::string(1, static_cast<char>(w)) + std::string("\x00\x01\x00\x00", 4);
  return g + "\x02" + lzw + std::string("\x00;", 2);
}

// A 2x2 24-bit BMP (rows of 6 bytes and 2 of padding), compression `compression`.
std::string bmp_of(std::uint32_t compression = 0) {
  const std::string rows = std::string("\x01\x02\x03\x04\x05\x06\x00\x00", 8) + std::string("\x01\x02\x03\x04\x05\x06\x00\x00", 8);
  auto le = [](std::uint32_t v, int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s += static_cast<char>(v >> (8 * i));
    return s;
  };
  return "BM" + le(70, 4) + le(0, 4) + le(54, 4) + le(40, 4) + le(2, 4) + le(2, 4) + le(1, 2) + le(24, 2) + le(compression, 4) +
         le(16, 4) + le(2835, 4) + le(2835, 4) + le(0, 4) + le(0, 4) + rows;
}

// A 2x2 lossless WebP written by Pillow 9.4.
const std::string kWebp(
    "\x52\x49\x46\x46\x1e\x00\x00\x00\x57\x45\x42\x50\x56\x50\x38\x4c\x11\x00\x00\x00\x2f\x01\x40\x00\x00\x07\x50\xe4"
    "\x2a\xd4\xa3\xff\x81\x88\xe8\x7f\x00\x00",
    38);

}  // namespace

TEST_CASE("decode: PNG image data as Pillow's ZipDecode reads them") {
  const std::string z = zlib_of(rgb_rows(4));
  CHECK(image_decode_check_bytes(png_of(4, 4, {z})).problem == "");
  // The zlib stream ends on a row boundary before the last row: Pillow stops there and loads it.
  CHECK(image_decode_check_bytes(png_of(4, 4, {zlib_of(rgb_rows(2))})).problem == "");
  // ... in the middle of a row, it does not.
  const std::string mid_row = png_of(4, 4, {zlib_of(rgb_rows(2) + std::string("\x00\x01", 2))});
  CHECK(image_decode_check_bytes(mid_row).problem ==
        fmt::format("PNG image data end before the image does (chunk 'IEND' at byte {})", mid_row.find("IEND") - 4));
  // A bad Adler-32 fails when the read that completes the last row holds it, not after.
  std::string bad = z;
  bad.back() = static_cast<char>(bad.back() ^ 1);
  CHECK(image_decode_check_bytes(png_of(4, 4, {bad})).problem == "PNG image data damaged in row 3 (zlib: incorrect data check)");
  CHECK(image_decode_check_bytes(png_of(4, 4, {bad.substr(0, bad.size() - 4), bad.substr(bad.size() - 4)})).problem == "");
  // IHDR's compression method is not read; an unknown critical chunk is skipped.
  CHECK(image_decode_check_bytes(png_of(4, 4, {z}, "", "", 1)).problem == "");
  CHECK(image_decode_check_bytes(png_of(4, 4, {z}, chunk("ABCD", "private"))).problem == "");
}

TEST_CASE("decode: PNG chunks as Pillow's handlers read them, before and after the image data") {
  const std::string z = zlib_of(rgb_rows(4));
  CHECK(image_decode_check_bytes(png_of(4, 4, {z}, chunk("pHYs", std::string(4, '\0')))).problem ==
        "PNG pHYs chunk at byte 33 of 4 bytes (too short)");
  CHECK(image_decode_check_bytes(png_of(4, 4, {z}, chunk("zTXt", std::string("k\0\0", 3) + zlib_of(std::string(2 << 20, 'a')))))
            .problem == "PNG zTXt chunk at byte 33 decompresses to more than 1 MiB (PIL: Decompressed Data Too Large)");
  // After the image data: no CRCs, but a chunk cut short or a handler's check fails.
  std::string text = chunk("tEXt", std::string("Comment\0after", 13));
  text[text.size() - 1] = static_cast<char>(text.back() ^ 1);
  const std::string with_text = png_of(4, 4, {z}, "", text);
  CHECK(image_decode_check_bytes(with_text).problem == "");
  const std::size_t at = with_text.find("tEXt") - 4;
  CHECK(image_decode_check_bytes(with_text.substr(0, at + 12)).problem ==
        fmt::format("PNG ends at byte {} inside chunk 'tEXt' at byte {} (13 bytes long), after its image data (truncated)", at + 12, at));
  CHECK(image_decode_check_bytes(with_text.substr(0, at + 6)).problem == "");  // a chunk header cut short ends the walk
  CHECK(image_decode_check_bytes(png_of(4, 4, {z}, "", chunk("pHYs", std::string(4, '\0')))).problem ==
        fmt::format("PNG pHYs chunk at byte {} of 4 bytes (too short)", at));
  // The palette: 256 entries (770 bytes pass, 771 do not).
  const std::string pal_ihdr = kSignature + chunk("IHDR", be32(4) + be32(1) + std::string("\x08\x03\x00\x00\x00", 5));
  const std::string pal_rows = zlib_of(std::string(5, '\0'));
  CHECK(image_decode_check_bytes(pal_ihdr + chunk("PLTE", std::string(770, '\x11')) + chunk("IDAT", pal_rows) + chunk("IEND", ""))
            .problem == "");
  CHECK(image_decode_check_bytes(pal_ihdr + chunk("PLTE", std::string(771, '\x11')) + chunk("IDAT", pal_rows) + chunk("IEND", ""))
            .problem == "PNG palette of 771 bytes (PIL: invalid palette size, 768 at most)");
}

TEST_CASE("decode: GIF as Pillow's reader and LZW decoder take it") {
  CHECK(image_decode_check_bytes(gif_of("")).problem == "");
  // A graphic control extension needs its flags and delay (and its index when transparent).
  CHECK(image_decode_check_bytes(gif_of(std::string("\x21\xF9\x04\x00\x0A\x00\x00\x00", 8))).problem == "");
  CHECK(image_decode_check_bytes(gif_of(std::string("\x21\xF9\x02\x00\x0A\x00", 6))).problem ==
        "GIF graphic control extension at byte 19 of 2 bytes (too short)");
  // NETSCAPE2.0 without its loop block; an application extension without data.
  CHECK(image_decode_check_bytes(gif_of(std::string("\x21\xFF\x0BNETSCAPE2.0\x00", 15))).problem ==
        "GIF NETSCAPE2.0 extension at byte 19 without its loop block");
  CHECK(image_decode_check_bytes(gif_of(std::string("\x21\xFF\x00", 3))).problem == "GIF application extension at byte 19 without data");
  // Codes clear, 0, then 7 where the next free code is 6: Pillow's "broken data stream".
  CHECK(image_decode_check_bytes(gif_of("", 2, std::string("\x02\xC4\x01", 3))).problem ==
        "GIF image data damaged (LZW codes PIL cannot decode) in the image that starts at byte 19");
}

TEST_CASE("decode: JPEG markers as Pillow's reader takes them") {
  const std::size_t dqt = kJpeg.find("\xFF\xDB");
  REQUIRE(dqt != std::string::npos);
  // FF 01 (TEM) before the frame: libjpeg skips it, Pillow's marker reader does not.
  CHECK(image_decode_check_bytes(kJpeg.substr(0, dqt) + std::string("\xFF\x01", 2) + kJpeg.substr(dqt)).problem ==
        "JPEG with an invalid marker FF 01 at byte 20 (PIL: no marker found)");
  // An end marker and a new start before the tables: a tables-only stream, then the image.
  CHECK(image_decode_check_bytes(kJpeg.substr(0, dqt) + std::string("\xFF\xD9\xFF\xD8", 4) + kJpeg.substr(dqt)).problem == "");
  std::string twelve = kJpeg;
  twelve[kJpeg.find("\xFF\xC0") + 4] = 12;
  CHECK(image_decode_check_bytes(twelve).problem == "JPEG of 12-bit samples (PIL reads 8)");
}

TEST_CASE("decode: BMP as Pillow's reader takes it") {
  CHECK(image_decode_check_bytes(bmp_of()).problem == "");
  CHECK(image_decode_check_bytes(bmp_of().substr(0, 68)).problem == "");  // the last row's padding is not read
  // Both refuse it: in the structure walk's words.
  CHECK(image_decode_check_bytes(bmp_of().substr(0, 67)).problem == "BMP of 2x2 at 24 bits needs 70 bytes, the file has 67 (truncated)");
  CHECK(image_decode_check_bytes(bmp_of(4)).problem == "BMP of compression 4 (PIL reads none, RLE8, RLE4 and bit fields)");
  CHECK(image_decode_check_bytes(bmp_of(3)).problem == "BMP whose bit fields PIL does not read (Unsupported BMP bitfields layout)");
}

TEST_CASE("decode: WebP as Pillow's WebPAnimDecoder takes it") {
  CHECK(image_decode_check_bytes(kWebp).problem == "");
  // One byte more, in the RIFF size too: the demuxer wants chunks there.
  std::string odd = kWebp + std::string(1, '\0');
  odd[4] = static_cast<char>(odd[4] + 1);
  CHECK(image_decode_check_bytes(odd).problem == "WebP whose container libwebp cannot read (PIL: could not create decoder object)");
}

TEST_CASE("decode: what the structure walk refuses is refused with its reason") {
  CHECK(image_decode_check_bytes("<!DOCTYPE html><html>").problem == image_structure_problem_bytes("<!DOCTYPE html><html>"));
  CHECK(image_decode_check_bytes("").problem == "an empty file");
}

TEST_CASE("decode: hostile bytes give an answer, never a crash") {
  std::string s = kJpeg;
  for (std::size_t i = 2; i < s.size(); i += 7) {
    std::string t = s;
    t[i] = static_cast<char>(t[i] ^ 0x5A);
    (void)image_decode_check_bytes(t);
    (void)image_decode_check_bytes(t.substr(0, i));
  }
  const std::string p = rgb_png();
  for (std::size_t i = 8; i < p.size(); ++i) (void)image_decode_check_bytes(p.substr(0, i));
  CHECK(true);  // reaching here, under ASan in CI, is the assertion
}

TEST_CASE("decode: a file that cannot be read says why") {
  CHECK(image_decode_check("/nonexistent/x.jpg").problem == "No such file or directory");
  CHECK(image_decode_check("/").problem == "not a regular file");
}
