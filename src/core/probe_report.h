// The `probe` report in its machine-readable forms: JSON (docs/report-format.md)
// and CSV (RFC 4180), the URLs that are not ok in record order.
#pragma once

#include <string>

#include "core/probe.h"

namespace lv {

struct ProbeReportInfo {
  std::string version;
  std::string meta_path;
  std::string dest;  // --fetch-missing
};

std::string render_probe_json(const ProbeReport& report, const ProbeReportInfo& info);
// Header `index,id,image,url,class,http_status,detail`; lines end with CRLF.
std::string render_probe_csv(const ProbeReport& report);

}  // namespace lv
