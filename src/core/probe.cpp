// The transfer engine of `probe`: one thread, one curl multi handle, the
// metadata streamed in batches (probe.h, probe_engine.h). This file feeds the
// records in, schedules transfers under the global and per-host limits, and runs
// the multi loop; probe_transfer.cpp handles what each transfer receives.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <thread>

#include "core/file_reader.h"
#include "core/http.h"
#include "core/image_store.h"
#include "core/names.h"
#include "core/probe_engine.h"

namespace lv {
namespace probe_detail {

bool selected(const ProbeOptions& o, std::string_view image) {
  if (o.only == nullptr) return true;
  if (is_normal_path(image)) return o.only->find(image).second != nullptr;
  return o.only->find(normalize_path(image)).second != nullptr;
}

std::uint64_t fnv1a(std::string_view s) {
  std::uint64_t h = 1469598103934665603ull;
  for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  return h;
}

Prober::Prober(const ProbeOptions& options) : o(options) {
  for (const auto& p : o.placeholders) max_placeholder = std::max<std::size_t>(max_placeholder, p.size);
}

Prober::~Prober() {
  for (auto& t : pool) {
    discard(*t);  // a run stopped by an error leaves no temporary file
    if (t->easy != nullptr) curl_easy_cleanup(t->easy);
  }
  if (multi != nullptr) curl_multi_cleanup(multi);
  curl_slist_free_all(resolve);
  folders.reset();
  if (dest_fd >= 0) ::close(dest_fd);
}

Status Prober::start() {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  multi = curl_multi_init();
  if (multi == nullptr) return Error{"cannot start libcurl"};
  curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, static_cast<long>(std::max(1u, o.per_host)));
  curl_multi_setopt(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, static_cast<long>(std::max(1u, o.parallel)));
  curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, static_cast<long>(std::max(1u, o.parallel)));
  for (const auto& r : o.resolve) resolve = curl_slist_append(resolve, r.c_str());
  if (!o.dest.empty()) {
    if (auto s = make_directories(o.dest); !s) return Error{fmt::format("{}: {}", quote_name(o.dest), s.error().message)};
    dest_fd = ::open(o.dest.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dest_fd < 0) return Error{fmt::format("{}: {}", quote_name(o.dest), error_text(errno))};
    folders = std::make_unique<DestFolders>(dest_fd);
  }
  if (!o.state.empty()) {
    if (auto s = state.open(o.state); !s) return s;
  }
  return {};
}

void Prober::add(const Record& r) {
  ++report.records;
  if (r.url.empty() || r.image_kind == ImageKind::duplicate) {
    ++report.without_url;
    return;
  }
  if (!selected(o, r.image)) {
    ++report.skipped;
    return;
  }
  std::string image(r.image);
  ++report.urls;
  Target t{r.index, std::string(r.id), std::move(image), std::string(r.url)};
  if (const ProbeState::Entry* e = state.find(t.index, fnv1a(t.url))) {
    // Known from an earlier run; with a destination, only the failures are final.
    if (o.dest.empty() || e->cls != ProbeClass::ok) {
      ++report.from_state;
      record(t, e->cls, e->http_status, e->detail, false);
      return;
    }
  }
  if (!o.dest.empty() && image_path_problem(t.image).empty() && present_in_dest(t.image)) {
    ++report.already_present;
    record(t, ProbeClass::ok, 0, "already in the destination", false);
    return;
  }
  if (!(t.url.starts_with("http://") || t.url.starts_with("https://") || t.url.starts_with("HTTP://") ||
        t.url.starts_with("HTTPS://"))) {
    record(t, ProbeClass::connection_failed, 0, "not an http or https URL", true);
    return;
  }
  if (t.url.find('\0') != std::string::npos) {  // libcurl would ask for the URL cut at the NUL
    record(t, ProbeClass::connection_failed, 0, curl_easy_strerror(CURLE_URL_MALFORMAT), true);
    return;
  }
  queue.push_back(std::move(t));
}

bool Prober::present_in_dest(const std::string& image) {
  struct stat st{};
  return ::fstatat(dest_fd, image.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) && st.st_size > 0;
}

void Prober::record(const Target& t, ProbeClass cls, long http_status, std::string detail, bool to_state) {
  ++report.counts[static_cast<std::size_t>(cls)];
  if (o.progress != nullptr) {
    ++o.progress->done;
    ++o.progress->per_class[static_cast<std::size_t>(cls)];
  }
  if (to_state && state.is_open()) {
    if (auto s = state.append(t.index, fnv1a(t.url), cls, http_status, detail); !s && !fatal) fatal = s.error();
  }
  if (cls == ProbeClass::ok) {
    if (!o.dest.empty() && !image_path_problem(t.image).empty()) ++report.unsafe_names;
    return;
  }
  report.items.push_back({t.index, t.id, t.image, t.url, cls, http_status, std::move(detail)});
}

Transfer& Prober::take_transfer() {
  for (auto& t : pool) {
    if (t->easy == nullptr) continue;
    if (t->owner == nullptr) {
      t->owner = this;
      return *t;
    }
  }
  pool.push_back(std::make_unique<Transfer>());
  Transfer& x = *pool.back();
  x.easy = curl_easy_init();
  x.owner = this;
  return x;
}

void Prober::launch(Target t) {
  Transfer& x = take_transfer();
  CURL* easy = x.easy;
  curl_easy_reset(easy);
  x.t = std::move(t);
  x.host = url_host(map_url(x.t.url, o.url_map));
  x.reset_response();
  x.head.clear();
  x.tail_size = 0;
  x.body = 0;
  x.cut = false;
  x.early_verdict = false;
  x.early = {};
  x.fetching = !o.dest.empty() && !x.t.full && image_path_problem(x.t.image).empty();
  x.hasher.reset();
  x.out.reset();
  x.dir.reset();
  x.local_error.clear();
  if (x.t.full) x.hasher = sha256_of();
  const std::string url = map_url(x.t.url, o.url_map);
  curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(easy, CURLOPT_MAXREDIRS, o.max_redirects);
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(o.connect_timeout * 1000));
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(o.timeout * 1000));
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_USERAGENT, o.user_agent.c_str());
  if (resolve != nullptr) curl_easy_setopt(easy, CURLOPT_RESOLVE, resolve);
  if (!o.cacert.empty()) curl_easy_setopt(easy, CURLOPT_CAINFO, o.cacert.c_str());
  if (!x.fetching && !x.t.full) {
    const std::string range = fmt::format("0-{}", o.head_bytes - 1);
    curl_easy_setopt(easy, CURLOPT_RANGE, range.c_str());  // copied by libcurl
  }
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &Prober::on_header);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, &x);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &Prober::on_body);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &x);
  curl_easy_setopt(easy, CURLOPT_PRIVATE, &x);
  ++per_host[x.host];
  ++in_flight;
  ++report.requests;
  curl_multi_add_handle(multi, easy);
}

// Starts what may start: due retries, then hosts that had to wait, then the queue.
void Prober::start_ready() {
  const auto now = Clock::now();
  while (in_flight < o.parallel && !retries.empty() && retries.top().due <= now) {
    Target t = retries.top().t;
    retries.pop();
    queue.push_front(std::move(t));
  }
  for (auto it = blocked.begin(); it != blocked.end() && in_flight < o.parallel;) {
    auto& [host, waiting] = *it;
    while (!waiting.empty() && in_flight < o.parallel && per_host[host] < o.per_host) {
      Target t = std::move(waiting.front());
      waiting.pop_front();
      --blocked_count;
      launch(std::move(t));
    }
    it = waiting.empty() ? blocked.erase(it) : std::next(it);
  }
  while (in_flight < o.parallel && !queue.empty()) {
    Target t = std::move(queue.front());
    queue.pop_front();
    std::string host = url_host(map_url(t.url, o.url_map));
    if (per_host[host] >= o.per_host) {
      blocked[host].push_back(std::move(t));
      ++blocked_count;
      continue;
    }
    launch(std::move(t));
  }
}

// Runs transfers until the backlog is low enough to take another batch, or
// (drain) until everything is done.
Status Prober::pump(bool drain) {
  const std::size_t low_water = 4 * static_cast<std::size_t>(o.parallel) + 64;
  for (;;) {
    if (fatal) return *fatal;
    start_ready();
    if (!drain && backlog() < low_water) return {};
    if (in_flight == 0 && backlog() == 0) return {};
    int running = 0;
    curl_multi_perform(multi, &running);
    int left = 0;
    while (CURLMsg* m = curl_multi_info_read(multi, &left)) {
      if (m->msg != CURLMSG_DONE) continue;
      Transfer* x = nullptr;
      curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &x);
      finish(*x, m->data.result);
    }
    int wait_ms = 100;
    if (!retries.empty()) {
      const auto until = std::chrono::duration_cast<std::chrono::milliseconds>(retries.top().due - Clock::now()).count();
      wait_ms = static_cast<int>(std::clamp<long long>(until, 0, 100));
    }
    if (in_flight > 0) {
      curl_multi_poll(multi, nullptr, 0, wait_ms, nullptr);
    } else if (wait_ms > 0 && queue.empty() && blocked_count == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(wait_ms));
    }
  }
}

}  // namespace probe_detail

using probe_detail::kSniffBytes;
using probe_detail::Prober;

Result<ProbeReport> probe_urls(const std::string& meta, const ProbeOptions& options) {
  if (options.parallel == 0 || options.per_host == 0) return Error{"--parallel and --per-host must be at least 1"};
  if (options.head_bytes < kSniffBytes) return Error{"the probe must read at least 16 bytes of each body"};
  ScanOptions scan;
  scan.extra_fields = true;
  // First the whole file is read once: malformed metadata stops the run before
  // any request, and the progress line knows the total.
  std::uint64_t total = 0, records = 0, with_url = 0;
  auto counted = scan_records(meta, scan, [&](const RecordBatch& b) -> Status {
    for (const auto& r : b.records) {
      ++records;
      if (r.url.empty()) continue;
      ++with_url;
      if (!probe_detail::selected(options, r.image)) continue;
      ++total;
    }
    return {};
  });
  if (!counted) return with_context("metadata", counted.error());
  if (records > 0 && with_url == 0) {
    return Error{fmt::format("{}: no record has a 'url' ({} read): give the metadata file (metadata.json, "
                             "blip_laion_cc_sbu_558k_meta.json), not a record file like chat.json",
                             quote_name(meta), records)};
  }
  if (options.progress != nullptr) options.progress->total = total;
  Prober prober(options);
  if (auto s = prober.start(); !s) return s.error();
  auto s = scan_records(meta, scan, [&](const RecordBatch& b) -> Status {
    for (const auto& r : b.records) prober.add(r);
    return prober.pump(false);
  });
  if (!s) return s.error();
  if (auto d = prober.pump(true); !d) return d.error();
  ProbeReport report = std::move(prober.report);
  std::sort(report.items.begin(), report.items.end(), [](const ProbeItem& a, const ProbeItem& b) { return a.index < b.index; });
  return report;
}

}  // namespace lv
