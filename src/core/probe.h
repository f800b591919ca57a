// `probe`: which image URLs of a metadata file still answer with an image, and
// (with a destination) the download of those that do. One thread drives many
// transfers through libcurl's multi interface; the metadata is streamed in
// batches, so memory is bounded by the transfers in flight and the URLs that
// failed, whatever the number of URLs.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/flat_map.h"
#include "core/result.h"

namespace lv {

enum class ProbeClass : std::uint8_t {
  ok,
  not_found,          // 404, 410 (and other 4xx but 401, 403, 451, 429)
  forbidden,          // 401, 403, 451
  server_error,       // 5xx or 429 after the retries, a redirect loop
  timeout,
  connection_failed,  // refused, reset, DNS, TLS
  not_image,          // the content type or the first bytes are not an image
  placeholder,        // a known "image unavailable" picture (size and sha256)
  opted_out,          // X-Robots-Tag: noai, noimageai, noindex or noimageindex
};
inline constexpr std::size_t kProbeClasses = 9;
std::string_view probe_class_name(ProbeClass c);

struct Placeholder {
  std::uint64_t size = 0;
  std::string sha256;  // lower-case hex
  std::string label;
};
// Lines "SIZE SHA256 [LABEL]"; blank lines and '#' comments are skipped.
// Errors name the line.
Result<std::vector<Placeholder>> parse_placeholders(std::string_view text, std::string_view name);

struct UrlMap {
  std::string from, to;  // prefix rewrite
};
// The URL with the first matching prefix replaced.
std::string map_url(std::string_view url, const std::vector<UrlMap>& maps);

// The image format the first bytes announce ("jpeg", "png", "gif", "webp"), or empty.
std::string_view image_signature(std::span<const std::uint8_t> head);
// Whether an X-Robots-Tag value opts out (img2dataset's default rule): one of
// its directives, for any or no user agent, is noai, noimageai, noindex or noimageindex.
bool robots_opt_out(std::string_view value);

// What a finished transfer says, before any retry decision.
struct ProbeResponse {
  int curl_code = 0;          // CURLcode
  bool cut = false;           // we stopped reading after the first bytes (not an error)
  long status = 0;            // of the final response
  std::string content_type;   // lower case
  std::string robots;         // the X-Robots-Tag values, joined with ", "
  std::uint64_t total = 0;    // the whole body's size when the server said it (Content-Range or Content-Length), else 0
  std::span<const std::uint8_t> head;  // the first bytes of the body
  std::string curl_error;
};
struct ProbeVerdict {
  ProbeClass cls = ProbeClass::ok;
  std::string detail;
  bool retry = false;         // worth another attempt (5xx, 429, timeout, connection)
  bool check_placeholder = false;  // an image whose size is a placeholder's: its sha256 decides
};
ProbeVerdict classify_probe(const ProbeResponse& r, bool honor_robots, const std::vector<Placeholder>& placeholders);

struct ProbeProgress {
  std::atomic<std::uint64_t> total{0};  // URLs to probe, once the metadata is counted
  std::atomic<std::uint64_t> done{0};
  std::atomic<std::uint64_t> fetched{0};
  std::array<std::atomic<std::uint64_t>, kProbeClasses> per_class{};
};

struct ProbeOptions {
  const FlatStringMap<bool>* only = nullptr;  // image names to probe (others are skipped)
  unsigned parallel = 64;
  unsigned per_host = 8;
  double connect_timeout = 10;
  double timeout = 30;
  unsigned retries = 2;
  double retry_delay = 0.2;  // seconds, doubled at each retry, with jitter
  long max_redirects = 5;
  std::vector<std::string> resolve;  // curl's HOST:PORT:ADDR
  std::vector<UrlMap> url_map;
  std::vector<Placeholder> placeholders;
  bool honor_robots = true;
  std::string user_agent;
  std::string cacert;
  std::size_t head_bytes = 16;    // read of each body when not fetching (every signature fits)
  std::string state;              // resume file; empty: none
  std::string dest;               // --fetch-missing: where the images go; empty: probe only
  ProbeProgress* progress = nullptr;
};

struct ProbeItem {
  std::uint64_t index = 0;
  std::string id, image, url;
  ProbeClass cls = ProbeClass::ok;
  long http_status = 0;
  std::string detail;
};

struct ProbeReport {
  std::uint64_t records = 0;
  std::uint64_t urls = 0;          // records probed (or answered from the state file)
  std::uint64_t without_url = 0;   // records with no usable url (not probed)
  std::uint64_t skipped = 0;       // not in --only
  std::uint64_t from_state = 0;    // answered from the state file
  std::array<std::uint64_t, kProbeClasses> counts{};
  std::uint64_t fetched = 0;          // written to DEST in this run
  std::uint64_t already_present = 0;  // in DEST before the run (not requested)
  std::uint64_t unsafe_names = 0;     // ok, but their image name cannot be a path in DEST
  std::uint64_t requests = 0;         // HTTP transfers made (retries included)
  std::vector<ProbeItem> items;       // the URLs that are not ok, in record order
  std::uint64_t not_ok() const { return urls - counts[0]; }
};

// Probes the URLs of `meta` (a JSON array of records with `url`, `image`, `id`).
// An Error when it cannot run (unreadable metadata, state file or DEST).
Result<ProbeReport> probe_urls(const std::string& meta, const ProbeOptions& options);

}  // namespace lv
