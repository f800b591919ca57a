#include "core/audit_records.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <optional>
#include <thread>

#include "core/audit_roots.h"
#include "core/fs.h"
#include "core/image_store.h"
#include "core/names.h"

namespace lv {
namespace {

std::string percent(double f) { return fmt::format("{:.2f}%", f * 100.0); }

std::string plural(std::uint64_t n, std::string_view one, std::string_view many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

}  // namespace

// The image roots of one folder, and the archives beside the record files,
// opened when first needed.
struct RecordAudit::RootSlot {
  std::promise<void> listed;  // set by the lister thread once `roots` or `error` is
  std::shared_future<void> ready;
  std::optional<ImageRoots> roots;
  std::string error;
  std::vector<std::string> archive_specs;
  std::optional<StoreList> archives;
  std::vector<std::string> archive_names;
};

RecordAudit::RecordAudit(const AuditOptions& o, const AuditTree& tree) : o_(o), tree_(tree) {}
RecordAudit::~RecordAudit() = default;

// The folders audited on their own, and the prompts and evaluation folders,
// relative to `folder`: its image root's listing leaves them out.
std::vector<std::string> RecordAudit::skipped_below(const std::string& folder) const {
  std::vector<std::string> skip;
  auto add = [&](const std::string& rel) {
    if (folder.empty()) {
      if (!rel.empty()) skip.push_back(rel);
    } else if (rel.size() > folder.size() + 1 && rel.starts_with(folder) && rel[folder.size()] == '/') {
      skip.push_back(rel.substr(folder.size() + 1));
    }
  };
  for (const auto& s : tree_.sections) add(s.path);
  for (const auto& p : tree_.prompts) add(p == "." ? std::string() : p);
  for (const auto& e : tree_.skipped) add(e);
  return skip;
}

// The folder whose image roots a record file uses: all of them share the
// --images stores when given.
std::string RecordAudit::root_key(const RecordTask& t) const { return o_.images.empty() ? t.folder : std::string(); }

// Lists a folder's image roots (on the lister thread: touches only `slot`).
void RecordAudit::open_slot(const std::string& folder, RootSlot& slot) const {
  const std::string path = folder.empty() ? o_.dir : join_path(o_.dir, folder);
  for (const auto& s : tree_.sections) {
    if (s.path != folder) continue;
    for (const auto& a : s.archives) slot.archive_specs.push_back(join_path(path, a));
  }
  if (!o_.images.empty()) {
    ImageRoots given;
    for (const auto& spec : o_.images) {
      auto store = open_store(spec, StoreOptions{false, o_.jobs, true, {}});
      if (!store) {
        given.problems.push_back(store.error().message);
        continue;
      }
      for (const auto& p : store.value()->problems()) given.problems.push_back(fmt::format("{}: {}", quote_name(spec), p));
      given.stores.push_back(std::move(store.value()));
      given.shown.push_back(spec);
    }
    slot.roots = std::move(given);
  } else if (auto opened = open_image_roots(path, skipped_below(folder), o_.jobs)) {
    slot.roots = std::move(opened.value());
    // A folder without any image: the archives beside the records are what
    // there is (a release folder as downloaded).
    if (slot.roots->stores.front()->image_files() == 0 && !slot.archive_specs.empty()) {
      ImageRoots archives;
      for (const auto& spec : slot.archive_specs) {
        auto store = open_zip_store(spec);
        if (!store) continue;  // the archive test says why
        archives.stores.push_back(std::move(store.value()));
        archives.shown.push_back(spec);
      }
      archives.archives_only = true;
      archives.problems = std::move(slot.roots->problems);
      if (!archives.stores.empty()) slot.roots = std::move(archives);
    }
  } else {
    slot.error = opened.error().message;
  }
}

const StoreList& RecordAudit::archives_for(RootSlot& slot) {
  if (!slot.archives) {
    slot.archives.emplace();
    for (const auto& spec : slot.archive_specs) {
      if (auto store = open_zip_store(spec)) {
        slot.archives->push_back(std::move(store.value()));
        slot.archive_names.push_back(spec);
      }
    }
  }
  return *slot.archives;
}

// The record files, one after the other, while a thread lists their image
// roots (as `missing` lists its stores while it scans).
void RecordAudit::run(const std::vector<RecordTask>& tasks, AuditReport& report, std::vector<std::string>& reasons) {
  report_ = &report;
  reasons_ = &reasons;
  std::vector<std::string> order;  // the folders, in the order the record files need them
  for (const auto& t : tasks) {
    auto [it, inserted] = roots_.try_emplace(root_key(t));
    if (inserted) order.push_back(it->first);
  }
  for (auto& [folder, slot] : roots_) slot.ready = slot.listed.get_future().share();
  std::thread lister([&] {
    for (const auto& folder : order) {
      RootSlot& slot = roots_.at(folder);
      open_slot(folder, slot);
      slot.listed.set_value();
    }
  });
  struct Joiner {
    std::thread& t;
    ~Joiner() { t.join(); }
  } joiner{lister};
  const double limit = o_.max_missing_fraction.value_or(0.0);
  for (const auto& t : tasks) check_record_file(t, roots_.at(root_key(t)), limit);
  for (const auto& [folder, slot] : roots_) {
    if (slot.roots) report_->problems.insert(report_->problems.end(), slot.roots->problems.begin(), slot.roots->problems.end());
  }
}

void RecordAudit::check_record_file(const RecordTask& t, RootSlot& slot, double limit) {
  AuditRecords rec;
  rec.path = t.shown;
  MetaIndex meta;
  const std::string meta_path = !o_.meta.empty() ? o_.meta : t.meta.empty() ? std::string() : join_path(o_.dir, t.meta);
  if (!meta_path.empty()) {
    if (auto loaded = load_meta(meta_path)) {
      meta = std::move(loaded.value());
      rec.meta = !o_.meta.empty() ? o_.meta : t.meta;
    } else {
      report_->problems.push_back(loaded.error().message);
    }
  }
  auto usable = [&] { return slot.roots && !slot.roots->stores.empty(); };
  auto stores_ready = [&](bool wait) -> Result<const StoreList*> {
    if (!wait && slot.ready.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
      return static_cast<const StoreList*>(nullptr);
    }
    slot.ready.wait();
    if (!usable()) return Error{slot.error.empty() ? "no image folder could be opened" : slot.error};
    return &slot.roots->stores;
  };
  MissingOptions mo;
  mo.jobs = o_.jobs;
  mo.allow_absolute = o_.allow_absolute;
  mo.deep = o_.deep;
  mo.archive_compare = o_.archive_compare;
  // The archives beside the records are the reference of the images unzipped from them.
  if (o_.images.empty()) {
    mo.references = [&]() -> const StoreList* { return slot.roots && !slot.roots->archives_only ? &archives_for(slot) : nullptr; };
  }
  auto found = find_missing(t.path, stores_ready, rec.meta.empty() ? nullptr : &meta, mo);
  slot.ready.wait();
  if (!usable()) {
    rec.error = slot.error.empty() ? "no image folder could be opened" : slot.error;
    reasons_->push_back(fmt::format("{}: not checked against any image folder: {}", quote_name(t.shown), rec.error));
  } else if (!found) {
    rec.error = found.error().message;
    reasons_->push_back(fmt::format("{}: cannot be read: {}", quote_name(t.shown), found.error().message));
  } else {
    rec.roots = slot.roots->shown;
    judge_records(rec, t.path, found.value(), slot, meta, limit);
    rec.report = std::move(found.value());
  }
  report_->records.push_back(std::move(rec));
}

void RecordAudit::judge_records(AuditRecords& rec, const std::string& records_path, const MissingReport& found, RootSlot& slot,
                                const MetaIndex& meta, double limit) {
  const ImageRoots& roots = *slot.roots;
  const MissingSummary& s = found.summary;
  const std::uint64_t unusable = s.unusable();
  const std::string name = quote_name(rec.path);
  for (const auto& m : found.records) {
    if (m.state != ImageState::invalid) continue;
    if (rec.invalid_detail.empty()) rec.invalid_detail = m.detail;
    rec.absolute += m.detail == "'image' is an absolute path" ? 1 : 0;
  }
  if (s.present == 0 && s.distinct_images > 0) {
    std::uint64_t images = 0;
    for (const auto& st : roots.stores) {
      if (st->kind() != StoreKind::zip || roots.archives_only) images = std::max(images, st->image_files());
    }
    // Never a pass on nothing checked, whatever --max-missing-fraction allows.
    if (images > 0 && !roots.archives_only) {
      rec.hint = no_image_hint(roots, found, archives_for(slot), slot.archive_names);
      reasons_->push_back(fmt::format("{}: none of its {} images is in {}, which holds {}: {}", name, s.distinct_images,
                                            quote_name(roots.shown.front()), plural(images, "image file", "image files"),
                                            rec.hint));
    } else {
      if (!roots.archives_only) rec.hint = empty_root_hint(found);
      reasons_->push_back(fmt::format("{}: none of its {} images is in {}{}{}", name, s.distinct_images,
                                            quote_name(roots.shown.front()), roots.archives_only ? "" : ", which holds no image file",
                                            rec.hint.empty() ? "" : ": " + rec.hint));
    }
  }
  if (unusable > 0 && s.missing_fraction() > limit) {
    reasons_->push_back(fmt::format("{}: {} of {} images are missing or unusable ({}), above the limit of {}", name,
                                          unusable, s.distinct_images, percent(s.missing_fraction()), percent(limit)));
  }
  if (s.invalid > 0) {
    if (rec.absolute * 2 > s.with_image && !o_.allow_absolute) {
      reasons_->push_back(fmt::format("{}: {} of {} 'image' values are absolute paths, not checked "
                                            "(--allow-absolute checks them where they point)",
                                            name, rec.absolute, s.with_image));
    } else {
      reasons_->push_back(fmt::format("{}: {} records have an invalid 'image' value (the first: {})", name, s.invalid,
                                            rec.invalid_detail));
    }
  }
  if (s.other_extension > 0 && !roots.shown.empty()) {
    std::string fixed = records_path;
    if (const std::size_t dot = fixed.rfind('.'); dot != std::string::npos && fixed.find('/', dot) == std::string::npos) {
      fixed.resize(dot);
    }
    rec.fix_extensions = fmt::format("llava-verify rewrite {} --images {} --fix-extensions -o {}", quote_name(records_path),
                                     quote_name(roots.shown.front()), quote_name(fixed + ".fixed.json"));
  }
  if (unusable == 0 || roots.archives_only) return;
  const StoreList& archives = archives_for(slot);
  std::vector<std::uint64_t> per_archive(archives.size(), 0);
  for (const auto& image : found.missing_images) {
    const StoreHit hit = find_in_stores(archives, image, meta.url_of(image));
    if (hit.store < 0) continue;
    ++rec.in_archives;
    ++per_archive[static_cast<std::size_t>(hit.store)];
  }
  if (rec.in_archives > 0) {
    // Into the folder the next audit looks in: the first --images folder when given.
    std::string dest;
    for (std::size_t i = 0; i < roots.stores.size() && !o_.images.empty() && dest.empty(); ++i) {
      if (roots.stores[i]->kind() == StoreKind::folder) dest = roots.stores[i]->location();
    }
    if (o_.images.empty()) dest = restore_destination(roots, found);
    const auto best = static_cast<std::size_t>(std::max_element(per_archive.begin(), per_archive.end()) - per_archive.begin());
    if (!dest.empty()) {
      rec.restore = fmt::format("llava-verify extract {} --dest {} --records {} --only-missing{}",
                                quote_name(slot.archive_names[best]), quote_name(dest), quote_name(records_path),
                                s.corrupt == 0                  ? ""
                                : o_.deep == DeepLevel::decode ? " --deep=decode"
                                                                : " --deep");
    }
  }
}

void RecordAudit::list_inputs(std::vector<AuditInput>& inputs) const {
  for (const auto& [folder, slot] : roots_) {
    if (!slot.roots) continue;
    for (std::size_t i = 0; i < slot.roots->stores.size(); ++i) {
      const ImageStore& store = *slot.roots->stores[i];
      if (store.kind() == StoreKind::zip) continue;
      AuditInput in;
      const std::string& shown = slot.roots->shown[i];
      in.path = shown == o_.dir ? "." : shown.starts_with(o_.dir + "/") ? shown.substr(o_.dir.size() + 1) : shown;
      in.kind = store.kind() == StoreKind::img2dataset ? "img2dataset" : "image_folder";
      in.files = store.image_files();
      inputs.push_back(std::move(in));
    }
  }
}

}  // namespace lv
