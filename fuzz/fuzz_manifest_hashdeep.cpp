// Fuzzes the hashdeep parser (parse_hashdeep_manifest) and its detection.
// Invariants:
// - an Error names the line (`line N: ...`); entries have a size, at least one
//   digest (no two of one algorithm), a non-empty path without a line break, and
//   increasing line numbers;
// - a parsed manifest whose rows share one set of columns, written back by the renderer (render_manifest, hashdeep
//   format) parses to the same entries: path, size and digests;
// - parse_manifest gives the same entries when the input starts with the header.
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "core/manifest.h"
#include "core/manifest_write.h"
#include "fuzz_check.h"

namespace {

bool same_entries(const lv::Manifest& a, const lv::Manifest& b) {
  if (a.entries.size() != b.entries.size()) return false;
  for (std::size_t i = 0; i < a.entries.size(); ++i) {
    const auto& x = a.entries[i];
    const auto& y = b.entries[i];
    if (x.path != y.path || x.size != y.size || x.digests != y.digests) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = lv_fuzz::as_text(data, size);
  auto m = lv::parse_hashdeep_manifest(text, "fuzz.hashdeep");
  if (!m.ok()) {
    LV_FUZZ_CHECK(m.error().message.starts_with("line "), m.error().message);
    return 0;
  }
  std::size_t last = 0;
  std::vector<lv::Algorithm> algorithms;
  for (const auto& e : m->entries) {
    LV_FUZZ_CHECK(e.line > last, e.path);
    last = e.line;
    LV_FUZZ_CHECK(e.size.has_value(), e.path);
    LV_FUZZ_CHECK(!e.path.empty() && e.path.find('\n') == std::string::npos, e.path);
    LV_FUZZ_CHECK(!e.digests.empty(), e.path);
    for (std::size_t k = 1; k < e.digests.size(); ++k) {
      LV_FUZZ_CHECK(e.digests[k - 1].algorithm != e.digests[k].algorithm, e.path);
    }
    for (const auto& d : e.digests) {
      if (std::find(algorithms.begin(), algorithms.end(), d.algorithm) == algorithms.end()) algorithms.push_back(d.algorithm);
    }
  }

  // Write it back. The renderer refuses what the format cannot hold (SHA-512
  // and BLAKE2b columns, names with a CR): nothing to compare then.
  if (!m->entries.empty()) {
    std::vector<lv::HashedFile> files;
    bool same_columns = true;
    for (const auto& e : m->entries) {
      same_columns = same_columns && e.digests.size() == algorithms.size();
      files.push_back({e.path, *e.size, e.digests});
    }
    // (A later column line may change the columns: then one render cannot hold them all.)
    auto rendered = same_columns ? lv::render_manifest(lv::ManifestFormat::hashdeep, algorithms, files)
                                 : lv::Result<std::string>(lv::Error{"columns differ"});
    if (rendered.ok()) {
      auto back = lv::parse_hashdeep_manifest(rendered.value(), "rendered");
      LV_FUZZ_CHECK(back.ok(), back.ok() ? "" : back.error().message);
      LV_FUZZ_CHECK(back->malformed.empty(), rendered.value());
      LV_FUZZ_CHECK(same_entries(*m, *back), rendered.value());
    }
  }

  if (text.starts_with("%%%% HASHDEEP-1.0")) {
    auto detected = lv::parse_manifest(text, "fuzz.hashdeep", {});
    LV_FUZZ_CHECK(detected.ok(), detected.ok() ? "" : detected.error().message);
    LV_FUZZ_CHECK(detected->format == lv::ManifestFormat::hashdeep, "");
    LV_FUZZ_CHECK(same_entries(*m, *detected), "");
  }
  return 0;
}
