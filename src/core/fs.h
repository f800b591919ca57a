// Small file-system helpers: whole-file reads with errors that name the file,
// atomic writes (temporary name in the same folder, flush, rename), paths.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"
#include "core/walk.h"  // IWYU pragma: export

namespace lv {

// Reads a whole regular file. Refuses directories and special files.
Result<std::string> read_file(const std::string& path, std::size_t room = 0);

// An owned file descriptor, closed when it goes out of scope.
struct Fd {
  int fd = -1;
  Fd() = default;
  explicit Fd(int f) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd();
  int get() const { return fd; }
  int release() { return std::exchange(fd, -1); }
  void reset(int f = -1);  // closes the one held
};

// Writes all of `bytes` (retrying short writes and EINTR); the error is errno's text.
Status write_all(int fd, std::span<const std::uint8_t> bytes);

// `mkdir -p`: each missing folder of `path`, 0777 less the umask.
Status make_directories(const std::string& path);
// Reads a descriptor to its end (for standard input); errors are the errno text.
Result<std::string> read_stream(int fd);

// Writes `data` to `path` atomically: `path.tmp-XXXXXX` in the same folder,
// fsync'd, then renamed. On failure nothing is left under either name.
Status write_file_atomic(const std::string& path, std::string_view data);
// Several files, all or none: each is written and synced under its temporary
// name before the first rename, so a full disk or an error leaves none of them
// (only a failing rename, after the data is safe, can leave some).
Status write_files_atomic(std::span<const std::pair<std::string, std::string_view>> files);

// Names one per line (`missing --list`, `--only`); blank lines skipped, a
// trailing CR dropped (lists made on Windows).
Result<std::vector<std::string>> read_name_list(const std::string& path);

// `root` joined with `name`, unless `name` is absolute or root is empty.
std::string join_path(std::string_view root, std::string_view name);
// Lexically normal form: no ".", no "a/..", no doubled or trailing slashes.
std::string normalize_path(std::string_view path);
// True when normalize_path would return `path` unchanged (the common case, so
// callers can skip the copy). May say false for some paths that are normal.
bool is_normal_path(std::string_view path);

// The folders of a destination (`extract --dest`, `probe --dest`) that one
// thread writes into, opened one component at a time with O_NOFOLLOW: a
// symbolic link already in DEST is never followed. The last folder stays open
// (files tend to come grouped by folder).
class DestFolders {
 public:
  explicit DestFolders(int root) : root_(root) {}
  ~DestFolders();
  DestFolders(const DestFolders&) = delete;
  DestFolders& operator=(const DestFolders&) = delete;

  // The folder `dir` ("" is DEST), created as needed; or why not. DEST's own
  // descriptor is never cached here, so never closed here.
  Result<int> open(std::string_view dir);

 private:
  int root_;
  std::string last_;
  int last_fd_ = -1;
};

}  // namespace lv
