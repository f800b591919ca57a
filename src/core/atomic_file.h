// A file written under a temporary name in its destination folder, flushed,
// fsync'd and renamed into place by commit(); removed if never committed. A
// crash or an error never leaves a half-written file under the final name.
#pragma once

#include <cstdio>
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
  AtomicFile(std::string path, std::string tmp, std::FILE* file) : path_(std::move(path)), tmp_(std::move(tmp)), file_(file) {}
  std::string path_;
  std::string tmp_;
  std::FILE* file_ = nullptr;
  bool failed_ = false;
};

}  // namespace lv
