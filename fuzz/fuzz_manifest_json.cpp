// Fuzzes the JSON manifest parser (parse_json_manifest) and its detection.
// Invariants:
// - entries have a non-empty path and digests without two of one algorithm;
// - a parsed manifest written back as `manifest refresh` writes it
//   (render_manifest_document) parses to the same source and entries (path, size,
//   digests, crc32, url, note), with no malformed entry;
// - parse_manifest gives the same entries, or the same error prefixed with the
//   manifest's name, when the input starts with '{'.
#include <cstdint>
#include <string>

#include "core/manifest.h"
#include "core/manifest_write.h"
#include "fuzz_check.h"

namespace {

bool same_entries(const lv::Manifest& a, const lv::Manifest& b) {
  if (a.entries.size() != b.entries.size()) return false;
  for (std::size_t i = 0; i < a.entries.size(); ++i) {
    const auto& x = a.entries[i];
    const auto& y = b.entries[i];
    if (x.path != y.path || x.size != y.size || x.digests != y.digests || x.crc32 != y.crc32 || x.url != y.url ||
        x.note != y.note) {
      return false;
    }
  }
  return true;
}

bool same_source(const lv::Manifest& a, const lv::Manifest& b) {
  if (a.source.has_value() != b.source.has_value()) return false;
  if (!a.source) return true;
  return a.source->repository == b.source->repository && a.source->revision == b.source->revision &&
         a.source->url == b.source->url;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = lv_fuzz::as_text(data, size);
  auto m = lv::parse_json_manifest(text, "fuzz.json");

  std::string_view body = text;
  if (body.starts_with("\xEF\xBB\xBF")) body.remove_prefix(3);
  const std::size_t first = body.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && body[first] == '{') {
    // parse_manifest drops a byte order mark first.
    auto direct = body.size() == text.size() ? m : lv::parse_json_manifest(body, "fuzz.json");
    auto detected = lv::parse_manifest(text, "fuzz.json", {});
    LV_FUZZ_CHECK(detected.ok() == direct.ok(), "");
    if (direct.ok()) {
      LV_FUZZ_CHECK(same_entries(*direct, *detected) && detected->malformed.size() == direct->malformed.size(), "");
    } else {
      LV_FUZZ_CHECK(detected.error().message == "fuzz.json: " + direct.error().message, detected.error().message);
    }
  }
  if (!m.ok()) {
    LV_FUZZ_CHECK(!m.error().message.empty(), "");
    return 0;
  }

  for (const auto& e : m->entries) {
    LV_FUZZ_CHECK(!e.path.empty(), "");
    for (std::size_t k = 1; k < e.digests.size(); ++k) {
      LV_FUZZ_CHECK(e.digests[k - 1].algorithm != e.digests[k].algorithm, e.path);
    }
  }
  const std::string rendered = lv::render_manifest_document(*m);
  auto back = lv::parse_json_manifest(rendered, "rendered");
  LV_FUZZ_CHECK(back.ok(), back.ok() ? rendered : back.error().message + "\n" + rendered);
  LV_FUZZ_CHECK(back->malformed.empty(), rendered);
  LV_FUZZ_CHECK(same_source(*m, *back), rendered);
  LV_FUZZ_CHECK(same_entries(*m, *back), rendered);
  return 0;
}
