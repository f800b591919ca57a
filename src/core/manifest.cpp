#include "core/manifest.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/fs.h"
#include "core/names.h"

namespace lv {

std::string_view format_name(ManifestFormat f) {
  switch (f) {
    case ManifestFormat::gnu: return "sha256sum";
    case ManifestFormat::bsd: return "bsd";
    case ManifestFormat::hashdeep: return "hashdeep";
    case ManifestFormat::json: return "json";
  }
  return "?";
}

std::optional<ManifestFormat> format_from_name(std::string_view name) {
  for (auto f : {ManifestFormat::gnu, ManifestFormat::bsd, ManifestFormat::hashdeep, ManifestFormat::json}) {
    if (format_name(f) == name) return f;
  }
  if (name == "gnu") return ManifestFormat::gnu;
  return std::nullopt;
}

void normalize_digests(ManifestEntry& entry) {
  auto& d = entry.digests;
  std::stable_sort(d.begin(), d.end(), [](const Digest& a, const Digest& b) {
    return algorithm_rank(a.algorithm) < algorithm_rank(b.algorithm);
  });
  d.erase(std::unique(d.begin(), d.end(), [](const Digest& a, const Digest& b) { return a.algorithm == b.algorithm; }),
          d.end());
}

std::string manifest_display_name(std::string_view path) {
  return quote_name(path == "-" ? "standard input" : path);
}

Result<Manifest> parse_manifest(std::string_view text, std::string name, const ParseOptions& options,
                                std::size_t readable_after) {
  std::string_view body = text;
  if (body.starts_with("\xEF\xBB\xBF")) body.remove_prefix(3);  // a UTF-8 BOM from Windows editors
  std::size_t first = body.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && body[first] == '{') {
    auto m = parse_json_manifest(body, name, readable_after);  // body ends where text does
    if (!m) return with_context(manifest_display_name(name), m.error());
    return m;
  }
  if (body.starts_with("%%%% HASHDEEP-1.0")) {
    auto m = parse_hashdeep_manifest(body, name);
    if (!m) return with_context(manifest_display_name(name), m.error());
    return m;
  }
  return parse_text_manifest(text, std::move(name), options);
}

Result<Manifest> load_manifest(const std::string& path, const ParseOptions& options) {
  constexpr std::size_t kParserPadding = 64;  // simdjson::SIMDJSON_PADDING
  auto text = path == "-" ? read_stream(0) : read_file(path, kParserPadding);
  if (!text) return with_context(manifest_display_name(path), text.error());
  const std::string& t = text.value();
  return parse_manifest(t, path, options, t.capacity() - t.size());
}

}  // namespace lv
