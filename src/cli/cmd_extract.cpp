// `llava-verify extract`: unpack an archive, or just the images a folder lacks.
#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "cli/commands.h"
#include "cli/console.h"
#include "cli/progress.h"
#include "core/fs.h"
#include "core/names.h"
#include "core/zip_extract.h"

namespace lv::cli {
namespace {

// The images the record file names that the folder lacks: missing, empty,
// different from the archive's entry of the same name (damaged), or (with
// --deep) not whole.
Result<MissingReport> images_lacking(const ExtractCommandOptions& o, unsigned jobs) {
  const std::string& folder = o.images.empty() ? o.dest : o.images;
  if (auto made = make_directories(folder); !made) return made.error();
  auto store = open_folder_store(folder, StoreOptions{false, jobs, true, {}});
  if (!store) return store.error();
  StoreList stores;
  stores.push_back(std::move(store.value()));
  StoreList archive;
  MissingOptions options;
  options.jobs = jobs;
  options.deep = deep_level(o.deep);
  // The archive is the reference: a file that differs from its entry is lacking.
  // (An archive that cannot be read is reported by the extraction itself.)
  if (auto zip = open_zip_store(o.archive)) archive.push_back(std::move(zip.value()));
  options.references = [&]() -> const StoreList* { return &archive; };
  auto report = find_missing(o.records, [&](bool) -> Result<const StoreList*> { return &stores; }, nullptr, options);
  return report;
}

}  // namespace

int run_extract(const ExtractCommandOptions& o) {
  const unsigned jobs = o.jobs ? o.jobs : default_jobs();
  std::optional<std::vector<std::string>> only;
  std::optional<MissingSummary> lacking;
  if (!o.only.empty()) {
    auto names = read_name_list(o.only);
    if (!names) {
      diag(names.error().message);
      return kExitError;
    }
    only = std::move(names.value());
  } else if (o.only_missing) {
    auto report = images_lacking(o, jobs);
    if (!report) {
      diag(report.error().message);
      return kExitError;
    }
    lacking = report->summary;
    only = std::move(report->missing_images);
  }
  ExtractOptions options;
  options.dest = o.dest;
  options.jobs = jobs;
  options.only = only ? &*only : nullptr;
  // Lacking images of DEST itself may be empty or damaged files there: replaced.
  // (Files in another DEST are left alone unless --overwrite.)
  options.overwrite = o.overwrite || (o.only_missing && (o.images.empty() || normalize_path(o.images) == normalize_path(o.dest)));
  options.allow_symlinks = o.allow_symlinks;
  options.max_total_bytes = o.max_total_bytes;
  options.max_ratio = o.max_ratio;
  ZipProgress counters;
  options.progress = &counters;

  const bool draw = !o.no_progress && stderr_is_terminal();
  std::optional<Result<ExtractResult>> result;
  {
    std::atomic<bool> finished{false};
    std::jthread worker([&] {
      result.emplace(extract_zip(o.archive, options));
      finished = true;
    });
    show_zip_progress(draw, counters, [&] { return finished.load(); });
  }
  if (!*result) {
    diag(result->error().message);
    return kExitError;
  }
  const ExtractResult& r = result->value();
  std::string text;
  for (const auto& p : r.problems) {
    if (p.entry >= 0) {
      text += fmt::format("{}: {} (entry {}): {}\n", quote_name(o.archive), quote_name(p.name), p.entry, p.reason);
    } else {
      text += fmt::format("{}: {}: {}\n", quote_name(o.archive), quote_name(p.name), p.reason);
    }
  }
  if (lacking) {
    text += fmt::format("images the records name that {} lacks: {}{}\n", quote_name(o.images.empty() ? o.dest : o.images),
                        only->size(), lacking->unusable() > lacking->missing ? " (" + lacking->unusable_breakdown() + ")" : "");
  }
  text += fmt::format("extracted to {}: {} written ({} bytes), {} already there, {} refused, {} failed", quote_name(o.dest),
                      r.written, r.bytes_written, r.skipped, r.refused, r.failed);
  if (only) text += fmt::format(", {} not in the archive", r.not_found);
  text += "\n";
  out(text);
  flush_out();
  return (r.refused + r.failed + r.not_found) > 0 ? kExitFindings : kExitOk;
}

}  // namespace lv::cli
