#include "core/check.h"

#include <climits>
#include <cstdlib>

#include <algorithm>
#include <deque>
#include <unordered_map>
#include <unordered_set>

#include "core/fs.h"
#include "core/json_writer.h"

namespace lv {

CheckPlan plan_check(const std::vector<Manifest>& manifests) {
  CheckPlan plan;
  std::size_t total = 0;
  for (const auto& m : manifests) total += m.entries.size();
  plan.reads.reserve(total);
  plan.slots.reserve(total);
  std::deque<std::string> normalized;  // owns keys that differ from the names
  std::unordered_map<std::string_view, std::size_t> read_of;
  read_of.reserve(total);
  std::vector<bool> size_conflict;
  size_conflict.reserve(total);
  for (std::size_t m = 0; m < manifests.size(); ++m) {
    for (const auto& e : manifests[m].entries) {
      std::string_view key = e.path;
      if (!is_normal_path(key)) key = normalized.emplace_back(normalize_path(e.path));
      auto [it, inserted] = read_of.try_emplace(key, plan.reads.size());
      if (inserted) {
        plan.reads.push_back({e.path, {}, e.size});
        size_conflict.push_back(false);
      }
      ReadItem& read = plan.reads[it->second];
      for (const auto& d : e.digests) read.algorithms.add(d.algorithm);
      // Skip reading on a size mismatch only when every entry agrees on the size.
      if (!inserted && read.expected_size != e.size) size_conflict[it->second] = true;
      if (size_conflict[it->second]) read.expected_size.reset();
      plan.slots.push_back({m, &e, it->second});
    }
  }
  return plan;
}

namespace {

// The canonical absolute form of a folder that exists (symlinks resolved), so
// that relative and absolute spellings of the same folder compare equal.
std::string canonical_folder(const std::string& path) {
  char resolved[PATH_MAX];
  if (::realpath(path.empty() ? "." : path.c_str(), resolved) != nullptr) return resolved;
  return normalize_path(path);
}

}  // namespace

Result<std::vector<std::string>> find_unlisted(const std::vector<Manifest>& manifests, const std::string& root,
                                               const std::vector<std::string>& dirs,
                                               std::vector<std::string>& problems) {
  const std::string root_abs = canonical_folder(root);
  std::unordered_set<std::string> listed;
  for (const auto& m : manifests) {
    for (const auto& e : m.entries) listed.insert(normalize_path(join_path(root_abs, e.path)));
  }
  std::vector<std::string> out;
  for (const auto& dir : dirs) {
    auto walked = walk_files(dir);
    if (!walked) return with_context("auditing", walked.error());
    for (auto& p : walked->problems) problems.push_back(std::move(p));
    const std::string dir_abs = canonical_folder(dir);
    for (const auto& f : walked->files) {
      std::string full = normalize_path(join_path(dir_abs, f.relative));
      if (listed.count(full)) continue;
      // Show it the way the manifest would name it: relative to the root, or
      // else under the folder as it was given.
      if (full.starts_with(root_abs + "/")) {
        out.push_back(full.substr(root_abs.size() + 1));
      } else {
        out.push_back(normalize_path(join_path(dir, f.relative)));
      }
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

void count(CheckSummary& s, FileStatus status) {
  if (status != FileStatus::unlisted) ++s.total;
  switch (status) {
    case FileStatus::ok: ++s.ok; break;
    case FileStatus::failed: ++s.failed; break;
    case FileStatus::size_only: ++s.size_only; break;
    case FileStatus::unconfirmed: ++s.unconfirmed; break;
    case FileStatus::unknown: ++s.unknown; break;
    case FileStatus::missing:
    case FileStatus::dangling_link: ++s.missing; break;
    case FileStatus::directory:
    case FileStatus::link_loop:
    case FileStatus::special:
    case FileStatus::unreadable: ++s.unreadable; break;
    case FileStatus::unlisted: ++s.unlisted; break;
  }
}

namespace {

void write_summary(JsonWriter& w, const CheckSummary& s) {
  w.key("summary");
  w.begin_object();
  w.key("total"); w.value(s.total);
  w.key("ok"); w.value(s.ok);
  w.key("failed"); w.value(s.failed);
  w.key("missing"); w.value(s.missing);
  w.key("unreadable"); w.value(s.unreadable);
  w.key("size_only"); w.value(s.size_only);
  w.key("unconfirmed"); w.value(s.unconfirmed);
  w.key("unknown"); w.value(s.unknown);
  w.key("unlisted"); w.value(s.unlisted);
  w.key("malformed_lines"); w.value(s.malformed_lines);
  w.end_object();
}

void write_manifests(JsonWriter& w, const std::vector<Manifest>& manifests) {
  w.key("manifests");
  w.begin_array();
  for (const auto& m : manifests) {
    w.begin_object();
    w.path("path", m.name);
    w.key("format"); w.value(format_name(m.format));
    w.key("entries"); w.value(static_cast<std::uint64_t>(m.entries.size()));
    if (m.source) {
      w.key("source");
      w.begin_object();
      w.key("repository"); w.value(m.source->repository);
      w.key("revision"); w.value(m.source->revision);
      if (!m.source->url.empty()) { w.key("url"); w.value(m.source->url); }
      w.end_object();
    }
    w.key("malformed_lines");
    w.begin_array();
    for (const auto& bad : m.malformed) {
      w.begin_object();
      w.key("line"); w.value(static_cast<std::uint64_t>(bad.line));
      w.key("reason"); w.value(bad.reason);
      w.end_object();
    }
    w.end_array();
    w.end_object();
  }
  w.end_array();
}

void write_record(JsonWriter& w, const CheckRecord& r) {
  w.begin_object();
  w.path("path", r.path);
  FileResult result;
  if (r.entry && r.read) {
    result = judge(*r.entry, *r.read);
  } else {
    result.status = FileStatus::unlisted;
  }
  w.key("status"); w.value(status_name(result.status));
  if (r.entry == nullptr) {
    w.key("manifest"); w.null();
  } else {
    w.key("manifest"); w.value(static_cast<std::uint64_t>(r.manifest));
    w.key("line"); w.value(static_cast<std::uint64_t>(r.entry->line));
  }
  const Digest* want = (r.entry && !r.entry->digests.empty()) ? &r.entry->digests.front() : nullptr;
  w.key("algorithm");
  if (want) w.value(algorithm_name(want->algorithm)); else w.null();
  w.key("expected");
  if (want) w.value(want->hex()); else w.null();
  w.key("actual");
  const Digest* got = nullptr;
  if (want) {
    for (const auto& d : result.actual) {
      if (d.algorithm == want->algorithm) got = &d;
    }
  }
  if (got) w.value(got->hex()); else w.null();
  w.key("size");
  if (result.size) w.value(*result.size); else w.null();
  w.key("expected_size");
  if (r.entry && r.entry->size) w.value(*r.entry->size); else w.null();
  if (r.entry && r.entry->digests.size() > 1) {
    w.key("digests");
    w.begin_array();
    for (const auto& d : r.entry->digests) {
      w.begin_object();
      w.key("algorithm"); w.value(algorithm_name(d.algorithm));
      w.key("expected"); w.value(d.hex());
      w.key("actual");
      const Digest* a = nullptr;
      for (const auto& x : result.actual) {
        if (x.algorithm == d.algorithm) a = &x;
      }
      if (a) w.value(a->hex()); else w.null();
      w.end_object();
    }
    w.end_array();
  }
  if (result.error_number != 0) {
    w.key("error"); w.value(error_text(result.error_number));
  }
  if (r.entry && !r.entry->url.empty()) { w.key("url"); w.value(r.entry->url); }
  if (r.entry && !r.entry->note.empty()) { w.key("note"); w.value(r.entry->note); }
  w.end_object();
}

}  // namespace

std::string render_check_json(const std::vector<Manifest>& manifests, const std::vector<CheckRecord>& records,
                              const CheckSummary& summary, const ReportInfo& info) {
  JsonWriter w;
  w.begin_object();
  w.key("tool"); w.value("llava-verify");
  w.key("version"); w.value(info.version);
  w.key("command"); w.value("check");
  w.key("root"); w.value(info.root.empty() ? "." : info.root);
  write_summary(w, summary);
  write_manifests(w, manifests);
  w.key("files");
  w.begin_array();
  for (const auto& r : records) write_record(w, r);
  w.end_array();
  w.end_object();
  return w.finish();
}

}  // namespace lv
