// `llava-verify fetch` and `llava-verify manifest refresh`: the network commands.
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <thread>

#include "cli/commands.h"
#include "cli/console.h"
#include "cli/progress.h"
#include "core/fetch.h"
#include "core/fs.h"
#include "core/manifest_refresh.h"
#include "core/manifest_write.h"
#include "core/names.h"
#include "core/version.h"

namespace lv::cli {
namespace {

// The endpoint and token, from the options or the environment. The token is
// never printed.
Result<HttpSettings> http_settings(const NetworkOptions& o, std::string& endpoint) {
  endpoint = o.endpoint;
  if (endpoint.empty()) {
    if (const char* env = std::getenv("HF_ENDPOINT"); env != nullptr) endpoint = env;
  }
  HttpSettings s;
  if (!o.token_file.empty()) {
    auto text = read_file(o.token_file);
    if (!text) return with_context(quote_name(o.token_file), text.error());
    std::string_view t = text.value();
    while (!t.empty() && (t.back() == '\n' || t.back() == '\r' || t.back() == ' ')) t.remove_suffix(1);
    s.token = std::string(t);
  } else if (const char* env = std::getenv("HF_TOKEN"); env != nullptr) {
    s.token = env;
  }
  if (!endpoint.empty() && url_origin(endpoint).empty()) {
    return Error{fmt::format("the endpoint {} is not a URL (it needs http:// or https:// and a host)", quote_name(endpoint))};
  }
  s.token_origin = url_origin(endpoint.empty() ? std::string(kDefaultEndpoint) : endpoint);
  s.cacert = o.cacert;
  s.connect_timeout = std::max(1L, static_cast<long>(o.timeout));
  s.stall_timeout = std::max(1L, static_cast<long>(o.stall_timeout));
  s.user_agent = fmt::format("llava-verify/{}", kVersion);
  return s;
}

Result<Manifest> load(const std::string& path) {
  auto manifest = load_manifest(path, ParseOptions{});
  if (!manifest) return manifest.error();
  for (const auto& m : manifest->malformed) {
    diag(fmt::format("{}: line {}: {}", manifest_display_name(path), m.line, m.reason));
  }
  if (manifest->entries.empty()) return Error{fmt::format("{}: no file to fetch", manifest_display_name(path))};
  return manifest;
}

}  // namespace

namespace {

// "images.zip 45% (3.0 GB of 6.5 GB), chat.json 12 MB": the files being transferred.
std::string files_in_flight(const FetchProgress& p, const std::vector<FetchItem>& items) {
  std::string out;
  for (const auto& c : p.current) {
    const std::int64_t i = c.item.load();
    if (i < 0 || static_cast<std::size_t>(i) >= items.size()) continue;
    const FetchItem& item = items[static_cast<std::size_t>(i)];
    const std::uint64_t done = c.bytes.load();
    if (!out.empty()) out += ", ";
    out += item.name;
    if (item.size && *item.size > 0) {
      out += fmt::format(" {}%", std::min<std::uint64_t>(100, done * 100 / *item.size));
    } else {
      out += fmt::format(" {} MB", done / 1000000);
    }
  }
  return out;
}

}  // namespace

int run_fetch(const FetchCommandOptions& o) {
  auto manifest = load(o.manifest);
  if (!manifest) {
    diag(manifest.error().message);
    return kExitError;
  }
  std::string endpoint;
  auto http = http_settings(o.net, endpoint);
  if (!http) {
    diag(http.error().message);
    return kExitError;
  }
  auto all = fetch_items(*manifest, endpoint);
  if (!all) {
    diag(all.error().message);
    return kExitError;
  }
  std::vector<FetchItem> items;
  if (o.only.empty()) {
    items = std::move(all.value());
  } else {
    for (const auto& name : o.only) {
      auto it = std::find_if(all->begin(), all->end(), [&](const FetchItem& i) { return i.name == name; });
      if (it == all->end()) {
        diag(fmt::format("{}: not in {}", quote_name(name), manifest_display_name(o.manifest)));
        return kExitError;
      }
      items.push_back(*it);
    }
  }
  FetchProgress counters;
  FetchOptions options;
  options.dest = o.dest;
  options.jobs = std::max(1u, o.jobs);
  options.retries = o.retries;
  options.retry_delay = o.retry_delay;
  options.http = std::move(http.value());
  options.progress = &counters;
  std::uint64_t total = 0;
  for (const auto& i : items) total += i.size.value_or(0);

  std::optional<Result<std::vector<FetchResult>>> result;
  {
    std::atomic<bool> finished{false};
    std::jthread worker([&] {
      result.emplace(fetch_all(items, options));
      finished = true;
    });
    if (!o.no_progress && (o.force_progress || stderr_is_terminal())) {
      Progress progress(true, items.size(), total);
      while (!finished.load()) {
        progress.update(counters.files_done.load(), counters.bytes.load(), files_in_flight(counters, items));
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      progress.finish();
    }
  }
  if (!*result) {
    diag(result->error().message);
    return kExitError;
  }
  const auto& results = result->value();
  std::string text;
  std::uint64_t downloaded = 0, present = 0, failed = 0, unverified = 0, received = 0;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const FetchResult& r = results[i];
    const std::string name = quote_name(items[i].name);
    received += r.received;
    if (r.state == FetchState::failed) {
      ++failed;
      text += fmt::format("{}: FAILED ({})\n", name, r.detail);
      continue;
    }
    const char* where = r.state == FetchState::present ? " (already present)" : "";
    (r.state == FetchState::present ? present : downloaded)++;
    if (r.verified) {
      text += fmt::format("{}: OK{}\n", name, where);
    } else if (r.unconfirmed_mismatch) {
      ++unverified;
      text += fmt::format("{}: DIFFERS FROM AN UNCONFIRMED HASH{}\n", name, where);
      diag(fmt::format("warning: {}: {} (a value from a single source): kept; pin the value you trust", name, r.detail));
    } else if (items[i].size) {
      ++unverified;
      text += fmt::format("{}: SIZE OK, NO HASH{}\n", name, where);
    } else {
      ++unverified;
      text += fmt::format("{}: NOT VERIFIED (no size or sha256 known){}\n", name, where);
    }
  }
  text += fmt::format("fetch: {} files: {} downloaded, {} already present, {} failed; {} bytes received\n", items.size(),
                      downloaded, present, failed, received);
  out(text);
  flush_out();
  if (unverified > 0 && !o.allow_unknown_hashes) {
    diag(fmt::format("warning: {} {} no known sha256 (llava-verify manifest refresh can read it from the server; "
                     "--allow-unknown-hashes accepts them)",
                     unverified, unverified == 1 ? "file has" : "files have"));
  }
  // Entries the manifest could not give (malformed) were not fetched: not a clean run.
  return (failed > 0 || !manifest->malformed.empty() || (unverified > 0 && !o.allow_unknown_hashes)) ? kExitFindings : kExitOk;
}

int run_manifest_refresh(const RefreshCommandOptions& o) {
  auto manifest = load(o.manifest);
  if (!manifest) {
    diag(manifest.error().message);
    return kExitError;
  }
  if (manifest->format != ManifestFormat::json) {
    diag(fmt::format("{}: refresh needs a llava-verify JSON manifest (with URLs or a source), not {}",
                     manifest_display_name(o.manifest), format_name(manifest->format)));
    return kExitError;
  }
  std::string endpoint;
  auto http = http_settings(o.net, endpoint);
  if (!http) {
    diag(http.error().message);
    return kExitError;
  }
  auto items = fetch_items(*manifest, endpoint);
  if (!items) {
    diag(items.error().message);
    return kExitError;
  }
  auto outcomes = refresh_manifest(*manifest, *items, *http);
  std::string text;
  std::size_t filled = 0, conflicts = 0, unread = 0;
  for (const auto& r : outcomes) {
    if (!r.asked) continue;
    if (r.conflict) {
      ++conflicts;
      text += fmt::format("{}: CONFLICT: {}\n", quote_name(r.path), r.detail);
    } else if (r.filled) {
      ++filled;
      text += fmt::format("{}: {}\n", quote_name(r.path), r.detail);
    } else {
      ++unread;
      text += fmt::format("{}: not refreshed: {}\n", quote_name(r.path), r.detail);
    }
  }
  text += fmt::format("refresh: {} filled, {} conflicts, {} not refreshed\n", filled, conflicts, unread);
  out(text);
  flush_out();
  if (conflicts > 0) {
    diag(fmt::format("{}: left unchanged: the server disagrees with pinned values", manifest_display_name(o.manifest)));
    return kExitError;
  }
  if (filled > 0) {
    const std::string& target = o.output.empty() ? o.manifest : o.output;
    if (auto s = write_file_atomic(target, render_manifest_document(*manifest)); !s) {
      diag(s.error().message);
      return kExitError;
    }
  }
  return unread > 0 ? kExitFindings : kExitOk;
}

}  // namespace lv::cli
