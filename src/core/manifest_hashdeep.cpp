// hashdeep / md5deep audit files:
//   %%%% HASHDEEP-1.0
//   %%%% size,md5,sha256,filename
//   ## comment lines
//   5,<md5>,<sha256>,dir/file
// The file name is everything after the last digest column, commas included.
// Digest columns this tool does not compute (tiger, whirlpool) are skipped.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

#include "core/manifest.h"

namespace lv {
namespace {

constexpr std::string_view kHeader = "%%%% HASHDEEP-1.0";
constexpr std::string_view kColumns = "%%%% ";

struct Columns {
  std::vector<std::optional<Algorithm>> digests;  // between size and filename
  bool known = false;
};

Result<Columns> parse_columns(std::string_view spec, std::size_t line_no) {
  std::vector<std::string_view> names;
  std::size_t pos = 0;
  for (;;) {
    std::size_t comma = spec.find(',', pos);
    names.push_back(spec.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos));
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  if (names.size() < 3 || names.front() != "size" || names.back() != "filename") {
    return Error{fmt::format("line {}: expected a column line 'size,<digests...>,filename'", line_no)};
  }
  Columns c;
  bool any = false;
  for (std::size_t i = 1; i + 1 < names.size(); ++i) {
    auto a = algorithm_from_name(names[i]);
    c.digests.push_back(a);
    any = any || a.has_value();
  }
  if (!any) return Error{fmt::format("line {}: no supported digest column (md5, sha1, sha256)", line_no)};
  c.known = true;
  return c;
}

}  // namespace

Result<Manifest> parse_hashdeep_manifest(std::string_view text, std::string name) {
  Manifest m;
  m.name = std::move(name);
  m.format = ManifestFormat::hashdeep;
  Columns columns;
  std::array<std::size_t, kAlgorithmCount> algorithm_rows{};

  std::size_t line_no = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    std::string_view line = text.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
    pos = end == std::string_view::npos ? text.size() : end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line.starts_with("##")) continue;
    if (line == kHeader) continue;
    if (line.starts_with(kColumns)) {
      auto c = parse_columns(line.substr(kColumns.size()), line_no);
      if (!c) return c.error();
      columns = std::move(c.value());
      continue;
    }
    if (!columns.known) return Error{fmt::format("line {}: a row before the '%%%% size,...' column line", line_no)};

    // size, then one field per digest column, then the name (may hold commas).
    std::vector<std::string_view> fields;
    std::size_t at = 0;
    bool short_row = false;
    for (std::size_t k = 0; k < columns.digests.size() + 1; ++k) {
      std::size_t comma = line.find(',', at);
      if (comma == std::string_view::npos) {
        short_row = true;
        break;
      }
      fields.push_back(line.substr(at, comma - at));
      at = comma + 1;
    }
    if (short_row) {
      m.malformed.push_back({line_no, fmt::format("expected {} comma-separated fields", columns.digests.size() + 2)});
      continue;
    }
    ManifestEntry e;
    e.line = line_no;
    e.path = std::string(line.substr(at));
    std::uint64_t size = 0;
    auto [ptr, ec] = std::from_chars(fields[0].data(), fields[0].data() + fields[0].size(), size);
    if (ec != std::errc{} || ptr != fields[0].data() + fields[0].size() || fields[0].empty()) {
      m.malformed.push_back({line_no, fmt::format("size '{}' is not a decimal number", fields[0])});
      continue;
    }
    e.size = size;
    std::string reason;
    for (std::size_t k = 0; k < columns.digests.size() && reason.empty(); ++k) {
      if (!columns.digests[k]) continue;
      Algorithm a = *columns.digests[k];
      auto digest = digest_from_hex(a, fields[k + 1]);
      if (!digest) {
        reason = fmt::format("expected {} hex digits for {}", digest_bytes(a) * 2, algorithm_name(a));
        break;
      }
      e.digests.push_back(*digest);
    }
    if (reason.empty() && e.path.empty()) reason = "empty file name";
    if (!reason.empty()) {
      m.malformed.push_back({line_no, std::move(reason)});
      continue;
    }
    normalize_digests(e);
    ++algorithm_rows[static_cast<std::size_t>(e.digests.front().algorithm)];
    m.entries.push_back(std::move(e));
  }
  auto most = std::max_element(algorithm_rows.begin(), algorithm_rows.end());
  if (*most > 0) m.main_algorithm = static_cast<Algorithm>(most - algorithm_rows.begin());
  return m;
}

}  // namespace lv
