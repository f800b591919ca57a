// HTTP transfers over libcurl for `fetch` and `manifest refresh`: one easy
// handle per thread, TLS peers always verified, a bearer token sent only to
// the host it is meant for, the body handed to a sink as it arrives. The
// header helpers are pure functions (tested and fuzzed on their own).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/result.h"

namespace lv {

struct HttpSettings {
  std::string token;             // bearer token; sent only to token_origin
  std::string token_origin;      // scheme://host[:port] of the endpoint ("https://huggingface.co")
  std::string cacert;            // extra CA bundle (private mirrors, tests); empty: the system store
  long connect_timeout = 30;     // seconds
  long stall_timeout = 60;       // seconds without a byte: the transfer is abandoned
  std::string user_agent;
};

struct HttpRequest {
  std::string url;
  bool head = false;
  bool follow_redirects = true;  // at most 10
  std::uint64_t range_from = 0;  // > 0: "Range: bytes=N-"
  std::string if_range;          // with range_from: the validator (ETag) the part came from
};

struct HttpResponse {
  long status = 0;                // of the last response (after redirects)
  std::map<std::string, std::string> headers;  // of the last response, names in lower case
  std::string effective_url;
  int curl_code = 0;              // CURLE_OK when the transfer completed
  std::string error;              // curl's words when it did not
  bool body_aborted = false;      // the sink stopped the transfer
};

// What a transfer hands over: `begin` once the final response's headers are
// in (status and lower-case header names), before any body byte; `body` for
// the bytes of a 2xx response. An Error from either aborts the transfer.
struct HttpHandler {
  std::function<Status(long status, const std::map<std::string, std::string>& headers)> begin;
  std::function<Status(std::span<const std::uint8_t>)> body;
};

class HttpClient {
 public:
  explicit HttpClient(HttpSettings settings);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Performs the request. Transport failures are in the response (curl_code,
  // error), not an Error; an Error means the request could not be set up or
  // the sink failed (its error is returned).
  Result<HttpResponse> perform(const HttpRequest& request, const HttpHandler& handler);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The "host[:port]" of a URL (lower case), or empty.
std::string url_host(std::string_view url);
// "scheme://host[:port]" (lower case), or empty when the URL has no scheme or host.
std::string url_origin(std::string_view url);
// Seconds to wait from a Retry-After value (delta-seconds or an HTTP date,
// relative to `now` in seconds since the epoch); nullopt when unreadable.
std::optional<std::uint64_t> parse_retry_after(std::string_view value, std::int64_t now);
// The sha256 of an X-Linked-Etag / ETag value ("\"<64 hex>\"", W/ allowed), or empty.
std::string etag_sha256(std::string_view value);
// The start of a "Content-Range: bytes A-B/C" value, nullopt when not that form.
std::optional<std::uint64_t> content_range_start(std::string_view value);
// ASCII lower case (header names, hosts, hex digits).
std::string ascii_lower(std::string_view s);
// Without the spaces, tabs, CR and LF around it (header values, list lines).
std::string_view trim_space(std::string_view s);
// A non-negative decimal header value (Content-Length, X-Linked-Size).
std::optional<std::uint64_t> parse_decimal(std::string_view value);

}  // namespace lv
