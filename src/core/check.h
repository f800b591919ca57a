// The `check` job as data: which files to read for a set of manifests, which
// files an audit finds unlisted, and the counts and JSON report of a run.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/manifest.h"
#include "core/result.h"
#include "core/verify.h"

namespace lv {

// One VerifyItem per entry, manifests in order. Names resolve against the
// run's root (the current directory when empty); absolute names stay as they are.
struct CheckPlan {
  std::vector<VerifyItem> items;
  std::vector<std::size_t> manifest_of;  // manifest index of each item
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
  const FileResult* result = nullptr;
};

struct CheckSummary {
  std::uint64_t total = 0;       // listed entries checked
  std::uint64_t ok = 0;
  std::uint64_t failed = 0;
  std::uint64_t missing = 0;     // missing and dangling links
  std::uint64_t unreadable = 0;  // directory, link loop, special file, open or read errors
  std::uint64_t size_only = 0;
  std::uint64_t unknown = 0;
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
