// Where images live: a folder, a zip archive (its central directory is the
// index), or an img2dataset output folder (joined on the image URL). Each store
// is listed once; lookups then cost no system call.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/flat_map.h"
#include "core/result.h"

namespace lv {

// Whether a name ends like an image file (.jpg, .jpeg, .png, .gif, .webp, .bmp, any case).
bool has_image_extension(std::string_view name);

enum class StoreKind : std::uint8_t { folder, zip, img2dataset };
std::string_view store_kind_name(StoreKind k);

struct StoredImage {
  std::string_view path;  // inside the store ("00453/004539375.jpg")
  std::uint64_t size = 0;  // kSizeUnknown when the folder was listed without sizes
};

class ImageStore {
 public:
  virtual ~ImageStore() = default;
  virtual StoreKind kind() const = 0;
  // The store as given on the command line.
  const std::string& location() const { return location_; }
  std::size_t size() const { return files_.size(); }
  // What could not be indexed, one sentence each (reported, not fatal).
  const std::vector<std::string>& problems() const { return problems_; }

  // The file for a record: by its image path (folder, zip), or by its URL
  // (img2dataset). `image` is already checked and normalized.
  virtual std::optional<StoredImage> find(std::string_view image, std::string_view url) const;
  // The same with the image's hash (FlatStringMap::hash) already computed, and
  // a hint to load its slot ahead: for callers that look up many images in a row.
  virtual std::optional<StoredImage> find(std::string_view image, std::string_view /*url*/, std::uint64_t hash) const {
    auto [key, size] = files_.find(image, hash);
    if (size == nullptr) return std::nullopt;
    return StoredImage{key, *size};
  }
  virtual void prefetch(std::uint64_t hash) const { files_.prefetch(hash); }
  // img2dataset: the URL its sidecar gives for a file of the store; empty otherwise.
  virtual std::string_view url_of(std::string_view) const { return {}; }
  // Files whose names end like an image (.jpg, .jpeg, .png, .gif, .webp, .bmp, any case).
  virtual std::uint64_t image_files() const { return image_files_; }
  // zip: the CRC-32 of the entry at `path` (a path find() returned); nullopt in other stores.
  virtual std::optional<std::uint32_t> crc32_of(std::string_view /*path*/) const { return std::nullopt; }
  // Every file's path and size, in no particular order (for hints on a failed run).
  virtual void for_each_file(const std::function<void(std::string_view, std::uint64_t)>& f) const { files_.for_each(f); }

 protected:
  explicit ImageStore(std::string location) : location_(std::move(location)) {}
  void add(std::string_view name, std::uint64_t size) {
    if (files_.try_emplace(names_.intern(name), size).second && has_image_extension(name)) ++image_files_;
  }
  std::optional<StoredImage> lookup(std::string_view name) const {
    auto [key, size] = files_.find(name);
    if (size == nullptr) return std::nullopt;
    return StoredImage{key, *size};
  }

  std::string location_;
  std::vector<std::string> problems_;
  StringArena names_;  // owns the keys of files_
  FlatStringMap<std::uint64_t> files_;
  std::uint64_t image_files_ = 0;
};

// The files of `base` under `prefix` ("images/"), as a store of their own: the
// image root `ROOT/images` of an audit without a second listing. `base` must
// outlive the view.
std::unique_ptr<ImageStore> make_prefix_view(const ImageStore& base, std::string prefix);

struct StoreOptions {
  bool row_keys = false;  // img2dataset only
  unsigned jobs = 1;      // threads for listing large folders
  bool sizes = true;      // folders: stat each file (off: sizes unknown, empty files not seen)
  std::vector<std::string> skip_folders;  // folders: sub-folders not listed (relative paths)
};

// A folder: every regular file below it (symlinks to files included), by its
// path relative to the folder.
Result<std::unique_ptr<ImageStore>> open_folder_store(const std::string& path, const StoreOptions& options = {});
// A zip archive: every file entry by its name.
Result<std::unique_ptr<ImageStore>> open_zip_store(const std::string& path);

// img2dataset output: `{shard}/{key}.jpg` with `{key}.json` sidecars holding
// `url` and `status`. Records are joined on their URL. With `row_keys`, the
// unproven rule GCC_train_N = key N is used instead (off by one when the input
// had a header line that was not declared).
Result<std::unique_ptr<ImageStore>> open_img2dataset_store(const std::string& path, const StoreOptions& options);

// Guesses the kind: a file is a zip; a folder with `NNNNN/NNNNNNNNN.json`
// sidecars or `NNNNN_stats.json` files is img2dataset; any other folder is a folder.
Result<StoreKind> detect_store_kind(const std::string& path);

// Why an `image` value may not be resolved in a store ("an absolute path", "a
// path with a '..' component", ... to follow "'image' is "), or empty when it may.
std::string image_path_problem(std::string_view image);

}  // namespace lv

namespace lv {

using StoreList = std::vector<std::unique_ptr<ImageStore>>;

// The first store, in order, that holds `image` as a non-empty file (img2dataset
// stores by `url`); empty_only when only empty copies exist.
struct StoreHit {
  int store = -1;
  StoredImage image;
  bool empty_only = false;
};
StoreHit find_in_stores(const StoreList& stores, std::string_view image, std::string_view url);
StoreHit find_in_stores(const StoreList& stores, std::string_view image, std::string_view url, std::uint64_t hash);

// Opens a store given as `PATH` (kind detected) or `KIND:PATH` with KIND one
// of folder, zip, img2dataset.
Result<std::unique_ptr<ImageStore>> open_store(const std::string& spec, const StoreOptions& options);

}  // namespace lv
