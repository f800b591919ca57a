// The reports of `audit`, each a pure function of the AuditReport: the same
// inputs give the same bytes (no timestamps unless the caller adds one).
#pragma once

#include <string>
#include <string_view>

#include "core/audit.h"

namespace lv {

struct AuditReportInfo {
  std::string version;
  std::string timestamp;  // empty: none (the default, for byte-identical reports)
};

// The image folders a record file's images were found in, with how many when
// more than one did ("s/images"; "a (10 found), a/images (245 found)"); its own
// folder when none did. `quote` renders each path.
std::string describe_roots(const AuditRecords& rec, std::string (*quote)(std::string_view));

std::string render_audit_json(const AuditReport& report, const AuditReportInfo& info);  // docs/report-format.md
std::string render_audit_markdown(const AuditReport& report, const AuditReportInfo& info);
std::string render_audit_junit(const AuditReport& report);
// missing-images.csv: the columns of `missing --csv` (index,id,image,url,caption),
// the record files one after the other.
std::string render_audit_csv(const AuditReport& report);

}  // namespace lv
