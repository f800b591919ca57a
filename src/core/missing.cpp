#include "core/missing.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <atomic>
#include <cstring>
#include <algorithm>
#include <deque>
#include <map>
#include <thread>
#include <unordered_map>

#include "core/file_reader.h"
#include "core/flat_map.h"
#include "core/fs.h"
#include "core/huge_alloc.h"
#include "core/image_inspect.h"
#include "core/records.h"

namespace lv {

std::string_view image_state_name(ImageState s) {
  switch (s) {
    case ImageState::present: return "present";
    case ImageState::missing: return "missing";
    case ImageState::empty: return "empty";
    case ImageState::corrupt: return "corrupt";
    case ImageState::damaged: return "damaged";
    case ImageState::other_extension: return "other_extension";
    case ImageState::invalid: return "invalid";
  }
  return "?";
}

double MissingSummary::missing_fraction() const {
  if (distinct_images == 0) return 0.0;
  return static_cast<double>(unusable()) / static_cast<double>(distinct_images);
}

const MetaInfo* MetaIndex::find(std::string_view image) const {
  auto it = by_image.find(std::string(image));
  return it == by_image.end() ? nullptr : &it->second;
}

std::string_view MetaIndex::url_of(std::string_view image) const {
  const MetaInfo* info = find(image);
  return info == nullptr ? std::string_view() : std::string_view(info->url);
}

Result<MetaIndex> load_meta(const std::string& path) {
  MetaIndex index;
  ScanOptions o;
  o.extra_fields = true;
  auto s = scan_records(path, o, [&](const RecordBatch& b) -> Status {
    for (const auto& r : b.records) {
      if (r.image_kind != ImageKind::string || !image_path_problem(r.image).empty()) continue;
      std::string image = normalize_path(r.image);
      MetaInfo info{std::string(r.url), std::string(r.caption.empty() ? r.blip_caption : r.caption)};
      if (!info.url.empty() && !index.image_by_url.emplace(info.url, image).second) ++index.shared_urls;
      if (!index.by_image.emplace(std::move(image), std::move(info)).second) ++index.repeated_images;
    }
    return {};
  });
  if (!s) return with_context("metadata", s.error());
  return index;
}

std::string MissingSummary::unusable_breakdown() const {
  std::string out = fmt::format("{} absent, {} empty, {} corrupt", missing, empty, corrupt);
  if (damaged > 0) out += fmt::format(", {} damaged", damaged);
  if (other_extension > 0) out += fmt::format(", {} under another extension", other_extension);
  return out;
}

namespace {

struct Resolution {
  ImageState state = ImageState::missing;
  int store = -1;             // index of the store that has it
  std::string_view path;      // inside that store
  std::uint64_t size = UINT64_MAX;  // as listed (UINT64_MAX: not known)
};

class MissingJob {
 public:
  MissingJob(const MetaIndex* meta, const MissingOptions& o) : meta_(meta), o_(o) {}

  Status run(const std::string& path, const StoresReady& ready) {
    struct stat st{};
    if (path != "-" && ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) file_bytes_ = static_cast<std::uint64_t>(st.st_size);
    auto s = scan_records(path, {}, [&](const RecordBatch& b) -> Status {
      if (auto done = on_batch(b); !done) return done;
      // A store that could not be opened is reported after the scan, so that
      // which error wins does not depend on timing.
      if (stores_ == nullptr && !stores_failed_) {
        auto stores = ready(false);
        stores_failed_ = !stores.ok();
        if (stores) stores_ = stores.value();
      }
      if (stores_ != nullptr) resolve_new();
      return {};
    });
    if (!s) return s;
    if (stores_ == nullptr) {
      auto stores = ready(true);
      if (!stores) return stores.error();
      stores_ = stores.value();
    }
    resolve_new();
    find_other_extensions();
    inspect();
    finish();
    return {};
  }

  MissingReport take() { return std::move(report_); }

 private:
  // Resolves the images seen since the last call, loading the store's table
  // slot of the image kPrefetch ahead.
  void resolve_new() {
    report_.summary.per_store.resize(stores_->size(), 0);
    constexpr std::size_t kPrefetch = 16;
    const std::size_t n = keys_.size();
    for (std::size_t i = resolved_; i < n; ++i) {
      if (i + kPrefetch < n && !stores_->empty()) (*stores_)[0]->prefetch(hashes_[i + kPrefetch]);
      slots_[i] = resolve(keys_[i], hashes_[i], absolute_[i]);
    }
    resolved_ = n;
  }

  // Sizes the tables once, from the first batch's density, so that they do not
  // grow by doubling (which costs copies and peak memory). Capped: a file that
  // starts with tiny records must not make it reserve gigabytes.
  void presize(const RecordBatch& batch) {
    if (presized_ || batch.records.empty() || file_bytes_ == 0) return;
    presized_ = true;
    constexpr std::uint64_t kCap = 1u << 20;  // records (the releases have under 600K); ~100 MB of tables at most
    const std::uint64_t per_record = std::max<std::uint64_t>(1, batch.text.size() / batch.records.size());
    const auto expected = static_cast<std::size_t>(std::min(kCap, file_bytes_ / per_record + file_bytes_ / per_record / 8));
    images_.reserve(expected);
    keys_.reserve(expected);
    hashes_.reserve(expected);
    pending_.reserve(expected);
    id_hashes_.reserve(expected);
  }

  // One record with a usable image, between the two passes over a batch.
  struct Candidate {
    const Record* record;
    std::string_view key;
    std::uint64_t hash;
    bool absolute;
  };

  // Two passes: the first classifies the records and hashes their images, the
  // second looks them up, loading the table slot of the image kPrefetch ahead
  // (the table is tens of MB: one cache miss per image, overlapped this way).
  Status on_batch(const RecordBatch& batch) {
    presize(batch);
    candidates_.clear();
    normalized_.clear();
    classify(batch);
    constexpr std::size_t kPrefetch = 16;
    auto& sum = report_.summary;
    for (std::size_t c = 0; c < candidates_.size(); ++c) {
      if (c + kPrefetch < candidates_.size()) images_.prefetch(candidates_[c + kPrefetch].hash);
      const Candidate& cand = candidates_[c];
      std::string_view key = cand.key;
      std::size_t slot = keys_.size();
      if (auto [known, found] = images_.find(key, cand.hash); found != nullptr) {
        slot = *found;
        ++sum.duplicate_images;
      } else {
        key = names_.intern(key);
        images_.try_emplace(key, cand.hash, slot);
        keys_.push_back(key);
        hashes_.push_back(cand.hash);
        absolute_.push_back(cand.absolute);
      }
      const Record& r = *cand.record;
      pending_.push_back({r.index, static_cast<std::uint32_t>(slot), ids_.size(), static_cast<std::uint32_t>(r.id.size())});
      ids_.append(r.id);
    }
    slots_.resize(keys_.size());
    return {};
  }

  void classify(const RecordBatch& batch) {
    auto& sum = report_.summary;
    for (const auto& r : batch.records) {
      ++sum.records;
      if (!r.id.empty()) id_hashes_.push_back(std::hash<std::string_view>{}(r.id));
      if (!r.is_object || r.image_kind == ImageKind::absent) {
        if (r.is_object) {
          ++sum.without_image;
        } else {
          add_invalid(r, "the record is not a JSON object");
        }
        continue;
      }
      if (r.image_kind == ImageKind::not_string) {
        add_invalid(r, "'image' is not a string");
        continue;
      }
      if (r.image_kind == ImageKind::duplicate) {
        add_invalid(r, "'image' appears twice in the record");
        continue;
      }
      ++sum.with_image;
      std::string problem = image_path_problem(r.image);
      // --allow-absolute: an absolute path is checked where it points, if that is its only problem.
      bool absolute = o_.allow_absolute && r.image.size() > 1 && r.image.front() == '/' &&
                      image_path_problem(r.image.substr(1)).empty();
      if (!problem.empty() && !absolute) {
        add_invalid(r, "'image' is " + problem);
        continue;
      }
      std::string_view key = r.image;
      if (!absolute && !is_normal_path(key)) key = normalized_.emplace_back(normalize_path(r.image));
      candidates_.push_back({&r, key, FlatStringMap<std::size_t>::hash(key), absolute});
    }
  }

  void add_invalid(const Record& r, std::string why) {
    ++report_.summary.invalid;
    MissingRecord m;
    m.index = r.index;
    m.id = std::string(r.id);
    m.image = r.image_kind == ImageKind::string ? std::string(r.image) : std::string();
    m.state = ImageState::invalid;
    m.detail = std::move(why);
    invalid_.push_back(std::move(m));
  }

  Resolution resolve(std::string_view image, std::uint64_t hash, bool absolute) {
    Resolution res;
    if (absolute) {
      // As the trainer would open it: a regular file, where it points.
      struct stat st{};
      if (::stat(std::string(image).c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
        res.state = st.st_size > 0 ? ImageState::present : ImageState::empty;
      }
      return res;
    }
    StoreHit hit = find_in_stores(*stores_, image, meta_ != nullptr ? meta_->url_of(image) : std::string_view(), hash);
    if (hit.store >= 0) {
      res.state = ImageState::present;
      res.store = hit.store;
      res.path = hit.image.path;
      res.size = hit.image.size;
    } else if (hit.empty_only) {
      res.state = ImageState::empty;
    }
    return res;
  }

  // OCR-VQA's X.gif for a record's X.jpg: a missing image whose stem is in a
  // store under another image extension.
  void find_other_extensions() {
    static constexpr std::string_view kExtensions[] = {".jpg", ".jpeg", ".png", ".gif", ".webp", ".bmp",
                                                       ".JPG", ".JPEG", ".PNG", ".GIF", ".WEBP", ".BMP", ".Jpg", ".Jpeg", ".Png"};
    std::string alt;
    for (std::size_t i = 0; i < slots_.size(); ++i) {
      if (slots_[i].state != ImageState::missing || absolute_[i]) continue;
      const std::string_view key = keys_[i];
      const std::size_t dot = key.rfind('.');
      if (dot == std::string_view::npos || key.find('/', dot) != std::string_view::npos) continue;
      const std::string_view ext = key.substr(dot);
      for (std::string_view other : kExtensions) {
        if (other == ext) continue;
        alt.assign(key.substr(0, dot)).append(other);
        StoreHit hit = find_in_stores(*stores_, alt, {}, FlatStringMap<std::size_t>::hash(alt));
        if (hit.store < 0) continue;
        slots_[i].state = ImageState::other_extension;
        found_.emplace(i, std::string(hit.image.path));
        break;
      }
    }
  }

  // The archive entry a present image should equal: the first reference archive
  // (zip stores first, then options' references) that holds its name.
  std::optional<ArchiveEntryRef> entry_for(std::string_view path, const std::vector<const ImageStore*>& archives) const {
    for (const ImageStore* a : archives) {
      auto hit = a->find(path, {});
      if (!hit) continue;
      auto crc = a->crc32_of(hit->path);
      if (!crc) continue;
      return ArchiveEntryRef{base_name(a->location()), hit->size, *crc};
    }
    return std::nullopt;
  }

  static std::string_view base_name(std::string_view path) {
    while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
    const std::size_t slash = path.rfind('/');
    return slash == std::string_view::npos ? path : path.substr(slash + 1);
  }

  // The present images of folder and img2dataset stores, on every core: compared
  // with the archive entry of the same name, and walked or decoded (--deep).
  void inspect() {
    std::vector<const ImageStore*> archives;
    if (o_.archive_compare) {
      for (const auto& st : *stores_) {
        if (st->kind() == StoreKind::zip) archives.push_back(st.get());
      }
      if (o_.references) {
        if (const StoreList* refs = o_.references()) {
          for (const auto& st : *refs) archives.push_back(st.get());
        }
      }
    }
    if (o_.deep == DeepLevel::off && archives.empty()) return;
    std::vector<InspectTask> tasks;
    std::vector<std::size_t> task_slot;
    for (std::size_t i = 0; i < slots_.size(); ++i) {
      const Resolution& res = slots_[i];
      if (res.state != ImageState::present || res.store < 0) continue;
      const ImageStore& store = *(*stores_)[static_cast<std::size_t>(res.store)];
      if (store.kind() == StoreKind::zip) continue;
      InspectTask task{join_path(store.location(), res.path), {}, res.size};
      if (store.kind() == StoreKind::folder) task.entry = entry_for(res.path, archives);
      if (!task.entry && o_.deep == DeepLevel::off) continue;
      tasks.push_back(std::move(task));
      task_slot.push_back(i);
    }
    std::vector<InspectVerdict> verdicts = inspect_images(tasks, o_.deep, o_.jobs);
    auto& sum = report_.summary;
    for (std::size_t t = 0; t < tasks.size(); ++t) {
      InspectVerdict& v = verdicts[t];
      const std::size_t slot = task_slot[t];
      sum.compared_with_archive += v.compared ? 1 : 0;
      sum.content_differs_from_extension += v.content_differs ? 1 : 0;
      if (!v.warning.empty()) {
        ++sum.warnings;
        report_.warnings.push_back({std::string(keys_[slot]), std::move(v.warning)});
      }
      if (v.kind == InspectVerdict::Kind::whole) continue;
      slots_[slot].state = v.kind == InspectVerdict::Kind::damaged ? ImageState::damaged : ImageState::corrupt;
      details_.emplace(slot, std::move(v.detail));
    }
  }

  void count_folders() {
    std::map<std::string_view, MissingSummary::Folder> folders;
    for (std::size_t i = 0; i < slots_.size(); ++i) {
      if (slots_[i].state == ImageState::invalid) continue;
      const std::string_view key = keys_[i];
      const std::size_t slash = key.find('/');
      auto& f = folders[slash == std::string_view::npos || absolute_[i] ? std::string_view() : key.substr(0, slash)];
      ++(slots_[i].state == ImageState::present ? f.present : f.missing);
    }
    for (auto& [name, f] : folders) {
      f.folder = std::string(name);
      report_.summary.per_folder.push_back(std::move(f));
    }
  }

  void finish() {
    auto& sum = report_.summary;
    sum.distinct_images = images_.size();
    std::sort(id_hashes_.begin(), id_hashes_.end());
    sum.duplicate_ids = static_cast<std::uint64_t>(
        id_hashes_.size() - static_cast<std::size_t>(std::unique(id_hashes_.begin(), id_hashes_.end()) - id_hashes_.begin()));
    for (std::size_t i = 0; i < slots_.size(); ++i) {
      const Resolution& res = slots_[i];
      switch (res.state) {
        case ImageState::present:
          ++sum.present;
          if (res.store >= 0) ++sum.per_store[static_cast<std::size_t>(res.store)];
          continue;
        case ImageState::missing: ++sum.missing; break;
        case ImageState::empty: ++sum.empty; break;
        case ImageState::corrupt: ++sum.corrupt; break;
        case ImageState::damaged: ++sum.damaged; break;
        case ImageState::other_extension: ++sum.other_extension; break;
        case ImageState::invalid: break;
      }
      report_.missing_images.emplace_back(keys_[i]);
    }
    count_folders();
    // Records in record order: the unusable ones among those with images, and the invalid ones.
    std::size_t inv = 0;
    auto flush_invalid_before = [&](std::uint64_t index) {
      while (inv < invalid_.size() && invalid_[inv].index < index) report_.records.push_back(std::move(invalid_[inv++]));
    };
    for (const auto& p : pending_) {
      const Resolution& res = slots_[p.slot];
      if (res.state == ImageState::present) continue;
      flush_invalid_before(p.index);
      MissingRecord m;
      m.index = p.index;
      m.id = std::string(std::string_view(ids_).substr(p.id_at, p.id_size));
      m.image = keys_[p.slot];
      m.state = res.state;
      if (auto d = details_.find(p.slot); d != details_.end()) m.detail = d->second;
      if (auto f = found_.find(p.slot); f != found_.end()) {
        m.found = f->second;
        m.detail = "on disk as " + f->second;
      }
      if (meta_ != nullptr) {
        if (const MetaInfo* info = meta_->find(m.image)) {
          m.url = info->url;
          m.caption = info->caption;
        }
      }
      report_.records.push_back(std::move(m));
    }
    flush_invalid_before(UINT64_MAX);
  }

  // A record with a valid image, in a few bytes: its id lives in ids_.
  struct Pending {
    std::uint64_t index;
    std::uint32_t slot;  // the image
    std::size_t id_at;
    std::uint32_t id_size;
  };

  const StoreList* stores_ = nullptr;
  std::size_t resolved_ = 0;  // slots_[0, resolved_) are resolved
  bool stores_failed_ = false;
  const MetaIndex* meta_;
  const MissingOptions& o_;
  MissingReport report_;
  std::uint64_t file_bytes_ = 0;
  bool presized_ = false;
  StringArena names_;                    // owns the image names
  FlatStringMap<std::size_t> images_;    // image -> slot
  HugeVector<std::string_view> keys_;   // slot -> image (first-seen order)
  HugeVector<std::uint64_t> hashes_;    // slot -> its hash
  std::vector<bool> absolute_;          // slot -> checked where it points
  HugeVector<Resolution> slots_;
  std::unordered_map<std::size_t, std::string> details_;  // slot -> why it is corrupt or damaged
  std::unordered_map<std::size_t, std::string> found_;    // slot -> the name under another extension
  HugeVector<std::size_t> id_hashes_;  // 64-bit hashes: enough to count repeated ids
  HugeString ids_;
  HugeVector<Pending> pending_;
  std::vector<Candidate> candidates_;     // of the batch in hand
  std::deque<std::string> normalized_;    // keys of the batch that needed normalizing
  std::vector<MissingRecord> invalid_;
};

}  // namespace

Result<MissingReport> find_missing(const std::string& records_path, const StoresReady& stores, const MetaIndex* meta,
                                   const MissingOptions& options) {
  MissingJob job(meta, options);
  if (auto s = job.run(records_path, stores); !s) return s.error();
  return job.take();
}

}  // namespace lv
