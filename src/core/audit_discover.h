// What an audit finds in a tree: the folders that hold something checkable
// (record files, metadata, archives, manifests, release files), and the GPT-4
// prompts folders. DIR may be a LLaVA checkout, `playground/data`, or one
// release folder; the known places are searched to a bounded depth, without
// following a link and without descending into image folders.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace lv {

// One folder of the tree with something to check at its top.
struct AuditSection {
  std::string path;                      // relative to DIR; "" for DIR itself
  std::vector<std::string> files;        // regular files at its top, sorted
  std::vector<std::string> folders;      // sub-folders (not hidden, not links), sorted
  std::vector<std::string> record_files; // of `files`: LLaVA record files, by content
  std::vector<std::string> archives;     // of `files`: *.zip
  std::vector<std::string> linked_records;  // symbolic links to record files: not read, reported
};

struct AuditTree {
  std::vector<AuditSection> sections;  // sorted by path: a folder before its sub-folders
  std::vector<std::string> prompts;    // prompts folders, relative to DIR ("." for DIR)
  std::vector<std::string> skipped;    // evaluation data (LLaVA's playground/data/eval): not training data, not searched
};

// How deep below DIR sections are looked for: a checkout's
// playground/data/LLaVA-Pretrain is 3 levels down.
inline constexpr int kAuditDepth = 4;

// Whether the first bytes of a file look like LLaVA records: a JSON array of
// objects, or JSON lines, whose first object has a "conversations" or an
// "image" key. Reads at most 16 KiB.
bool sniff_record_file(const std::string& path);

// Metadata files of the release (they hold `image` and `url`, not records).
bool is_metadata_name(std::string_view name);

// A folder holding the GPT-4 prompts (<task>/system_message.txt).
bool is_prompts_folder(const std::string& path);

// Sections and prompts folders under `dir`. An Error only when `dir` cannot be read.
Result<AuditTree> discover_audit_tree(const std::string& dir);

// "a/b" for ("a", "b"); "b" for ("", "b").
std::string sub_path(std::string_view section, std::string_view name);

}  // namespace lv
