// The per-file checks of the images a record file uses, on every core: the
// compare with the archive entry of the same name (size, then CRC-32), and
// `--deep` at its level (structure walk or decode). Worker threads never print.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lv {

// How far --deep looks into each present image.
enum class DeepLevel : std::uint8_t {
  off,        // names and sizes only
  structure,  // each format's structure walked (image_check.h)
  decode,     // decoded with the formats' libraries, as PIL would (image_decode.h)
};
std::string_view deep_level_name(DeepLevel level);

// The archive entry a file should equal.
struct ArchiveEntryRef {
  std::string_view archive;  // shown in the reason ("images.zip")
  std::uint64_t size = 0;
  std::uint32_t crc32 = 0;
};

struct InspectTask {
  std::string path;                      // the file on disk
  std::optional<ArchiveEntryRef> entry;  // compare with it when set
  // The size the folder listing saw (UINT64_MAX: not known): a file whose listed
  // size is not the entry's is damaged without being read.
  std::uint64_t listed_size = UINT64_MAX;
};

struct InspectVerdict {
  enum class Kind : std::uint8_t { whole, damaged, corrupt };
  Kind kind = Kind::whole;
  std::string detail;   // why damaged or corrupt
  std::string warning;  // loads, with PIL's warning (decode)
  bool compared = false;         // the compare with the entry ran to its end
  bool content_differs = false;  // the content is another image format than the extension says
};

// One verdict per task, in task order; `jobs` threads.
std::vector<InspectVerdict> inspect_images(const std::vector<InspectTask>& tasks, DeepLevel level, unsigned jobs);

// One file (the work of one task).
InspectVerdict inspect_image(const InspectTask& task, DeepLevel level);

// The image format an extension names ("jpeg" for .jpg, .JPEG, ...), empty for others.
std::string_view format_of_extension(std::string_view name);

}  // namespace lv
