// GNU coreutils checksum lines, untagged (`HASH  name`, `HASH *name`) and BSD
// tagged (`SHA256 (name) = HASH`), in one file or mixed, with the same rules as
// `sha256sum --check`: `#` lines and empty lines skipped, one trailing CR
// stripped, a leading backslash marks an escaped name.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <iterator>
#include <thread>

#include "core/manifest.h"
#include "core/names.h"

namespace lv {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t'; }
bool is_ascii_alnum(char c) { return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z'); }

std::optional<Algorithm> algorithm_for_length(std::size_t hex_digits) {
  switch (hex_digits) {
    case 32: return Algorithm::md5;
    case 40: return Algorithm::sha1;
    case 64: return Algorithm::sha256;
    case 128: return Algorithm::sha512;
    default: return std::nullopt;
  }
}

// Empty reason: the line filled the entry.
struct LineOutcome {
  std::string reason;
  bool tagged = false;
};

LineOutcome bad(std::string reason) { return LineOutcome{std::move(reason), false}; }

// The name after the type flag or inside the tag's parentheses.
LineOutcome set_name(ManifestEntry& e, std::string_view raw_name, bool escaped, bool tagged) {
  if (escaped) {
    auto name = unescape_name(raw_name);
    if (!name) return bad("invalid escape in file name");
    e.path = std::move(*name);
  } else {
    e.path.assign(raw_name);
  }
  if (e.path.empty()) return bad("empty file name");
  return LineOutcome{{}, tagged};
}

// `TAG (name) = HASH`, from after the opening parenthesis.
LineOutcome parse_tagged(std::string_view s, Algorithm algorithm, bool escaped, ManifestEntry& e) {
  std::size_t close = s.rfind(')');
  if (close == std::string_view::npos) return bad("tagged line without ')'");
  std::string_view raw_name = s.substr(0, close);
  std::size_t i = close + 1;
  while (i < s.size() && is_blank(s[i])) ++i;
  if (i == s.size() || s[i] != '=') return bad("tagged line without '=' after the name");
  ++i;
  while (i < s.size() && is_blank(s[i])) ++i;
  auto digest = digest_from_hex(algorithm, s.substr(i));
  if (!digest) return bad(fmt::format("expected {} hex digits for {}", digest_bytes(algorithm) * 2, algorithm_tag(algorithm)));
  e.digests.push_back(*digest);
  return set_name(e, raw_name, escaped, true);
}

// coreutils reads `HASH  name` and `HASH *name` (two characters after the
// digest) and, as `md5 -r` writes it, `HASH name` (one blank): the "reversed"
// form. A manifest may use one or the other, never both: the first line decides.
enum class Separator { undecided, standard, reversed };

LineOutcome parse_line(std::string_view line, const ParseOptions& options, Separator& separator, ManifestEntry& e) {
  if (line.find('\0') != std::string_view::npos) return bad("NUL byte in line");
  std::size_t i = 0;
  while (i < line.size() && is_blank(line[i])) ++i;
  bool escaped = false;
  if (i < line.size() && line[i] == '\\') {
    escaped = true;
    ++i;
  }
  std::string_view rest = line.substr(i);

  // The common case first: a run of hex digits then a blank is an untagged line
  // (no algorithm tag is all hex digits and followed by a blank).
  std::size_t hex_run = 0;
  while (hex_run < rest.size() && is_hex_digit(rest[hex_run])) ++hex_run;
  const bool untagged = hex_run > 0 && hex_run < rest.size() && is_blank(rest[hex_run]) &&
                        !(rest.size() > hex_run + 1 && rest[hex_run + 1] == '(');
  // Tagged: an algorithm name (letters, digits, '-'), an optional space, "(".
  std::size_t tag_len = untagged ? 0 : hex_run;
  while (!untagged && tag_len < rest.size() && (is_ascii_alnum(rest[tag_len]) || rest[tag_len] == '-')) ++tag_len;
  std::size_t paren = tag_len < rest.size() && rest[tag_len] == ' ' ? tag_len + 1 : tag_len;
  if (tag_len > 0 && paren < rest.size() && rest[paren] == '(') {
    std::string_view tag = rest.substr(0, tag_len);
    if (auto a = algorithm_from_tag(tag)) return parse_tagged(rest.substr(paren + 1), *a, escaped, e);
    if (!is_hex(tag)) return bad(fmt::format("unsupported algorithm '{}'", tag));
  }

  // Untagged: HASH, white space, optional '*' or ' ' type flag, name.
  const std::size_t hex_len = hex_run;
  if (hex_len == 0) return bad("not a checksum line");
  if (hex_len == rest.size() || !is_blank(rest[hex_len])) return bad("digest not followed by white space");
  Algorithm algorithm;
  if (options.algorithm) {
    algorithm = *options.algorithm;
    if (hex_len != digest_bytes(algorithm) * 2) {
      return bad(fmt::format("expected {} hex digits for {}, found {}", digest_bytes(algorithm) * 2,
                             algorithm_tag(algorithm), hex_len));
    }
  } else {
    auto a = algorithm_for_length(hex_len);
    if (!a) return bad(fmt::format("a digest of {} hex digits (expected 32, 40, 64 or 128)", hex_len));
    algorithm = *a;
  }
  std::size_t name_at = hex_len + 1;
  const bool one_blank = rest.size() - name_at <= 1 || (rest[name_at] != ' ' && rest[name_at] != '*');
  if (one_blank) {
    if (separator == Separator::standard) return bad("one blank after the digest where earlier lines have two");
    separator = Separator::reversed;
  } else if (separator != Separator::reversed) {
    separator = Separator::standard;
    ++name_at;  // the type flag: ' ' text, '*' binary
  }
  std::string_view raw_name = rest.substr(name_at);
  e.digests.push_back(*digest_from_hex(algorithm, rest.substr(0, hex_len)));
  return set_name(e, raw_name, escaped, false);
}

}  // namespace

namespace {

// The lines of one stretch of a manifest. `first_decision` is the separator
// form the first untagged line chose from an undecided start, so that a
// stretch parsed in parallel can be checked against the one before it.
struct Stretch {
  std::vector<ManifestEntry> entries;
  std::vector<MalformedLine> malformed;
  std::array<std::size_t, kAlgorithmCount> algorithm_lines{};
  bool any_tagged = false;
  bool any_untagged = false;
  Separator first_decision = Separator::undecided;
  Separator final_state = Separator::undecided;
};

Stretch parse_stretch(std::string_view text, std::size_t first_line, Separator separator, const ParseOptions& options) {
  Stretch st;
  // One entry per line, but never more than a valid line's length allows (a
  // file of empty lines must not reserve gigabytes).
  st.entries.reserve(std::min<std::size_t>(static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1,
                                           text.size() / 35 + 1));
  const Separator initial = separator;
  std::size_t line_no = first_line - 1;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    std::string_view line = text.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
    pos = end == std::string_view::npos ? text.size() : end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;

    ManifestEntry& e = st.entries.emplace_back();
    LineOutcome outcome = parse_line(line, options, separator, e);
    if (st.first_decision == Separator::undecided && separator != initial) st.first_decision = separator;
    if (!outcome.reason.empty()) {
      st.entries.pop_back();
      st.malformed.push_back({line_no, std::move(outcome.reason)});
      continue;
    }
    e.line = line_no;
    ++st.algorithm_lines[static_cast<std::size_t>(e.digests.front().algorithm)];
    (outcome.tagged ? st.any_tagged : st.any_untagged) = true;
  }
  st.final_state = separator;
  return st;
}

// Large manifests are parsed in two halves on two threads (a million lines
// take ~0.5 s on one core, all of it before any file can be read).
constexpr std::size_t kParallelFrom = 1u << 20;

}  // namespace

Manifest parse_text_manifest(std::string_view text, std::string name, const ParseOptions& options) {
  Manifest m;
  m.name = std::move(name);
  m.format = ManifestFormat::gnu;

  Stretch all;
  std::size_t cut = text.size() < kParallelFrom ? std::string_view::npos : text.find('\n', text.size() / 2);
  if (cut == std::string_view::npos) {
    all = parse_stretch(text, 1, Separator::undecided, options);
  } else {
    std::string_view head = text.substr(0, cut + 1);
    std::string_view tail = text.substr(cut + 1);
    const std::size_t tail_line = static_cast<std::size_t>(std::count(head.begin(), head.end(), '\n')) + 1;
    Stretch second;
    std::thread worker([&] { second = parse_stretch(tail, tail_line, Separator::undecided, options); });
    all = parse_stretch(head, 1, Separator::undecided, options);
    worker.join();
    // The tail assumed no form was decided yet; if the head decided one and the
    // tail's first untagged line chose otherwise, parse the tail again knowing it.
    if (all.final_state != Separator::undecided && second.first_decision != Separator::undecided &&
        second.first_decision != all.final_state) {
      second = parse_stretch(tail, tail_line, all.final_state, options);
    }
    all.entries.insert(all.entries.end(), std::make_move_iterator(second.entries.begin()),
                       std::make_move_iterator(second.entries.end()));
    all.malformed.insert(all.malformed.end(), std::make_move_iterator(second.malformed.begin()),
                         std::make_move_iterator(second.malformed.end()));
    for (std::size_t a = 0; a < kAlgorithmCount; ++a) all.algorithm_lines[a] += second.algorithm_lines[a];
    all.any_tagged = all.any_tagged || second.any_tagged;
    all.any_untagged = all.any_untagged || second.any_untagged;
  }
  m.entries = std::move(all.entries);
  m.malformed = std::move(all.malformed);
  if (all.any_tagged && !all.any_untagged) m.format = ManifestFormat::bsd;
  auto most = std::max_element(all.algorithm_lines.begin(), all.algorithm_lines.end());
  if (*most > 0) {
    m.main_algorithm = static_cast<Algorithm>(most - all.algorithm_lines.begin());
  } else if (options.algorithm) {
    m.main_algorithm = *options.algorithm;
  }
  return m;
}

}  // namespace lv
