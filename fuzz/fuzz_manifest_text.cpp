// Fuzzes the sha256sum / BSD tag parser (parse_text_manifest) and the format
// detection (parse_manifest). Invariants:
// - entries and malformed lines carry 1-based, strictly increasing line numbers
//   within the input; each entry has a non-empty path and exactly one digest;
// - with a forced algorithm (--algo), the same input never yields more entries;
// - every entry written back by the renderer (render_manifest, sha256sum and BSD
//   formats: what `manifest create` writes) parses back to the same path and digest;
// - parse_manifest agrees with parse_text_manifest on input it does not take for
//   JSON or hashdeep.
#include <algorithm>
#include <cstdint>
#include <string>

#include "core/manifest.h"
#include "core/manifest_write.h"
#include "fuzz_check.h"

namespace {

using lv::Algorithm;

void check_lines(const lv::Manifest& m, std::size_t lines) {
  std::size_t last = 0;
  for (const auto& e : m.entries) {
    LV_FUZZ_CHECK(e.line > last && e.line <= lines, e.path);
    last = e.line;
    LV_FUZZ_CHECK(!e.path.empty(), "");
    LV_FUZZ_CHECK(e.digests.size() == 1, e.path);
    LV_FUZZ_CHECK(!e.size, e.path);
  }
  last = 0;
  for (const auto& bad : m.malformed) {
    LV_FUZZ_CHECK(bad.line > last && bad.line <= lines, bad.reason);
    LV_FUZZ_CHECK(!bad.reason.empty(), "");
    last = bad.line;
  }
}

void check_round_trip(const lv::ManifestEntry& e) {
  const lv::Digest& d = e.digests.front();
  const lv::HashedFile file{e.path, 0, {d}};
  for (auto format : {lv::ManifestFormat::gnu, lv::ManifestFormat::bsd}) {
    auto text = lv::render_manifest(format, {d.algorithm}, {file});
    LV_FUZZ_CHECK(text.ok(), text.ok() ? "" : text.error().message);
    // BLAKE2b and SHA-512 digests have the same length: name the algorithm.
    lv::ParseOptions options;
    options.algorithm = d.algorithm;
    lv::Manifest back = lv::parse_text_manifest(text.value(), "rendered", options);
    LV_FUZZ_CHECK(back.malformed.empty(), text.value());
    LV_FUZZ_CHECK(back.entries.size() == 1, text.value());
    LV_FUZZ_CHECK(back.entries[0].path == e.path, text.value());
    LV_FUZZ_CHECK(back.entries[0].digests.size() == 1 && back.entries[0].digests[0] == d, text.value());
    LV_FUZZ_CHECK(back.format == format, text.value());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = lv_fuzz::as_text(data, size);
  const std::size_t lines = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1;

  const lv::Manifest m = lv::parse_text_manifest(text, "fuzz.sums", {});
  check_lines(m, lines);
  LV_FUZZ_CHECK(m.entries.size() + m.malformed.size() <= lines, "");
  for (const auto& e : m.entries) check_round_trip(e);

  // A forced algorithm only turns lines of other lengths into malformed ones.
  lv::ParseOptions forced;
  forced.algorithm = static_cast<Algorithm>(size % lv::kAlgorithmCount);
  const lv::Manifest f = lv::parse_text_manifest(text, "fuzz.sums", forced);
  check_lines(f, lines);
  LV_FUZZ_CHECK(f.entries.size() + f.malformed.size() == m.entries.size() + m.malformed.size(), "");

  // Detection: anything not taken for JSON or hashdeep is read as above.
  auto detected = lv::parse_manifest(text, "fuzz.sums", {});
  if (detected.ok() && detected->format != lv::ManifestFormat::json && detected->format != lv::ManifestFormat::hashdeep) {
    LV_FUZZ_CHECK(detected->entries.size() == m.entries.size(), "");
    LV_FUZZ_CHECK(detected->malformed.size() == m.malformed.size(), "");
  } else if (!detected.ok()) {
    LV_FUZZ_CHECK(detected.error().message.starts_with("fuzz.sums: "), detected.error().message);
  }
  return 0;
}
