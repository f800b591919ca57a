#include "core/image_inspect.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <libdeflate.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <thread>

#include "core/file_reader.h"
#include "core/fs.h"
#include "core/image_check.h"
#include "core/image_decode.h"
#include "core/names.h"

namespace lv {

std::string_view deep_level_name(DeepLevel level) {
  switch (level) {
    case DeepLevel::off: return "off";
    case DeepLevel::structure: return "structure";
    case DeepLevel::decode: return "decode";
  }
  return "off";
}

std::string_view format_of_extension(std::string_view name) {
  const std::size_t dot = name.rfind('.');
  if (dot == std::string_view::npos || name.find('/', dot) != std::string_view::npos) return {};
  std::string ext(name.substr(dot + 1));
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(c | 0x20); });
  if (ext == "jpg" || ext == "jpeg" || ext == "jpe" || ext == "jfif") return "jpeg";
  if (ext == "png") return "png";
  if (ext == "gif") return "gif";
  if (ext == "webp") return "webp";
  if (ext == "bmp") return "bmp";
  if (ext == "tif" || ext == "tiff") return "tiff";
  return {};
}

namespace {

// Size, CRC-32 and first bytes of a file, read once. False with `why` when it cannot be read.
struct FileDigest {
  std::uint64_t size = 0;
  std::uint32_t crc = 0;
};

bool digest_file(const std::string& path, FileDigest& d, std::string& why) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (fd.fd < 0) {
    why = error_text(errno);
    return false;
  }
  struct stat st{};
  if (::fstat(fd.fd, &st) != 0) {
    why = error_text(errno);
    return false;
  }
  if (!S_ISREG(st.st_mode)) {
    why = "not a regular file";
    return false;
  }
  thread_local std::vector<std::uint8_t> buf(1u << 18);
  for (;;) {
    const ssize_t n = ::read(fd.fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      why = error_text(errno);
      return false;
    }
    if (n == 0) return true;
    d.crc = static_cast<std::uint32_t>(libdeflate_crc32(d.crc, buf.data(), static_cast<std::size_t>(n)));
    d.size += static_cast<std::uint64_t>(n);
  }
}

}  // namespace

InspectVerdict inspect_image(const InspectTask& task, DeepLevel level) {
  InspectVerdict v;
  if (task.entry) {
    const ArchiveEntryRef& e = *task.entry;
    FileDigest d;
    std::string why;
    if (task.listed_size != UINT64_MAX && task.listed_size != e.size) {
      d.size = task.listed_size;  // a cut-short file is not read
    } else if (!digest_file(task.path, d, why)) {
      v.kind = InspectVerdict::Kind::damaged;
      v.detail = fmt::format("cannot be read to compare with its {} entry: {}", e.archive, why);
      return v;
    }
    v.compared = true;
    if (d.size != e.size) {
      v.kind = InspectVerdict::Kind::damaged;
      v.detail = d.size < e.size ? fmt::format("differs from its {} entry: {} of {} bytes", e.archive, group_digits(d.size),
                                               group_digits(e.size))
                                 : fmt::format("differs from its {} entry: {} bytes, the entry {}", e.archive,
                                               group_digits(d.size), group_digits(e.size));
      return v;
    }
    if (d.crc != e.crc32) {
      v.kind = InspectVerdict::Kind::damaged;
      v.detail = fmt::format("differs from its {} entry: CRC-32 {:08x}, the entry's {:08x} ({} bytes each)", e.archive, d.crc,
                             e.crc32, group_digits(d.size));
      return v;
    }
  }
  if (level == DeepLevel::off) return v;
  std::string_view format;
  if (level == DeepLevel::structure) {
    StructureVerdict sv = image_structure_check(task.path);
    // A JPEG scan cut off with no end marker: decoding this one file decides.
    v.detail = sv.undecided ? image_decode_check(task.path).problem : std::move(sv.problem);
    format = sv.format;
  } else {
    DecodeVerdict dv = image_decode_check(task.path);
    v.detail = std::move(dv.problem);
    v.warning = std::move(dv.warning);
    format = dv.format;
  }
  if (!v.detail.empty()) {
    v.kind = InspectVerdict::Kind::corrupt;
    return v;
  }
  // Content in another image format than the extension names (a GIF named .jpg): it loads.
  const std::string_view claimed = format_of_extension(task.path);
  v.content_differs = !claimed.empty() && !format.empty() && format != claimed;
  return v;
}

std::vector<InspectVerdict> inspect_images(const std::vector<InspectTask>& tasks, DeepLevel level, unsigned jobs) {
  std::vector<InspectVerdict> out(tasks.size());
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t i; (i = next.fetch_add(1, std::memory_order_relaxed)) < tasks.size();) out[i] = inspect_image(tasks[i], level);
  };
  std::vector<std::jthread> threads;
  const std::size_t extra = std::min<std::size_t>(std::max(1u, jobs), std::max<std::size_t>(1, tasks.size())) - 1;
  for (std::size_t t = 0; t < extra; ++t) threads.emplace_back(work);
  work();
  for (auto& t : threads) t.join();
  return out;
}

}  // namespace lv
