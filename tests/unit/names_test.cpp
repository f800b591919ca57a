#include "core/names.h"

#include <doctest/doctest.h>

using namespace lv;

TEST_CASE("escaping round-trips the three characters coreutils escapes") {
  std::string name = "a\\b\nc\rd";
  CHECK(name_needs_escape(name));
  CHECK(escape_name(name) == "a\\\\b\\nc\\rd");
  CHECK(unescape_name(escape_name(name)) == name);
  CHECK_FALSE(name_needs_escape("plain name.jpg"));
}

TEST_CASE("unescaping rejects unknown escapes and a trailing backslash") {
  CHECK_FALSE(unescape_name("a\\t").has_value());
  CHECK_FALSE(unescape_name("a\\").has_value());
  CHECK(unescape_name("") == std::string());
}

TEST_CASE("check output escapes a name only when it holds a newline") {
  CHECK(check_display_name("back\\slash") == "back\\slash");
  CHECK(check_display_name("c\rr") == "c\rr");
  CHECK(check_display_name("n\nl\\x") == "\\n\\nl\\\\x");
}

TEST_CASE("diagnostics quote names like coreutils") {
  CHECK(quote_name("missing") == "missing");
  CHECK(quote_name("b c") == "'b c'");
  CHECK(quote_name("it's") == "\"it's\"");
  CHECK(quote_name("t\tab") == "'t'$'\\t''ab'");
  CHECK(quote_name("café") == "café");
  CHECK(quote_name("a:b") == "'a:b'");
  CHECK(quote_name("$it's") == "'$it'\\''s'");
}

TEST_CASE("UTF-8 validation") {
  CHECK(is_valid_utf8("café ✓ 𝄞"));
  CHECK_FALSE(is_valid_utf8("\xff"));
  CHECK_FALSE(is_valid_utf8("\xc0\xaf"));      // overlong
  CHECK_FALSE(is_valid_utf8("\xed\xa0\x80"));  // surrogate
  CHECK_FALSE(is_valid_utf8("\xe2\x82"));      // truncated
}

TEST_CASE("unprintable bytes are escaped in runs, printable UTF-8 stays") {
  CHECK(quote_name("a\t") == "'a'$'\\t'");
  CHECK(quote_name("\xff\xfe") == "''$'\\377\\376'");
  CHECK(quote_name("caf\xc3\xa9\xff") == "'café'$'\\377'");
  CHECK(quote_name("c1\xc2\x80") == "'c1'$'\\302\\200'");
  CHECK(quote_name("n\nl") == "'n'$'\\n''l'");
}
