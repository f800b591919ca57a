// The project's own JSON manifest (schema: docs/manifest-format.md), read with
// simdjson On-Demand. Problems in one file entry are malformed entries (with the
// line they start on); a document that is not valid JSON is an Error.
#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <optional>

#include "core/manifest.h"
#include "core/names.h"

namespace lv {
namespace {

namespace od = simdjson::ondemand;

constexpr std::string_view kFormatPrefix = "llava-verify-manifest";

// Turns pointers into the document into line numbers; positions only grow.
class LineCounter {
 public:
  explicit LineCounter(std::string_view text) : text_(text) {}
  std::size_t line_at(const char* p) {
    auto offset = static_cast<std::size_t>(std::clamp<std::ptrdiff_t>(p - text_.data(), 0, static_cast<std::ptrdiff_t>(text_.size())));
    if (offset < offset_) {
      offset_ = 0;
      line_ = 1;
    }
    line_ += static_cast<std::size_t>(std::count(text_.begin() + static_cast<std::ptrdiff_t>(offset_),
                                                 text_.begin() + static_cast<std::ptrdiff_t>(offset), '\n'));
    offset_ = offset;
    return line_;
  }

 private:
  std::string_view text_;
  std::size_t offset_ = 0;
  std::size_t line_ = 1;
};

bool is_entry_level(simdjson::error_code e) {
  return e == simdjson::INCORRECT_TYPE || e == simdjson::NUMBER_ERROR ||
         e == simdjson::NUMBER_OUT_OF_RANGE;
}

struct EntryParse {
  std::optional<ManifestEntry> entry;
  std::string reason;
  simdjson::error_code fatal = simdjson::SUCCESS;
};

EntryParse parse_entry(od::value item) {
  EntryParse r;
  od::object obj;
  if (auto e = item.get_object().get(obj)) {
    if (is_entry_level(e)) r.reason = "an entry must be an object";
    else r.fatal = e;
    return r;
  }
  ManifestEntry entry;
  bool has_path = false;
  auto fail = [&](simdjson::error_code e, std::string reason) {
    if (is_entry_level(e)) r.reason = std::move(reason);
    else r.fatal = e;
  };
  for (auto field : obj) {
    std::string_view key;
    if (auto e = field.unescaped_key().get(key)) {
      r.fatal = e;
      return r;
    }
    od::value v;
    if (auto e = field.value().get(v)) {
      r.fatal = e;
      return r;
    }
    bool is_null = false;
    if (auto e = v.is_null().get(is_null)) {
      r.fatal = e;
      return r;
    }
    if (key == "path" || key == "path_hex") {
      std::string_view s;
      if (auto e = v.get_string().get(s)) {
        fail(e, fmt::format("'{}' must be a string", key));
        return r;
      }
      if (key == "path") {
        entry.path = std::string(s);
      } else {
        auto bytes = bytes_from_hex(s);
        if (!bytes) {
          r.reason = "'path_hex' must be an even number of hex digits";
          return r;
        }
        entry.path = std::move(*bytes);
      }
      has_path = true;
    } else if (key == "size") {
      if (is_null) continue;
      std::uint64_t size = 0;
      if (auto e = v.get_uint64().get(size)) {
        fail(e, "'size' must be a non-negative integer or null");
        return r;
      }
      entry.size = size;
    } else if (auto algorithm = algorithm_from_name(key); algorithm && algorithm_name(*algorithm) == key) {
      if (is_null) continue;
      std::string_view hex;
      std::size_t want = digest_bytes(*algorithm) * 2;
      if (auto e = v.get_string().get(hex)) {
        fail(e, fmt::format("'{}' must be a string of {} hex digits or null", key, want));
        return r;
      }
      if (hex == "unknown") continue;
      auto digest = digest_from_hex(*algorithm, hex);
      if (!digest) {
        r.reason = fmt::format("'{}' must be {} hex digits, found '{}'", key, want, hex);
        return r;
      }
      entry.digests.push_back(*digest);
    } else if (key == "crc32") {
      if (is_null) continue;
      std::string_view hex;
      if (auto e = v.get_string().get(hex)) {
        fail(e, "'crc32' must be a string of 8 hex digits or null");
        return r;
      }
      if (hex == "unknown") continue;
      if (hex.size() != 8 || !is_hex(hex)) {
        r.reason = fmt::format("'crc32' must be 8 hex digits, found '{}'", hex);
        return r;
      }
      entry.crc32 = static_cast<std::uint32_t>(std::stoul(std::string(hex), nullptr, 16));
    } else if (key == "unconfirmed") {
      if (is_null) continue;
      bool b = false;
      if (auto e = v.get_bool().get(b)) {
        fail(e, "'unconfirmed' must be true or false");
        return r;
      }
      entry.unconfirmed = b;
    } else if (key == "url" || key == "note") {
      if (is_null) continue;
      std::string_view s;
      if (auto e = v.get_string().get(s)) {
        fail(e, fmt::format("'{}' must be a string", key));
        return r;
      }
      (key == "url" ? entry.url : entry.note) = std::string(s);
    }
    // Other keys are ignored: later versions may add them.
  }
  if (!has_path) {
    r.reason = "an entry needs a 'path'";
    return r;
  }
  if (entry.path.empty()) {
    r.reason = "'path' is empty";
    return r;
  }
  if (entry.path.find('\0') != std::string::npos) {
    r.reason = "'path' holds a NUL byte";  // no file name can: another file would be checked
    return r;
  }
  normalize_digests(entry);
  r.entry = std::move(entry);
  return r;
}

Result<ManifestSource> parse_source(od::value v) {
  od::object obj;
  if (v.get_object().get(obj)) return Error{"'source' must be an object"};
  ManifestSource s;
  for (auto field : obj) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return Error{"bad key in 'source'"};
    std::string* target = key == "repository" ? &s.repository
                          : key == "revision" ? &s.revision
                          : key == "url"      ? &s.url
                                              : nullptr;
    if (target == nullptr) continue;
    std::string_view str;
    if (field.value().get_string().get(str)) return Error{fmt::format("'source.{}' must be a string", key)};
    *target = std::string(str);
  }
  return s;
}

}  // namespace

Result<Manifest> parse_json_manifest(std::string_view text, std::string name, std::size_t readable_after) {
  Manifest m;
  m.name = std::move(name);
  m.format = ManifestFormat::json;
  // In place when the caller's buffer has simdjson's padding after the text, else a padded copy.
  std::optional<simdjson::padded_string> copy;
  if (readable_after < simdjson::SIMDJSON_PADDING) copy.emplace(text);
  const simdjson::padded_string_view json =
      copy ? simdjson::padded_string_view(copy->data(), copy->size(), copy->size() + simdjson::SIMDJSON_PADDING)
           : simdjson::padded_string_view(text.data(), text.size(), text.size() + readable_after);
  LineCounter lines(std::string_view(json.data(), json.size()));
  od::parser parser;
  od::document doc;

  auto where = [&](const char* p) { return fmt::format("line {}", lines.line_at(p)); };
  auto structural = [&](simdjson::error_code e) -> Error {
    const char* end = json.data() + json.size();
    if (e == simdjson::INCOMPLETE_ARRAY_OR_OBJECT) {
      return Error{fmt::format("{}: invalid JSON: the document ends inside an object or array (truncated?)", where(end))};
    }
    const char* p = nullptr;
    if (doc.current_location().get(p) != simdjson::SUCCESS) p = end;
    return Error{fmt::format("{}: invalid JSON: {}", where(p), simdjson::error_message(e))};
  };

  if (auto e = parser.iterate(json).get(doc)) return Error{fmt::format("invalid JSON: {}", simdjson::error_message(e))};
  od::object root;
  if (auto e = doc.get_object().get(root)) {
    if (e == simdjson::INCORRECT_TYPE) return Error{"the top level must be an object with a 'files' array"};
    return structural(e);
  }
  bool has_files = false;
  std::array<std::size_t, kAlgorithmCount> algorithm_entries{};
  for (auto field : root) {
    std::string_view key;
    if (auto e = field.unescaped_key().get(key)) return structural(e);
    od::value v;
    if (auto e = field.value().get(v)) return structural(e);
    if (key == "format") {
      std::string_view f;
      if (v.get_string().get(f) || !f.starts_with(kFormatPrefix)) {
        return Error{fmt::format("'format' must be \"{}/1\"", kFormatPrefix)};
      }
      if (f != "llava-verify-manifest/1") {
        return Error{fmt::format("unsupported manifest format '{}' (this version reads {}/1)", f, kFormatPrefix)};
      }
    } else if (key == "source") {
      auto s = parse_source(v);
      if (!s) return s.error();
      m.source = std::move(s.value());
    } else if (key == "files") {
      od::array files;
      if (auto e = v.get_array().get(files)) {
        if (e == simdjson::INCORRECT_TYPE) return Error{"'files' must be an array"};
        return structural(e);
      }
      has_files = true;
      std::size_t index = 0;
      for (auto item_result : files) {
        od::value item;
        if (auto e = item_result.get(item)) return structural(e);
        const char* at = nullptr;
        if (auto e = item.current_location().get(at)) return structural(e);
        std::size_t line = lines.line_at(at);
        EntryParse p = parse_entry(item);
        if (p.fatal != simdjson::SUCCESS) return structural(p.fatal);
        if (!p.entry) {
          m.malformed.push_back({line, fmt::format("files[{}]: {}", index, p.reason)});
        } else {
          p.entry->line = line;
          if (!p.entry->digests.empty()) ++algorithm_entries[static_cast<std::size_t>(p.entry->digests.front().algorithm)];
          m.entries.push_back(std::move(*p.entry));
        }
        ++index;
      }
    }
  }
  // current_location() answers OUT_OF_BOUNDS once the whole document is consumed.
  if (const char* rest = nullptr; doc.current_location().get(rest) == simdjson::SUCCESS) {
    return Error{fmt::format("{}: invalid JSON: content after the top-level object", where(rest))};
  }
  if (!has_files) return Error{"no 'files' array"};
  auto most = std::max_element(algorithm_entries.begin(), algorithm_entries.end());
  if (*most > 0) m.main_algorithm = static_cast<Algorithm>(most - algorithm_entries.begin());
  return m;
}

}  // namespace lv
