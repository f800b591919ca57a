// The manifests shipped in manifests/: they parse, name each file of the
// release once, pin only well-formed values, and agree with their .sha256 twins.
#include <doctest/doctest.h>

#include <map>
#include <set>
#include <string>

#include "core/fs.h"
#include "core/manifest.h"

using namespace lv;

namespace {

const std::map<std::string, std::set<std::string>> kRelease = {
    {"llava-instruct-150k.json",
     {"llava_instruct_150k.json", "llava_instruct_80k.json", "conversation_58k.json", "detail_23k.json",
      "complex_reasoning_77k.json"}},
    {"llava-cc3m-pretrain-595k.json", {"chat.json", "metadata.json", "images.zip"}},
    {"llava-pretrain.json", {"blip_laion_cc_sbu_558k.json", "blip_laion_cc_sbu_558k_meta.json", "images.zip"}},
};

std::string path_of(const std::string& name) { return std::string(LV_SOURCE_DIR) + "/manifests/" + name; }

}  // namespace

TEST_CASE("each shipped manifest names each file of its repo once, with URLs at the pinned revision") {
  for (const auto& [name, files] : kRelease) {
    CAPTURE(name);
    auto m = load_manifest(path_of(name), ParseOptions{});
    REQUIRE(m.ok());
    CHECK(m->format == ManifestFormat::json);
    CHECK(m->malformed.empty());
    REQUIRE(m->source.has_value());
    CHECK(m->source->revision.size() == 40);
    std::set<std::string> seen;
    for (const auto& e : m->entries) {
      CHECK(seen.insert(e.path).second);
      CHECK(e.url == "https://huggingface.co/" + m->source->repository + "/resolve/" + m->source->revision + "/" + e.path);
      CHECK_FALSE(e.note.empty());  // where the values came from, or why there are none
      for (const auto& d : e.digests) CHECK(d.hex().size() == 64);
    }
    CHECK(seen == files);
  }
}

TEST_CASE("the .sha256 twins hold exactly the known hashes") {
  for (const auto& [name, files] : kRelease) {
    CAPTURE(name);
    auto m = load_manifest(path_of(name), ParseOptions{});
    REQUIRE(m.ok());
    std::map<std::string, std::string> known;
    for (const auto& e : m->entries) {
      if (!e.digests.empty()) known[e.path] = e.digests.front().hex();
    }
    const std::string twin = path_of(name.substr(0, name.size() - 5) + ".sha256");
    if (known.empty()) {
      CHECK_FALSE(read_file(twin).ok());
      continue;
    }
    auto sums = load_manifest(twin, ParseOptions{});
    REQUIRE(sums.ok());
    CHECK(sums->format == ManifestFormat::gnu);
    std::map<std::string, std::string> listed;
    for (const auto& e : sums->entries) listed[e.path] = e.digests.front().hex();
    CHECK(listed == known);
  }
}
