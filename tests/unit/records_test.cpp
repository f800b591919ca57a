#include "core/records.h"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <algorithm>

#include "test_util.h"

using namespace lv;

namespace {

struct Scanned {
  std::vector<Record> records;
  std::vector<std::string> ids, images, urls, captions, blip_captions;  // copies: views die with the batch
  std::string rejoined;  // every batch's text, concatenated
  std::size_t batches = 0;
  bool saw_first = false, saw_last = false;
};

Status collect(Scanned& out, const RecordBatch& b) {
  out.rejoined.append(b.text);
  ++out.batches;
  out.saw_first = out.saw_first || b.first;
  out.saw_last = out.saw_last || b.last;
  for (const auto& r : b.records) {
    out.records.push_back(r);
    out.ids.emplace_back(r.id);
    out.images.emplace_back(r.image);
    out.urls.emplace_back(r.url);
    out.captions.emplace_back(r.caption);
    out.blip_captions.emplace_back(r.blip_caption);
  }
  return {};
}

Result<Scanned> scan(std::string_view text, ScanOptions o = {}) {
  Scanned out;
  auto s = scan_records_in(text, "chat.json", o, [&](const RecordBatch& b) { return collect(out, b); });
  if (!s) return s.error();
  return out;
}

const char* kChat = R"([
  {"id": "GCC_train_002582585", "image": "GCC_train_002582585.jpg",
   "conversations": [{"from": "human", "value": "Provide a brief description.\n<image>"},
                     {"from": "gpt", "value": "olive oil is a \"healthy\" ingredient ."}]},
  {"id": 33471, "conversations": []},
  {"image" : "00453/00\u0034539375.jpg" , "id":"004539375"},
  {"id": "x", "image": 5},
  {"id": "y", "image": "a.jpg", "image": "b.jpg"},
  "not an object"
]
)";

}  // namespace

TEST_CASE("records, ids, images and their byte spans") {
  auto s = scan(kChat);
  REQUIRE(s.ok());
  const auto& r = s->records;
  REQUIRE(r.size() == 6);
  CHECK(s->ids == std::vector<std::string>{"GCC_train_002582585", "33471", "004539375", "x", "y", ""});
  CHECK(r[0].image_kind == ImageKind::string);
  CHECK(s->images[0] == "GCC_train_002582585.jpg");
  CHECK(std::string_view(kChat).substr(r[0].image_begin, r[0].image_end - r[0].image_begin) ==
        "\"GCC_train_002582585.jpg\"");
  CHECK(std::string_view(kChat).substr(r[0].begin, 1) == "{");
  CHECK(std::string_view(kChat).substr(r[0].end - 2, 2) == "]}");
  CHECK(r[1].image_kind == ImageKind::absent);  // text-only: legal
  CHECK(s->images[2] == "00453/004539375.jpg");  // escapes decoded
  CHECK(std::string_view(kChat).substr(r[2].image_begin, r[2].image_end - r[2].image_begin) ==
        "\"00453/00\\u0034539375.jpg\"");
  CHECK(r[3].image_kind == ImageKind::not_string);
  CHECK(r[4].image_kind == ImageKind::duplicate);
  CHECK_FALSE(r[5].is_object);
  CHECK(r[5].index == 5);
}

TEST_CASE("batches partition the file, whatever the batch and read sizes") {
  for (std::size_t batch : {1, 7, 100, 4096}) {
    for (std::size_t block : {1, 3, 64, 1 << 20}) {
      CAPTURE(batch);
      CAPTURE(block);
      test::TempDir dir;
      std::string path = dir.write("chat.json", kChat);
      Scanned out;
      ScanOptions o;
      o.batch_bytes = batch;
      o.read_block = block;
      o.overlap = batch % 2 == 1;
      auto st = scan_records(path, o, [&](const RecordBatch& b) { return collect(out, b); });
      REQUIRE(st.ok());
      CHECK(out.rejoined == kChat);
      CHECK(out.records.size() == 6);
      CHECK(out.images[2] == "00453/004539375.jpg");
      CHECK(out.saw_first);
      CHECK(out.saw_last);
      if (batch == 1) CHECK(out.batches == 6);
    }
  }
}

// Strings full of escaped quotes, runs of backslashes and brackets, at every
// alignment to the scanner's 64-byte blocks and its read blocks: the spans are
// known by construction, and must come back exactly.
TEST_CASE("record spans with escapes and brackets in strings, across blocks and reads") {
  std::uint64_t seed = 0x9e3779b97f4a7c15ULL;
  auto next = [&](std::uint64_t n) {
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return seed % n;
  };
  auto random_string = [&] {
    static const char* const pieces[] = {"\\\\", "\\\"", "\\\\\\\"", "\\n", "{", "}", "[", "]", "a", "bb", "\\u00e9", "é", ",", " "};
    std::string out = "\"";
    for (std::uint64_t k = next(40); k > 0; --k) out += pieces[next(std::size(pieces))];
    return out + "\"";
  };
  for (int round = 0; round < 20; ++round) {
    CAPTURE(round);
    std::string text = "[" + std::string(next(70), ' ');
    std::vector<std::pair<std::uint64_t, std::uint64_t>> spans;
    const std::uint64_t n = 1 + next(30);
    for (std::uint64_t i = 0; i < n; ++i) {
      if (i > 0) text += "," + std::string(next(3), '\n');
      std::string rec = "{\"id\": " + random_string() + ", \"image\": \"img" + std::to_string(i) + ".jpg\"";
      for (std::uint64_t k = next(4); k > 0; --k) {
        rec += ", \"k" + std::to_string(k) + "\": [" + random_string() + ", {\"x\": " + random_string() + "}, []]";
      }
      rec += "}";
      spans.emplace_back(text.size(), text.size() + rec.size());
      text += rec;
    }
    text += "\n]\n";
    for (std::size_t block : {1, 5, 64, 100, 1 << 20}) {
      CAPTURE(block);
      test::TempDir dir;
      Scanned out;
      ScanOptions o;
      o.batch_bytes = 1 + next(300);
      o.read_block = block;
      o.overlap = block % 2 == 0;  // both: batches cut on this thread, and on another
      CAPTURE(o.overlap);
      auto st = scan_records(dir.write("chat.json", text), o, [&](const RecordBatch& b) { return collect(out, b); });
      REQUIRE(st.ok());
      REQUIRE(out.records.size() == n);
      CHECK(out.rejoined == text);
      for (std::uint64_t i = 0; i < n; ++i) {
        CHECK(out.records[i].begin == spans[i].first);
        CHECK(out.records[i].end == spans[i].second);
        CHECK(out.images[i] == "img" + std::to_string(i) + ".jpg");
      }
    }
  }
}

// A file is cut on one thread and parsed on another: errors still come out in
// file order, with the line of the byte, whatever the batch and read sizes.
TEST_CASE("the first error in the file wins, with its line, when cutting and parsing overlap") {
  std::string text = "[\n";
  for (int i = 0; i < 200; ++i) {
    text += "  {\"id\": \"" + std::to_string(i) + "\", \"image\": \"" + std::to_string(i) + ".jpg\", \"ok\": ";
    text += i == 120 ? "tru" : "true";
    text += "},\n";
  }
  text += "  {\"id\": \"cut";  // truncated: the cutter's error comes after the parser's
  const std::size_t bad = text.find("tru}");
  const auto line = 1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(bad), '\n');
  for (std::size_t batch : {1, 100, 4096, 1 << 20}) {
    for (std::size_t block : {7, 64, 1 << 20}) {
     for (bool overlap : {false, true}) {
      CAPTURE(batch);
      CAPTURE(block);
      CAPTURE(overlap);
      test::TempDir dir;
      ScanOptions o;
      o.batch_bytes = batch;
      o.read_block = block;
      o.overlap = overlap;
      std::size_t records = 0;
      const std::string path = dir.write("chat.json", text);
      auto st = scan_records(path, o, [&](const RecordBatch& b) {
        records += b.records.size();
        return Status{};
      });
      REQUIRE_FALSE(st.ok());
      const std::string where = fmt::format("{}: byte {} (line {}): invalid JSON: ", path, bad, line);
      CHECK(st.error().message.substr(0, where.size()) == where);
      CHECK(records <= 120);  // nothing after the bad record was handed over
     }
    }
  }
}

TEST_CASE("a handler's error stops the scan, cut on another thread or not") {
  std::string text = "[";
  for (int i = 0; i < 5000; ++i) text += std::string(i ? "," : "") + "{\"image\": \"" + std::to_string(i) + ".jpg\"}";
  text += "]";
  for (bool overlap : {false, true}) {
    CAPTURE(overlap);
    test::TempDir dir;
    ScanOptions o;
    o.batch_bytes = 64;
    o.read_block = 256;
    o.overlap = overlap;
    int calls = 0;
    auto st = scan_records(dir.write("chat.json", text), o, [&](const RecordBatch&) -> Status {
      if (++calls == 3) return Error{"disk full"};
      return {};
    });
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().message == "disk full");
    CHECK(calls == 3);
  }
}

TEST_CASE("metadata fields on request") {
  ScanOptions o;
  o.extra_fields = true;
  auto s = scan(R"([{"id": "1", "image": "a.jpg", "url": "http://x/a.jpg", "caption": "c", "blip_caption": "b"}])", o);
  REQUIRE(s.ok());
  CHECK(s->urls[0] == "http://x/a.jpg");
  CHECK(s->captions[0] == "c");
  CHECK(s->blip_captions[0] == "b");
}

TEST_CASE("numbers beyond a double or a 64-bit integer are valid JSON") {
  auto s = scan(R"([{"id": 123456789012345678901234567890, "x": 1e400, "y": -0.5E-3}])");
  REQUIRE(s.ok());
  CHECK(s->ids[0] == "123456789012345678901234567890");
}

TEST_CASE("the value of a repeated image key is validated too") {
  auto s = scan(R"([{"image": "a.jpg", "image": nul}])");
  REQUIRE_FALSE(s.ok());
}

TEST_CASE("an empty array and whitespace around it") {
  auto s = scan(" \n[ \n] \n");
  REQUIRE(s.ok());
  CHECK(s->records.empty());
  CHECK(s->rejoined == " \n[ \n] \n");
}

TEST_CASE("malformed files: the byte offset, the line and the problem") {
  auto message = [](std::string_view text) {
    auto s = scan(text);
    REQUIRE_FALSE(s.ok());
    return s.error().message;
  };
  CHECK(message("") == "chat.json: byte 0 (line 1): empty file: expected a JSON array of records");
  CHECK(message("\xEF\xBB\xBF[]") ==
        "chat.json: byte 0 (line 1): a UTF-8 byte order mark: JSON must not start with one (RFC 8259)");
  CHECK(message("{\"a\": 1}") == "chat.json: byte 0 (line 1): expected '[' (a JSON array of records), found '{'");
  CHECK(message("[{\"a\": 1},\n{\"b\": \"x") == "chat.json: byte 19 (line 2): the file ends inside record 1 (truncated?)");
  CHECK(message("[{\"a\": 1}\n") == "chat.json: byte 10 (line 2): the file ends inside the array (truncated?)");
  CHECK(message("[{\"a\": 1},\n]") == "chat.json: byte 11 (line 2): a trailing comma after the last record");
  CHECK(message("[{\"a\": 1} {\"b\": 2}]") == "chat.json: byte 10 (line 1): expected ',' or ']' after record 0");
  CHECK(message("[{\"a\": 1}] x") == "chat.json: byte 11 (line 1): content after the end of the array");
  // Found by the records fuzzer: empty elements were accepted, record numbers skipped.
  CHECK(message("[{\"image\":\"a.jpg\"},,{\"image\":\"b.jpg\"}]") == "chat.json: byte 19 (line 1): expected record 1, found ','");
  CHECK(message("[,{\"a\": 1}]") == "chat.json: byte 1 (line 1): expected record 0, found ','");
  CHECK(message("[{\"a\": \"caf\xC3\"}]") == "chat.json: byte 11 (line 1): invalid UTF-8");
  std::string deep(5000, '[');
  deep = "[{\"a\": " + deep + std::string(5000, ']') + "}]";
  CHECK(message(deep).find("invalid JSON: ") != std::string::npos);
  CHECK(message("[{\"id\": 1, \"a\": tru}]").starts_with("chat.json: byte "));
  CHECK(message("[{\"id\": 1, \"a\": \"bad \\q escape\"}]").find("invalid JSON") != std::string::npos);
  CHECK(message("[{\"id\": 1, \"a\": [1, 2.5e, 3]}]").find("invalid JSON") != std::string::npos);
  CHECK(message("[{\"id\": 1}, 12x]").find("invalid JSON") != std::string::npos);
}

TEST_CASE("a record over the size bound is an error, not an allocation") {
  ScanOptions o;
  o.max_record_bytes = 64;
  auto s = scan("[{\"image\": \"" + std::string(100, 'x') + "\"}]", o);
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().message == "chat.json: byte 1 (line 1): record 0 is larger than 0 MB");
}

TEST_CASE("a missing file is named") {
  auto st = scan_records("/nonexistent/chat.json", {}, [](const RecordBatch&) { return Status{}; });
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().message == "/nonexistent/chat.json: No such file or directory");
}
