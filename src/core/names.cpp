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

namespace {

// Length of the printable character at p: 1 for printable ASCII, 2-4 for a
// valid UTF-8 sequence that is not a C1 control; 0 when the byte must be escaped.
std::size_t printable_length(std::string_view s, std::size_t i) {
  auto c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) return is_control(c) ? 0 : 1;
  std::size_t len = (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
  if (len == 0 || i + len > s.size() || !is_valid_utf8(s.substr(i, len))) return 0;
  if (len == 2) {
    std::uint32_t cp = (c & 0x1fu) << 6 | (static_cast<unsigned char>(s[i + 1]) & 0x3fu);
    if (cp < 0xa0) return 0;  // C1 controls U+0080..U+009F
  }
  return len;
}

}  // namespace

std::string quote_name(std::string_view name) {
  bool needs_quotes = name.empty();
  bool needs_escapes = false;
  bool single_quote = false;
  bool unsafe_in_double_quotes = false;
  for (std::size_t i = 0; i < name.size();) {
    std::size_t len = printable_length(name, i);
    if (len == 0) {
      needs_escapes = true;
      ++i;
      continue;
    }
    char c = name[i];
    if (c == '\'') {
      single_quote = true;
      needs_quotes = true;
    } else if (len == 1 && std::string_view(" !\"$&()*;<=>?[\\]^`|:").find(c) != std::string_view::npos) {
      needs_quotes = true;
    } else if ((c == '#' || c == '~') && i == 0) {
      needs_quotes = true;
    }
    if (len == 1 && std::string_view("$`\\\"").find(c) != std::string_view::npos) unsafe_in_double_quotes = true;
    i += len;
  }
  if (!needs_quotes && !needs_escapes) return std::string(name);
  if (!needs_escapes && single_quote && !unsafe_in_double_quotes) return "\"" + std::string(name) + "\"";

  // Single quotes, with runs of unprintable bytes as $'\ooo' pieces between them.
  std::string out = "'";
  bool in_escape = false;
  for (std::size_t i = 0; i < name.size();) {
    std::size_t len = printable_length(name, i);
    if (len == 0) {
      if (!in_escape) out += "'$'";
      in_escape = true;
      append_escape(out, static_cast<unsigned char>(name[i]));
      ++i;
      continue;
    }
    if (in_escape) out += "''";
    in_escape = false;
    if (name[i] == '\'') {
      out += "'\\''";
    } else {
      out.append(name.substr(i, len));
    }
    i += len;
  }
  out += "'";
  return out;
}

std::string group_digits(std::uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  out.reserve(digits.size() + digits.size() / 3);
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

}  // namespace lv
