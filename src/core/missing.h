// The `missing` job as data: which images that a record file references are
// not in the stores, with what metadata says of them.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

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

enum class ImageState : std::uint8_t { present, missing, empty, corrupt, invalid };
std::string_view image_state_name(ImageState s);

// A record whose image is not usable, in record order.
struct MissingRecord {
  std::uint64_t index = 0;
  std::string id;
  std::string image;
  std::string url;
  std::string caption;
  ImageState state = ImageState::missing;
  std::string detail;  // why invalid or corrupt
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
  std::uint64_t corrupt = 0;        // --deep: not an image, or a truncated JPEG
  std::uint64_t duplicate_ids = 0;     // records whose id was seen before (normal in instruct files)
  std::uint64_t duplicate_images = 0;  // records whose image was seen before
  // (missing + empty + corrupt) / distinct_images; 0 when there is no image.
  double missing_fraction() const;
  // Present images per store, in the order given.
  std::vector<std::uint64_t> per_store;
  // Distinct images by their first path component ("00453" of "00453/004539375.jpg";
  // "" for names without a folder), sorted: present, and not usable.
  struct Folder {
    std::string folder;
    std::uint64_t present = 0;
    std::uint64_t missing = 0;  // missing, empty or corrupt
  };
  std::vector<Folder> per_folder;
};

struct MissingReport {
  MissingSummary summary;
  std::vector<MissingRecord> records;       // every record with an unusable image
  std::vector<std::string> missing_images;  // distinct, first-seen order (missing, empty, corrupt)
};

struct MissingOptions {
  bool deep = false;            // signatures and JPEG end markers (folder and img2dataset stores; not zip entries)
  bool allow_absolute = false;  // check absolute `image` values where they point
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
