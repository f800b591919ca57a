// A file written under a temporary name in its destination folder, flushed,
// fsync'd and renamed into place by commit(); removed if never committed. A
// crash or an error never leaves a half-written file under the final name.
#pragma once

#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"

namespace lv {

class AtomicFile {
 public:
  static Result<AtomicFile> create(const std::string& path);
  AtomicFile(AtomicFile&& other) noexcept;
  AtomicFile& operator=(AtomicFile&&) = delete;
  AtomicFile(const AtomicFile&) = delete;
  ~AtomicFile();

  Status write(std::string_view data);
  Status commit();

 private:
  AtomicFile(std::string path, std::string tmp, std::FILE* file, std::unique_ptr<char[]> buffer)
      : path_(std::move(path)), tmp_(std::move(tmp)), file_(file), buffer_(std::move(buffer)) {}
  std::string path_;
  std::string tmp_;
  std::FILE* file_ = nullptr;
  std::unique_ptr<char[]> buffer_;  // stdio's buffer: 1 MiB (glibc ignores a size without one)
  bool failed_ = false;
};

}  // namespace lv
