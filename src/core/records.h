// Streaming scan of a record file: one JSON array of objects (the LLaVA
// releases and LLaVA-style fine-tuning data), of any size: the memory it holds is a
// few times the largest record (at most ScanOptions::max_record_bytes), whatever
// the file's size.
//
// A small scanner walks the top-level array and cuts it into batches of whole
// records (a few MB each); simdjson On-Demand validates each batch and reads
// the fields asked for. Every record comes with its byte span, and the `image`
// value with the span of its raw JSON string, so that `rewrite` can splice new
// values into the original bytes.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace lv {

enum class ImageKind : std::uint8_t {
  absent,      // no "image" key: a text-only record (legal)
  string,      // a JSON string: `image` holds it unescaped
  not_string,  // a number, object, null...
  duplicate,   // the key appears more than once in the object
};

struct Record {
  std::uint64_t index = 0;   // 0-based position in the array
  std::uint64_t begin = 0;   // byte offset of the record's '{'
  std::uint64_t end = 0;     // byte offset just past its '}'
  bool is_object = true;     // false: an element that is not an object
  std::string_view id;       // "id": the string unescaped, or a number as written
  ImageKind image_kind = ImageKind::absent;
  std::string_view image;    // unescaped
  std::uint64_t image_begin = 0;  // span of the raw JSON string, quotes included
  std::uint64_t image_end = 0;
  std::string_view url;      // only when asked for (ScanOptions::extra_fields)
  std::string_view caption;
  std::string_view blip_caption;
};

// A run of consecutive records and the bytes around them: batches partition the
// file, so concatenating every batch's `text` gives the file back byte for byte.
struct RecordBatch {
  std::uint64_t begin = 0;     // file offset of text[0]
  std::string_view text;
  std::vector<Record> records; // views valid during the callback only
  bool first = false;          // holds the bytes before the first record ('[')
  bool last = false;           // holds the bytes after the last record (']')
};

struct ScanOptions {
  bool extra_fields = false;  // also read url, caption, blip_caption (metadata files)
  std::size_t batch_bytes = 4u << 20;
  std::size_t max_record_bytes = 256u << 20;  // a larger record is an error, not an allocation
  std::size_t read_block = 8u << 20;          // bytes read from the file at a time
  // Files only: cut batches on a second thread while this one parses them and
  // runs the handler. Worth it when the caller's thread is the bottleneck
  // (rewrite: ~25% faster); it costs a copy of each batch and up to two batches
  // of memory, so commands whose other threads already fill the cores (missing)
  // leave it off.
  bool overlap = false;
};

using BatchHandler = std::function<Status(const RecordBatch&)>;

// Scans `path` ("-": standard input). Errors name the byte offset and line
// ("chat.json: byte 1043 (line 12): ..."), and stop the scan; an error returned
// by the handler stops it too and is passed through.
Status scan_records(const std::string& path, const ScanOptions& options, const BatchHandler& on_batch);
// The same over bytes in memory (tests, fuzzing).
Status scan_records_in(std::string_view text, std::string_view name, const ScanOptions& options,
                       const BatchHandler& on_batch);

}  // namespace lv
