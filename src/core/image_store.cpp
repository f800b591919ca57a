#include "core/image_store.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <deque>

#include <fmt/format.h>
#include <simdjson.h>

#include "core/file_reader.h"
#include "core/fs.h"
#include "core/names.h"
#include "core/zip_directory.h"

namespace lv {

std::string_view store_kind_name(StoreKind k) {
  switch (k) {
    case StoreKind::folder: return "folder";
    case StoreKind::zip: return "zip";
    case StoreKind::img2dataset: return "img2dataset";
  }
  return "?";
}

std::optional<StoredImage> ImageStore::find(std::string_view image, std::string_view) const { return lookup(image); }

std::string image_path_problem(std::string_view image) {
  if (image.empty()) return "empty";
  if (image.front() == '/') return "an absolute path";
  if (image.size() >= 2 && image[1] == ':' && std::isalpha(static_cast<unsigned char>(image[0]))) {
    return "a path with a drive letter";
  }
  for (char c : image) {
    if (c == '\\') return "a path with a backslash";
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return "a path with a control character";
  }
  std::size_t pos = 0;
  while (pos <= image.size()) {
    std::size_t slash = image.find('/', pos);
    std::string_view part = image.substr(pos, slash == std::string_view::npos ? std::string_view::npos : slash - pos);
    if (part == "..") return "a path with a '..' component";
    if (slash == std::string_view::npos) break;
    pos = slash + 1;
  }
  return {};
}

bool has_image_extension(std::string_view name) {
  const std::size_t dot = name.rfind('.');
  if (dot == std::string_view::npos || name.size() - dot > 5) return false;
  char ext[6] = {};
  for (std::size_t i = dot + 1, k = 0; i < name.size(); ++i, ++k) {
    ext[k] = static_cast<char>(std::tolower(static_cast<unsigned char>(name[i])));
  }
  const std::string_view e(ext);
  return e == "jpg" || e == "jpeg" || e == "png" || e == "gif" || e == "webp" || e == "bmp";
}

namespace {

class PrefixView : public ImageStore {
 public:
  PrefixView(const ImageStore& base, std::string prefix)
      : ImageStore(join_path(base.location(), std::string_view(prefix).substr(0, prefix.size() - 1))),
        base_(base),
        prefix_(std::move(prefix)) {}
  StoreKind kind() const override { return base_.kind(); }
  std::optional<StoredImage> find(std::string_view image, std::string_view url) const override {
    key_.assign(prefix_).append(image);
    auto hit = base_.find(key_, url);
    if (!hit) return std::nullopt;
    return StoredImage{hit->path.substr(prefix_.size()), hit->size};
  }
  std::optional<StoredImage> find(std::string_view image, std::string_view url, std::uint64_t) const override {
    return find(image, url);
  }
  void prefetch(std::uint64_t) const override {}
  std::uint64_t image_files() const override {
    std::uint64_t n = 0;
    for_each_file([&](std::string_view name, std::uint64_t) { n += has_image_extension(name) ? 1 : 0; });
    return n;
  }
  void for_each_file(const std::function<void(std::string_view, std::uint64_t)>& f) const override {
    base_.for_each_file([&](std::string_view name, std::uint64_t size) {
      if (name.starts_with(prefix_)) f(name.substr(prefix_.size()), size);
    });
  }

 private:
  const ImageStore& base_;
  std::string prefix_;
  mutable std::string key_;  // lookups are made by one thread at a time
};

class IndexedStore : public ImageStore {
 public:
  IndexedStore(std::string location, StoreKind kind) : ImageStore(std::move(location)), kind_(kind) {}
  StoreKind kind() const override { return kind_; }
  void reserve(std::size_t n) { files_.reserve(n); }
  using ImageStore::add;

 private:
  StoreKind kind_;
};

// A zip archive's central directory: names, sizes and CRC-32s (the first entry of a name counts).
class ZipStore : public ImageStore {
 public:
  explicit ZipStore(std::string location) : ImageStore(std::move(location)) {}
  StoreKind kind() const override { return StoreKind::zip; }
  void reserve(std::size_t n) {
    files_.reserve(n);
    crcs_.reserve(n);
  }
  void add(std::string_view name, std::uint64_t size, std::uint32_t crc) {
    if (lookup(name)) return;
    ImageStore::add(name, size);
    crcs_.try_emplace(lookup(name)->path, crc);
  }
  std::optional<std::uint32_t> crc32_of(std::string_view path) const override {
    auto [key, crc] = crcs_.find(path);
    if (crc == nullptr) return std::nullopt;
    return *crc;
  }

 private:
  FlatStringMap<std::uint32_t> crcs_;
};

}  // namespace

Result<std::unique_ptr<ImageStore>> open_folder_store(const std::string& path, const StoreOptions& options) {
  auto store = std::make_unique<IndexedStore>(path, StoreKind::folder);
  auto walked = walk_each(path, WalkOptions{false, options.jobs, options.sizes, options.skip_folders},
                          [&](std::string_view relative, std::uint64_t size) { store->add(relative, size); },
                          [&](std::size_t entries) { store->reserve(store->size() + entries); });
  if (!walked) return with_context("image folder", walked.error());
  return std::unique_ptr<ImageStore>(std::move(store));
}

std::unique_ptr<ImageStore> make_prefix_view(const ImageStore& base, std::string prefix) {
  return std::make_unique<PrefixView>(base, std::move(prefix));
}

Result<std::unique_ptr<ImageStore>> open_zip_store(const std::string& path) {
  // The same central-directory reader as `zip`: the same entries, duplicates
  // resolved the same way (the first one counts).
  auto input = ZipInput::open_file(path);
  if (!input) return input.error();
  auto dir = read_zip_directory(*input);
  if (!dir) return dir.error();
  auto store = std::make_unique<ZipStore>(path);
  store->reserve(dir->entries.size());
  for (const auto& e : dir->entries) {
    if (e.name.empty() || e.is_directory()) continue;
    store->add(e.name, e.size, e.crc32);
  }
  return std::unique_ptr<ImageStore>(std::move(store));
}

namespace {

class Img2DatasetStore : public ImageStore {
 public:
  Img2DatasetStore(std::string location, const StoreOptions& options)
      : ImageStore(std::move(location)), row_keys_(options.row_keys), jobs_(options.jobs), sizes_(options.sizes) {}
  StoreKind kind() const override { return StoreKind::img2dataset; }

  std::optional<StoredImage> find(std::string_view image, std::string_view url, std::uint64_t) const override {
    return find(image, url);
  }
  void prefetch(std::uint64_t) const override {}

  std::optional<StoredImage> find(std::string_view image, std::string_view url) const override {
    if (row_keys_) {
      // GCC_train_000001234.jpg -> key 1234 -> 00000/000001234.jpg
      constexpr std::string_view prefix = "GCC_train_";
      std::string_view stem = image.substr(0, image.rfind('.'));
      if (!stem.starts_with(prefix)) return std::nullopt;
      std::string_view digits = stem.substr(prefix.size());
      if (digits.empty() || digits.size() > 18) return std::nullopt;  // no key, or past 64 bits
      std::uint64_t n = 0;
      for (char c : digits) {
        if (c < '0' || c > '9') return std::nullopt;
        n = n * 10 + static_cast<std::uint64_t>(c - '0');
      }
      return lookup(fmt::format("{:05}/{:09}.jpg", n / 10000, n));
    }
    if (url.empty()) return std::nullopt;
    auto u = by_url_.find(url);
    if (u == by_url_.end()) return std::nullopt;
    return lookup(u->second);
  }

  std::string_view url_of(std::string_view path) const override {
    auto it = url_of_.find(path);
    return it == url_of_.end() ? std::string_view() : it->second;
  }

  Status build() {
    auto walked = walk_files(location_, WalkOptions{false, jobs_, sizes_, {}});
    if (!walked) return with_context("img2dataset folder", walked.error());
    std::vector<std::pair<std::string, std::uint64_t>> images;
    std::vector<std::string> sidecars;
    for (auto& f : walked->files) {
      if (f.relative.ends_with(".json") && !f.relative.ends_with("_stats.json")) {
        sidecars.push_back(std::move(f.relative));
      } else if (f.relative.ends_with(".jpg") || f.relative.ends_with(".png") || f.relative.ends_with(".webp")) {
        images.emplace_back(std::move(f.relative), f.size);
      }
    }
    files_.reserve(images.size());
    for (const auto& [name, size] : images) add(name, size);
    if (row_keys_) return {};
    // In key order, so that when two sidecars give the same URL the lowest key
    // wins, whatever order the folder lists them in.
    std::sort(sidecars.begin(), sidecars.end());
    std::uint64_t unreadable = 0, shared = 0;
    std::string first_unreadable;
    simdjson::dom::parser parser;
    for (const auto& sidecar : sidecars) {
      auto text = read_file(join_path(location_, sidecar));
      simdjson::dom::element doc;
      std::string_view url, status;
      if (!text || parser.parse(text.value()).get(doc) || doc["url"].get_string().get(url) || url.empty()) {
        if (unreadable++ == 0) first_unreadable = sidecar;
        continue;
      }
      if (!doc["status"].get_string().get(status) && status != "success") continue;
      // The image beside the sidecar: same stem.
      std::string stem = sidecar.substr(0, sidecar.size() - 5);
      for (std::string_view ext : {".jpg", ".png", ".webp"}) {
        auto hit = lookup(stem + std::string(ext));
        if (!hit) continue;
        urls_.emplace_back(url);
        if (!by_url_.emplace(urls_.back(), hit->path).second) ++shared;
        url_of_.emplace(hit->path, urls_.back());
        break;
      }
    }
    if (unreadable > 0) {
      problems_.push_back(fmt::format("{} sidecar{} without a readable 'url' (the first: {}): their images cannot be joined",
                                      unreadable, unreadable == 1 ? "" : "s", quote_name(first_unreadable)));
    }
    if (shared > 0) {
      problems_.push_back(fmt::format("{} image{} share a URL with an image of a lower key: the lowest key is used", shared,
                                      shared == 1 ? "" : "s"));
    }
    return {};
  }

 private:
  bool row_keys_;
  unsigned jobs_;
  bool sizes_;
  std::deque<std::string> urls_;  // owns the keys of by_url_ (stable addresses)
  std::unordered_map<std::string_view, std::string_view> by_url_;
  std::unordered_map<std::string_view, std::string_view> url_of_;  // file -> url
};

}  // namespace

Result<std::unique_ptr<ImageStore>> open_img2dataset_store(const std::string& path, const StoreOptions& options) {
  auto store = std::make_unique<Img2DatasetStore>(path, options);
  if (auto s = store->build(); !s) return s.error();
  return std::unique_ptr<ImageStore>(std::move(store));
}

Result<StoreKind> detect_store_kind(const std::string& path) {
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0) return Error{fmt::format("{}: {}", quote_name(path), error_text(errno))};
  if (S_ISREG(st.st_mode)) return StoreKind::zip;
  if (!S_ISDIR(st.st_mode)) return Error{fmt::format("{}: neither a folder nor a zip archive", quote_name(path))};
  // img2dataset writes {shard:05d}_stats.json beside its shard folders.
  auto text = read_file(join_path(path, "00000_stats.json"));
  if (text) return StoreKind::img2dataset;
  struct stat sidecar{};
  if (::stat(join_path(path, "00000/000000000.json").c_str(), &sidecar) == 0) return StoreKind::img2dataset;
  return StoreKind::folder;
}

}  // namespace lv

namespace lv {

StoreHit find_in_stores(const StoreList& stores, std::string_view image, std::string_view url) {
  return find_in_stores(stores, image, url, FlatStringMap<int>::hash(image));
}

StoreHit find_in_stores(const StoreList& stores, std::string_view image, std::string_view url, std::uint64_t hash) {
  StoreHit hit;
  for (std::size_t s = 0; s < stores.size(); ++s) {
    auto found = stores[s]->find(image, url, hash);
    if (!found) continue;
    if (found->size == 0) {
      hit.empty_only = true;
      continue;
    }
    hit.store = static_cast<int>(s);
    hit.image = *found;
    hit.empty_only = false;
    return hit;
  }
  return hit;
}

Result<std::unique_ptr<ImageStore>> open_store(const std::string& spec, const StoreOptions& options) {
  std::string path = spec;
  std::optional<StoreKind> kind;
  for (StoreKind k : {StoreKind::folder, StoreKind::zip, StoreKind::img2dataset}) {
    std::string prefix = std::string(store_kind_name(k)) + ":";
    if (spec.starts_with(prefix)) {
      kind = k;
      path = spec.substr(prefix.size());
    }
  }
  if (!kind) {
    auto detected = detect_store_kind(path);
    if (!detected) return detected.error();
    kind = detected.value();
  }
  switch (*kind) {
    case StoreKind::folder: return open_folder_store(path, options);
    case StoreKind::zip: return open_zip_store(path);
    case StoreKind::img2dataset: return open_img2dataset_store(path, options);
  }
  return Error{"unknown store kind"};
}

}  // namespace lv
