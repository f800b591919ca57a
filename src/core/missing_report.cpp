#include "core/missing_report.h"

#include <fmt/format.h>

#include "core/json_writer.h"

namespace lv {

std::string csv_field(std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::string render_missing_csv(const MissingReport& report) {
  std::string out = "index,id,image,url,caption,state,detail\r\n";
  for (const auto& r : report.records) {
    if (r.state == ImageState::invalid) continue;
    out += fmt::format("{},{},{},{},{},{},{}\r\n", r.index, csv_field(r.id), csv_field(r.image), csv_field(r.url),
                       csv_field(r.caption), image_state_name(r.state), csv_field(r.detail));
  }
  return out;
}

std::string render_missing_list(const MissingReport& report) {
  std::string out;
  for (const auto& name : report.missing_images) {
    out += name;
    out.push_back('\n');
  }
  return out;
}

void write_state_counts(JsonWriter& w, const MissingSummary& s) {
  w.key("missing"); w.value(s.missing);
  w.key("empty"); w.value(s.empty);
  w.key("corrupt"); w.value(s.corrupt);
  w.key("damaged"); w.value(s.damaged);
  w.key("other_extension"); w.value(s.other_extension);
}

namespace {

void write_record(JsonWriter& w, const MissingRecord& r) {
  w.begin_object();
  w.key("index"); w.value(r.index);
  w.key("id"); w.value(r.id);
  w.key("image"); w.value(r.image);
  w.key("url"); w.value(r.url);
  w.key("caption"); w.value(r.caption);
  w.key("state"); w.value(image_state_name(r.state));
  if (!r.detail.empty()) { w.key("detail"); w.value(r.detail); }
  if (!r.found.empty()) { w.key("found"); w.value(r.found); }
  w.end_object();
}

}  // namespace

std::string render_missing_json(const MissingReport& report, const MissingReportInfo& info) {
  const MissingSummary& s = report.summary;
  JsonWriter w;
  w.begin_object();
  w.key("tool"); w.value("llava-verify");
  w.key("version"); w.value(info.version);
  w.key("command"); w.value("missing");
  w.path("records_file", info.records_path);
  w.key("meta_file");
  if (info.meta_path.empty()) w.null(); else w.value(info.meta_path);
  w.key("stores");
  w.begin_array();
  if (info.stores != nullptr) {
    for (std::size_t i = 0; i < info.stores->size(); ++i) {
      const ImageStore& store = *(*info.stores)[i];
      w.begin_object();
      w.path("path", store.location());
      w.key("kind"); w.value(store_kind_name(store.kind()));
      w.key("files"); w.value(static_cast<std::uint64_t>(store.size()));
      w.key("present"); w.value(s.per_store[i]);
      w.end_object();
    }
  }
  w.end_array();
  w.key("summary");
  w.begin_object();
  w.key("records"); w.value(s.records);
  w.key("with_image"); w.value(s.with_image);
  w.key("without_image"); w.value(s.without_image);
  w.key("distinct_images"); w.value(s.distinct_images);
  w.key("present"); w.value(s.present);
  write_state_counts(w, s);
  w.key("invalid"); w.value(s.invalid);
  w.key("duplicate_ids"); w.value(s.duplicate_ids);
  w.key("duplicate_images"); w.value(s.duplicate_images);
  w.key("missing_fraction"); w.value(s.missing_fraction());
  w.key("deep"); w.value(deep_level_name(info.deep));
  w.key("compared_with_archive"); w.value(s.compared_with_archive);
  w.key("content_differs_from_extension"); w.value(s.content_differs_from_extension);
  w.key("warnings"); w.value(s.warnings);
  w.end_object();
  w.key("missing");
  w.begin_array();
  for (const auto& r : report.records) {
    if (r.state != ImageState::invalid) write_record(w, r);
  }
  w.end_array();
  w.key("invalid");
  w.begin_array();
  for (const auto& r : report.records) {
    if (r.state == ImageState::invalid) write_record(w, r);
  }
  w.end_array();
  w.key("warnings");
  w.begin_array();
  for (const auto& wr : report.warnings) {
    w.begin_object();
    w.key("image"); w.value(wr.image);
    w.key("detail"); w.value(wr.detail);
    w.end_object();
  }
  w.end_array();
  w.end_object();
  return w.finish();
}

}  // namespace lv
