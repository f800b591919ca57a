#include "core/audit.h"

#include "core/check.h"

#include <dirent.h>
#include <sys/stat.h>

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "core/file_reader.h"
#include "core/fs.h"
#include "core/image_store.h"
#include "core/names.h"
#include "core/read_run.h"
#include "core/shipped_manifests.h"

namespace lv {
namespace {

// Record files of the release, and the metadata that gives their URLs.
const std::map<std::string, std::string, std::less<>> kRecordFiles = {
    {"chat.json", "metadata.json"},
    {"blip_laion_cc_sbu_558k.json", "blip_laion_cc_sbu_558k_meta.json"},
    {"llava_instruct_150k.json", ""},
    {"llava_instruct_80k.json", ""},
    {"conversation_58k.json", ""},
    {"detail_23k.json", ""},
    {"complex_reasoning_77k.json", ""},
};
const std::set<std::string, std::less<>> kMetaFiles = {"metadata.json", "blip_laion_cc_sbu_558k_meta.json"};

struct Listing {
  std::vector<std::string> files;    // regular files at the top of DIR, sorted
  std::vector<std::string> folders;  // folders (not hidden), sorted
};

Result<Listing> list_top(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return Error{fmt::format("{}: {}", quote_name(dir), error_text(errno))};
  Listing out;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name.empty() || name.front() == '.') continue;
    struct stat st{};
    // Symbolic links are not followed: an audit reads nothing outside DIR.
    if (::lstat(join_path(dir, name).c_str(), &st) != 0) continue;
    if (S_ISREG(st.st_mode)) out.files.push_back(std::move(name));
    if (S_ISDIR(st.st_mode)) out.folders.push_back(std::move(name));
  }
  ::closedir(d);
  std::sort(out.files.begin(), out.files.end());
  std::sort(out.folders.begin(), out.folders.end());
  return out;
}

bool has(const std::vector<std::string>& v, std::string_view name) { return std::find(v.begin(), v.end(), name) != v.end(); }

std::string percent(double f) { return fmt::format("{:.2f}%", f * 100.0); }

// The shipped manifests that apply to what DIR holds, each cut to the files
// present (a release is often fetched in part; --require asks for more).
// images.zip belongs to CC3M beside chat.json/metadata.json, to LLaVA-Pretrain
// beside the blip_* files.
std::vector<Manifest> shipped_for(const Listing& top) {
  const bool cc3m = has(top.files, "chat.json") || has(top.files, "metadata.json");
  const bool pretrain = has(top.files, "blip_laion_cc_sbu_558k.json") || has(top.files, "blip_laion_cc_sbu_558k_meta.json");
  std::vector<Manifest> out;
  for (const auto& shipped : shipped_manifests()) {
    auto parsed = parse_json_manifest(shipped.text, std::string(shipped.name));
    if (!parsed) continue;  // the tests guarantee they parse
    Manifest m = std::move(parsed.value());
    const bool is_cc3m = shipped.name.find("cc3m") != std::string_view::npos;
    const bool is_pretrain = shipped.name == "llava-pretrain.json";
    std::erase_if(m.entries, [&](const ManifestEntry& e) {
      if (!has(top.files, e.path)) return true;
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

// A prompts folder holds <task>/system_message.txt for the three tasks' folders.
bool is_prompts_folder(const std::string& path) {
  for (const char* task : {"conversation", "detail_description", "complex_reasoning"}) {
    struct stat st{};
    if (::stat(join_path(join_path(path, task), "system_message.txt").c_str(), &st) == 0 && S_ISREG(st.st_mode)) return true;
  }
  return false;
}

AuditPrompts check_prompts(const std::string& dir, const std::string& relative, unsigned jobs) {
  AuditPrompts out;
  out.path = relative;
  const std::string root = join_path(dir, relative);
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

}  // namespace

Result<AuditReport> run_audit(const AuditOptions& o) {
  auto top = list_top(o.dir);
  if (!top) return top.error();
  AuditReport report;
  report.dir = o.dir;
  report.policy = o;
  if (!o.probe_report.empty()) {
    auto probe = load_probe_summary(o.probe_report);
    if (!probe) return with_context("--probe-report", probe.error());
    report.probe = std::move(probe.value());
  }

  // What DIR holds.
  std::vector<std::string> record_files = o.records;
  std::vector<std::string> archives;
  std::map<std::string, std::string> meta_of;  // record file -> metadata file
  for (const auto& f : top->files) {
    if (auto it = kRecordFiles.find(f); it != kRecordFiles.end()) {
      if (!has(record_files, f)) record_files.push_back(f);
      if (!it->second.empty() && has(top->files, it->second)) meta_of[f] = it->second;
    }
    if (f.ends_with(".zip")) archives.push_back(f);
  }
  std::vector<Manifest> manifests;
  // A manifest that comes with the folder (manifest.json, SHA256SUMS) takes the
  // place of the shipped ones, like --manifest.
  std::vector<std::string> manifest_paths = o.manifests;
  if (manifest_paths.empty()) {
    for (const char* name : {"manifest.json", "SHA256SUMS"}) {
      if (has(top->files, name)) {
        manifest_paths.push_back(join_path(o.dir, name));
        break;  // the first found: they usually list the same files
      }
    }
  }
  if (!manifest_paths.empty()) {
    for (const auto& path : manifest_paths) {
      auto m = load_manifest(path, ParseOptions{});
      if (!m) return m.error();
      for (const auto& bad : m->malformed) {
        report.problems.push_back(fmt::format("{}: line {}: {}", manifest_display_name(path), bad.line, bad.reason));
      }
      manifests.push_back(std::move(m.value()));
    }
  } else {
    manifests = shipped_for(*top);
  }
  // Names that would leave DIR (absolute, '..') are not read: reported instead.
  for (auto& m : manifests) {
    std::erase_if(m.entries, [&](const ManifestEntry& e) {
      std::string problem = image_path_problem(e.path);
      if (problem.empty()) return false;
      report.problems.push_back(fmt::format("{}: line {}: {} is {}: not read", manifest_display_name(m.name), e.line,
                                            quote_name(e.path), problem));
      return true;
    });
  }
  std::set<std::string> listed;
  for (const auto& m : manifests) {
    for (const auto& e : m.entries) listed.insert(e.path);
  }
  // Prompts folders: DIR itself, a folder at its top, or a LLaVA checkout's.
  std::vector<std::string> prompt_folders;
  if (is_prompts_folder(o.dir)) prompt_folders.push_back(".");
  for (const auto& f : top->folders) {
    if (is_prompts_folder(join_path(o.dir, f))) prompt_folders.push_back(f);
    if (const std::string inner = f + "/playground/data/prompts"; is_prompts_folder(join_path(o.dir, inner))) {
      prompt_folders.push_back(inner);
    }
  }
  for (const auto& f : prompt_folders) {
    report.prompts.push_back(check_prompts(o.dir, f, o.jobs));
    AuditInput in;
    in.path = f;
    in.kind = "prompts";
    in.files = report.prompts.back().files;
    report.inputs.push_back(std::move(in));
  }
  std::erase_if(top->folders, [&](const std::string& f) { return has(prompt_folders, f); });
  if (record_files.empty() && archives.empty() && manifests.empty() && prompt_folders.empty()) {
    return Error{fmt::format("{}: nothing to audit: no release file, record file or zip archive at its top", quote_name(o.dir))};
  }
  for (const auto& name : o.require) {
    if (!has(top->files, name) && !has(top->folders, name)) {
      report.reasons.push_back(fmt::format("{} is required and is not in {}", quote_name(name), quote_name(o.dir)));
    }
  }

  // Every top-level file is hashed once: the record of what the run used, and
  // the check of the release files against their manifests.
  std::map<std::string, AlgorithmSet> wanted;
  for (const auto& f : top->files) wanted[f].add(Algorithm::sha256);
  for (const auto& m : manifests) {
    for (const auto& e : m.entries) {
      for (const auto& d : e.digests) wanted[e.path].add(d.algorithm);
    }
  }
  std::vector<std::string> paths;
  std::vector<ReadItem> items;
  for (const auto& [path, algorithms] : wanted) paths.push_back(path);
  for (std::size_t i = 0; i < paths.size(); ++i) items.push_back({paths[i], wanted[paths[i]], std::nullopt});
  std::map<std::string, FileReadResult> reads;
  {
    ReadRun run(items, o.dir, o.jobs);
    for (std::size_t i = 0; i < items.size(); ++i) {
      reads[paths[i]] = run.wait(i);
    }
  }
  for (const auto& f : top->files) {
    AuditInput in;
    in.path = f;
    in.kind = (f == "manifest.json" || f == "SHA256SUMS") ? "manifest"
              : kRecordFiles.contains(f) ? "records"
              : kMetaFiles.contains(f) ? "metadata"
              : f.ends_with(".zip")    ? "archive"
              : listed.contains(f)     ? "release_file"
                                       : "file";
    const FileReadResult& r = reads[f];
    in.size = r.size;
    for (const auto& d : r.digests) {
      if (d.algorithm == Algorithm::sha256) in.sha256 = d.hex();
    }
    report.inputs.push_back(std::move(in));
  }

  // Step 1: the release files.
  std::uint64_t failed = 0, unverified = 0, absent = 0;
  std::vector<std::string> failed_names;
  for (const auto& m : manifests) {
    for (const auto& e : m.entries) {
      AuditFile file;
      file.path = e.path;
      file.manifest = m.name;
      auto it = reads.find(e.path);
      FileResult r = it == reads.end() ? FileResult{} : judge(e, it->second);
      file.status = r.status;
      file.size = r.size.value_or(0);
      if (r.status == FileStatus::failed) {
        file.detail = why_failed(e, r);
        ++failed;
        failed_names.push_back(quote_name(e.path));
      } else if (r.status == FileStatus::size_only || r.status == FileStatus::unknown || r.status == FileStatus::unconfirmed) {
        ++unverified;
        if (r.status == FileStatus::unconfirmed) file.detail = "differs from the manifest's unconfirmed sha256 (a value from a single source)";
      } else if (r.status != FileStatus::ok) {
        ++absent;
        file.detail = r.status == FileStatus::missing ? "not in the folder" : std::string(status_name(r.status));
      }
      report.files.push_back(std::move(file));
    }
  }
  if (failed > 0) {
    std::string names = failed_names.front();
    for (std::size_t i = 1; i < failed_names.size(); ++i) names += ", " + failed_names[i];
    report.reasons.push_back(fmt::format("{} {} not match the manifest: {}", failed, failed == 1 ? "file does" : "files do", names));
  }
  if (absent > 0) report.reasons.push_back(fmt::format("{} listed {} missing or unreadable", absent, absent == 1 ? "file is" : "files are"));
  if (unverified > 0 && !o.allow_unknown_hashes) {
    report.reasons.push_back(fmt::format("{} {} no published hash (--allow-unknown-hashes accepts {})", unverified,
                                         unverified == 1 ? "file has" : "files have", unverified == 1 ? "it" : "them"));
  }

  // Step 2: the archives.
  for (const auto& a : archives) {
    AuditArchive archive;
    archive.path = a;
    ZipTestOptions zo;
    zo.jobs = o.jobs;
    auto tested = test_zip(join_path(o.dir, a), zo);
    if (!tested) {
      archive.error = tested.error().message;
      report.reasons.push_back(fmt::format("{}: cannot be read: {}", quote_name(a), tested.error().message));
    } else {
      const std::uint64_t bad = tested->dir.entries.size() - tested->ok;
      if (bad > 0) {
        report.reasons.push_back(fmt::format("{}: {} of {} entries have findings", quote_name(a), bad, tested->dir.entries.size()));
      } else if (!tested->findings.empty()) {
        report.reasons.push_back(fmt::format("{}: {}", quote_name(a), tested->findings.front().detail));
      }
      archive.report = std::move(tested.value());
    }
    report.archives.push_back(std::move(archive));
  }

  // Step 3: the record files, against the stores.
  // Training reads images from folders: the records are checked against the
  // folders found (archives only when there is no folder), and what the folders
  // lack is then looked up in the archives, to say what `extract` can restore.
  std::vector<std::string> store_specs = o.images;
  std::vector<std::string> archive_specs;
  if (store_specs.empty()) {
    for (const auto& f : top->folders) store_specs.push_back(join_path(o.dir, f));
    for (const auto& a : archives) (top->folders.empty() ? store_specs : archive_specs).push_back(join_path(o.dir, a));
  }
  StoreList stores, archive_stores;
  std::vector<std::string> archive_names;  // the spec of each archive store opened
  for (const auto& spec : archive_specs) {
    if (auto store = open_store(spec, StoreOptions{false, o.jobs, true})) {
      archive_stores.push_back(std::move(store.value()));
      archive_names.push_back(spec);
    }
  }
  for (const auto& spec : store_specs) {
    auto store = open_store(spec, StoreOptions{false, o.jobs, true});
    if (!store) {
      report.problems.push_back(store.error().message);
      continue;
    }
    for (const auto& p : store.value()->problems()) report.problems.push_back(fmt::format("{}: {}", quote_name(spec), p));
    if (store.value()->kind() != StoreKind::zip) {
      AuditInput in;
      in.path = spec.starts_with(o.dir + "/") ? spec.substr(o.dir.size() + 1) : spec;
      in.kind = store.value()->kind() == StoreKind::img2dataset ? "img2dataset" : "image_folder";
      in.files = store.value()->size();
      report.inputs.push_back(std::move(in));
    }
    stores.push_back(std::move(store.value()));
  }
  const double limit = o.max_missing_fraction.value_or(0.0);
  for (const auto& name : record_files) {
    AuditRecords rec;
    rec.path = name;
    const std::string path = name.starts_with("/") ? name : join_path(o.dir, name);
    MetaIndex meta;
    std::string meta_path = !o.meta.empty() ? o.meta : (meta_of.contains(name) ? join_path(o.dir, meta_of[name]) : std::string());
    if (!meta_path.empty()) {
      auto loaded = load_meta(meta_path);
      if (loaded) {
        meta = std::move(loaded.value());
        rec.meta = !o.meta.empty() ? o.meta : meta_of[name];
      } else {
        report.problems.push_back(loaded.error().message);
      }
    }
    MissingOptions mo;
    mo.jobs = o.jobs;
    auto found = find_missing(path, [&](bool) -> Result<const StoreList*> { return &stores; }, rec.meta.empty() ? nullptr : &meta, mo);
    if (!found) {
      rec.error = found.error().message;
      report.reasons.push_back(fmt::format("{}: cannot be read: {}", quote_name(name), found.error().message));
    } else {
      const MissingSummary& s = found->summary;
      const std::uint64_t unusable = s.missing + s.empty + s.corrupt;
      if (unusable > 0 && s.missing_fraction() > limit) {
        report.reasons.push_back(fmt::format("{}: {} of {} images are missing or unusable ({}), above the limit of {}",
                                             quote_name(name), unusable, s.distinct_images, percent(s.missing_fraction()),
                                             percent(limit)));
      }
      if (s.invalid > 0) {
        report.reasons.push_back(fmt::format("{}: {} records have an invalid 'image' value", quote_name(name), s.invalid));
      }
      std::vector<std::uint64_t> per_archive(archive_stores.size(), 0);
      for (const auto& image : found->missing_images) {
        const StoreHit hit = find_in_stores(archive_stores, image, meta.url_of(image));
        if (hit.store < 0) continue;
        ++rec.in_archives;
        ++per_archive[static_cast<std::size_t>(hit.store)];
      }
      if (rec.in_archives > 0 && !store_specs.empty()) {
        const auto best = static_cast<std::size_t>(std::max_element(per_archive.begin(), per_archive.end()) - per_archive.begin());
        rec.restore = fmt::format("llava-verify extract {} --dest {} --records {} --only-missing", quote_name(archive_names[best]),
                                  quote_name(store_specs.front()), quote_name(path));
      }
      rec.report = std::move(found.value());
    }
    report.records.push_back(std::move(rec));
  }
  report.pass = report.reasons.empty();
  return report;
}

}  // namespace lv
