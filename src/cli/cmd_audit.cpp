// `llava-verify audit DIR`: the pre-training check and the CI gate.
#include <fmt/chrono.h>
#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <fcntl.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/console.h"
#include "core/audit_html.h"
#include "core/audit_report.h"
#include "core/file_reader.h"
#include "core/fs.h"
#include "core/names.h"
#include "core/version.h"

namespace lv::cli {
namespace {

// Appends to $GITHUB_STEP_SUMMARY, as GitHub Actions asks of a step.
void append_step_summary(const std::string& markdown) {
  const char* path = std::getenv("GITHUB_STEP_SUMMARY");
  if (path == nullptr || *path == '\0') return;
  const int fd = ::open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
  if (fd < 0) {
    diag(fmt::format("warning: $GITHUB_STEP_SUMMARY {}: {}", quote_name(path), error_text(errno)));
    return;
  }
  std::string_view rest = markdown;
  while (!rest.empty()) {
    const ssize_t n = ::write(fd, rest.data(), rest.size());
    if (n <= 0) break;
    rest.remove_prefix(static_cast<std::size_t>(n));
  }
  ::close(fd);
}

}  // namespace

int run_audit(const AuditCommandOptions& o) {
  AuditOptions options;
  options.dir = o.dir;
  options.manifests = o.manifests;
  options.images = o.images;
  options.meta = o.meta;
  options.records = o.records;
  options.max_missing_fraction = o.max_missing_fraction;
  options.allow_unknown_hashes = o.allow_unknown_hashes;
  options.allow_absolute = o.allow_absolute;
  options.deep = deep_level(o.deep);
  options.archive_compare = !o.no_archive_compare;
  options.require = o.require;
  options.probe_report = o.probe_report;
  options.jobs = o.jobs ? o.jobs : default_jobs();
  auto report = run_audit(options);
  if (!report) {
    diag(report.error().message);
    return kExitError;
  }
  const AuditReport& r = report.value();
  AuditReportInfo info{kVersion, ""};
  if (o.timestamps) {
    info.timestamp = fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", fmt::gmtime(std::chrono::system_clock::to_time_t(std::chrono::system_clock::now())));
  }
  for (const auto& p : r.problems) diag("warning: " + p);

  // The verdict first, then a few lines.
  std::string text = fmt::format("{}: {}\n", r.pass ? "PASS" : "FAIL", quote_name(o.dir));
  for (const auto& reason : r.reasons) text += "  - " + reason + "\n";
  std::uint64_t ok = 0, unknown = 0;
  for (const auto& f : r.files) {
    ok += f.status == FileStatus::ok ? 1 : 0;
    unknown += f.status == FileStatus::size_only || f.status == FileStatus::unknown || f.status == FileStatus::unconfirmed ? 1 : 0;
  }
  if (!r.files.empty()) {
    text += fmt::format("release files: {} checked, {} ok", r.files.size(), ok);
    if (unknown > 0) {
      text += fmt::format(", {} without a published hash{}", unknown, r.policy.allow_unknown_hashes ? " (accepted: --allow-unknown-hashes)" : "");
    }
    text += "\n";
  }
  for (const auto& a : r.archives) {
    if (a.report) {
      text += fmt::format("archive {}: {} entries, {} with findings\n", quote_name(a.path), a.report->dir.entries.size(),
                          a.report->dir.entries.size() - a.report->ok);
    }
  }
  for (const auto& rec : r.records) {
    if (!rec.report) continue;
    const MissingSummary& s = rec.report->summary;
    text += fmt::format("records {}: {} records", quote_name(rec.path), s.records);
    if (s.without_image > 0) text += fmt::format(" ({} text-only)", s.without_image);
    if (s.distinct_images == 0 && s.invalid > 0) {
      text += fmt::format(", no image checked: every 'image' value is invalid ({})\n", rec.invalid_detail);
    } else {
      text += fmt::format(", {} distinct images, {} present, {} missing ({:.2f}%", s.distinct_images, s.present,
                          s.unusable(), s.missing_fraction() * 100);
      if (s.unusable() > s.missing) text += fmt::format(": {}", s.unusable_breakdown());
      text += ")\n";
    }
    text += fmt::format("  image folder: {}\n", describe_roots(rec, quote_name));
    // Per top-level folder of the values (coco, gqa, ...), when they are few:
    // thousands of shard folders say nothing one by one.
    constexpr std::size_t kFolderLines = 12;
    if (s.per_folder.size() > 1 && s.per_folder.size() <= kFolderLines) {
      for (const auto& f : s.per_folder) {
        text += fmt::format("  {}: {} present, {} missing\n", f.folder.empty() ? "(top)" : quote_name(f.folder + "/"), f.present,
                            f.missing);
      }
    }
    if (rec.in_archives > 0) {
      text += fmt::format("  {} of them are in the archives{}\n", rec.in_archives,
                          rec.restore.empty() ? std::string() : "; to restore them: " + rec.restore);
    }
    if (!rec.fix_extensions.empty()) {
      text += fmt::format("  {} are there under another extension (X.gif for X.jpg); to point the records at them: {}\n",
                          s.other_extension, rec.fix_extensions);
    }
  }
  for (const auto& p : r.prompts) {
    text += fmt::format("prompts {}: {} of {} files as published\n", quote_name(p.path), p.as_published,
                        p.as_published + p.edited.size() + p.missing.size());
    for (const auto& n : p.edited) text += fmt::format("  edited: {}\n", quote_name(n));
    for (const auto& n : p.missing) text += fmt::format("  missing: {}\n", quote_name(n));
    for (const auto& n : p.added) text += fmt::format("  added: {}\n", quote_name(n));
  }
  if (r.probe) {
    text += fmt::format("URL probe {}: {} of {} URLs answer with an image ({:.2f}%)\n", quote_name(r.probe->path),
                        r.probe->counts[0], r.probe->urls, r.probe->reachable_fraction() * 100);
  }
  const std::string markdown = render_audit_markdown(r, info);
  if (!o.report_dir.empty()) {
    if (auto made = make_directories(o.report_dir); !made) {
      diag(made.error().message);
      return kExitError;
    }
    const std::string json = render_audit_json(r, info);
    // All five or none: a CI job never reads a report.json of this run beside a report.html of the last.
    const std::string junit = render_audit_junit(r), csv = render_audit_csv(r), html = render_audit_html(json);
    const std::pair<std::string, std::string_view> files[] = {
        {join_path(o.report_dir, "report.json"), json},
        {join_path(o.report_dir, "report.md"), markdown},
        {join_path(o.report_dir, "junit.xml"), junit},
        {join_path(o.report_dir, "missing-images.csv"), csv},
        {join_path(o.report_dir, "report.html"), html},
    };
    if (auto s = write_files_atomic(files); !s) {
      diag(s.error().message);
      return kExitError;
    }
    text += fmt::format("reports: {}/ (report.html, report.json, report.md, junit.xml, missing-images.csv)\n", o.report_dir);
  }
  append_step_summary(markdown);
  out(text);
  flush_out();
  return r.pass ? kExitOk : kExitFindings;
}

}  // namespace lv::cli
