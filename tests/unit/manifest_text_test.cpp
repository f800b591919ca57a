#include <doctest/doctest.h>

#include "core/manifest.h"

using namespace lv;

namespace {

const std::string kAbc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
const std::string kMd5 = "900150983cd24fb0d6963f7d28e17f72";

Manifest parse(std::string_view text, ParseOptions o = {}) { return parse_text_manifest(text, "SUMS", o); }

}  // namespace

TEST_CASE("untagged text and binary lines") {
  Manifest m = parse(kAbc + "  a.json\n" + kAbc + " *b c.jpg\n");
  REQUIRE(m.entries.size() == 2);
  CHECK(m.format == ManifestFormat::gnu);
  CHECK(m.entries[0].path == "a.json");
  CHECK(m.entries[0].line == 1);
  CHECK(m.entries[0].digests.front().algorithm == Algorithm::sha256);
  CHECK(m.entries[1].path == "b c.jpg");
  CHECK(m.entries[1].line == 2);
  CHECK(m.malformed.empty());
}

TEST_CASE("comments, blank lines, CRLF, upper case and leading blanks") {
  std::string upper = kAbc;
  for (char& c : upper) c = static_cast<char>(std::toupper(c));
  Manifest m = parse("# made by hand\n\n" + upper + "  x\r\n  \t" + kAbc + "  y\n");
  REQUIRE(m.entries.size() == 2);
  CHECK(m.entries[0].path == "x");
  CHECK(m.entries[0].digests.front().hex() == kAbc);
  CHECK(m.entries[0].line == 3);
  CHECK(m.entries[1].path == "y");
  CHECK(m.malformed.empty());
}

TEST_CASE("escaped names") {
  Manifest m = parse("\\" + kAbc + "  a\\nb\\\\c\\rd\n");
  REQUIRE(m.entries.size() == 1);
  CHECK(m.entries[0].path == "a\nb\\c\rd");
  Manifest unescaped = parse(kAbc + "  back\\slash\n");
  CHECK(unescaped.entries.at(0).path == "back\\slash");
}

TEST_CASE("the algorithm follows the digest length unless --algo says") {
  Manifest m = parse(kMd5 + "  a\n" + kAbc + "  b\n" + std::string(40, 'a') + "  c\n" + std::string(128, 'b') + "  d\n");
  REQUIRE(m.entries.size() == 4);
  CHECK(m.entries[0].digests.front().algorithm == Algorithm::md5);
  CHECK(m.entries[1].digests.front().algorithm == Algorithm::sha256);
  CHECK(m.entries[2].digests.front().algorithm == Algorithm::sha1);
  CHECK(m.entries[3].digests.front().algorithm == Algorithm::sha512);

  Manifest forced = parse(std::string(128, 'b') + "  d\n" + kAbc + "  e\n", ParseOptions{Algorithm::blake2b});
  REQUIRE(forced.entries.size() == 1);
  CHECK(forced.entries[0].digests.front().algorithm == Algorithm::blake2b);
  REQUIRE(forced.malformed.size() == 1);
  CHECK(forced.malformed[0].line == 2);
  CHECK(forced.malformed[0].reason == "expected 128 hex digits for BLAKE2b, found 64");
}

TEST_CASE("BSD tags, with escapes and several algorithms") {
  Manifest m = parse("SHA256 (a (1).jpg) = " + kAbc + "\nMD5 (b) = " + kMd5 + "\n\\SHA256 (n\\nl) = " + kAbc + "\n");
  REQUIRE(m.entries.size() == 3);
  CHECK(m.format == ManifestFormat::bsd);
  CHECK(m.entries[0].path == "a (1).jpg");
  CHECK(m.entries[1].digests.front().algorithm == Algorithm::md5);
  CHECK(m.entries[2].path == "n\nl");
  CHECK(m.main_algorithm == Algorithm::sha256);
}

TEST_CASE("malformed lines are counted with their line and reason") {
  Manifest m = parse("garbage\n" + kAbc + "\n" + kAbc.substr(1) + "  x\nSHA3-256 (x) = 00\nSHA256 (x) = 12\n" +
                     "SHA256 () = " + kAbc + "\n\\" + kAbc + "  bad\\q\n" + std::string("SHA256 x) = ") + kAbc + "\n");
  CHECK(m.entries.empty());
  REQUIRE(m.malformed.size() == 8);
  CHECK(m.malformed[0].line == 1);
  CHECK(m.malformed[0].reason == "not a checksum line");
  CHECK(m.malformed[1].reason == "digest not followed by white space");
  CHECK(m.malformed[2].reason == "a digest of 63 hex digits (expected 32, 40, 64 or 128)");
  CHECK(m.malformed[3].reason == "unsupported algorithm 'SHA3-256'");
  CHECK(m.malformed[4].reason == "expected 64 hex digits for SHA256");
  CHECK(m.malformed[5].reason == "empty file name");
  CHECK(m.malformed[6].reason == "invalid escape in file name");
  CHECK(m.malformed[7].line == 8);
  CHECK(m.malformed[7].reason == "not a checksum line");
}

TEST_CASE("a NUL byte makes the line malformed") {
  std::string text = kAbc + "  a" + std::string(1, '\0') + "b\n";
  Manifest m = parse(text);
  CHECK(m.entries.empty());
  REQUIRE(m.malformed.size() == 1);
  CHECK(m.malformed[0].reason == "NUL byte in line");
}

TEST_CASE("a last line without newline still counts") {
  Manifest m = parse(kAbc + "  a\n" + kAbc + "  b");
  CHECK(m.entries.size() == 2);
}

TEST_CASE("format detection by content, whatever the name") {
  auto json = parse_manifest("\xEF\xBB\xBF {\"files\": []}", "x.txt", {});
  REQUIRE(json.ok());
  CHECK(json->format == ManifestFormat::json);
  auto deep = parse_manifest("%%%% HASHDEEP-1.0\n%%%% size,sha256,filename\n3," + kAbc + ",a\n", "x.json", {});
  REQUIRE(deep.ok());
  CHECK(deep->format == ManifestFormat::hashdeep);
  auto text = parse_manifest(kAbc + "  a\n", "x.json", {});
  REQUIRE(text.ok());
  CHECK(text->format == ManifestFormat::gnu);
}

TEST_CASE("a million-line manifest parses") {
  std::string text;
  text.reserve(1000000 * 80);
  for (int i = 0; i < 1000000; ++i) {
    text += kAbc;
    text += "  images/GCC_train_";
    text += std::to_string(i);
    text += ".jpg\n";
  }
  Manifest m = parse(text);
  CHECK(m.entries.size() == 1000000);
  CHECK(m.entries.back().path == "images/GCC_train_999999.jpg");
}

TEST_CASE("one blank after the digest is the reversed form; a manifest keeps one form") {
  Manifest reversed = parse(kAbc + " a\n" + kAbc + "\tb\n" + kAbc + "  c\n");
  REQUIRE(reversed.entries.size() == 3);
  CHECK(reversed.entries[0].path == "a");
  CHECK(reversed.entries[1].path == "b");
  CHECK(reversed.entries[2].path == " c");  // as coreutils reads it
  Manifest standard = parse(kAbc + "  a\n" + kAbc + " b\n");
  REQUIRE(standard.entries.size() == 1);
  REQUIRE(standard.malformed.size() == 1);
  CHECK(standard.malformed[0].reason == "one blank after the digest where earlier lines have two");
}

TEST_CASE("a tag without a space before the parenthesis") {
  Manifest m = parse("SHA256(f) = " + kAbc + "\nBLAKE2b(g) = " + std::string(128, 'a') + "\n");
  REQUIRE(m.entries.size() == 2);
  CHECK(m.entries[0].path == "f");
  CHECK(m.entries[1].digests.front().algorithm == Algorithm::blake2b);
}

TEST_CASE("a large manifest parsed in two halves gives what one pass gives") {
  // Over 1 MB, so that the parser splits it; the separator form decided in the
  // first half must rule the second, and line numbers must continue.
  auto build = [](std::string_view second_half_line) {
    std::string text;
    for (int i = 0; i < 20000; ++i) text += kAbc + "  f" + std::to_string(i) + "\n";
    text += "garbage\n";
    for (int i = 0; i < 20000; ++i) text += std::string(second_half_line) + std::to_string(i) + "\n";
    return text;
  };
  std::string standard = build(kAbc + " one-blank-");  // one blank after two-blank lines: malformed
  REQUIRE(standard.size() > (1u << 20));
  Manifest m = parse(standard);
  CHECK(m.entries.size() == 20000);
  REQUIRE(m.malformed.size() == 20001);
  CHECK(m.malformed[0].line == 20001);
  CHECK(m.malformed[0].reason == "not a checksum line");
  CHECK(m.malformed[1].line == 20002);
  CHECK(m.malformed[1].reason == "one blank after the digest where earlier lines have two");
  CHECK(m.malformed.back().line == 40001);

  std::string reversed;
  for (int i = 0; i < 20000; ++i) reversed += kAbc + " r" + std::to_string(i) + "\n";
  for (int i = 0; i < 20000; ++i) reversed += kAbc + "  s" + std::to_string(i) + "\n";
  Manifest r = parse(reversed);
  REQUIRE(r.entries.size() == 40000);
  CHECK(r.entries[0].path == "r0");
  CHECK(r.entries[20000].path == " s0");  // read in the reversed form, as one pass does
  CHECK(r.entries[39999].line == 40000);
}
