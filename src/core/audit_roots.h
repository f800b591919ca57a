// The image roots an audit checks a record file against, as the trainer joins
// them: `os.path.join(image_folder, image)`. A record file's folder is its image
// root, listed once; `images/` (and COCO's `train2017/`, `coco/train2017/`) in
// it are views of the same listing, so LLaVA-Pretrain/images, an in-place unzip
// and LLaVA-1.5's playground/data are each found without a second walk.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/missing.h"
#include "core/result.h"

namespace lv {

struct ImageRoots {
  StoreList stores;                 // the folder first, then its views (or the archives, see below)
  std::vector<std::string> shown;   // each store's location, as reported
  bool archives_only = false;       // the folder holds no image: the section's archives are the stores
  std::vector<std::string> problems;
};

// Lists `folder` (without the sub-folders in `skip`, relative to it) and adds a
// view for each of images/, train2017/, coco/train2017/ that it holds.
Result<ImageRoots> open_image_roots(const std::string& folder, const std::vector<std::string>& skip, unsigned jobs);

// Where `extract --only-missing` must write so that the images it restores are
// found the next time: the root (or view) where most present images were
// found; with none present, the root when the values' first folders are at its
// top (an in-place unzip), else ROOT/images. Never a shard folder.
std::string restore_destination(const ImageRoots& roots, const MissingReport& report);

// Why no image of a record file was found although its roots hold image files:
// the folder level, COCO-2014 against COCO-2017 names, an archive whose every
// entry starts with one folder. Empty when nothing specific is seen.
std::string no_image_hint(const ImageRoots& roots, const MissingReport& report, const StoreList& archives,
                          const std::vector<std::string>& archive_names);

// For a record file whose folder holds no image at all: what its values are,
// when they name a well-known set ("COCO train2017 images: --images .../coco/train2017").
std::string empty_root_hint(const MissingReport& report);

}  // namespace lv
