// Helpers shared by the fuzz targets: an invariant check that aborts (so
// libFuzzer and the replay driver both report it), and a memfd holding the
// input, so file-reading paths can be fuzzed without touching the disk.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace lv_fuzz {

[[noreturn]] inline void fail(const char* file, int line, const char* condition, std::string_view detail) {
  std::fprintf(stderr, "%s:%d: invariant violated: %s", file, line, condition);
  if (!detail.empty()) std::fprintf(stderr, " (%.*s)", static_cast<int>(detail.size()), detail.data());
  std::fputc('\n', stderr);
  std::abort();
}

// The bytes of a fuzz input as text.
inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// An anonymous in-memory file holding `bytes`, named by path() for APIs that
// take a path. Empty path() when memfd is not available.
class MemFile {
 public:
  explicit MemFile(std::string_view bytes) {
    fd_ = ::memfd_create("lv-fuzz", MFD_CLOEXEC);
    if (fd_ < 0) return;
    for (std::size_t done = 0; done < bytes.size();) {
      const ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
      if (n <= 0) {
        ::close(fd_);
        fd_ = -1;
        return;
      }
      done += static_cast<std::size_t>(n);
    }
    path_ = "/proc/self/fd/" + std::to_string(fd_);
  }
  ~MemFile() {
    if (fd_ >= 0) ::close(fd_);
  }
  MemFile(const MemFile&) = delete;
  MemFile& operator=(const MemFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  int fd_ = -1;
  std::string path_;
};

}  // namespace lv_fuzz

#define LV_FUZZ_CHECK(condition, detail) \
  ((condition) ? static_cast<void>(0) : ::lv_fuzz::fail(__FILE__, __LINE__, #condition, (detail)))
