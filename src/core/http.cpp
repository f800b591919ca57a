#include "core/http.h"

#include <curl/curl.h>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cctype>
#include <ctime>
#include <mutex>

#include "core/hashing.h"

namespace lv {
namespace {

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

}  // namespace

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim_space(std::string_view s) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

std::optional<std::uint64_t> parse_decimal(std::string_view value) {
  value = trim_space(value);
  if (value.empty() || value.size() > 19) return std::nullopt;
  std::uint64_t n = 0;
  for (char c : value) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return n;
}

std::string url_host(std::string_view url) {
  const std::size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return {};
  std::string_view rest = url.substr(scheme + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (const std::size_t at = rest.rfind('@'); at != std::string_view::npos) rest = rest.substr(at + 1);
  return ascii_lower(rest);
}

std::string url_origin(std::string_view url) {
  const std::size_t scheme = url.find("://");
  const std::string host = url_host(url);
  if (scheme == std::string_view::npos || scheme == 0 || host.empty()) return {};
  return ascii_lower(url.substr(0, scheme)) + "://" + host;
}

std::optional<std::uint64_t> parse_retry_after(std::string_view value, std::int64_t now) {
  value = trim_space(value);
  if (auto seconds = parse_decimal(value)) return std::min<std::uint64_t>(*seconds, 24 * 3600);
  // An HTTP date: "Wed, 21 Oct 2015 07:28:00 GMT".
  std::tm tm{};
  const std::string text(value);
  const char* end = ::strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr || *end != '\0') return std::nullopt;
  const std::int64_t when = ::timegm(&tm);
  if (when <= now) return 0;
  return std::min<std::uint64_t>(static_cast<std::uint64_t>(when - now), 24 * 3600);
}

std::string etag_sha256(std::string_view value) {
  value = trim_space(value);
  if (value.starts_with("W/")) value.remove_prefix(2);
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
  if (value.size() != 64 || !is_hex(value)) return {};
  return ascii_lower(value);
}

std::optional<std::uint64_t> content_range_start(std::string_view value) {
  value = trim_space(value);
  if (!value.starts_with("bytes ")) return std::nullopt;
  value.remove_prefix(6);
  const std::size_t dash = value.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  return parse_decimal(value.substr(0, dash));
}

struct HttpClient::Impl {
  HttpSettings settings;
  CURL* curl = nullptr;
  // Per transfer.
  const HttpHandler* handler = nullptr;
  HttpResponse* response = nullptr;
  bool begun = false;
  std::optional<Error> failure;  // from the handler
  char error_buffer[CURL_ERROR_SIZE] = {};
  // The stall rule: no byte (header or body) for settings.stall_timeout seconds.
  // curl's own low-speed rule averages over a window and fires seconds late.
  std::chrono::steady_clock::time_point last_byte;
  bool stalled = false;

  static int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    auto* self = static_cast<Impl*>(user);
    const auto idle = std::chrono::steady_clock::now() - self->last_byte;
    if (idle > std::chrono::seconds(self->settings.stall_timeout)) {
      self->stalled = true;
      return 1;  // abort the transfer
    }
    return 0;
  }

  static std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
    auto* self = static_cast<Impl*>(user);
    const std::size_t n = size * count;
    self->last_byte = std::chrono::steady_clock::now();
    std::string_view line(data, n);
    if (line.starts_with("HTTP/")) {
      self->response->headers.clear();  // a new response (after a redirect, or 100 Continue)
    } else if (const std::size_t colon = line.find(':'); colon != std::string_view::npos) {
      self->response->headers[ascii_lower(trim_space(line.substr(0, colon)))] = std::string(trim_space(line.substr(colon + 1)));
    }
    return n;
  }

  bool start_body() {
    if (begun) return true;
    begun = true;
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    response->status = status;
    if (handler->begin) {
      if (auto s = handler->begin(status, response->headers); !s) {
        failure = s.error();
        return false;
      }
    }
    return true;
  }

  static std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
    auto* self = static_cast<Impl*>(user);
    const std::size_t n = size * count;
    self->last_byte = std::chrono::steady_clock::now();
    long status = 0;
    curl_easy_getinfo(self->curl, CURLINFO_RESPONSE_CODE, &status);
    if (status < 200 || status >= 300) return n;  // error pages and redirect bodies are not the file
    if (!self->start_body()) return CURL_WRITEFUNC_ERROR;
    if (self->handler->body) {
      if (auto s = self->handler->body({reinterpret_cast<const std::uint8_t*>(data), n}); !s) {
        self->failure = s.error();
        return CURL_WRITEFUNC_ERROR;
      }
    }
    return n;
  }
};

HttpClient::HttpClient(HttpSettings settings) : impl_(std::make_unique<Impl>()) {
  global_init();
  impl_->settings = std::move(settings);
  impl_->curl = curl_easy_init();
  if (impl_->curl == nullptr) throw std::bad_alloc();
}

HttpClient::~HttpClient() { curl_easy_cleanup(impl_->curl); }

Result<HttpResponse> HttpClient::perform(const HttpRequest& request, const HttpHandler& handler) {
  CURL* c = impl_->curl;
  curl_easy_reset(c);
  HttpResponse response;
  if (request.url.find('\0') != std::string::npos) {
    // libcurl takes a C string: the URL would be cut at the NUL, another URL asked.
    response.curl_code = CURLE_URL_MALFORMAT;
    response.error = curl_easy_strerror(CURLE_URL_MALFORMAT);
    return response;
  }
  impl_->handler = &handler;
  impl_->response = &response;
  impl_->begun = false;
  impl_->failure.reset();
  impl_->error_buffer[0] = '\0';
  const HttpSettings& s = impl_->settings;

  curl_easy_setopt(c, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, impl_->error_buffer);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, request.follow_redirects ? 1L : 0L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, s.connect_timeout);
  impl_->last_byte = std::chrono::steady_clock::now();
  impl_->stalled = false;
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, &Impl::on_progress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, impl_.get());
  curl_easy_setopt(c, CURLOPT_BUFFERSIZE, 512L * 1024L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!s.cacert.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, s.cacert.c_str());
  if (!s.user_agent.empty()) curl_easy_setopt(c, CURLOPT_USERAGENT, s.user_agent.c_str());
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &Impl::on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, impl_.get());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &Impl::on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, impl_.get());
  if (request.head) curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  std::string range;
  if (request.range_from > 0) {
    range = fmt::format("{}-", request.range_from);
    curl_easy_setopt(c, CURLOPT_RANGE, range.c_str());
  }
  curl_slist* headers = nullptr;
  std::string if_range;
  if (request.range_from > 0 && !request.if_range.empty()) {
    if_range = "If-Range: " + request.if_range;
    headers = curl_slist_append(headers, if_range.c_str());
  }
  // The token goes to the endpoint's host only; curl itself never sends
  // credentials set this way to another host a redirect leads to.
  // Same scheme too: a token never goes out over http to an https endpoint's host.
  if (!s.token.empty() && !s.token_origin.empty() && url_origin(request.url) == s.token_origin) {
    curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BEARER);
    curl_easy_setopt(c, CURLOPT_XOAUTH2_BEARER, s.token.c_str());
    curl_easy_setopt(c, CURLOPT_UNRESTRICTED_AUTH, 0L);
  }
  if (headers != nullptr) curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);

  const CURLcode code = curl_easy_perform(c);
  curl_slist_free_all(headers);
  if (impl_->failure) return *impl_->failure;
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  response.status = status;
  char* effective = nullptr;
  if (curl_easy_getinfo(c, CURLINFO_EFFECTIVE_URL, &effective) == CURLE_OK && effective != nullptr) {
    response.effective_url = effective;
  }
  response.curl_code = static_cast<int>(code);
  if (code == CURLE_OK && status >= 200 && status < 300 && !impl_->begun) {
    // An empty body (or HEAD): the handler still hears of the response.
    if (!impl_->start_body()) return *impl_->failure;
  }
  if (impl_->stalled) {
    response.curl_code = static_cast<int>(CURLE_OPERATION_TIMEDOUT);
    response.error = fmt::format("no data for {} seconds (stalled)", s.stall_timeout);
  } else if (code != CURLE_OK) {
    response.error = impl_->error_buffer[0] != '\0' ? std::string(impl_->error_buffer) : std::string(curl_easy_strerror(code));
  }
  return response;
}

}  // namespace lv
