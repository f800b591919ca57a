#include "core/names.h"

#include <cstdint>

namespace lv {

bool name_needs_escape(std::string_view name) {
  return name.find_first_of("\\\n\r") != std::string_view::npos;
}

std::string escape_name(std::string_view name) {
  std::string out;
  out.reserve(name.size() + 8);
  for (char c : name) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

std::optional<std::string> unescape_name(std::string_view escaped) {
  std::string out;
  out.reserve(escaped.size());
  for (std::size_t i = 0; i < escaped.size(); ++i) {
    char c = escaped[i];
    if (c != '\\') {
      out.push_back(c);
      continue;
    }
    if (++i == escaped.size()) return std::nullopt;
    switch (escaped[i]) {
      case '\\': out.push_back('\\'); break;
      case 'n': out.push_back('\n'); break;
      case 'r': out.push_back('\r'); break;
      default: return std::nullopt;
    }
  }
  return out;
}

std::string check_display_name(std::string_view name) {
  if (name.find('\n') == std::string_view::npos) return std::string(name);
  return "\\" + escape_name(name);
}

bool is_valid_utf8(std::string_view s) {
  std::size_t i = 0;
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  while (i < n) {
    unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len = 0;
    std::uint32_t cp = 0;
    if ((c & 0xe0) == 0xc0) {
      len = 2;
      cp = c & 0x1fu;
    } else if ((c & 0xf0) == 0xe0) {
      len = 3;
      cp = c & 0x0fu;
    } else if ((c & 0xf8) == 0xf0) {
      len = 4;
      cp = c & 0x07u;
    } else {
      return false;
    }
    if (i + len > n) return false;
    for (std::size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (p[i + k] & 0x3fu);
    }
    static constexpr std::uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += len;
  }
  return true;
}

namespace {

bool is_control(unsigned char c) { return c < 0x20 || c == 0x7f; }

void append_escape(std::string& out, unsigned char c) {
  switch (c) {
    case '\a': out += "\\a"; return;
    case '\b': out += "\\b"; return;
    case '\f': out += "\\f"; return;
    case '\n': out += "\\n"; return;
    case '\r': out += "\\r"; return;
    case '\t': out += "\\t"; return;
    case '\v': out += "\\v"; return;
    default: break;
  }
  out.push_back('\\');
  out.push_back(static_cast<char>('0' + ((c >> 6) & 7)));
  out.push_back(static_cast<char>('0' + ((c >> 3) & 7)));
  out.push_back(static_cast<char>('0' + (c & 7)));
}

}  // namespace

std::string quote_name(std::string_view name) {
  bool needs_quotes = name.empty();
  bool needs_escapes = !is_valid_utf8(name);
  bool single_quote = false;
  bool unsafe_in_double_quotes = false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    auto c = static_cast<unsigned char>(name[i]);
    if (is_control(c)) {
      needs_escapes = true;
    } else if (c == '\'') {
      single_quote = true;
      needs_quotes = true;
    } else if (std::string_view(" !\"$&()*;<=>?[\\]^`|:").find(static_cast<char>(c)) != std::string_view::npos) {
      needs_quotes = true;
    } else if ((c == '#' || c == '~') && i == 0) {
      needs_quotes = true;
    }
    if (std::string_view("$`\\\"").find(static_cast<char>(c)) != std::string_view::npos) {
      unsafe_in_double_quotes = true;
    }
  }
  if (!needs_quotes && !needs_escapes) return std::string(name);
  if (!needs_escapes && single_quote && !unsafe_in_double_quotes) {
    return "\"" + std::string(name) + "\"";
  }
  // Invalid UTF-8 bytes are escaped too, as in the C locale.
  const bool utf8 = !needs_escapes || is_valid_utf8(name);
  std::string out = "'";
  for (char ch : name) {
    auto c = static_cast<unsigned char>(ch);
    if (c == '\'') {
      out += "'\\''";
    } else if (is_control(c) || (!utf8 && c >= 0x80)) {
      out += "'$'";
      append_escape(out, c);
      out += "''";
    } else {
      out.push_back(ch);
    }
  }
  out += "'";
  return out;
}

}  // namespace lv
