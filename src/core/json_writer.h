// A small streaming JSON writer with a fixed layout (two-space indent, keys in
// the order written), so reports are byte-identical run to run.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace lv {

class JsonWriter {
 public:
  void begin_object();
  void end_object();
  void begin_array();
  void end_array();
  void key(std::string_view k);

  void value(std::string_view s);
  void value(const char* s) { value(std::string_view(s)); }
  void value(std::uint64_t n);
  void value(std::int64_t n);
  void value(int n) { value(static_cast<std::int64_t>(n)); }
  void value(unsigned n) { value(static_cast<std::uint64_t>(n)); }
  void value(bool b);
  void value(double d);
  void null();

  // A file name: "key": "..." and, when the bytes are not UTF-8, also
  // "key_hex": "..." so that the exact name survives.
  void path(std::string_view key_name, std::string_view bytes);

  // The document, with a final newline.
  std::string finish();

 private:
  void before_value();
  void newline();

  std::string out_;
  struct Level {
    bool array;
    bool empty;
  };
  std::vector<Level> stack_;
  bool after_key_ = false;
};

// JSON string escaping (with quotes). Bytes that are not UTF-8 become U+FFFD.
std::string json_quote(std::string_view s);

}  // namespace lv
