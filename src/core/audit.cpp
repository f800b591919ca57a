#include "core/audit.h"

#include <sys/stat.h>

#include <fmt/format.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <chrono>
#include <future>
#include <map>
#include <thread>
#include <set>

#include "core/audit_discover.h"
#include "core/audit_roots.h"
#include "core/check.h"
#include "core/fs.h"
#include "core/image_store.h"
#include "core/names.h"
#include "core/read_run.h"
#include "core/shipped_manifests.h"

namespace lv {
namespace {

// Record files of the release, and the metadata that gives their URLs.
const std::map<std::string, std::string, std::less<>> kMetaOf = {
    {"chat.json", "metadata.json"},
    {"blip_laion_cc_sbu_558k.json", "blip_laion_cc_sbu_558k_meta.json"},
};

bool has(const std::vector<std::string>& v, std::string_view name) { return std::find(v.begin(), v.end(), name) != v.end(); }

std::string percent(double f) { return fmt::format("{:.2f}%", f * 100.0); }

std::string plural(std::uint64_t n, std::string_view one, std::string_view many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

bool is_manifest_file(std::string_view name) { return name == "manifest.json" || name == "SHA256SUMS"; }

// A manifest and the folder (relative to DIR) its names are relative to.
struct PlacedManifest {
  Manifest manifest;
  std::string section;
};

// The shipped manifests that apply to what a folder holds, each cut to the
// files present (a release is often fetched in part; --require asks for more).
// images.zip belongs to CC3M beside chat.json/metadata.json, to LLaVA-Pretrain
// beside the blip_* files.
std::vector<Manifest> shipped_for(const std::vector<std::string>& files) {
  const bool cc3m = has(files, "chat.json") || has(files, "metadata.json");
  const bool pretrain = has(files, "blip_laion_cc_sbu_558k.json") || has(files, "blip_laion_cc_sbu_558k_meta.json");
  std::vector<Manifest> out;
  for (const auto& shipped : shipped_manifests()) {
    auto parsed = parse_json_manifest(shipped.text, std::string(shipped.name));
    if (!parsed) continue;  // the tests guarantee they parse
    Manifest m = std::move(parsed.value());
    const bool is_cc3m = shipped.name.find("cc3m") != std::string_view::npos;
    const bool is_pretrain = shipped.name == "llava-pretrain.json";
    std::erase_if(m.entries, [&](const ManifestEntry& e) {
      if (!has(files, e.path)) return true;
      if (e.path == "images.zip") return !((is_cc3m && cc3m) || (is_pretrain && pretrain && !cc3m));
      return false;
    });
    if (!m.entries.empty()) out.push_back(std::move(m));
  }
  return out;
}

std::string why_failed(const ManifestEntry& e, const FileResult& r) {
  if (r.size_mismatch || (e.size && r.size && *e.size != *r.size)) {
    return fmt::format("size {}, the manifest says {}", r.size.value_or(0), e.size.value_or(0));
  }
  for (const Digest& want : e.digests) {
    for (const Digest& got : r.actual) {
      if (got.algorithm == want.algorithm && !(got == want)) {
        return fmt::format("{} {}, the manifest says {}", algorithm_name(want.algorithm), got.hex(), want.hex());
      }
    }
  }
  return "differs";
}

AuditPrompts check_prompts(const std::string& dir, const std::string& relative, unsigned jobs) {
  AuditPrompts out;
  out.path = relative;
  const std::string root = relative == "." ? dir : join_path(dir, relative);
  Manifest manifest;
  for (const auto& shipped : shipped_manifests()) {
    if (shipped.name != "llava-prompts.json") continue;
    if (auto m = parse_json_manifest(shipped.text, std::string(shipped.name))) manifest = std::move(m.value());
  }
  std::vector<ReadItem> items;
  for (const auto& e : manifest.entries) {
    AlgorithmSet set;
    set.add(Algorithm::sha256);
    items.push_back({e.path, set, std::nullopt});
  }
  {
    ReadRun run(items, root, jobs);
    for (std::size_t i = 0; i < items.size(); ++i) {
      const FileResult judged = judge(manifest.entries[i], run.wait(i));
      if (judged.status == FileStatus::ok) {
        ++out.as_published;
      } else if (judged.status == FileStatus::failed) {
        out.edited.push_back(manifest.entries[i].path);
      } else {
        out.missing.push_back(manifest.entries[i].path);
      }
    }
  }
  std::vector<Manifest> manifests;
  manifests.push_back(std::move(manifest));
  std::vector<std::string> problems;
  if (auto unlisted = find_unlisted(manifests, root, {root}, problems)) out.added = std::move(unlisted.value());
  out.files = out.as_published + out.edited.size() + out.added.size();
  return out;
}

// --images, --records, --meta, --manifest and --probe-report name paths that
// must exist (relative to the current folder, as for every command).
Status check_given_paths(const AuditOptions& o) {
  auto exists = [](const char* option, const std::string& path) -> Status {
    struct stat st{};
    if (::stat(path.c_str(), &st) != 0) return Error{fmt::format("{} {}: {}", option, quote_name(path), error_text(errno))};
    return {};
  };
  for (const auto& spec : o.images) {
    std::string path = spec;
    for (std::string_view kind : {"folder:", "zip:", "img2dataset:"}) {
      if (spec.starts_with(kind)) path = spec.substr(kind.size());
    }
    if (auto s = exists("--images", path); !s) return s;
  }
  for (const auto& r : o.records) {
    if (auto s = exists("--records", r); !s) return s;
  }
  for (const auto& m : o.manifests) {
    if (auto s = exists("--manifest", m); !s) return s;
  }
  if (!o.meta.empty()) return exists("--meta", o.meta);
  return {};
}

// A path given on the command line, relative to DIR when it lies inside it
// (empty when it does not).
std::string inside_dir(const std::string& dir, const std::string& path) {
  char real_dir[PATH_MAX], real_path[PATH_MAX];
  if (::realpath(dir.c_str(), real_dir) == nullptr || ::realpath(path.c_str(), real_path) == nullptr) return {};
  const std::string_view d = real_dir, p = real_path;
  if (d == "/") return std::string(p.substr(1));
  if (p.size() > d.size() + 1 && p.starts_with(d) && p[d.size()] == '/') return std::string(p.substr(d.size() + 1));
  return {};
}

std::string parent_of(std::string_view rel) {
  const std::size_t slash = rel.rfind('/');
  return slash == std::string_view::npos ? std::string() : std::string(rel.substr(0, slash));
}

// A record file to check: where it is, what it is shown as, and which folder
// (relative to DIR) is its image root.
struct RecordTask {
  std::string shown;   // relative to DIR, or as given when outside it
  std::string path;    // to open
  std::string folder;  // its image root, relative to DIR
  std::string meta;    // metadata beside it, relative to DIR
};

// The image roots of one folder, and the archives beside the record files,
// opened when first needed.
struct RootSlot {
  std::promise<void> listed;  // set by the lister thread once `roots` or `error` is
  std::shared_future<void> ready;
  std::optional<ImageRoots> roots;
  std::string error;
  std::vector<std::string> archive_specs;
  std::optional<StoreList> archives;
  std::vector<std::string> archive_names;
};

class Auditor {
 public:
  Auditor(const AuditOptions& o, AuditTree tree) : o_(o), tree_(std::move(tree)) {}

  Result<AuditReport> run() {
    report_.dir = o_.dir;
    report_.policy = o_;
    for (const auto& s : tree_.sections) report_.sections.push_back(s.path.empty() ? "." : s.path);
    for (const auto& e : tree_.skipped) {
      report_.problems.push_back(fmt::format("{}: evaluation data, not audited", quote_name(sub_path(o_.dir, e))));
    }
    if (!o_.probe_report.empty()) {
      auto probe = load_probe_summary(o_.probe_report);
      if (!probe) return with_context("--probe-report", probe.error());
      report_.probe = std::move(probe.value());
    }
    if (auto s = load_manifests(); !s) return s.error();
    collect_record_tasks();
    if (tasks_.empty() && manifests_.empty() && tree_.sections.empty() && tree_.prompts.empty()) {
      return Error{fmt::format("{}: nothing to audit: no release file, record file, zip archive or prompts folder in it "
                               "(searched {} levels down)", quote_name(o_.dir), kAuditDepth)};
    }
    check_prompts_folders();
    check_required();
    // Every top-level file of each section is hashed once (the record of what
    // the run used, and the check of the release files), while the archives
    // and record files are checked.
    std::vector<std::string> paths;
    std::vector<ReadItem> items;
    plan_reads(paths, items);
    std::map<std::string, FileReadResult> reads;
    {
      ReadRun run(items, o_.dir, o_.jobs);
      test_archives();
      check_records();
      for (std::size_t i = 0; i < items.size(); ++i) reads[paths[i]] = run.wait(i);
    }
    list_inputs(reads);
    check_release_files(reads);
    for (auto* step : {&required_reasons_, &file_reasons_, &archive_reasons_, &record_reasons_}) {
      report_.reasons.insert(report_.reasons.end(), step->begin(), step->end());
    }
    report_.pass = report_.reasons.empty();
    return std::move(report_);
  }

 private:
  Status load_manifests() {
    // --manifest replaces every other (its names are relative to DIR); else a
    // manifest that comes with a folder (manifest.json, SHA256SUMS) replaces the
    // shipped ones for that folder.
    auto load = [&](const std::string& path, const std::string& section) -> Status {
      auto m = load_manifest(path, ParseOptions{});
      if (!m) return m.error();
      if (!m->malformed.empty()) {
        std::string lines;
        for (std::size_t i = 0; i < m->malformed.size() && i < 5; ++i) {
          lines += fmt::format("{}line {}: {}", i ? "; " : "", m->malformed[i].line, m->malformed[i].reason);
        }
        if (m->malformed.size() > 5) lines += fmt::format("; {} more", m->malformed.size() - 5);
        file_reasons_.push_back(fmt::format("{}: {} ({}): what {} was not verified", manifest_display_name(path),
                                            plural(m->malformed.size(), "malformed line", "malformed lines"), lines,
                                            m->malformed.size() == 1 ? "it lists" : "they list"));
      }
      manifests_.push_back({std::move(m.value()), section});
      return {};
    };
    if (!o_.manifests.empty()) {
      for (const auto& path : o_.manifests) {
        if (auto s = load(path, ""); !s) return s;
      }
    } else {
      for (const auto& s : tree_.sections) {
        const auto own = std::find_if(s.files.begin(), s.files.end(), [](const std::string& f) { return is_manifest_file(f); });
        if (own != s.files.end()) {
          // The first found: manifest.json and SHA256SUMS usually list the same files.
          if (auto st = load(join_path(o_.dir, sub_path(s.path, *own)), s.path); !st) return st;
          continue;
        }
        for (auto& m : shipped_for(s.files)) manifests_.push_back({std::move(m), s.path});
      }
    }
    // Names that would leave their folder (absolute, '..') are not read: reported instead.
    for (auto& [m, section] : manifests_) {
      std::erase_if(m.entries, [&](const ManifestEntry& e) {
        std::string problem = image_path_problem(e.path);
        if (problem.empty()) return false;
        report_.problems.push_back(fmt::format("{}: line {}: {} is {}: not read", manifest_display_name(m.name), e.line,
                                               quote_name(e.path), problem));
        return true;
      });
    }
    return {};
  }

  void collect_record_tasks() {
    std::set<std::string> seen;
    for (const auto& s : tree_.sections) {
      for (const auto& f : s.record_files) {
        RecordTask t;
        t.shown = sub_path(s.path, f);
        t.path = join_path(o_.dir, t.shown);
        t.folder = s.path;
        if (auto it = kMetaOf.find(f); it != kMetaOf.end() && has(s.files, it->second)) t.meta = sub_path(s.path, it->second);
        seen.insert(t.shown);
        tasks_.push_back(std::move(t));
      }
    }
    for (const auto& given : o_.records) {
      RecordTask t;
      t.path = given;
      const std::string rel = inside_dir(o_.dir, given);
      if (!rel.empty()) {
        if (seen.contains(rel)) continue;
        t.shown = rel;
        t.folder = parent_of(rel);
      } else {
        t.shown = given;  // outside DIR: checked against DIR
      }
      seen.insert(t.shown);
      tasks_.push_back(std::move(t));
    }
  }

  void check_prompts_folders() {
    for (const auto& f : tree_.prompts) {
      report_.prompts.push_back(check_prompts(o_.dir, f, o_.jobs));
      AuditInput in;
      in.path = f;
      in.kind = "prompts";
      in.files = report_.prompts.back().files;
      report_.inputs.push_back(std::move(in));
    }
  }

  void check_required() {
    for (const auto& name : o_.require) {
      struct stat st{};
      if (::lstat(join_path(o_.dir, name).c_str(), &st) != 0) {
        required_reasons_.push_back(fmt::format("{} is required and is not in {}", quote_name(name), quote_name(o_.dir)));
      }
    }
  }

  void plan_reads(std::vector<std::string>& paths, std::vector<ReadItem>& items) {
    for (const auto& s : tree_.sections) {
      for (const auto& f : s.files) wanted_[sub_path(s.path, f)].add(Algorithm::sha256);
    }
    for (const auto& [m, section] : manifests_) {
      for (const auto& e : m.entries) {
        for (const auto& d : e.digests) wanted_[sub_path(section, e.path)].add(d.algorithm);
      }
    }
    for (const auto& [path, algorithms] : wanted_) paths.push_back(path);
    for (const auto& p : paths) items.push_back({p, wanted_[p], std::nullopt});
  }

  void list_inputs(const std::map<std::string, FileReadResult>& reads) {
    std::set<std::string> listed, records, metas;
    for (const auto& [m, section] : manifests_) {
      for (const auto& e : m.entries) listed.insert(sub_path(section, e.path));
    }
    for (const auto& t : tasks_) {
      records.insert(t.shown);
      if (!t.meta.empty()) metas.insert(t.meta);
    }
    for (const auto& s : tree_.sections) {
      for (const auto& f : s.files) {
        AuditInput in;
        in.path = sub_path(s.path, f);
        in.kind = is_manifest_file(f)           ? "manifest"
                  : records.contains(in.path)   ? "records"
                  : metas.contains(in.path) || is_metadata_name(f) ? "metadata"
                  : f.ends_with(".zip")         ? "archive"
                  : listed.contains(in.path)    ? "release_file"
                                                : "file";
        const FileReadResult& r = reads.at(in.path);
        in.size = r.size;
        for (const auto& d : r.digests) {
          if (d.algorithm == Algorithm::sha256) in.sha256 = d.hex();
        }
        report_.inputs.push_back(std::move(in));
      }
    }
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
        report_.inputs.push_back(std::move(in));
      }
    }
  }

  void check_release_files(const std::map<std::string, FileReadResult>& reads) {
    std::uint64_t failed = 0, unverified = 0, absent = 0;
    std::vector<std::string> failed_names;
    for (const auto& [m, section] : manifests_) {
      for (const auto& e : m.entries) {
        AuditFile file;
        file.path = sub_path(section, e.path);
        file.manifest = m.name;
        auto it = reads.find(file.path);
        FileResult r = it == reads.end() ? FileResult{} : judge(e, it->second);
        file.status = r.status;
        file.size = r.size.value_or(0);
        if (r.status == FileStatus::failed) {
          file.detail = why_failed(e, r);
          ++failed;
          failed_names.push_back(quote_name(file.path));
        } else if (r.status == FileStatus::size_only || r.status == FileStatus::unknown || r.status == FileStatus::unconfirmed) {
          ++unverified;
          if (r.status == FileStatus::unconfirmed) file.detail = "differs from the manifest's unconfirmed sha256 (a value from a single source)";
        } else if (r.status != FileStatus::ok) {
          ++absent;
          file.detail = r.status == FileStatus::missing ? "not in the folder" : std::string(status_name(r.status));
        }
        report_.files.push_back(std::move(file));
      }
    }
    if (failed > 0) {
      std::string names = failed_names.front();
      for (std::size_t i = 1; i < failed_names.size(); ++i) names += ", " + failed_names[i];
      file_reasons_.push_back(fmt::format("{} {} not match the manifest: {}", failed, failed == 1 ? "file does" : "files do", names));
    }
    if (absent > 0) file_reasons_.push_back(fmt::format("{} listed {} missing or unreadable", absent, absent == 1 ? "file is" : "files are"));
    if (unverified > 0 && !o_.allow_unknown_hashes) {
      file_reasons_.push_back(fmt::format("{} {} no published hash (--allow-unknown-hashes accepts {})", unverified,
                                          unverified == 1 ? "file has" : "files have", unverified == 1 ? "it" : "them"));
    }
  }

  void test_archives() {
    for (const auto& s : tree_.sections) {
      for (const auto& a : s.archives) {
        AuditArchive archive;
        archive.path = sub_path(s.path, a);
        ZipTestOptions zo;
        zo.jobs = o_.jobs;
        auto tested = test_zip(join_path(o_.dir, archive.path), zo);
        if (!tested) {
          archive.error = tested.error().message;
          archive_reasons_.push_back(fmt::format("{}: cannot be read: {}", quote_name(archive.path), tested.error().message));
        } else {
          const std::uint64_t bad = tested->dir.entries.size() - tested->ok;
          if (bad > 0) {
            archive_reasons_.push_back(
                fmt::format("{}: {} of {} entries have findings", quote_name(archive.path), bad, tested->dir.entries.size()));
          } else if (!tested->findings.empty()) {
            archive_reasons_.push_back(fmt::format("{}: {}", quote_name(archive.path), tested->findings.front().detail));
          }
          archive.report = std::move(tested.value());
        }
        report_.archives.push_back(std::move(archive));
      }
    }
  }

  // The folders audited on their own, and the prompts and evaluation folders,
  // relative to `folder`: its image root's listing leaves them out.
  std::vector<std::string> skipped_below(const std::string& folder) const {
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
  std::string root_key(const RecordTask& t) const { return o_.images.empty() ? t.folder : std::string(); }

  // Lists a folder's image roots (on the lister thread: touches only `slot`).
  void open_slot(const std::string& folder, RootSlot& slot) const {
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

  const StoreList& archives_for(RootSlot& slot) {
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
  void check_records() {
    std::vector<std::string> order;  // the folders, in the order the record files need them
    for (const auto& t : tasks_) {
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
    for (const auto& t : tasks_) check_record_file(t, roots_.at(root_key(t)), limit);
    for (const auto& [folder, slot] : roots_) {
      if (slot.roots) report_.problems.insert(report_.problems.end(), slot.roots->problems.begin(), slot.roots->problems.end());
    }
  }

  void check_record_file(const RecordTask& t, RootSlot& slot, double limit) {
    AuditRecords rec;
    rec.path = t.shown;
    MetaIndex meta;
    const std::string meta_path = !o_.meta.empty() ? o_.meta : t.meta.empty() ? std::string() : join_path(o_.dir, t.meta);
    if (!meta_path.empty()) {
      if (auto loaded = load_meta(meta_path)) {
        meta = std::move(loaded.value());
        rec.meta = !o_.meta.empty() ? o_.meta : t.meta;
      } else {
        report_.problems.push_back(loaded.error().message);
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
    auto found = find_missing(t.path, stores_ready, rec.meta.empty() ? nullptr : &meta, mo);
    slot.ready.wait();
    if (!usable()) {
      rec.error = slot.error.empty() ? "no image folder could be opened" : slot.error;
      record_reasons_.push_back(fmt::format("{}: not checked against any image folder: {}", quote_name(t.shown), rec.error));
    } else if (!found) {
      rec.error = found.error().message;
      record_reasons_.push_back(fmt::format("{}: cannot be read: {}", quote_name(t.shown), found.error().message));
    } else {
      rec.roots = slot.roots->shown;
      judge_records(rec, t.path, found.value(), slot, meta, limit);
      rec.report = std::move(found.value());
    }
    report_.records.push_back(std::move(rec));
  }

  void judge_records(AuditRecords& rec, const std::string& records_path, const MissingReport& found, RootSlot& slot, const MetaIndex& meta, double limit) {
    const ImageRoots& roots = *slot.roots;
    const MissingSummary& s = found.summary;
    const std::uint64_t unusable = s.missing + s.empty + s.corrupt;
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
        record_reasons_.push_back(fmt::format("{}: none of its {} images is in {}, which holds {}: {}", name, s.distinct_images,
                                              quote_name(roots.shown.front()), plural(images, "image file", "image files"),
                                              rec.hint));
      } else {
        if (!roots.archives_only) rec.hint = empty_root_hint(found);
        record_reasons_.push_back(fmt::format("{}: none of its {} images is in {}{}{}", name, s.distinct_images,
                                              quote_name(roots.shown.front()), roots.archives_only ? "" : ", which holds no image file",
                                              rec.hint.empty() ? "" : ": " + rec.hint));
      }
    }
    if (unusable > 0 && s.missing_fraction() > limit) {
      record_reasons_.push_back(fmt::format("{}: {} of {} images are missing or unusable ({}), above the limit of {}", name,
                                            unusable, s.distinct_images, percent(s.missing_fraction()), percent(limit)));
    }
    if (s.invalid > 0) {
      if (rec.absolute * 2 > s.with_image && !o_.allow_absolute) {
        record_reasons_.push_back(fmt::format("{}: {} of {} 'image' values are absolute paths, not checked "
                                              "(--allow-absolute checks them where they point)",
                                              name, rec.absolute, s.with_image));
      } else {
        record_reasons_.push_back(fmt::format("{}: {} records have an invalid 'image' value (the first: {})", name, s.invalid,
                                              rec.invalid_detail));
      }
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
        rec.restore = fmt::format("llava-verify extract {} --dest {} --records {} --only-missing",
                                  quote_name(slot.archive_names[best]), quote_name(dest), quote_name(records_path));
      }
    }
  }

  const AuditOptions& o_;
  AuditTree tree_;
  AuditReport report_;
  std::vector<PlacedManifest> manifests_;
  std::vector<RecordTask> tasks_;
  std::map<std::string, AlgorithmSet> wanted_;
  std::map<std::string, RootSlot> roots_;
  std::vector<std::string> required_reasons_, file_reasons_, archive_reasons_, record_reasons_;
};

}  // namespace

Result<AuditReport> run_audit(const AuditOptions& o) {
  if (auto s = check_given_paths(o); !s) return s.error();
  auto tree = discover_audit_tree(o.dir);
  if (!tree) return tree.error();
  return Auditor(o, std::move(tree.value())).run();
}

}  // namespace lv
