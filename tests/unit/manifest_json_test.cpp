#include <doctest/doctest.h>

#include "core/manifest.h"

using namespace lv;

namespace {
const std::string kSha = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
}

TEST_CASE("a JSON manifest with source, unknown values and notes") {
  std::string text = R"({
  "format": "llava-verify-manifest/1",
  "source": {"repository": "datasets/liuhaotian/LLaVA-Instruct-150K", "revision": "9923e2a6"},
  "files": [
    {"path": "llava_instruct_150k.json", "size": 228941895, "sha256": ")" + kSha + R"(", "url": "https://x/y"},
    {"path": "detail_23k.json", "size": null, "sha256": ")" + kSha + R"(", "note": "size unknown"},
    {"path": "chat.json", "size": 12, "sha256": null},
    {"path_hex": "ff41", "sha256": "unknown"}
  ]
})";
  auto m = parse_json_manifest(text, "m.json");
  REQUIRE(m.ok());
  CHECK(m->format == ManifestFormat::json);
  REQUIRE(m->source.has_value());
  CHECK(m->source->repository == "datasets/liuhaotian/LLaVA-Instruct-150K");
  CHECK(m->source->revision == "9923e2a6");
  REQUIRE(m->entries.size() == 4);
  CHECK(m->entries[0].size == 228941895u);
  CHECK(m->entries[0].url == "https://x/y");
  CHECK(m->entries[0].line == 5);
  CHECK_FALSE(m->entries[1].size.has_value());
  CHECK(m->entries[1].note == "size unknown");
  CHECK(m->entries[2].digests.empty());
  CHECK(m->entries[2].size == 12u);
  CHECK(m->entries[3].path == "\xff" "A");
  CHECK(m->entries[3].digests.empty());
  CHECK(m->malformed.empty());
}

TEST_CASE("bad JSON entries are malformed, with line and index") {
  std::string text = "{\"files\": [\n"
                     "  {\"size\": 3},\n"
                     "  {\"path\": \"a\", \"size\": -1},\n"
                     "  {\"path\": \"b\", \"sha256\": \"abc\"},\n"
                     "  \"c\",\n"
                     "  {\"path\": \"d\", \"md5\": 5},\n"
                     "  {\"path\": \"ok\"}\n"
                     "]}";
  auto m = parse_json_manifest(text, "m.json");
  REQUIRE(m.ok());
  REQUIRE(m->entries.size() == 1);
  CHECK(m->entries[0].path == "ok");
  REQUIRE(m->malformed.size() == 5);
  CHECK(m->malformed[0].line == 2);
  CHECK(m->malformed[0].reason == "files[0]: an entry needs a 'path'");
  CHECK(m->malformed[1].line == 3);
  CHECK(m->malformed[1].reason == "files[1]: 'size' must be a non-negative integer or null");
  CHECK(m->malformed[2].reason == "files[2]: 'sha256' must be 64 hex digits, found 'abc'");
  CHECK(m->malformed[3].reason == "files[3]: an entry must be an object");
  CHECK(m->malformed[4].line == 6);
  CHECK(m->malformed[4].reason == "files[4]: 'md5' must be a string of 32 hex digits or null");
}

TEST_CASE("JSON documents that cannot be read are errors with context") {
  auto truncated = parse_manifest("{\"files\": [\n {\"path\": \"a\"},\n {\"path\": ", "m.json", {});
  REQUIRE_FALSE(truncated.ok());
  CHECK(truncated.error().message ==
        "m.json: line 3: invalid JSON: the document ends inside an object or array (truncated?)");

  auto not_object = parse_json_manifest("[1, 2]", "m.json");
  REQUIRE_FALSE(not_object.ok());
  CHECK(not_object.error().message == "the top level must be an object with a 'files' array");

  auto no_files = parse_json_manifest("{\"source\": {}}", "m.json");
  REQUIRE_FALSE(no_files.ok());
  CHECK(no_files.error().message == "no 'files' array");

  auto future = parse_json_manifest("{\"format\": \"llava-verify-manifest/2\", \"files\": []}", "m.json");
  REQUIRE_FALSE(future.ok());
  CHECK(future.error().message ==
        "unsupported manifest format 'llava-verify-manifest/2' (this version reads llava-verify-manifest/1)");

  auto trailing = parse_json_manifest("{\"files\": []}\n{}", "m.json");
  REQUIRE_FALSE(trailing.ok());
  CHECK(trailing.error().message == "line 2: invalid JSON: content after the top-level object");
}
