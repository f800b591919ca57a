// The `check` job as data: which files to read for a set of manifests, which
// files an audit finds unlisted, and the counts and JSON report of a run.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/manifest.h"
#include "core/read_run.h"
#include "core/result.h"
#include "core/verify.h"

namespace lv {

// What to read for a set of manifests: each distinct file once, with every
// digest any entry asks of it (a BSD file with SHA256 and MD5 lines for the
// same name reads it once). Names are compared in their lexically normal form;
// they resolve against the run's root (see ReadRun).
struct CheckPlan {
  struct Slot {
    std::size_t manifest = 0;
    const ManifestEntry* entry = nullptr;
    std::size_t read = 0;  // index into reads
  };
  std::vector<ReadItem> reads;
  std::vector<Slot> slots;  // manifests in order, entries in order
};
CheckPlan plan_check(const std::vector<Manifest>& manifests);

// Files under each of `dirs` that no manifest entry names, sorted, shown
// relative to `root` when under it. Unreadable folders go to `problems`.
Result<std::vector<std::string>> find_unlisted(const std::vector<Manifest>& manifests, const std::string& root,
                                               const std::vector<std::string>& dirs,
                                               std::vector<std::string>& problems);

// One line of the report: a listed entry with its result, or an unlisted file.
struct CheckRecord {
  std::size_t manifest = 0;              // index into manifests; unused for unlisted
  const ManifestEntry* entry = nullptr;  // null for unlisted
  std::string_view path;                 // as named in the manifest, or the audit path
  const FileReadResult* read = nullptr;  // null for unlisted
};

struct CheckSummary {
  std::uint64_t total = 0;       // listed entries checked
  std::uint64_t ok = 0;
  std::uint64_t failed = 0;
  std::uint64_t missing = 0;     // missing and dangling links
  std::uint64_t unreadable = 0;  // directory, link loop, special file, open or read errors
  std::uint64_t size_only = 0;
  std::uint64_t unknown = 0;
  std::uint64_t unconfirmed = 0;  // differs from an unconfirmed digest: a warning
  std::uint64_t unlisted = 0;
  std::uint64_t malformed_lines = 0;
};
void count(CheckSummary& s, FileStatus status);

struct ReportInfo {
  std::string version;
  std::string root;
};
std::string render_check_json(const std::vector<Manifest>& manifests, const std::vector<CheckRecord>& records,
                              const CheckSummary& summary, const ReportInfo& info);

}  // namespace lv
