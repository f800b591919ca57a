// Small file-system helpers: whole-file reads with errors that name the file,
// atomic writes (temporary name in the same folder, flush, rename), and the
// sorted recursive walk that `manifest create` and `check --audit` share.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace lv {

// Reads a whole regular file. Refuses directories and special files.
Result<std::string> read_file(const std::string& path);
// Reads a descriptor to its end (for standard input); errors are the errno text.
Result<std::string> read_stream(int fd);

// Writes `data` to `path` atomically: `path.tmp-XXXXXX` in the same folder,
// fsync'd, then renamed. On failure nothing is left under either name.
Status write_file_atomic(const std::string& path, std::string_view data);

struct WalkedFile {
  std::string relative;  // relative to the walked root, no leading "./"
  std::uint64_t size = 0;
};

// Regular files under `root` (and symlinks to regular files), sorted bytewise by
// relative path. Symlinked folders are not followed, so link loops cannot hang it.
// Folders that cannot be read are in `problems` ("path: reason"); what is
// neither a file nor a folder (dangling links, FIFOs, sockets, devices, links
// to folders) is in `skipped` ("path: what it is").
struct WalkResult {
  std::vector<WalkedFile> files;
  std::vector<std::string> problems;
  std::vector<std::string> skipped;
};
Result<WalkResult> walk_files(const std::string& root);

// `root` joined with `name`, unless `name` is absolute or root is empty.
std::string join_path(std::string_view root, std::string_view name);
// Lexically normal form: no ".", no "a/..", no doubled or trailing slashes.
std::string normalize_path(std::string_view path);

}  // namespace lv
