#include "core/probe_report.h"

#include <fmt/format.h>

#include "core/json_writer.h"
#include "core/missing_report.h"

namespace lv {

std::string render_probe_json(const ProbeReport& report, const ProbeReportInfo& info) {
  JsonWriter w;
  w.begin_object();
  w.key("tool"); w.value("llava-verify");
  w.key("version"); w.value(info.version);
  w.key("command"); w.value("probe");
  w.path("meta_file", info.meta_path);
  if (info.dest.empty()) {
    w.key("dest");
    w.null();
  } else {
    w.path("dest", info.dest);
  }
  w.key("summary");
  w.begin_object();
  w.key("records"); w.value(report.records);
  w.key("urls"); w.value(report.urls);
  for (std::size_t c = 0; c < kProbeClasses; ++c) {
    w.key(probe_class_name(static_cast<ProbeClass>(c)));
    w.value(report.counts[c]);
  }
  w.key("without_url"); w.value(report.without_url);
  w.key("not_selected"); w.value(report.skipped);
  w.key("from_state"); w.value(report.from_state);
  w.key("fetched"); w.value(report.fetched);
  w.key("already_present"); w.value(report.already_present);
  w.end_object();
  w.key("items");
  w.begin_array();
  for (const auto& i : report.items) {
    w.begin_object();
    w.key("index"); w.value(i.index);
    w.key("id"); w.value(i.id);
    w.key("image"); w.value(i.image);
    w.key("url"); w.value(i.url);
    w.key("class"); w.value(probe_class_name(i.cls));
    w.key("http_status"); w.value(static_cast<std::int64_t>(i.http_status));
    w.key("detail"); w.value(i.detail);
    w.end_object();
  }
  w.end_array();
  w.end_object();
  return w.finish();
}

std::string render_probe_csv(const ProbeReport& report) {
  std::string out = "index,id,image,url,class,http_status,detail\r\n";
  for (const auto& i : report.items) {
    out += fmt::format("{},{},{},{},{},{},{}\r\n", i.index, csv_field(i.id), csv_field(i.image), csv_field(i.url),
                       probe_class_name(i.cls), i.http_status, csv_field(i.detail));
  }
  return out;
}

}  // namespace lv
