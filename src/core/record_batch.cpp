#include "core/record_batch.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "core/names.h"

namespace lv {
namespace {

namespace od = simdjson::ondemand;


std::size_t first_invalid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len = (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
    if (len == 0 || i + len > s.size() || !is_valid_utf8(s.substr(i, len))) return i;
    i += len;
  }
  return std::string_view::npos;
}

// On-Demand validates only what is read: walk every value, so that a record
// file Python's json would reject (a bad literal, escape or number, too deep
// a nesting) is rejected here too. Iterative in the data, recursive in depth,
// which is bounded.
constexpr int kMaxDepth = 512;

// The JSON number grammar, for numbers simdjson cannot represent (1e400, 30-digit integers).
bool is_json_number(std::string_view raw) {
  while (!raw.empty() && is_json_space(raw.back())) raw.remove_suffix(1);
  std::size_t i = 0;
  auto digits = [&] {
    std::size_t start = i;
    while (i < raw.size() && raw[i] >= '0' && raw[i] <= '9') ++i;
    return i - start;
  };
  if (i < raw.size() && raw[i] == '-') ++i;
  if (i < raw.size() && raw[i] == '0') {
    ++i;
  } else if (digits() == 0) {
    return false;
  }
  if (i < raw.size() && raw[i] == '.') {
    ++i;
    if (digits() == 0) return false;
  }
  if (i < raw.size() && (raw[i] == 'e' || raw[i] == 'E')) {
    ++i;
    if (i < raw.size() && (raw[i] == '+' || raw[i] == '-')) ++i;
    if (digits() == 0) return false;
  }
  return i == raw.size();
}

simdjson::error_code validate(od::value v, int depth) {
  if (depth > kMaxDepth) return simdjson::DEPTH_ERROR;
  od::json_type type;
  if (auto e = v.type().get(type)) return e;
  switch (type) {
    case od::json_type::object: {
      od::object obj;
      if (auto e = v.get_object().get(obj)) return e;
      for (auto field : obj) {
        std::string_view key;
        if (auto e = field.unescaped_key().get(key)) return e;
        od::value child;
        if (auto e = field.value().get(child)) return e;
        if (auto e = validate(child, depth + 1)) return e;
      }
      return simdjson::SUCCESS;
    }
    case od::json_type::array: {
      od::array arr;
      if (auto e = v.get_array().get(arr)) return e;
      for (auto element : arr) {
        od::value child;
        if (auto e = element.get(child)) return e;
        if (auto e = validate(child, depth + 1)) return e;
      }
      return simdjson::SUCCESS;
    }
    case od::json_type::string: {
      std::string_view s;
      return v.get_string().get(s);
    }
    case od::json_type::number: {
      std::string_view raw = v.raw_json_token();
      od::number n;
      auto e = v.get_number().get(n);
      // Valid JSON that does not fit a double or a 64-bit integer (Python reads it).
      if (e && is_json_number(raw)) return simdjson::SUCCESS;
      return e == simdjson::INCORRECT_TYPE ? simdjson::NUMBER_ERROR : e;
    }
    case od::json_type::boolean: {
      bool b;
      auto e = v.get_bool().get(b);
      return e == simdjson::INCORRECT_TYPE ? simdjson::T_ATOM_ERROR : e;  // 't...' or 'f...' that is not a literal
    }
    case od::json_type::null: {
      bool is_null = false;
      if (auto e = v.is_null().get(is_null)) return e;
      return is_null ? simdjson::SUCCESS : simdjson::N_ATOM_ERROR;
    }
  }
  return simdjson::INCORRECT_TYPE;
}

}  // namespace

void PendingBatch::assign(std::string_view bytes) {
  size = bytes.size();
  storage = std::make_unique_for_overwrite<char[]>(size + 2 + simdjson::SIMDJSON_PADDING);
  storage[0] = ' ';
  std::memcpy(storage.get() + 1, bytes.data(), size);
  std::memset(storage.get() + 1 + size, ' ', 1 + simdjson::SIMDJSON_PADDING);
}

Error PendingBatch::error_at(std::string_view name, std::uint64_t pos, std::string_view what) const {
  const std::string_view t = text();
  const std::size_t upto = static_cast<std::size_t>(std::min<std::uint64_t>(pos - std::min(pos, begin), t.size()));
  const auto lines = lines_before + static_cast<std::uint64_t>(std::count(t.begin(), t.begin() + static_cast<std::ptrdiff_t>(upto), '\n'));
  return Error{fmt::format("{}: byte {} (line {}): {}", name, pos, lines + 1, what)};
}

Status BatchParser::hand_over(PendingBatch& in, const BatchHandler& handler) {
  RecordBatch batch;
  batch.begin = in.begin;
  batch.text = in.text();
  batch.first = in.first;
  batch.last = in.last;
  if (!in.spans.empty()) {
    if (auto s = parse(in, batch); !s) return s;
  }
  return handler(batch);
}

namespace {

// The byte before the first record becomes '[' and the byte after the last
// one ']' while simdjson reads the batch; restored on the way out (and before
// an error message counts lines).
class Brackets {
 public:
  Brackets(char* open, char* close) : open_(open), close_(close), saved_open_(*open), saved_close_(*close) {
    *open_ = '[';
    *close_ = ']';
  }
  ~Brackets() { restore(); }
  Brackets(const Brackets&) = delete;
  Brackets& operator=(const Brackets&) = delete;
  void restore() {
    *open_ = saved_open_;
    *close_ = saved_close_;
  }

 private:
  char* open_;
  char* close_;
  char saved_open_, saved_close_;
};

}  // namespace

Status BatchParser::parse(PendingBatch& in, RecordBatch& batch) {
  const auto& spans_ = in.spans;
  const std::uint64_t first = spans_.front().first;
  const std::uint64_t last_end = spans_.back().second;
  std::string_view body = in.text().substr(first - in.begin, last_end - first);
  // simdjson reads '[' + the records and their separators + ']' in place:
  // storage[first - begin] is the byte before the first record (the free
  // byte when the batch starts with it), and the byte after the last record
  // is in the batch or the free byte after it.
  char* const doc_open = in.storage.get() + (first - in.begin);
  char* const doc_close = in.storage.get() + 1 + (last_end - in.begin);
  const std::size_t capacity = in.size + 2 + simdjson::SIMDJSON_PADDING - static_cast<std::size_t>(doc_open - in.storage.get());
  Brackets brackets(doc_open, doc_close);
  simdjson::padded_string_view json(doc_open, static_cast<std::size_t>(doc_close - doc_open) + 1, capacity);
  auto offset_of = [&](const char* p) { return first + static_cast<std::uint64_t>(p - doc_open) - 1; };
  auto error_at = [&](std::uint64_t pos, std::string_view what) {
    brackets.restore();
    return in.error_at(name_, pos, what);
  };

  od::document doc;
  auto fail = [&](simdjson::error_code e, const char* where) -> Status {
    std::uint64_t at = where ? offset_of(where) : first;
    return error_at(std::clamp(at, first, last_end), fmt::format("invalid JSON: {}", simdjson::error_message(e)));
  };
  // simdjson's first stage checks the UTF-8 of the whole batch; where it
  // fails, find the first bad byte ourselves (it does not say).
  if (auto e = parser_.iterate(json).get(doc)) {
    if (e == simdjson::UTF8_ERROR) return error_at(first + std::min(first_invalid_utf8(body), body.size()), "invalid UTF-8");
    return fail(e, nullptr);
  }
  od::array array;
  if (auto e = doc.get_array().get(array)) return fail(e, nullptr);

  batch.records.reserve(spans_.size());
  std::uint64_t index = in.first_index;
  for (auto element : array) {
    od::value v;
    if (auto e = element.get(v)) {
      const char* at = nullptr;
      if (doc.current_location().get(at) != simdjson::SUCCESS) at = nullptr;
      return fail(e, at);
    }
    Record r;
    r.index = index;
    std::size_t k = static_cast<std::size_t>(index - in.first_index);
    if (k >= spans_.size()) return error_at(first, "internal error: the parser found more records than the cutter");
    r.begin = spans_[k].first;
    r.end = spans_[k].second;
    ++index;
    const char* record_at = doc_open + 1 + (r.begin - first);
    od::object obj;
    auto type_error = v.get_object().get(obj);
    if (type_error == simdjson::INCORRECT_TYPE) {
      r.is_object = false;
      if (auto e = validate(v, 1)) return fail(e, record_at);
      batch.records.push_back(r);
      continue;
    }
    if (type_error) return fail(type_error, record_at);
    for (auto field : obj) {
      std::string_view key;
      if (auto e = field.unescaped_key().get(key)) return fail(e, record_at);
      od::value fv;
      if (auto e = field.value().get(fv)) return fail(e, record_at);
      if (key == "image") {
        if (r.image_kind != ImageKind::absent) {
          r.image_kind = ImageKind::duplicate;
          if (auto e = validate(fv, 2)) return fail(e, record_at);
          continue;
        }
        std::string_view raw = fv.raw_json_token();
        std::string_view s;
        auto e = fv.get_string().get(s);
        if (e == simdjson::INCORRECT_TYPE) {
          r.image_kind = ImageKind::not_string;
          if (auto ve = validate(fv, 2)) return fail(ve, raw.data());
          continue;
        }
        if (e) return fail(e, raw.data());
        r.image_kind = ImageKind::string;
        r.image = s;
        std::size_t close = raw.rfind('"');
        r.image_begin = offset_of(raw.data());
        r.image_end = offset_of(raw.data() + close + 1);
      } else if (key == "id") {
        std::string_view raw = fv.raw_json_token();
        std::string_view s;
        if (fv.get_string().get(s) == simdjson::SUCCESS) {
          r.id = s;
        } else {
          if (auto e = validate(fv, 2)) return fail(e, raw.data());
          while (!raw.empty() && is_json_space(raw.back())) raw.remove_suffix(1);
          r.id = raw;  // a number (or another scalar) as written
        }
      } else if (options_.extra_fields && (key == "url" || key == "caption" || key == "blip_caption")) {
        std::string_view s;
        if (fv.get_string().get(s) != simdjson::SUCCESS) {
          if (auto e = validate(fv, 2)) return fail(e, record_at);
          continue;
        }
        (key == "url" ? r.url : key == "caption" ? r.caption : r.blip_caption) = s;
      } else if (auto e = validate(fv, 2)) {
        const char* at = nullptr;
        if (doc.current_location().get(at) != simdjson::SUCCESS) at = record_at;
        return fail(e, at);
      }
    }
    batch.records.push_back(r);
  }
  if (batch.records.size() != spans_.size()) {
    return error_at(first, "internal error: the parser found fewer records than the cutter");
  }
  return {};
}

}  // namespace lv
