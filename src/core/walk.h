// The recursive listing of a folder that `manifest create`, `check --audit` and
// the image stores share. Sizes come from one fstatat per file, spread over
// threads for large folders (on a warm cache the kernel's path lookup is the
// cost, ~1-2 us a file); the file type comes from readdir where it can.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace lv {

// The size of a file listed without a stat (WalkOptions::sizes off).
inline constexpr std::uint64_t kSizeUnknown = UINT64_MAX;

struct WalkedFile {
  std::string relative;  // relative to the walked root, no leading "./"
  std::uint64_t size = 0;  // kSizeUnknown when not asked for
};

// Regular files under `root` (and symlinks to regular files). Symlinked folders
// are not followed, so link loops cannot hang it. Folders that cannot be read
// are in `problems` ("path: reason"); what is neither a file nor a folder
// (dangling links, FIFOs, sockets, devices, links to folders) is in `skipped`.
struct WalkResult {
  std::vector<WalkedFile> files;
  std::vector<std::string> problems;
  std::vector<std::string> skipped;
};

struct WalkOptions {
  bool sort = true;   // bytewise by relative path (manifests); stores need no order
  unsigned jobs = 1;  // threads for the fstatat calls of large folders
  // Off: files that readdir says are regular are taken as they are, with
  // kSizeUnknown, and only the others (links, unknown d_type) are stat'ed.
  bool sizes = true;
  // Folders not descended into, by their path relative to the root ("LLaVA-Pretrain",
  // "a/b"): an audit's image root leaves out the folders that are audited on their own.
  std::vector<std::string> skip_folders;
};

Result<WalkResult> walk_files(const std::string& root, const WalkOptions& options = {});

// The same, handing each file to `visit` instead of collecting them (in listing
// order, whatever `sort` says; the view lives for the call): for the image
// stores, which index half a million names and need no copy of each. The
// result's `files` stays empty.
// `listed`, when given, hears how many entries each folder has before its files
// are visited (to size a table once).
using FileVisitor = std::function<void(std::string_view relative, std::uint64_t size)>;
Result<WalkResult> walk_each(const std::string& root, const WalkOptions& options, const FileVisitor& visit,
                             const std::function<void(std::size_t entries)>& listed = nullptr);

}  // namespace lv
