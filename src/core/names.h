// How file names are written in manifests and messages, byte for byte as GNU
// coreutils does it, so that scripts and sha256sum read what we write.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lv {

// True when coreutils would escape the name in a checksum line (\, \n or \r).
bool name_needs_escape(std::string_view name);
// \\ for backslash, \n for newline, \r for carriage return; nothing else changes.
std::string escape_name(std::string_view name);
// The inverse; nullopt on any other escape or a trailing backslash.
std::optional<std::string> unescape_name(std::string_view escaped);

// The name as coreutils prints it in `--check` output: escaped, with a leading
// backslash, only when it holds a newline.
std::string check_display_name(std::string_view name);

// The name as coreutils quotes it in diagnostics (gnulib's shell-escape style
// with colons quoted): bare when safe, else '...', "..." or $'\t' pieces.
std::string quote_name(std::string_view name);

// True when `s` is valid UTF-8.
bool is_valid_utf8(std::string_view s);

// A count with its thousands grouped, as people read sizes: 68112 -> "68,112".
std::string group_digits(std::uint64_t n);

}  // namespace lv
