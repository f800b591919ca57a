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
    {"llava-prompts.json",
     {"complex_reasoning/000_caps.txt", "complex_reasoning/000_conv.txt", "complex_reasoning/001_caps.txt",
      "complex_reasoning/001_conv.txt", "complex_reasoning/002_caps.txt", "complex_reasoning/002_conv.txt",
      "complex_reasoning/system_message.txt", "conversation/000_caps.txt", "conversation/000_conv.txt",
      "conversation/001_caps.txt", "conversation/001_conv.txt", "conversation/system_message.txt",
      "detail_description/000_caps.txt", "detail_description/000_conv.txt", "detail_description/001_caps.txt",
      "detail_description/001_conv.txt", "detail_description/002_caps.txt", "detail_description/002_conv.txt",
      "detail_description/system_message.txt"}},
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
      if (name == "llava-prompts.json") {
        CHECK(e.url == "https://raw.githubusercontent.com/haotian-liu/LLaVA/" + m->source->revision +
                           "/playground/data/prompts/" + e.path);
        CHECK(e.size.has_value());
        CHECK(e.digests.size() == 1);  // every prompt file is known
      } else {
        CHECK(e.url == "https://huggingface.co/" + m->source->repository + "/resolve/" + m->source->revision + "/" + e.path);
      }
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
