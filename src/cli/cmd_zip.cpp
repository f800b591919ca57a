// `llava-verify zip`: test an archive entry by entry and compare its contents.
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

#include "cli/commands.h"
#include "cli/console.h"
#include "cli/progress.h"
#include "core/fs.h"
#include "core/names.h"
#include "core/version.h"
#include "core/zip_report.h"

namespace lv::cli {
namespace {

// Text lists stop here; the JSON report has every name.
constexpr std::size_t kListedPerKind = 20;

std::string entry_label(const ZipReport& r, const ZipFinding& f) {
  if (f.entry < 0) return quote_name(r.archive);
  return fmt::format("{}: {} (entry {} at byte {})", quote_name(r.archive),
                     quote_name(r.dir.entries[static_cast<std::size_t>(f.entry)].name), f.entry, f.offset);
}

template <class List, class Line>
void print_list(std::string& text, std::string_view label, const List& list, Line line) {
  std::size_t shown = 0;
  for (const auto& item : list) {
    if (shown++ == kListedPerKind) {
      text += fmt::format("{}: ... and {} more (the --json report lists them all)\n", label, list.size() - kListedPerKind);
      break;
    }
    text += fmt::format("{}: {}\n", label, line(item));
  }
}

void print_report(const ZipReport& r) {
  std::string text;
  for (const auto& f : r.findings) {
    text += fmt::format("{}: {}: {}\n", entry_label(r, f), zip_finding_name(f.kind), f.detail);
  }
  if (r.compared) {
    print_list(text, "missing", r.missing, [](const std::string& n) { return quote_name(n); });
    print_list(text, "extra", r.extra, [](const std::string& n) { return quote_name(n); });
    print_list(text, "changed", r.changed, [](const ZipChanged& c) { return fmt::format("{}: {}", quote_name(c.name), c.detail); });
  }
  if (r.records_compared) {
    print_list(text, "not in archive", r.not_in_archive, [](const std::string& n) { return quote_name(n); });
    print_list(text, "unreferenced", r.unreferenced, [](const std::string& n) { return quote_name(n); });
  }
  const std::uint64_t entries = r.dir.entries.size();
  text += fmt::format("{}: {} {}, {} bytes of data{}\n", quote_name(r.archive), entries, entries == 1 ? "entry" : "entries", r.data_bytes,
                      r.dir.zip64 ? " (ZIP64)" : "");
  text += fmt::format("{}: {} OK, {} with findings\n", r.list_only ? "listed (central directory only, no data read)" : "tested",
                      r.ok, entries - r.ok);
  for (std::size_t k = 0; k < kZipFindingKinds; ++k) {
    if (r.counts[k] > 0) text += fmt::format("  {}: {}\n", zip_summary_key(static_cast<ZipFindingKind>(k)), r.counts[k]);
  }
  if (r.compared) {
    text += fmt::format("entries manifest {}: {} missing, {} extra, {} changed\n", quote_name(r.manifest_name), r.missing.size(),
                        r.extra.size(), r.changed.size());
  }
  if (r.records_compared) {
    text += fmt::format("records {}: {} records, {} with an image; {} images not in the archive, {} entries unreferenced\n",
                        quote_name(r.records_name), r.records, r.referenced, r.not_in_archive.size(), r.unreferenced.size());
  }
  out(text);
}


}  // namespace

int run_zip(const ZipCommandOptions& o) {
  std::optional<Manifest> manifest;
  if (!o.entries.empty()) {
    auto loaded = load_manifest(o.entries, ParseOptions{});
    if (!loaded) {
      diag(loaded.error().message);
      return kExitError;
    }
    manifest = std::move(loaded.value());
    for (const auto& m : manifest->malformed) {
      diag(fmt::format("{}: line {}: {}", manifest_display_name(o.entries), m.line, m.reason));
    }
  }
  ZipProgress counters;
  ZipTestOptions options;
  options.jobs = o.jobs ? o.jobs : default_jobs();
  options.list_only = o.list_only;
  options.entries = manifest ? &*manifest : nullptr;
  options.progress = &counters;

  const bool draw = !o.no_progress && !o.list_only && stderr_is_terminal();
  std::optional<Result<ZipReport>> result;
  {
    std::atomic<bool> finished{false};
    std::jthread worker([&] {
      result.emplace(test_zip(o.archive, options));
      finished = true;
    });
    show_zip_progress(draw, counters, [&] { return finished.load(); });
  }
  if (!*result) {
    diag(result->error().message);
    if (!o.json.empty()) write_output(o.json, render_zip_error_json(o.archive, result->error(), kVersion));
    return kExitError;
  }
  ZipReport& report = result->value();
  if (!o.records.empty()) {
    if (auto s = compare_with_records(report, o.records); !s) {
      diag(s.error().message);
      return kExitError;
    }
  }
  if (o.json != "-") print_report(report);
  bool written = o.json.empty() || write_output(o.json, render_zip_json(report, kVersion));
  flush_out();
  if (!written) return kExitError;
  return report.clean() ? kExitOk : kExitFindings;
}

}  // namespace lv::cli
