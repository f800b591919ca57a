#include "core/probe_report.h"

#include <fmt/format.h>

#include <simdjson.h>

#include "core/file_reader.h"
#include "core/fs.h"
#include "core/json_writer.h"
#include "core/names.h"
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

Result<ProbeSummary> load_probe_summary(const std::string& path) {
  auto text = read_file(path);
  if (!text) return Error{fmt::format("{}: {}", quote_name(path), text.error().message)};
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (auto e = parser.parse(text.value()).get(doc)) {
    return Error{fmt::format("{}: not JSON ({})", quote_name(path), simdjson::error_message(e))};
  }
  std::string_view command;
  if (doc["command"].get_string().get(command) || command != "probe") {
    return Error{fmt::format("{}: not a report of llava-verify probe --json", quote_name(path))};
  }
  ProbeSummary s;
  s.path = path;
  simdjson::dom::object summary;
  if (doc["summary"].get_object().get(summary) || summary["urls"].get_uint64().get(s.urls)) {
    return Error{fmt::format("{}: no summary with an integer 'urls'", quote_name(path))};
  }
  for (std::size_t c = 0; c < kProbeClasses; ++c) {
    const std::string_view name = probe_class_name(static_cast<ProbeClass>(c));
    if (summary[name].get_uint64().get(s.counts[c])) {
      return Error{fmt::format("{}: the summary has no integer '{}'", quote_name(path), name)};
    }
  }
  return s;
}

}  // namespace lv
