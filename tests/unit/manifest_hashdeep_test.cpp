#include <doctest/doctest.h>

#include "core/manifest.h"

using namespace lv;

namespace {
const std::string kSha = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
const std::string kMd5 = "900150983cd24fb0d6963f7d28e17f72";
}  // namespace

TEST_CASE("hashdeep rows with several digests and commas in names") {
  std::string text =
      "%%%% HASHDEEP-1.0\n"
      "%%%% size,md5,sha256,filename\n"
      "## Invoked from: /data\n"
      "## $ hashdeep -r .\n"
      "##\n"
      "3," + kMd5 + "," + kSha + ",./a,b.jpg\r\n";
  auto m = parse_hashdeep_manifest(text, "audit.txt");
  REQUIRE(m.ok());
  REQUIRE(m->entries.size() == 1);
  const auto& e = m->entries[0];
  CHECK(e.path == "./a,b.jpg");
  CHECK(e.size == 3u);
  CHECK(e.line == 6);
  REQUIRE(e.digests.size() == 2);
  CHECK(e.digests[0].algorithm == Algorithm::sha256);  // strongest first
  CHECK(e.digests[1].algorithm == Algorithm::md5);
}

TEST_CASE("hashdeep columns this tool does not compute are skipped") {
  std::string text = "%%%% HASHDEEP-1.0\n%%%% size,tiger,sha256,filename\n3,abc," + kSha + ",f\n";
  auto m = parse_hashdeep_manifest(text, "h");
  REQUIRE(m.ok());
  REQUIRE(m->entries.size() == 1);
  CHECK(m->entries[0].digests.size() == 1);
}

TEST_CASE("hashdeep malformed rows") {
  std::string text = "%%%% HASHDEEP-1.0\n%%%% size,sha256,filename\nx," + kSha + ",f\n3,zz,f\n3\n3," + kSha + ",\n";
  auto m = parse_hashdeep_manifest(text, "h");
  REQUIRE(m.ok());
  CHECK(m->entries.empty());
  REQUIRE(m->malformed.size() == 4);
  CHECK(m->malformed[0].line == 3);
  CHECK(m->malformed[0].reason == "size 'x' is not a decimal number");
  CHECK(m->malformed[1].reason == "expected 64 hex digits for sha256");
  CHECK(m->malformed[2].reason == "expected 3 comma-separated fields");
  CHECK(m->malformed[3].reason == "empty file name");
}

TEST_CASE("hashdeep structural errors name the line") {
  auto no_columns = parse_hashdeep_manifest("%%%% HASHDEEP-1.0\n3,abc,f\n", "h");
  REQUIRE_FALSE(no_columns.ok());
  CHECK(no_columns.error().message == "line 2: a row before the '%%%% size,...' column line");
  auto bad_columns = parse_hashdeep_manifest("%%%% HASHDEEP-1.0\n%%%% md5,filename\n", "h");
  REQUIRE_FALSE(bad_columns.ok());
  CHECK(bad_columns.error().message == "line 2: expected a column line 'size,<digests...>,filename'");
  auto whole = parse_manifest("%%%% HASHDEEP-1.0\n%%%% size,tiger,filename\n", "audit.txt", {});
  REQUIRE_FALSE(whole.ok());
  CHECK(whole.error().message ==
        "audit.txt: line 2: no supported digest column (md5, sha1, sha256)");
}
