// `llava-verify probe`: which image URLs still answer, and the download of those that do.
#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <optional>
#include <thread>

#include "cli/commands.h"
#include "cli/console.h"
#include "cli/progress.h"
#include "core/fs.h"
#include "core/names.h"
#include "core/probe_report.h"
#include "core/version.h"

namespace lv::cli {
namespace {

std::string clock_text(double seconds) {
  const auto s = static_cast<std::uint64_t>(seconds);
  return fmt::format("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60);
}

// "probe 1,234/595,375 (0.2%) 350/s ETA 0:28:10 | ok 1,000 not_found 200 ..."
void draw(const ProbeProgress& p, std::chrono::steady_clock::time_point start) {
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const std::uint64_t done = p.done.load();
  const std::uint64_t total = p.total.load();
  const double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0;
  std::string line = fmt::format("probe {}/{}", done, total);
  if (total > 0) line += fmt::format(" ({:.1f}%)", 100.0 * static_cast<double>(done) / static_cast<double>(total));
  line += fmt::format(" {:.0f}/s", rate);
  if (rate > 0 && total >= done) line += " ETA " + clock_text(static_cast<double>(total - done) / rate);
  line += " |";
  for (std::size_t c = 0; c < kProbeClasses; ++c) {
    const std::uint64_t n = p.per_class[c].load();
    if (n > 0) line += fmt::format(" {} {}", probe_class_name(static_cast<ProbeClass>(c)), n);
  }
  if (const std::uint64_t f = p.fetched.load(); f > 0) line += fmt::format(" fetched {}", f);
  show_progress_line(line);
}

std::string summary_text(const std::string& meta, const ProbeReport& r, bool fetching) {
  std::string text = fmt::format("{}: {} records, {} URLs probed", quote_name(meta), r.records, r.urls);
  if (r.without_url > 0) text += fmt::format(", {} without a URL", r.without_url);
  if (r.skipped > 0) text += fmt::format(", {} not in --only", r.skipped);
  if (r.from_state > 0) text += fmt::format(" ({} answered by the state file)", r.from_state);
  text += "\n";
  for (std::size_t c = 0; c < kProbeClasses; ++c) {
    text += fmt::format("{}: {}\n", probe_class_name(static_cast<ProbeClass>(c)), r.counts[c]);
  }
  if (fetching) {
    text += fmt::format("fetched: {}\n", r.fetched);
    text += fmt::format("already present: {}\n", r.already_present);
  }
  const double reachable = r.urls > 0 ? static_cast<double>(r.counts[0]) / static_cast<double>(r.urls) : 1.0;
  text += fmt::format("reachable: {:.2f}% ({} of {} URLs)\n", reachable * 100.0, r.counts[0], r.urls);
  return text;
}

}  // namespace

int run_probe(const ProbeCommandOptions& o) {
  ProbeOptions options;
  options.parallel = o.parallel;
  options.per_host = o.per_host;
  options.connect_timeout = o.connect_timeout;
  options.timeout = o.timeout;
  options.retries = o.retries;
  options.retry_delay = o.retry_delay;
  options.max_redirects = o.max_redirects;
  options.resolve = o.resolve;
  options.honor_robots = !o.ignore_robots;
  options.user_agent = o.user_agent.empty() ? std::string("llava-verify/") + kVersion : o.user_agent;
  options.cacert = o.cacert;
  options.state = o.state;
  options.dest = o.fetch_missing ? o.dest : std::string();
  for (const auto& m : o.url_map) {
    const std::size_t eq = m.find('=');
    if (eq == std::string::npos || eq == 0) {
      diag(fmt::format("probe: --url-map {}: expected FROM=TO", quote_name(m)));
      return kExitError;
    }
    options.url_map.push_back({m.substr(0, eq), m.substr(eq + 1)});
  }
  if (!o.placeholders.empty()) {
    auto text = read_file(o.placeholders);
    if (!text) {
      diag(fmt::format("{}: {}", quote_name(o.placeholders), text.error().message));
      return kExitError;
    }
    auto list = parse_placeholders(text.value(), quote_name(o.placeholders));
    if (!list) {
      diag(list.error().message);
      return kExitError;
    }
    options.placeholders = std::move(list.value());
  }
  FlatStringMap<bool> only;
  std::vector<std::string> only_names;
  if (!o.only.empty()) {
    auto names = read_name_list(o.only);
    if (!names) {
      diag(names.error().message);
      return kExitError;
    }
    only_names = std::move(names.value());
    only.reserve(only_names.size());
    for (const auto& n : only_names) only.try_emplace(n, true);
    options.only = &only;
  }

  ProbeProgress counters;
  options.progress = &counters;
  std::optional<Result<ProbeReport>> result;
  {
    std::atomic<bool> finished{false};
    std::jthread worker([&] {
      result.emplace(probe_urls(o.meta, options));
      finished = true;
    });
    if (!o.no_progress && stderr_is_terminal()) {
      set_progress_clearer(&clear_progress_line);
      const auto start = std::chrono::steady_clock::now();
      while (!finished.load()) {
        draw(counters, start);
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
      }
      clear_progress_line();
      set_progress_clearer(nullptr);
    }
  }
  if (!*result) {
    diag(result->error().message);
    return kExitError;
  }
  const ProbeReport& report = result->value();
  const bool json_to_stdout = o.json == "-";
  if (!json_to_stdout) out(summary_text(o.meta, report, o.fetch_missing));
  if (report.unsafe_names > 0) {
    diag(fmt::format("warning: {} reachable images have names that cannot be a path inside {} (absolute, '..', ...): not "
                     "fetched",
                     report.unsafe_names, quote_name(o.dest)));
  }
  ProbeReportInfo info{std::string(kVersion), o.meta, options.dest};
  const std::string json = o.json.empty() ? std::string() : render_probe_json(report, info);
  const std::string csv = o.csv.empty() ? std::string() : render_probe_csv(report);
  std::vector<std::pair<std::string, std::string_view>> outputs;
  if (!o.json.empty()) outputs.emplace_back(o.json, json);
  if (!o.csv.empty()) outputs.emplace_back(o.csv, csv);
  if (!write_outputs(outputs)) return kExitError;
  return report.not_ok() > 0 ? kExitFindings : kExitOk;
}

}  // namespace lv::cli
