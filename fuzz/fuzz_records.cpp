// Fuzzes the record scanner (scan_records_in, scan_records). Invariants:
// - batches partition the input: each starts where the previous one ended, the
//   first at byte 0, the last ends at the end, so their texts concatenated give
//   the input back byte for byte;
// - records are numbered 0, 1, ... and their spans lie in their batch, in order;
//   an `image` string's span lies in its record and is a quoted JSON string;
// - an Error names the input first (`name: byte N (line L): ...`);
// - the streaming path (a file read in tiny blocks, tiny batches, extra fields)
//   accepts exactly what the in-memory scan accepts, with the same records.
#include <cstdint>
#include <string>
#include <vector>

#include "core/records.h"
#include "fuzz_check.h"

namespace {

struct Seen {
  std::uint64_t index, begin, end, image_begin, image_end;
  bool is_object;
  lv::ImageKind kind;
  std::string id, image;
  bool operator==(const Seen&) const = default;
};

struct Scan {
  lv::Status status;
  std::vector<Seen> records;
  std::string joined;  // the batches' texts, concatenated
  bool ran = true;     // false when no memfd could be made
};

Scan scan(std::string_view text, bool from_file, const lv::ScanOptions& options) {
  Scan out;
  std::uint64_t next_begin = 0;
  bool saw_last = false;
  auto handler = [&](const lv::RecordBatch& b) -> lv::Status {
    LV_FUZZ_CHECK(!saw_last, "no batch after the last");
    LV_FUZZ_CHECK(b.begin == next_begin, "");
    LV_FUZZ_CHECK(b.first == (b.begin == 0), "");
    next_begin = b.begin + b.text.size();
    saw_last = b.last;
    LV_FUZZ_CHECK(b.text == text.substr(static_cast<std::size_t>(b.begin), b.text.size()), "");
    out.joined.append(b.text);
    for (const auto& r : b.records) {
      LV_FUZZ_CHECK(r.index == out.records.size(), "");
      LV_FUZZ_CHECK(r.begin >= b.begin && r.begin < r.end && r.end <= next_begin, "");
      LV_FUZZ_CHECK(out.records.empty() || out.records.back().end < r.begin, "");
      Seen s{r.index, r.begin, r.end, 0, 0, r.is_object, r.image_kind, std::string(r.id), {}};
      if (r.image_kind == lv::ImageKind::string) {
        LV_FUZZ_CHECK(r.is_object, "");
        LV_FUZZ_CHECK(r.begin < r.image_begin && r.image_begin + 2 <= r.image_end && r.image_end < r.end, "");
        LV_FUZZ_CHECK(text[r.image_begin] == '"' && text[r.image_end - 1] == '"', "");
        const std::string_view raw = text.substr(r.image_begin + 1, r.image_end - r.image_begin - 2);
        if (raw.find('\\') == std::string_view::npos) LV_FUZZ_CHECK(r.image == raw, "");
        s.image_begin = r.image_begin;
        s.image_end = r.image_end;
        s.image = std::string(r.image);
      }
      if (r.is_object) LV_FUZZ_CHECK(text[r.begin] == '{' && text[r.end - 1] == '}', "");
      out.records.push_back(std::move(s));
    }
    return {};
  };
  if (from_file) {
    lv_fuzz::MemFile file(text);
    if (file.path().empty()) {
      out.ran = false;
      return out;
    }
    out.status = lv::scan_records(file.path(), options, handler);
  } else {
    out.status = lv::scan_records_in(text, "fuzz.json", options, handler);
  }
  if (out.status.ok()) {
    LV_FUZZ_CHECK(saw_last, "the last batch is marked");
    LV_FUZZ_CHECK(out.joined == text, "batches give the input back");
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = lv_fuzz::as_text(data, size);
  const Scan memory = scan(text, false, lv::ScanOptions{});
  if (!memory.status.ok()) {
    LV_FUZZ_CHECK(memory.status.error().message.starts_with("fuzz.json: "), memory.status.error().message);
  }

  lv::ScanOptions small;
  small.extra_fields = true;
  small.batch_bytes = 1 + size % 61;
  small.read_block = 1 + size % 7;
  const Scan streamed = scan(text, true, small);
  if (!streamed.ran) return 0;
  LV_FUZZ_CHECK(streamed.status.ok() == memory.status.ok(),
                streamed.status.ok() ? memory.status.error().message : streamed.status.error().message);
  if (memory.status.ok()) LV_FUZZ_CHECK(streamed.records == memory.records, "");
  return 0;
}
