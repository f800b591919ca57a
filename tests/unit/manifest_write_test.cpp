#include "core/manifest_write.h"

#include <doctest/doctest.h>

#include "core/json_writer.h"
#include "core/manifest.h"

using namespace lv;

namespace {

std::vector<HashedFile> files() {
  return {
      {"a.json", 3, {digest_of(Algorithm::sha256, "abc"), digest_of(Algorithm::md5, "abc")}},
      {"n\nl\\x", 0, {digest_of(Algorithm::sha256, ""), digest_of(Algorithm::md5, "")}},
  };
}

const std::string kAbc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
const std::string kEmpty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

}  // namespace

TEST_CASE("sha256sum lines escape names like coreutils") {
  auto text = render_manifest(ManifestFormat::gnu, {Algorithm::sha256}, files());
  REQUIRE(text.ok());
  CHECK(text.value() == kAbc + "  a.json\n\\" + kEmpty + "  n\\nl\\\\x\n");
}

TEST_CASE("BSD tags, one line per algorithm") {
  auto text = render_manifest(ManifestFormat::bsd, {Algorithm::sha256, Algorithm::md5}, files());
  REQUIRE(text.ok());
  CHECK(text.value() ==
        "SHA256 (a.json) = " + kAbc + "\nMD5 (a.json) = 900150983cd24fb0d6963f7d28e17f72\n" +
            "\\SHA256 (n\\nl\\\\x) = " + kEmpty + "\n\\MD5 (n\\nl\\\\x) = d41d8cd98f00b204e9800998ecf8427e\n");
}

TEST_CASE("formats that cannot hold the request are errors") {
  auto two = render_manifest(ManifestFormat::gnu, {Algorithm::sha256, Algorithm::md5}, files());
  REQUIRE_FALSE(two.ok());
  CHECK(two.error().message ==
        "the sha256sum format holds one algorithm; use --format bsd, hashdeep or json for several");
  auto newline = render_manifest(ManifestFormat::hashdeep, {Algorithm::sha256}, files());
  REQUIRE_FALSE(newline.ok());
  CHECK(newline.error().message == "'n'$'\\n''l\\x': the hashdeep format cannot hold a name with a line break");
  auto sha512 = render_manifest(ManifestFormat::hashdeep, {Algorithm::sha512}, {});
  REQUIRE_FALSE(sha512.ok());
  CHECK(sha512.error().message == "the hashdeep format has no sha512 column");
}

TEST_CASE("every written format parses back to the same entries") {
  std::vector<HashedFile> plain = {files()[0], {"dir/b c,d.jpg", 0, files()[1].digests}, {"\xff.bin", 0, files()[1].digests}};
  for (auto format : {ManifestFormat::bsd, ManifestFormat::hashdeep, ManifestFormat::json}) {
    CAPTURE(format_name(format));
    auto text = render_manifest(format, {Algorithm::md5, Algorithm::sha256}, plain);
    REQUIRE(text.ok());
    auto parsed = parse_manifest(text.value(), "m", {});
    REQUIRE(parsed.ok());
    CHECK(parsed->format == format);
    CHECK(parsed->malformed.empty());
    if (format == ManifestFormat::bsd) continue;  // one entry per line and algorithm
    REQUIRE(parsed->entries.size() == plain.size());
    for (std::size_t i = 0; i < plain.size(); ++i) {
      CHECK(parsed->entries[i].path == plain[i].name);
      CHECK(parsed->entries[i].size == plain[i].size);
      REQUIRE(parsed->entries[i].digests.size() == 2);
      CHECK(parsed->entries[i].digests[0] == plain[i].digests[0]);  // sha256 first
      CHECK(parsed->entries[i].digests[1] == plain[i].digests[1]);
    }
  }
}

TEST_CASE("the JSON writer layout is fixed") {
  JsonWriter w;
  w.begin_object();
  w.key("a");
  w.value(std::uint64_t{1});
  w.key("list");
  w.begin_array();
  w.value("x\"y\n");
  w.null();
  w.end_array();
  w.key("empty");
  w.begin_object();
  w.end_object();
  w.path("path", "\xff");
  w.end_object();
  CHECK(w.finish() ==
        "{\n  \"a\": 1,\n  \"list\": [\n    \"x\\\"y\\n\",\n    null\n  ],\n  \"empty\": {},\n"
        "  \"path\": \"\\ufffd\",\n  \"path_hex\": \"ff\"\n}\n");
}
