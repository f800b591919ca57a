// `llava-verify audit DIR`: what a folder holds of the LLaVA release, checked
// in one run: the release files against the shipped (or given) manifests,
// each archive entry by entry, each record file against the image stores
// found beside it; then a verdict under a gating policy. Data only: the CLI
// prints, the renderers in audit_report.h write the reports.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/missing.h"
#include "core/probe_report.h"
#include "core/result.h"
#include "core/verify.h"
#include "core/zip_test.h"

namespace lv {

struct AuditOptions {
  std::string dir;
  std::vector<std::string> manifests;  // replace the shipped ones (every entry then counts)
  std::vector<std::string> images;     // stores, instead of the folders and archives found
  std::string meta;                    // metadata for URLs, instead of the one found
  std::vector<std::string> records;    // more record files
  std::optional<double> max_missing_fraction;  // default: any unusable image fails
  bool allow_unknown_hashes = false;
  bool allow_absolute = false;         // check absolute `image` values where they point
  DeepLevel deep = DeepLevel::off;     // check each present image's content (image_inspect.h)
  bool archive_compare = true;         // compare folder images with the archives beside them
  std::vector<std::string> require;    // paths (relative to DIR) that must be present
  std::string probe_report;            // a `probe --json` report to include
  unsigned jobs = 1;
};

struct AuditInput {
  std::string path;  // relative to DIR
  std::string kind;  // "records", "metadata", "archive", "release_file", "file", "image_folder", "img2dataset"
  std::uint64_t size = 0;
  std::string sha256;       // files
  std::uint64_t files = 0;  // folders: files listed
};

struct AuditFile {
  std::string path;
  std::string manifest;
  FileStatus status = FileStatus::missing;
  std::uint64_t size = 0;
  std::string detail;  // why it failed ("sha256 differs", "size 3, expected 5")
};

struct AuditArchive {
  std::string path;
  std::optional<ZipReport> report;
  std::string error;  // when it could not be read at all
};

struct AuditRecords {
  std::string path;
  std::string meta;  // the metadata used for URLs, if any
  std::vector<std::string> roots;  // the image roots (or archives) it was checked against, as shown
  std::optional<MissingReport> report;
  std::uint64_t absolute = 0;     // of the invalid values, how many are absolute paths
  std::string invalid_detail;     // why the first invalid value is invalid
  std::string hint;               // why no image was found, when none was
  std::uint64_t in_archives = 0;  // of the unusable images, how many an archive of DIR holds
  std::string restore;            // the command that restores them, when in_archives > 0
  std::string fix_extensions;     // the rewrite that points other_extension records at the files there
  std::string error;  // when the file could not be read (invalid JSON...)
};

// A copy of the GPT-4 prompts folder (playground/data/prompts/), against the
// published one: edits are findings to know about, not a gate failure.
struct AuditPrompts {
  std::string path;  // relative to DIR
  std::uint64_t files = 0, as_published = 0;
  std::vector<std::string> edited, missing, added;
};

struct AuditReport {
  std::string dir;
  std::vector<std::string> sections;  // the folders audited, relative to DIR ("." for DIR itself)
  bool pass = true;
  std::vector<std::string> reasons;  // why not, in step order
  std::vector<AuditInput> inputs;
  std::vector<AuditFile> files;
  std::vector<AuditArchive> archives;
  std::vector<AuditRecords> records;
  std::vector<AuditPrompts> prompts;
  std::optional<ProbeSummary> probe;   // --probe-report (information, not gated)
  std::vector<std::string> problems;  // warnings: stores with unreadable parts, skipped entries
  AuditOptions policy;
};

// An Error when nothing could be audited (DIR unreadable, or holds nothing known).
Result<AuditReport> run_audit(const AuditOptions& options);

}  // namespace lv
