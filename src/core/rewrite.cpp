#include "core/rewrite.h"

#include <fmt/format.h>

#include "core/atomic_file.h"
#include "core/fs.h"
#include "core/json_writer.h"
#include "core/records.h"

#include <unordered_map>

namespace lv {
namespace {

std::string default_zip_dest(const std::string& zip) {
  std::string dest = zip;
  if (dest.size() > 4 && dest.ends_with(".zip")) dest.resize(dest.size() - 4);
  return dest;
}

// Out: anything with `Status write(std::string_view)` (AtomicFile, StringOut).
template <class Out>
class Rewriter {
 public:
  Rewriter(const RewriteOptions& o, Out& out) : o_(o), out_(out) {
    if (o_.judged != nullptr) {
      for (const auto& m : o_.judged->records) {
        if (m.state != ImageState::invalid) judged_.emplace(m.image, &m);
      }
    }
  }

  Status on_batch(const RecordBatch& b) {
    const char* base = b.text.data();
    auto text = [&](std::uint64_t from, std::uint64_t to) { return std::string_view(base + (from - b.begin), to - from); };
    const std::uint64_t batch_end = b.begin + b.text.size();
    if (b.first) {
      // The bytes before the first record ('[' and white space), or the whole
      // file when there is no record.
      std::uint64_t head_end = b.records.empty() ? batch_end : b.records.front().begin;
      if (auto s = out_.write(text(b.begin, head_end)); !s) return s;
      if (b.records.empty()) return {};
    }
    for (std::size_t i = 0; i < b.records.size(); ++i) {
      const Record& r = b.records[i];
      ++stats_.records;
      std::optional<std::string> value;
      bool drop = false;
      decide(r, value, drop);
      if (drop) {
        ++stats_.dropped;
        continue;
      }
      // The separator before this record: from the previous record's end, or
      // carried over from the previous batch. None before the first kept record.
      if (kept_any_) {
        if (i == 0) {
          if (auto s = out_.write(carry_); !s) return s;
        } else if (auto s = out_.write(text(b.records[i - 1].end, r.begin)); !s) {
          return s;
        }
      }
      kept_any_ = true;
      if (value) {
        if (auto s = out_.write(text(r.begin, r.image_begin)); !s) return s;
        if (auto s = out_.write(json_quote(*value)); !s) return s;
        if (auto s = out_.write(text(r.image_end, r.end)); !s) return s;
      } else if (auto s = out_.write(text(r.begin, r.end)); !s) {
        return s;
      }
    }
    if (!b.records.empty()) carry_.assign(text(b.records.back().end, batch_end));
    if (b.last) return out_.write(carry_);  // the bytes after the last record (']')
    return {};
  }

  const RewriteStats& stats() const { return stats_; }

 private:
  // The new value of the record's image, if it changes; whether to drop it.
  void decide(const Record& r, std::optional<std::string>& value, bool& drop) {
    if (!r.is_object || r.image_kind == ImageKind::absent) return;
    if (r.image_kind != ImageKind::string) {
      ++stats_.invalid;
      return;
    }
    ++stats_.with_image;
    if (!image_path_problem(r.image).empty()) {
      ++stats_.invalid;
      return;
    }
    std::string target;
    if (o_.rename_to_gcc) {
      std::string image = normalize_path(r.image);
      std::string_view url;
      for (const auto& store : *o_.stores) {
        if (!(url = store->url_of(image)).empty()) break;
      }
      const std::string* gcc = nullptr;
      if (o_.meta != nullptr && !url.empty()) {
        auto it = o_.meta->image_by_url.find(std::string(url));
        if (it != o_.meta->image_by_url.end()) gcc = &it->second;
      }
      if (gcc == nullptr) {
        ++stats_.missing;
        drop = o_.drop_missing;
        return;
      }
      target = *gcc;
    } else if (o_.stores != nullptr) {
      std::string image = normalize_path(r.image);
      const auto j = judged_.find(image);
      if (j != judged_.end() && (j->second->state != ImageState::other_extension || !o_.fix_extensions)) {
        ++stats_.missing;
        drop = o_.drop_missing;
        return;
      }
      if (o_.fix_extensions) {
        // Only the extension changes, in the value as written.
        target = std::string(r.image);
        if (j != judged_.end()) {
          const std::string_view found = j->second->found;
          target.resize(target.rfind('.'));
          target += found.substr(found.rfind('.'));
          ++stats_.fixed_extensions;
        }
        target = o_.prefix + target;
        if (target == r.image) {
          ++stats_.unchanged;
          return;
        }
        ++stats_.rewritten;
        value = std::move(target);
        return;
      }
      StoreHit hit = find_in_stores(*o_.stores, image, o_.meta != nullptr ? o_.meta->url_of(image) : std::string_view());
      if (hit.store >= 0) {
        const ImageStore& store = *(*o_.stores)[static_cast<std::size_t>(hit.store)];
        std::string root = store.kind() == StoreKind::zip
                               ? (o_.zip_dest.empty() ? default_zip_dest(store.location()) : o_.zip_dest)
                               : store.location();
        target = join_path(root, hit.image.path);
      } else {
        ++stats_.missing;
        drop = o_.drop_missing;
        return;
      }
    } else {
      target = std::string(r.image);
    }
    target = o_.prefix + target;
    if (target == r.image) {
      ++stats_.unchanged;  // the raw bytes stay, escapes and all
      return;
    }
    ++stats_.rewritten;
    value = std::move(target);
  }

  const RewriteOptions& o_;
  Out& out_;
  RewriteStats stats_;
  std::string carry_;
  bool kept_any_ = false;
  std::unordered_map<std::string_view, const MissingRecord*> judged_;  // image -> why it is not usable
};

struct StringOut {
  std::string& s;
  Status write(std::string_view data) {
    s.append(data);
    return {};
  }
};

}  // namespace

Result<RewriteStats> rewrite_records_in(std::string_view text, std::string_view name, const RewriteOptions& options,
                                        std::string& out) {
  StringOut sink{out};
  Rewriter<StringOut> rewriter(options, sink);
  auto s = scan_records_in(text, name, options.scan, [&](const RecordBatch& b) { return rewriter.on_batch(b); });
  if (!s) return s.error();
  return rewriter.stats();
}

Result<RewriteStats> rewrite_records(const std::string& in, const std::string& out, const RewriteOptions& options) {
  auto file = AtomicFile::create(out);
  if (!file) return file.error();
  file->write_behind();  // the output is as large as the input: written from a thread of its own
  Rewriter<AtomicFile> rewriter(options, file.value());
  auto s = scan_records(in, options.scan, [&](const RecordBatch& b) { return rewriter.on_batch(b); });
  if (!s) return s.error();  // the temporary file is removed
  if (auto c = file->commit(); !c) return c.error();
  return rewriter.stats();
}

}  // namespace lv
