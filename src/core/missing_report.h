// The `missing` report in its machine-readable forms: CSV (RFC 4180), JSON
// (docs/report-format.md), and the plain list of image names.
#pragma once

#include <string>
#include <vector>

#include "core/image_store.h"
#include "core/missing.h"

namespace lv {

struct MissingReportInfo {
  std::string version;
  std::string records_path;
  std::string meta_path;
  const std::vector<std::unique_ptr<ImageStore>>* stores = nullptr;
  DeepLevel deep = DeepLevel::off;
};

// One field, quoted when it holds a comma, a quote, CR or LF (quotes doubled).
std::string csv_field(std::string_view s);
// Header `index,id,image,url,caption,state,detail`, then the records whose image
// is not usable, in record order; lines end with CRLF as RFC 4180 says.
std::string render_missing_csv(const MissingReport& report);
class JsonWriter;
// The counts of the unusable states, as keys of the object being written:
// missing, empty, corrupt, damaged, other_extension.
void write_state_counts(JsonWriter& w, const MissingSummary& s);
std::string render_missing_json(const MissingReport& report, const MissingReportInfo& info);
// Distinct unusable image names, one per line, first-seen order.
std::string render_missing_list(const MissingReport& report);

}  // namespace lv
