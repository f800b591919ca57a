#include "core/json_writer.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/hashing.h"
#include "core/names.h"

namespace lv {

std::string json_quote(std::string_view s) {
  std::string out = "\"";
  out.reserve(s.size() + 2);
  // Most values (image paths, ids) are printable ASCII with nothing to escape.
  if (std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c < 0x7f && c != '"' && c != '\\'; })) {
    out.append(s);
    out.push_back('"');
    return out;
  }
  const bool utf8 = is_valid_utf8(s);
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += fmt::format("\\u{:04x}", c);
        } else if (c >= 0x80 && !utf8) {
          out += "\\ufffd";
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
  return out;
}

void JsonWriter::newline() {
  out_.push_back('\n');
  out_.append(stack_.size() * 2, ' ');
}

void JsonWriter::before_value() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (stack_.empty()) return;
  if (!stack_.back().empty) out_.push_back(',');
  stack_.back().empty = false;
  newline();
}

void JsonWriter::begin_object() {
  before_value();
  out_.push_back('{');
  stack_.push_back({false, true});
}

void JsonWriter::end_object() {
  bool empty = stack_.back().empty;
  stack_.pop_back();
  if (!empty) newline();
  out_.push_back('}');
}

void JsonWriter::begin_array() {
  before_value();
  out_.push_back('[');
  stack_.push_back({true, true});
}

void JsonWriter::end_array() {
  bool empty = stack_.back().empty;
  stack_.pop_back();
  if (!empty) newline();
  out_.push_back(']');
}

void JsonWriter::key(std::string_view k) {
  before_value();
  out_ += json_quote(k);
  out_ += ": ";
  after_key_ = true;
}

void JsonWriter::value(std::string_view s) {
  before_value();
  out_ += json_quote(s);
}

void JsonWriter::value(std::uint64_t n) {
  before_value();
  out_ += fmt::format("{}", n);
}

void JsonWriter::value(std::int64_t n) {
  before_value();
  out_ += fmt::format("{}", n);
}

void JsonWriter::value(bool b) {
  before_value();
  out_ += b ? "true" : "false";
}

void JsonWriter::value(double d) {
  before_value();
  out_ += fmt::format("{}", d);
}

void JsonWriter::null() {
  before_value();
  out_ += "null";
}

void JsonWriter::path(std::string_view key_name, std::string_view bytes) {
  key(key_name);
  value(bytes);
  if (!is_valid_utf8(bytes)) {
    key(std::string(key_name) + "_hex");
    value(to_hex(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
  }
}

std::string JsonWriter::finish() {
  out_.push_back('\n');
  return std::move(out_);
}

}  // namespace lv
