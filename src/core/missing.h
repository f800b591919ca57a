// The `missing` job as data: which images that a record file references are
// not in the stores, with what metadata says of them.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/image_inspect.h"
#include "core/image_store.h"
#include "core/result.h"

namespace lv {

// image -> url and caption, from a metadata file (metadata.json,
// blip_laion_cc_sbu_558k_meta.json): any record array with `image` and `url`.
// Images are keyed in their normal form; when an image or a URL appears more
// than once, the first record in file order wins (and the repeat is counted).
struct MetaInfo {
  std::string url;
  std::string caption;
};
struct MetaIndex {
  std::unordered_map<std::string, MetaInfo> by_image;
  std::unordered_map<std::string, std::string> image_by_url;
  std::uint64_t repeated_images = 0;
  std::uint64_t shared_urls = 0;

  const MetaInfo* find(std::string_view image) const;
  std::string_view url_of(std::string_view image) const;
};
Result<MetaIndex> load_meta(const std::string& path);

// What became of a record's image. Unusable: every state but present and invalid
// (an invalid `image` names no file).
//   missing          in no store
//   empty            only empty files of that name
//   corrupt          --deep: not a whole image (structure), or not loadable (decode)
//   damaged          differs from the archive entry of the same name (size or CRC-32)
//   other_extension  missing, but its folder holds the same stem with another image
//                    extension (X.gif for X.jpg: OCR-VQA)
enum class ImageState : std::uint8_t { present, missing, empty, corrupt, damaged, other_extension, invalid };
std::string_view image_state_name(ImageState s);


// A record whose image is not usable, in record order.
struct MissingRecord {
  std::uint64_t index = 0;
  std::string id;
  std::string image;
  std::string url;
  std::string caption;
  ImageState state = ImageState::missing;
  std::string detail;  // why invalid, corrupt or damaged
  std::string found;   // other_extension: the file that is there instead ("ocr_vqa/images/X.gif")
};

// A present image PIL loads with a warning (--deep=decode: above 89,478,485 pixels).
struct ImageWarning {
  std::string image;
  std::string detail;
};

struct MissingSummary {
  std::uint64_t records = 0;
  std::uint64_t with_image = 0;     // a string `image`
  std::uint64_t without_image = 0;  // no `image` key: text-only, legal
  std::uint64_t invalid = 0;        // records whose `image` cannot be resolved safely
  std::uint64_t distinct_images = 0;
  std::uint64_t present = 0;        // distinct images found, non-empty (and sound with --deep)
  std::uint64_t missing = 0;
  std::uint64_t empty = 0;
  std::uint64_t corrupt = 0;        // --deep: not a whole image (structure), or not loadable (decode)
  std::uint64_t damaged = 0;        // differ from the archive entry of the same name
  std::uint64_t other_extension = 0;  // missing, with the same stem under another image extension
  // Informational (the image is present and loads): with --deep, files whose
  // content is another format than their extension says (a GIF named .jpg),
  // and, with --deep=decode, images PIL warns about (above 89,478,485 pixels).
  std::uint64_t content_differs_from_extension = 0;
  std::uint64_t warnings = 0;
  // Present files compared with an archive entry of the same name (size and CRC-32).
  std::uint64_t compared_with_archive = 0;
  std::uint64_t duplicate_ids = 0;     // records whose id was seen before (normal in instruct files)
  std::uint64_t duplicate_images = 0;  // records whose image was seen before
  // Distinct images that are not usable: missing, empty, corrupt, damaged or other_extension.
  std::uint64_t unusable() const { return missing + empty + corrupt + damaged + other_extension; }
  // unusable() / distinct_images; 0 when there is no image.
  double missing_fraction() const;
  // The unusable images by state: "3 absent, 1 empty, 2 corrupt" and, when there
  // are any, ", 4 damaged", ", 5 under another extension".
  std::string unusable_breakdown() const;
  // Present images per store, in the order given.
  std::vector<std::uint64_t> per_store;
  // Distinct images by their first path component ("00453" of "00453/004539375.jpg";
  // "" for names without a folder), sorted: present, and not usable.
  struct Folder {
    std::string folder;
    std::uint64_t present = 0;
    std::uint64_t missing = 0;  // not usable
  };
  std::vector<Folder> per_folder;
};

struct MissingReport {
  MissingSummary summary;
  std::vector<MissingRecord> records;       // every record with an unusable image
  std::vector<std::string> missing_images;  // distinct, first-seen order, every unusable state
  std::vector<ImageWarning> warnings;       // distinct images, first-seen order
};

struct MissingOptions {
  DeepLevel deep = DeepLevel::off;  // files of folder and img2dataset stores; not zip entries
  bool allow_absolute = false;      // check absolute `image` values where they point
  // Compare each present file of a folder store with the entry of the same name
  // in an archive (size, then CRC-32): the zip stores among the stores, and
  // `references`. Exact, and needs no manifest.
  bool archive_compare = true;
  // Archives used only as the reference of the compare (not to find images):
  // extract's archive, the images.zip beside an audited folder. Called once the
  // stores are ready; may return null.
  std::function<const StoreList*()> references;
  unsigned jobs = 1;
};

// Called once the record file has been scanned: the stores may still be being
// listed on another thread meanwhile.
// The stores, listed while the record file is scanned: with `wait`, blocks until
// they are; without, answers null while they are still being listed (the scan
// then resolves the images it has seen so far as soon as they are ready).
using StoresReady = std::function<Result<const StoreList*>(bool wait)>;

Result<MissingReport> find_missing(const std::string& records_path, const StoresReady& stores, const MetaIndex* meta,
                                   const MissingOptions& options);


}  // namespace lv
