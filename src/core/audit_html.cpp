#include "core/audit_html.h"

#include "core/audit_html_page.h"

namespace lv {

// The page (src/core/audit_report.html) loads nothing at all: its
// Content-Security-Policy allows inline styles and scripts only, and `data:`
// for the empty favicon (so the browser asks for no favicon.ico), whatever
// the report holds. Its script puts every string of the report in with
// textContent or setAttribute, never as markup.
std::string render_audit_html(std::string_view report_json) {
  std::string out;
  out.reserve(kAuditPageHead.size() + report_json.size() + report_json.size() / 64 + kAuditPageTail.size());
  out += kAuditPageHead;
  for (char c : report_json) {
    if (c == '<') {
      out += "\\u003c";
    } else {
      out += c;
    }
  }
  out += kAuditPageTail;
  return out;
}

}  // namespace lv
