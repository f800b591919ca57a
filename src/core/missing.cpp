#include "core/missing.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <atomic>
#include <cstring>
#include <thread>
#include <unordered_set>

#include "core/file_reader.h"
#include "core/fs.h"
#include "core/records.h"

namespace lv {

std::string_view image_state_name(ImageState s) {
  switch (s) {
    case ImageState::present: return "present";
    case ImageState::missing: return "missing";
    case ImageState::empty: return "empty";
    case ImageState::corrupt: return "corrupt";
    case ImageState::invalid: return "invalid";
  }
  return "?";
}

double MissingSummary::missing_fraction() const {
  if (distinct_images == 0) return 0.0;
  return static_cast<double>(missing + empty + corrupt) / static_cast<double>(distinct_images);
}

Result<MetaIndex> load_meta(const std::string& path) {
  MetaIndex index;
  ScanOptions o;
  o.extra_fields = true;
  auto s = scan_records(path, o, [&](const RecordBatch& b) -> Status {
    for (const auto& r : b.records) {
      if (r.image_kind != ImageKind::string) continue;
      auto& info = index[std::string(r.image)];
      info.url = std::string(r.url);
      info.caption = std::string(r.caption.empty() ? r.blip_caption : r.caption);
    }
    return {};
  });
  if (!s) return with_context("metadata", s.error());
  return index;
}

std::string image_content_problem(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) return error_text(errno);
  unsigned char head[12] = {};
  unsigned char tail[64] = {};
  struct stat st{};
  ssize_t h = -1, t = -1;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
    h = ::pread(fd, head, sizeof head, 0);
    off_t tail_at = st.st_size > static_cast<off_t>(sizeof tail) ? st.st_size - static_cast<off_t>(sizeof tail) : 0;
    t = ::pread(fd, tail, sizeof tail, tail_at);
  }
  ::close(fd);
  if (h < 0 || t < 0) return "could not be read";
  auto starts = [&](const char* sig, std::size_t n, std::size_t at = 0) {
    return static_cast<std::size_t>(h) >= at + n && std::memcmp(head + at, sig, n) == 0;
  };
  if (starts("\xFF\xD8\xFF", 3)) {
    // The end-of-image marker, allowing for a little padding after it.
    for (ssize_t i = t - 2; i >= 0; --i) {
      if (tail[i] == 0xFF && tail[i + 1] == 0xD9) return {};
    }
    return "JPEG without its end marker (truncated?)";
  }
  if (starts("\x89PNG\r\n\x1A\n", 8) || starts("GIF87a", 6) || starts("GIF89a", 6) ||
      (starts("RIFF", 4) && starts("WEBP", 4, 8))) {
    return {};
  }
  return "not a JPEG, PNG, WebP or GIF file";
}

namespace {

struct Resolution {
  ImageState state = ImageState::missing;
  int store = -1;             // index of the store that has it
  std::string_view path;      // inside that store
  std::string detail;
};

class MissingJob {
 public:
  MissingJob(const std::vector<std::unique_ptr<ImageStore>>& stores, const MetaIndex* meta, const MissingOptions& o)
      : stores_(stores), meta_(meta), o_(o) {
    report_.summary.per_store.assign(stores.size(), 0);
  }

  Status run(const std::string& path) {
    auto s = scan_records(path, {}, [this](const RecordBatch& b) { return on_batch(b); });
    if (!s) return s;
    if (o_.deep) deep_check();
    finish();
    return {};
  }

  MissingReport take() { return std::move(report_); }

 private:
  Status on_batch(const RecordBatch& batch) {
    auto& sum = report_.summary;
    for (const auto& r : batch.records) {
      ++sum.records;
      // A 64-bit hash per id is enough to count repeats, at a fraction of the memory.
      if (!r.id.empty() && !ids_.insert(std::hash<std::string_view>{}(r.id)).second) ++sum.duplicate_ids;
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
      std::string key = absolute ? std::string(r.image) : normalize_path(r.image);
      auto [it, inserted] = images_.try_emplace(key);
      if (inserted) {
        order_.push_back(&*it);
        it->second = resolve(key, absolute);
      } else {
        ++sum.duplicate_images;
      }
      // Only records that may end up in the report are kept (all of them with --deep,
      // which can still turn a present image into a corrupt one).
      if (o_.deep || it->second.state != ImageState::present) {
        pending_.push_back({r.index, std::string(r.id), std::string(r.image), &it->second});
      }
    }
    return {};
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

  Resolution resolve(const std::string& image, bool absolute) {
    Resolution res;
    if (absolute) {
      // As the trainer would open it: a regular file, where it points.
      struct stat st{};
      if (::stat(image.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
        res.state = st.st_size > 0 ? ImageState::present : ImageState::empty;
      }
      return res;
    }
    std::string_view url;
    if (meta_ != nullptr) {
      auto m = meta_->find(image);
      if (m != meta_->end()) url = m->second.url;
    }
    for (std::size_t s = 0; s < stores_.size(); ++s) {
      auto found = stores_[s]->find(image, url);
      if (!found) continue;
      if (found->size == 0) {
        if (res.state == ImageState::missing) res.state = ImageState::empty;
        continue;
      }
      res.state = ImageState::present;
      res.store = static_cast<int>(s);
      res.path = found->path;
      return res;
    }
    return res;
  }

  // --deep: the first and last bytes of each present image in a folder store.
  void deep_check() {
    std::vector<std::pair<std::string, Resolution*>> todo;
    for (auto* entry : order_) {
      Resolution& res = entry->second;
      if (res.state != ImageState::present || res.store < 0) continue;
      const ImageStore& store = *stores_[static_cast<std::size_t>(res.store)];
      if (store.kind() == StoreKind::zip) continue;
      todo.emplace_back(join_path(store.location(), res.path), &res);
    }
    std::atomic<std::size_t> next{0};
    std::vector<std::string> problems(todo.size());
    auto work = [&] {
      for (std::size_t i; (i = next.fetch_add(1)) < todo.size();) problems[i] = image_content_problem(todo[i].first);
    };
    std::vector<std::thread> threads;
    for (unsigned t = 1; t < std::max(1u, o_.jobs); ++t) threads.emplace_back(work);
    work();
    for (auto& t : threads) t.join();
    for (std::size_t i = 0; i < todo.size(); ++i) {
      if (problems[i].empty()) continue;
      todo[i].second->state = ImageState::corrupt;
      todo[i].second->detail = std::move(problems[i]);
    }
  }

  void finish() {
    auto& sum = report_.summary;
    sum.distinct_images = images_.size();
    for (auto* entry : order_) {
      const Resolution& res = entry->second;
      switch (res.state) {
        case ImageState::present:
          ++sum.present;
          if (res.store >= 0) ++sum.per_store[static_cast<std::size_t>(res.store)];
          continue;
        case ImageState::missing: ++sum.missing; break;
        case ImageState::empty: ++sum.empty; break;
        case ImageState::corrupt: ++sum.corrupt; break;
        case ImageState::invalid: break;
      }
      report_.missing_images.push_back(entry->first);
    }
    // Records in record order: the unusable ones among those with images, and the invalid ones.
    std::size_t inv = 0;
    auto flush_invalid_before = [&](std::uint64_t index) {
      while (inv < invalid_.size() && invalid_[inv].index < index) report_.records.push_back(std::move(invalid_[inv++]));
    };
    for (auto& p : pending_) {
      if (p.res->state == ImageState::present) continue;
      flush_invalid_before(p.index);
      MissingRecord m;
      m.index = p.index;
      m.id = std::move(p.id);
      m.image = std::move(p.image);
      m.state = p.res->state;
      m.detail = p.res->detail;
      if (meta_ != nullptr) {
        auto it = meta_->find(normalize_path(m.image));
        if (it != meta_->end()) {
          m.url = it->second.url;
          m.caption = it->second.caption;
        }
      }
      report_.records.push_back(std::move(m));
    }
    flush_invalid_before(UINT64_MAX);
  }

  struct Pending {
    std::uint64_t index;
    std::string id;
    std::string image;
    const Resolution* res;
  };

  const std::vector<std::unique_ptr<ImageStore>>& stores_;
  const MetaIndex* meta_;
  const MissingOptions& o_;
  MissingReport report_;
  std::unordered_map<std::string, Resolution> images_;
  std::vector<std::pair<const std::string, Resolution>*> order_;
  std::unordered_set<std::size_t> ids_;
  std::vector<Pending> pending_;
  std::vector<MissingRecord> invalid_;
};

}  // namespace

Result<MissingReport> find_missing(const std::string& records_path, const std::vector<std::unique_ptr<ImageStore>>& stores,
                                   const MetaIndex* meta, const MissingOptions& options) {
  MissingJob job(stores, meta, options);
  if (auto s = job.run(records_path); !s) return s.error();
  return job.take();
}

}  // namespace lv
