// The `zip` command's JSON report (docs/report-format.md) and the summary
// names shared with the text output.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"
#include "core/zip_test.h"

namespace lv {

// The summary key counting entries with findings of kind `k` ("bad_crc",
// "unsafe_names", "duplicates", ...).
std::string_view zip_summary_key(ZipFindingKind k);

std::string render_zip_json(const ZipReport& report, std::string_view version);
// When the archive could not be read at all: the error, its kind and the archive.
std::string render_zip_error_json(std::string_view archive, const Error& error, std::string_view version);

}  // namespace lv
