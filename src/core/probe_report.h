// The `probe` report in its machine-readable forms: JSON (docs/report-format.md)
// and CSV (RFC 4180), the URLs that are not ok in record order.
#pragma once

#include <array>
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

// The summary of a `probe --json` report, for `audit --probe-report`.
struct ProbeSummary {
  std::string path;
  std::uint64_t urls = 0;
  std::array<std::uint64_t, kProbeClasses> counts{};
  double reachable_fraction() const { return urls == 0 ? 1.0 : static_cast<double>(counts[0]) / static_cast<double>(urls); }
};
Result<ProbeSummary> load_probe_summary(const std::string& path);

}  // namespace lv
