// A file written under a temporary name in its destination folder, flushed,
// fsync'd and renamed into place by commit(); removed if never committed. A
// crash or an error never leaves a half-written file under the final name. A
// file it replaces keeps its permission bits; a new one gets 0666 less the umask.
#pragma once

#include <sys/types.h>

#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

#include "core/chunk_writer.h"
#include "core/result.h"

namespace lv {

// The process's umask, read once (main() calls it before any thread starts).
mode_t process_umask();

// Installs handlers for SIGINT, SIGTERM and SIGHUP that remove the temporary
// files of uncommitted AtomicFiles, then let the signal end the process as
// usual. (SIGKILL cannot be caught: a re-run replaces what it leaves.)
void remove_temporaries_on_signals();

// For other writers of temporary files (extract): the signal handlers remove
// `path` until it is unregistered. -1 when every slot is taken (not cleaned).
int register_temporary(const std::string& path);
void unregister_temporary(int slot);

class AtomicFile {
 public:
  static Result<AtomicFile> create(const std::string& path);
  AtomicFile(AtomicFile&& other) noexcept;
  AtomicFile& operator=(AtomicFile&&) = delete;
  AtomicFile(const AtomicFile&) = delete;
  ~AtomicFile();

  Status write(std::string_view data);
  // Everything written so far on the disk (fsync), still under the temporary name.
  Status sync();
  Status commit();
  // From now on (before any write), writes are made by a thread of its own
  // (ChunkWriter): for large outputs; errors come back on a later write or commit.
  void write_behind();

 private:
  Status fail(int err);
  AtomicFile(std::string path, std::string tmp, std::FILE* file, std::unique_ptr<char[]> buffer)
      : path_(std::move(path)), tmp_(std::move(tmp)), file_(file), buffer_(std::move(buffer)) {}
  std::string path_;
  std::string tmp_;
  std::FILE* file_ = nullptr;
  std::unique_ptr<char[]> buffer_;  // stdio's buffer: 1 MiB (glibc ignores a size without one)
  std::unique_ptr<ChunkWriter> writer_;  // write_behind(): stdio is then left unused
  int slot_ = -1;                   // in the registry the signal handlers clean up
  bool failed_ = false;
};

}  // namespace lv
