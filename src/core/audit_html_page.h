// The page of report.html (src/core/audit_report.html), compiled in by
// src/CMakeLists.txt: the text before and after the place of report.json.
#pragma once

#include <string_view>

namespace lv {

extern const std::string_view kAuditPageHead;  // up to <script type="application/json" id="report">
extern const std::string_view kAuditPageTail;  // from its </script> to the end

}  // namespace lv
