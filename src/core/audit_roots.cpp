#include "core/audit_roots.h"

#include <sys/stat.h>

#include <algorithm>
#include <unordered_map>

#include <fmt/format.h>

#include "core/fs.h"
#include "core/names.h"

namespace lv {
namespace {

// The views an image root gets when it holds these folders.
constexpr std::string_view kViews[] = {"images", "train2017", "coco/train2017"};

bool is_folder(const std::string& path) {
  struct stat st{};
  return ::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string_view first_component(std::string_view image) {
  const std::size_t slash = image.find('/');
  return slash == std::string_view::npos ? std::string_view() : image.substr(0, slash);
}

std::string_view base_name(std::string_view path) {
  const std::size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

// "COCO_train2014_000000033471.jpg" -> "000000033471.jpg"; empty when not a COCO-2014 name.
std::string_view coco2014_number(std::string_view name) {
  for (std::string_view prefix : {"COCO_train2014_", "COCO_val2014_"}) {
    if (name.starts_with(prefix)) return name.substr(prefix.size());
  }
  return {};
}

}  // namespace

Result<ImageRoots> open_image_roots(const std::string& folder, const std::vector<std::string>& skip, unsigned jobs) {
  StoreOptions so{false, jobs, true, skip};
  auto base = open_folder_store(folder, so);
  if (!base) return base.error();
  ImageRoots roots;
  for (const auto& p : base.value()->problems()) roots.problems.push_back(fmt::format("{}: {}", quote_name(folder), p));
  const ImageStore& listed = *base.value();
  roots.stores.push_back(std::move(base.value()));
  roots.shown.push_back(folder);
  for (std::string_view view : kViews) {
    if (std::find(skip.begin(), skip.end(), view) != skip.end() || !is_folder(join_path(folder, view))) continue;
    roots.stores.push_back(make_prefix_view(listed, std::string(view) + "/"));
    roots.shown.push_back(join_path(folder, view));
  }
  return roots;
}

std::string restore_destination(const ImageRoots& roots, const MissingReport& report) {
  const auto& per_store = report.summary.per_store;
  std::size_t best = 0;
  for (std::size_t i = 1; i < per_store.size() && i < roots.shown.size(); ++i) {
    if (per_store[i] > per_store[best]) best = i;
  }
  if (!per_store.empty() && per_store[best] > 0) return roots.shown[best];
  for (const auto& image : report.missing_images) {
    const std::string_view first = first_component(image);
    if (!first.empty() && is_folder(join_path(roots.shown.front(), first))) return roots.shown.front();
  }
  return join_path(roots.shown.front(), "images");
}

std::string no_image_hint(const ImageRoots& roots, const MissingReport& report, const StoreList& archives,
                          const std::vector<std::string>& archive_names) {
  if (report.missing_images.empty() || roots.stores.empty()) return {};
  const ImageStore& listed = *roots.stores.front();
  const std::string& root = roots.shown.front();
  // The listing by file name, once: the failure path only.
  std::unordered_map<std::string_view, std::string_view> by_name;
  listed.for_each_file([&](std::string_view path, std::uint64_t) {
    auto [it, inserted] = by_name.emplace(base_name(path), path);
    if (!inserted && path < it->second) it->second = path;  // the same answer whatever the table order
  });
  const std::size_t probes = std::min<std::size_t>(report.missing_images.size(), 16);
  for (std::size_t i = 0; i < probes; ++i) {
    const std::string& image = report.missing_images[i];
    const std::string_view name = base_name(image);
    auto it = by_name.find(name);
    if (it != by_name.end()) {
      const std::string_view found = it->second;
      if (found.size() > image.size() && found.ends_with(image) && found[found.size() - image.size() - 1] == '/') {
        const std::string_view extra = found.substr(0, found.size() - image.size() - 1);
        return fmt::format("{} is at {}: the image folder is {} (--images {})", quote_name(image),
                           quote_name(join_path(root, found)), quote_name(join_path(root, extra)),
                           quote_name(join_path(root, extra)));
      }
      if (image.size() > found.size() && std::string_view(image).ends_with(found)) {
        const std::string_view lacking = std::string_view(image).substr(0, image.size() - found.size());
        return fmt::format("the records say {}, the folder holds {}: the values start with {} and the folder does not "
                           "(the image folder is the one that holds {})",
                           quote_name(image), quote_name(found), quote_name(lacking), quote_name(lacking));
      }
    }
    if (const std::string_view number = coco2014_number(name); !number.empty() && by_name.contains(number)) {
      return fmt::format("the records use COCO-2014 names ({}), the folder holds COCO-2017 names ({}): "
                         "get the train2014 images, or rewrite the values",
                         quote_name(name), quote_name(by_name[number]));
    }
    for (std::string_view prefix : {"COCO_train2014_", "COCO_val2014_"}) {
      if (auto c = by_name.find(fmt::format("{}{}", prefix, name)); c != by_name.end()) {
        return fmt::format("the records use COCO-2017 names ({}), the folder holds COCO-2014 names ({}): "
                           "get the train2017 images, or rewrite the values",
                           quote_name(name), quote_name(c->second));
      }
    }
  }
  // An archive whose every entry sits in one folder, and holds the images under it.
  for (std::size_t a = 0; a < archives.size(); ++a) {
    std::string shared;
    bool one_folder = true, any = false;
    archives[a]->for_each_file([&](std::string_view path, std::uint64_t) {
      const std::string_view first = first_component(path);
      if (!any) shared = std::string(first);
      any = true;
      if (first.empty() || first != shared) one_folder = false;
    });
    if (!any || !one_folder) continue;
    if (!archives[a]->find(shared + "/" + report.missing_images.front(), {})) continue;
    return fmt::format("every entry of {} starts with {}: extracted into {}, the images are under {}", quote_name(archive_names[a]),
                       quote_name(shared + "/"), quote_name(root), quote_name(join_path(root, shared)));
  }
  return fmt::format("no value names a file there (the first: {}): check the folder level", quote_name(report.missing_images.front()));
}

std::string empty_root_hint(const MissingReport& report) {
  if (report.missing_images.empty()) return {};
  const std::string_view image = report.missing_images.front();
  const bool coco2017 = image.size() == 16 && image.ends_with(".jpg") &&
                        std::all_of(image.begin(), image.begin() + 12, [](char c) { return c >= '0' && c <= '9'; });
  if (coco2017) return "its values are COCO train2017 names: give the COCO folder (--images /path/to/coco/train2017)";
  if (!coco2014_number(image).empty()) return "its values are COCO-2014 names: give the COCO folder (--images /path/to/coco/train2014)";
  return {};
}

}  // namespace lv
