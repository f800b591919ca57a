#include "core/audit_report.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/json_writer.h"
#include "core/missing_report.h"
#include "core/names.h"
#include "core/zip_entry.h"

namespace lv {
namespace {

struct Totals {
  std::uint64_t files_checked = 0, files_ok = 0, files_failed = 0, files_unverified = 0;
  std::uint64_t archive_entries = 0, archive_findings = 0;
  std::uint64_t records = 0, distinct_images = 0, present = 0, missing = 0;
  double fraction() const { return distinct_images == 0 ? 0.0 : static_cast<double>(missing) / static_cast<double>(distinct_images); }
};

Totals totals(const AuditReport& r) {
  Totals t;
  for (const auto& f : r.files) {
    ++t.files_checked;
    if (f.status == FileStatus::ok) ++t.files_ok;
    else if (f.status == FileStatus::size_only || f.status == FileStatus::unknown || f.status == FileStatus::unconfirmed) {
      ++t.files_unverified;
    }
    else ++t.files_failed;
  }
  for (const auto& a : r.archives) {
    if (!a.report) continue;
    t.archive_entries += a.report->dir.entries.size();
    t.archive_findings += a.report->findings.size();
  }
  for (const auto& rec : r.records) {
    if (!rec.report) continue;
    const MissingSummary& s = rec.report->summary;
    t.records += s.records;
    t.distinct_images += s.distinct_images;
    t.present += s.present;
    t.missing += s.unusable();
  }
  return t;
}

std::string file_status_text(FileStatus s) {
  switch (s) {
    case FileStatus::ok: return "ok";
    case FileStatus::failed: return "failed";
    case FileStatus::size_only: return "size_only";
    case FileStatus::unconfirmed: return "unconfirmed";
    case FileStatus::unknown: return "unknown";
    default: return std::string(status_name(s));
  }
}

// Names that are not UTF-8 are shown as quote_name spells them (ASCII).
std::string printable(std::string_view s) { return is_valid_utf8(s) ? std::string(s) : quote_name(s); }

std::string xml_escape(std::string_view raw) {
  const std::string s = printable(raw);
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default:
        // XML 1.0 has no place for most control characters.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') {
          out += "?";
        } else {
          out += c;
        }
    }
  }
  return out;
}

// Text outside code spans: Markdown's punctuation escaped, one line.
std::string md_escape(std::string_view raw) {
  std::string out;
  for (char c : printable(raw)) {
    if (std::string_view("\\`*_[]<>|~").find(c) != std::string_view::npos) out += '\\';
    out += (c == '\n' || c == '\r') ? ' ' : c;
  }
  return out;
}

// A name as a code span in a table cell: a backtick fence longer than any run
// of backticks in it (backslashes do not escape inside code spans), '|' escaped
// for the table, one line.
std::string md_code(std::string_view raw) {
  const std::string s = printable(raw);
  std::size_t longest = 0, run = 0;
  for (char c : s) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  const std::string fence(longest + 1, '`');
  std::string body;
  for (char c : s) {
    if (c == '|') body += '\\';
    body += (c == '\n' || c == '\r') ? ' ' : c;
  }
  // CommonMark strips one space at each end, which lets a name start or end with a backtick.
  const bool pad = !body.empty() && (body.front() == '`' || body.back() == '`');
  return pad ? fence + " " + body + " " + fence : fence + body + fence;
}

}  // namespace

std::string describe_roots(const AuditRecords& rec, std::string (*quote)(std::string_view)) {
  if (rec.roots.empty()) return {};
  const std::vector<std::uint64_t> none;
  const auto& found = rec.report ? rec.report->summary.per_store : none;
  std::vector<std::size_t> used;
  for (std::size_t i = 0; i < rec.roots.size() && i < found.size(); ++i) {
    if (found[i] > 0) used.push_back(i);
  }
  if (used.empty()) return quote(rec.roots.front());
  if (used.size() == 1) return quote(rec.roots[used.front()]);
  std::string out;
  for (std::size_t i : used) out += fmt::format("{}{} ({} found)", out.empty() ? "" : ", ", quote(rec.roots[i]), found[i]);
  return out;
}

std::string render_audit_json(const AuditReport& r, const AuditReportInfo& info) {
  const Totals t = totals(r);
  JsonWriter w;
  w.begin_object();
  w.key("tool"); w.value("llava-verify");
  w.key("version"); w.value(info.version);
  w.key("command"); w.value("audit");
  if (!info.timestamp.empty()) {
    w.key("timestamp"); w.value(info.timestamp);
  }
  w.path("directory", r.dir);
  w.key("verdict"); w.value(r.pass ? "pass" : "fail");
  w.key("reasons");
  w.begin_array();
  for (const auto& reason : r.reasons) w.value(reason);
  w.end_array();
  w.key("policy");
  w.begin_object();
  w.key("max_missing_fraction"); w.value(r.policy.max_missing_fraction.value_or(0.0));
  w.key("allow_unknown_hashes"); w.value(r.policy.allow_unknown_hashes);
  w.key("require");
  w.begin_array();
  for (const auto& n : r.policy.require) w.value(n);
  w.end_array();
  w.end_object();
  w.key("summary");
  w.begin_object();
  w.key("files_checked"); w.value(t.files_checked);
  w.key("files_ok"); w.value(t.files_ok);
  w.key("files_failed"); w.value(t.files_failed);
  w.key("files_unverified"); w.value(t.files_unverified);
  w.key("archives"); w.value(static_cast<std::uint64_t>(r.archives.size()));
  w.key("archive_entries"); w.value(t.archive_entries);
  w.key("archive_findings"); w.value(t.archive_findings);
  w.key("record_files"); w.value(static_cast<std::uint64_t>(r.records.size()));
  w.key("records"); w.value(t.records);
  w.key("distinct_images"); w.value(t.distinct_images);
  w.key("present"); w.value(t.present);
  w.key("missing"); w.value(t.missing);
  w.key("missing_fraction"); w.value(t.fraction());
  w.end_object();
  w.key("sections");
  w.begin_array();
  for (const auto& section : r.sections) w.value(section);
  w.end_array();
  w.key("inputs");
  w.begin_array();
  for (const auto& in : r.inputs) {
    w.begin_object();
    w.path("path", in.path);
    w.key("kind"); w.value(in.kind);
    if (in.kind == "image_folder" || in.kind == "img2dataset" || in.kind == "prompts") {
      w.key("files"); w.value(in.files);
    } else {
      w.key("size"); w.value(in.size);
      w.key("sha256"); w.value(in.sha256);
    }
    w.end_object();
  }
  w.end_array();
  w.key("files");
  w.begin_array();
  for (const auto& f : r.files) {
    w.begin_object();
    w.path("path", f.path);
    w.key("manifest"); w.value(f.manifest);
    w.key("status"); w.value(file_status_text(f.status));
    w.key("size"); w.value(f.size);
    w.key("detail"); w.value(f.detail);
    w.end_object();
  }
  w.end_array();
  w.key("archives");
  w.begin_array();
  for (const auto& a : r.archives) {
    w.begin_object();
    w.path("path", a.path);
    const std::uint64_t entries = a.report ? a.report->dir.entries.size() : 0;
    w.key("entries"); w.value(entries);
    w.key("ok"); w.value(a.report ? a.report->ok : std::uint64_t{0});
    w.key("with_findings"); w.value(a.report ? entries - a.report->ok : std::uint64_t{0});
    w.key("error"); w.value(a.error);
    w.key("findings");
    w.begin_array();
    if (a.report) {
      for (const auto& f : a.report->findings) {
        w.begin_object();
        w.key("kind"); w.value(zip_finding_name(f.kind));
        w.key("entry"); w.value(f.entry);
        if (f.entry >= 0) {
          w.path("name", a.report->dir.entries[static_cast<std::size_t>(f.entry)].name);
        } else {
          w.key("name"); w.value("");
        }
        w.key("offset"); w.value(f.offset);
        w.key("detail"); w.value(f.detail);
        w.end_object();
      }
    }
    w.end_array();
    w.end_object();
  }
  w.end_array();
  w.key("record_files");
  w.begin_array();
  for (const auto& rec : r.records) {
    w.begin_object();
    w.path("path", rec.path);
    w.key("meta"); w.value(rec.meta);
    w.key("error"); w.value(rec.error);
    const MissingSummary s = rec.report ? rec.report->summary : MissingSummary{};
    w.key("records"); w.value(s.records);
    w.key("distinct_images"); w.value(s.distinct_images);
    w.key("present"); w.value(s.present);
    w.key("missing"); w.value(s.unusable());
    // The unusable images by state (missing counts them all), and what was checked.
    w.key("states");
    w.begin_object();
    write_state_counts(w, s);
    w.end_object();
    w.key("deep"); w.value(deep_level_name(r.policy.deep));
    w.key("compared_with_archive"); w.value(s.compared_with_archive);
    w.key("content_differs_from_extension"); w.value(s.content_differs_from_extension);
    w.key("warnings"); w.value(s.warnings);
    w.key("text_only"); w.value(s.without_image);
    w.key("roots");
    w.begin_array();
    for (const auto& root : rec.roots) w.value(root);
    w.end_array();
    w.key("roots_present");
    w.begin_array();
    for (std::size_t i = 0; i < rec.roots.size(); ++i) w.value(i < s.per_store.size() ? s.per_store[i] : std::uint64_t{0});
    w.end_array();
    w.key("in_archives"); w.value(rec.in_archives);
    w.key("restore"); w.value(rec.restore);
    w.key("fix_extensions"); w.value(rec.fix_extensions);
    w.key("hint"); w.value(rec.hint);
    w.key("invalid"); w.value(s.invalid);
    w.key("absolute"); w.value(rec.absolute);
    w.key("invalid_detail"); w.value(rec.invalid_detail);
    w.key("missing_fraction"); w.value(s.missing_fraction());
    w.key("folders");
    w.begin_array();
    for (const auto& f : s.per_folder) {
      w.begin_object();
      w.key("folder"); w.value(f.folder);
      w.key("present"); w.value(f.present);
      w.key("missing"); w.value(f.missing);
      w.end_object();
    }
    w.end_array();
    w.end_object();
  }
  w.end_array();
  w.key("prompts");
  w.begin_array();
  for (const auto& p : r.prompts) {
    w.begin_object();
    w.path("path", p.path);
    w.key("files"); w.value(p.files);
    w.key("as_published"); w.value(p.as_published);
    for (const auto& [key, list] : {std::pair<const char*, const std::vector<std::string>*>{"edited", &p.edited},
                                    {"missing", &p.missing}, {"added", &p.added}}) {
      w.key(key);
      w.begin_array();
      for (const auto& n : *list) w.value(n);
      w.end_array();
    }
    w.end_object();
  }
  w.end_array();
  w.key("probe");
  if (r.probe) {
    w.begin_object();
    w.path("path", r.probe->path);
    w.key("urls"); w.value(r.probe->urls);
    for (std::size_t c = 0; c < kProbeClasses; ++c) {
      w.key(probe_class_name(static_cast<ProbeClass>(c)));
      w.value(r.probe->counts[c]);
    }
    w.key("reachable_fraction"); w.value(r.probe->reachable_fraction());
    w.end_object();
  } else {
    w.null();
  }
  w.key("missing");
  w.begin_array();
  for (const auto& rec : r.records) {
    if (!rec.report) continue;
    for (const auto& m : rec.report->records) {
      if (m.state == ImageState::invalid) continue;
      w.begin_object();
      w.key("record_file"); w.value(rec.path);
      w.key("index"); w.value(m.index);
      w.key("id"); w.value(m.id);
      w.key("image"); w.value(m.image);
      w.key("url"); w.value(m.url);
      w.key("caption"); w.value(m.caption);
      w.key("state"); w.value(image_state_name(m.state));
      w.key("detail"); w.value(m.detail);
      if (!m.found.empty()) { w.key("found"); w.value(m.found); }
      w.end_object();
    }
  }
  w.end_array();
  w.end_object();
  return w.finish();
}

std::string render_audit_markdown(const AuditReport& r, const AuditReportInfo& info) {
  const Totals t = totals(r);
  std::string md = fmt::format("## llava-verify audit: {}\n\n", r.pass ? "PASS" : "FAIL");
  md += fmt::format("Folder {}{}.\n\n", md_code(r.dir), info.timestamp.empty() ? "" : ", " + info.timestamp);
  for (const auto& reason : r.reasons) md += "- " + md_escape(reason) + "\n";
  if (!r.reasons.empty()) md += "\n";
  md += "| check | result |\n| --- | --- |\n";
  md += fmt::format("| release files | {} checked: {} ok, {} failed, {} without a published hash |\n", t.files_checked,
                    t.files_ok, t.files_failed, t.files_unverified);
  for (const auto& a : r.archives) {
    if (a.report) {
      md += fmt::format("| {} | {} entries, {} with findings |\n", md_code(a.path), a.report->dir.entries.size(),
                        a.report->dir.entries.size() - a.report->ok);
    } else {
      md += fmt::format("| {} | cannot be read |\n", md_code(a.path));
    }
  }
  for (const auto& rec : r.records) {
    if (rec.report) {
      const MissingSummary& s = rec.report->summary;
      md += fmt::format("| {} | {} records, {} distinct images: {} present, {} missing ({:.2f}%{}){} |\n", md_code(rec.path),
                        s.records, s.distinct_images, s.present, s.unusable(), s.missing_fraction() * 100,
                        s.unusable() > s.missing ? ": " + s.unusable_breakdown() : "",
                        rec.in_archives > 0 ? fmt::format(", {} of them in the archives", rec.in_archives) : std::string());
      if (!rec.roots.empty()) md.insert(md.size() - 3, "; image folder " + describe_roots(rec, md_code));
    } else {
      md += fmt::format("| {} | cannot be read |\n", md_code(rec.path));
    }
  }
  for (const auto& p : r.prompts) {
    md += fmt::format("| prompts {} | {} of {} files as published; {} edited, {} missing, {} added |\n", md_code(p.path),
                      p.as_published, p.as_published + p.edited.size() + p.missing.size(), p.edited.size(), p.missing.size(),
                      p.added.size());
  }
  if (r.probe) {
    std::string classes;
    for (std::size_t c = 1; c < kProbeClasses; ++c) {
      if (r.probe->counts[c] == 0) continue;
      classes += fmt::format(", {} {}", probe_class_name(static_cast<ProbeClass>(c)), r.probe->counts[c]);
    }
    md += fmt::format("| URL probe {} | {} of {} URLs answer with an image ({:.2f}%){} |\n", md_code(r.probe->path),
                      r.probe->counts[0], r.probe->urls, r.probe->reachable_fraction() * 100, classes);
  }
  md += fmt::format("\nllava-verify {}: `report.json`, `junit.xml`, `missing-images.csv` and `report.html` have the details.\n",
                    info.version);
  return md;
}

std::string render_audit_junit(const AuditReport& r) {
  struct Case {
    std::string name, classname, failure;
  };
  std::vector<Case> cases;
  for (const auto& f : r.files) {
    Case c{f.path, "release_files", ""};
    if (f.status == FileStatus::failed) c.failure = "does not match the manifest: " + f.detail;
    else if (f.status == FileStatus::size_only || f.status == FileStatus::unknown || f.status == FileStatus::unconfirmed) {
      if (!r.policy.allow_unknown_hashes) c.failure = "no published hash to verify it against";
    } else if (f.status != FileStatus::ok) c.failure = f.detail;
    cases.push_back(std::move(c));
  }
  for (const auto& a : r.archives) {
    Case c{a.path, "archives", ""};
    if (!a.report) {
      c.failure = a.error;
    } else if (!a.report->findings.empty()) {
      const auto& f = a.report->findings.front();
      c.failure = fmt::format("{} findings; the first: {}: {}", a.report->findings.size(), zip_finding_name(f.kind), f.detail);
    }
    cases.push_back(std::move(c));
  }
  const double limit = r.policy.max_missing_fraction.value_or(0.0);
  for (const auto& rec : r.records) {
    Case c{rec.path, "record_files", ""};
    if (!rec.report) {
      c.failure = rec.error;
    } else {
      const MissingSummary& s = rec.report->summary;
      const std::uint64_t unusable = s.unusable();
      if ((unusable > 0 && s.missing_fraction() > limit) || s.invalid > 0) {
        c.failure = fmt::format("{} of {} images missing or unusable ({:.2f}%{}), {} invalid image values", unusable,
                                s.distinct_images, s.missing_fraction() * 100,
                                unusable > s.missing ? ": " + s.unusable_breakdown() : "", s.invalid);
      }
    }
    cases.push_back(std::move(c));
  }
  std::size_t failures = 0;
  for (const auto& c : cases) failures += c.failure.empty() ? 0 : 1;
  std::string x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  x += fmt::format("<testsuites name=\"llava-verify audit\" tests=\"{}\" failures=\"{}\">\n", cases.size(), failures);
  x += fmt::format("  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\">\n", xml_escape(r.dir), cases.size(), failures);
  for (const auto& c : cases) {
    x += fmt::format("    <testcase classname=\"{}\" name=\"{}\"", c.classname, xml_escape(c.name));
    if (c.failure.empty()) {
      x += "/>\n";
    } else {
      x += fmt::format(">\n      <failure message=\"{}\"/>\n    </testcase>\n", xml_escape(c.failure));
    }
  }
  x += "  </testsuite>\n</testsuites>\n";
  return x;
}

std::string render_audit_csv(const AuditReport& r) {
  std::string out;
  for (const auto& rec : r.records) {
    if (!rec.report) continue;
    const std::string one = render_missing_csv(*rec.report);
    out += one.substr(out.empty() ? 0 : one.find("\r\n") + 2);  // one header
  }
  if (out.empty()) out = render_missing_csv(MissingReport{});
  return out;
}

}  // namespace lv
