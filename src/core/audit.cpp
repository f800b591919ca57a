#include "core/audit.h"

#include <sys/stat.h>

#include <fmt/format.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <map>
#include <set>

#include "core/audit_discover.h"
#include "core/audit_records.h"
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
// The file itself is not resolved: a record file that is a link stays in the
// folder of the link, as the trainer's --data_path does.
std::string inside_dir(const std::string& dir, const std::string& path) {
  char real_dir[PATH_MAX], real_parent[PATH_MAX];
  const std::size_t slash = path.rfind('/');
  const std::string parent = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  if (::realpath(dir.c_str(), real_dir) == nullptr || ::realpath(parent.c_str(), real_parent) == nullptr) return {};
  const std::string real_path = join_path(real_parent, path.substr(slash == std::string::npos ? 0 : slash + 1));
  const std::string_view d = real_dir, p = real_path;
  if (d == "/") return std::string(p.substr(1));
  if (p.size() > d.size() + 1 && p.starts_with(d) && p[d.size()] == '/') return std::string(p.substr(d.size() + 1));
  return {};
}

std::string parent_of(std::string_view rel) {
  const std::size_t slash = rel.rfind('/');
  return slash == std::string_view::npos ? std::string() : std::string(rel.substr(0, slash));
}

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
      records_.run(tasks_, report_, record_reasons_);
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
    for (auto& placed : manifests_) {
      Manifest& m = placed.manifest;  // a name, not a binding: lambdas capture it in C++20 with clang 14 too
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
    std::set<std::string> linked;
    for (const auto& s : tree_.sections) {
      for (const auto& f : s.linked_records) linked.insert(sub_path(s.path, f));
    }
    for (const auto& given : o_.records) {
      RecordTask t;
      t.path = given;
      const std::string rel = inside_dir(o_.dir, given);
      linked.erase(rel);
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
    // Found, not checked: never a silent pass.
    for (const auto& l : linked) {
      record_reasons_.push_back(fmt::format("{}: a symbolic link to a record file, not read (an audit reads nothing outside "
                                            "DIR by itself): give it with --records {} to check it",
                                            quote_name(l), quote_name(join_path(o_.dir, l))));
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
    records_.list_inputs(report_.inputs);
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


  const AuditOptions& o_;
  AuditTree tree_;
  AuditReport report_;
  std::vector<PlacedManifest> manifests_;
  std::vector<RecordTask> tasks_;
  std::map<std::string, AlgorithmSet> wanted_;
  RecordAudit records_{o_, tree_};
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
