#include "core/zip_report.h"

#include "core/json_writer.h"

namespace lv {
namespace {

void header(JsonWriter& w, std::string_view archive, std::string_view version) {
  w.key("tool"); w.value("llava-verify");
  w.key("version"); w.value(version);
  w.key("command"); w.value("zip");
  w.path("archive", archive);
}

void names(JsonWriter& w, std::string_view key, const std::vector<std::string>& list) {
  w.key(key);
  w.begin_array();
  for (const auto& n : list) {
    w.begin_object();
    w.path("name", n);
    w.end_object();
  }
  w.end_array();
}

}  // namespace

std::string_view zip_summary_key(ZipFindingKind k) {
  switch (k) {
    case ZipFindingKind::junk_before: return "junk_before";
    case ZipFindingKind::duplicate: return "duplicates";
    case ZipFindingKind::unsafe_name: return "unsafe_names";
    case ZipFindingKind::symlink: return "symlinks";
    case ZipFindingKind::encrypted: return "encrypted";
    case ZipFindingKind::unsupported_method: return "unsupported_methods";
    case ZipFindingKind::header_mismatch: return "header_mismatches";
    case ZipFindingKind::truncated: return "truncated";
    case ZipFindingKind::bad_data: return "bad_data";
    case ZipFindingKind::size_mismatch: return "size_mismatches";
    case ZipFindingKind::bad_crc: return "bad_crc";
    case ZipFindingKind::overlapping: return "overlapping";
  }
  return "unknown";
}

std::string render_zip_json(const ZipReport& r, std::string_view version) {
  JsonWriter w;
  w.begin_object();
  header(w, r.archive, version);
  w.key("archive_size"); w.value(r.dir.file_size);
  w.key("zip64"); w.value(r.dir.zip64);
  w.key("leading_bytes"); w.value(r.dir.leading_bytes);
  w.key("list_only"); w.value(r.list_only);
  w.key("summary");
  w.begin_object();
  w.key("entries"); w.value(static_cast<std::uint64_t>(r.dir.entries.size()));
  w.key("ok"); w.value(r.ok);
  w.key("with_findings"); w.value(static_cast<std::uint64_t>(r.dir.entries.size()) - r.ok);
  w.key("data_bytes"); w.value(r.data_bytes);
  for (std::size_t k = 0; k < kZipFindingKinds; ++k) {
    w.key(zip_summary_key(static_cast<ZipFindingKind>(k)));
    w.value(r.counts[k]);
  }
  w.key("missing"); w.value(static_cast<std::uint64_t>(r.missing.size()));
  w.key("extra"); w.value(static_cast<std::uint64_t>(r.extra.size()));
  w.key("changed"); w.value(static_cast<std::uint64_t>(r.changed.size()));
  w.key("not_in_archive"); w.value(static_cast<std::uint64_t>(r.not_in_archive.size()));
  w.key("unreferenced"); w.value(static_cast<std::uint64_t>(r.unreferenced.size()));
  w.end_object();
  w.key("findings");
  w.begin_array();
  for (const auto& f : r.findings) {
    w.begin_object();
    w.key("kind"); w.value(zip_finding_name(f.kind));
    w.key("entry");
    if (f.entry < 0) {
      w.null();
      w.key("name"); w.null();
    } else {
      w.value(f.entry);
      w.path("name", r.dir.entries[static_cast<std::size_t>(f.entry)].name);
    }
    w.key("offset"); w.value(f.offset);
    w.key("detail"); w.value(f.detail);
    w.end_object();
  }
  w.end_array();
  w.key("entries_manifest");
  if (!r.compared) {
    w.null();
  } else {
    w.begin_object();
    w.path("path", r.manifest_name);
    w.key("malformed_lines"); w.value(r.malformed_manifest_lines);
    names(w, "missing", r.missing);
    names(w, "extra", r.extra);
    w.key("changed");
    w.begin_array();
    for (const auto& c : r.changed) {
      w.begin_object();
      w.path("name", c.name);
      w.key("detail"); w.value(c.detail);
      w.end_object();
    }
    w.end_array();
    w.end_object();
  }
  w.key("records");
  if (!r.records_compared) {
    w.null();
  } else {
    w.begin_object();
    w.path("path", r.records_name);
    w.key("records"); w.value(r.records);
    w.key("with_image"); w.value(r.referenced);
    names(w, "not_in_archive", r.not_in_archive);
    names(w, "unreferenced", r.unreferenced);
    w.end_object();
  }
  w.end_object();
  return w.finish();
}

std::string render_zip_error_json(std::string_view archive, const Error& error, std::string_view version) {
  JsonWriter w;
  w.begin_object();
  header(w, archive, version);
  w.key("error");
  w.begin_object();
  w.key("kind"); w.value(error.kind.empty() ? std::string_view("io") : std::string_view(error.kind));
  w.key("message"); w.value(error.message);
  w.end_object();
  w.end_object();
  return w.finish();
}

}  // namespace lv
