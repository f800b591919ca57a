// The resume file of `probe --state`: one line per URL classified, appended as
// results come, so that an interrupted probe (hours, for 595K URLs) continues
// where it stopped. A line cut short by a crash is dropped on the next open.
//
//   llava-verify-probe-state 1
//   INDEX<TAB>CLASS<TAB>HTTP_STATUS<TAB>URL_HASH<TAB>DETAIL
//
// URL_HASH (16 hex digits, FNV-1a of the URL) ties a line to its URL, so a
// state file used with other metadata answers nothing wrongly.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

#include "core/fs.h"
#include "core/probe.h"
#include "core/result.h"

namespace lv {

class ProbeState {
 public:
  struct Entry {
    std::uint64_t url_hash = 0;
    ProbeClass cls = ProbeClass::ok;
    long http_status = 0;
    std::string detail;
  };

  // Reads what is there (creating the file when absent) and opens it for appending.
  Status open(const std::string& path);
  bool is_open() const { return fd_.get() >= 0; }
  const Entry* find(std::uint64_t index, std::uint64_t url_hash) const;
  Status append(std::uint64_t index, std::uint64_t url_hash, ProbeClass cls, long http_status, std::string_view detail);

 private:
  std::string path_;
  Fd fd_;
  std::unordered_map<std::uint64_t, Entry> entries_;
};

}  // namespace lv
