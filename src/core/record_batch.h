// The two halves of a record scan (records.h): the cutter (records.cpp) finds
// the byte span of each record and hands over batches of whole records with
// their bytes; the batch parser (record_batch.cpp) validates each batch with
// simdjson On-Demand and reads the fields asked for. Internal to the scan.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/records.h"

namespace lv {

// JSON's white space.
inline bool is_json_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

// A batch as the cutter hands it over: owned bytes, so that the cutter may go
// on reading while the batch is parsed.
struct PendingBatch {
  std::uint64_t begin = 0;   // file offset of text()[0]
  // The batch's bytes (records and what lies between them) from storage[1],
  // with a free byte before them and one more plus simdjson's padding after:
  // the parser brackets the records in place ('[' ... ']') instead of copying them.
  std::unique_ptr<char[]> storage;
  std::size_t size = 0;
  std::string_view text() const { return {storage.get() + 1, size}; }
  void assign(std::string_view bytes);
  std::vector<std::pair<std::uint64_t, std::uint64_t>> spans;  // the records, as file offsets
  std::uint64_t first_index = 0;
  std::uint64_t lines_before = 0;  // newlines before `begin`
  bool first = false, last = false;

  // "NAME: byte N (line L): what", for a position inside the batch.
  Error error_at(std::string_view name, std::uint64_t pos, std::string_view what) const;
};

using BatchSink = std::function<Status(PendingBatch&&)>;

class BatchParser {
 public:
  BatchParser(std::string_view name, const ScanOptions& options) : name_(name), options_(options) {}
  // Parses the batch and calls the handler with it (records' views live until it returns).
  // The batch's storage is written to while it is parsed, and restored before the handler runs.
  Status hand_over(PendingBatch& in, const BatchHandler& handler);

 private:
  Status parse(PendingBatch& in, RecordBatch& batch);

  std::string_view name_;
  const ScanOptions& options_;
  simdjson::ondemand::parser parser_;
};

}  // namespace lv
