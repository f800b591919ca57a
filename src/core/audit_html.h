// report.html of `audit`: one self-contained HTML5 page (inline CSS and JS, no
// network) that embeds report.json and renders it in the browser: the verdict,
// summary cards, present/missing bars per record file and per folder, the
// file checks, the archive findings and a searchable table of missing images.
#pragma once

#include <string>
#include <string_view>

namespace lv {

// `report_json` is the text of report.json (UTF-8, docs/report-format.md). It
// goes into a <script type="application/json"> element with every '<' written
// as \u003c, so no string in it can close the element. Same JSON, same bytes.
std::string render_audit_html(std::string_view report_json);

}  // namespace lv
