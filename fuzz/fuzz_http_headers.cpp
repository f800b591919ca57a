// Fuzzes the HTTP header helpers that `fetch` and `manifest refresh` apply to
// server answers and manifest URLs: parse_decimal (Content-Length,
// X-Linked-Size), etag_sha256 (ETag, X-Linked-Etag), content_range_start,
// parse_retry_after, url_host and url_origin (which decide where a token may go).
// The input is a header block: each line `name: value` (or a bare value).
// Invariants:
// - parse_decimal accepts only digits (blank-trimmed), and gives their value;
// - etag_sha256 gives "" or 64 lower-case hex digits found in the value;
// - a Content-Range start is the decimal after "bytes ";
// - Retry-After never asks for more than a day;
// - url_host holds no '/', '?', '#', '@' and no upper case; url_origin is ""
//   or scheme://url_host, and where libcurl parses the URL, its host is ours:
//   a token sent by origin never goes to another host than curl connects to.
#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <string>

#include "core/http.h"
#include "fuzz_check.h"

namespace {

// The blanks lv::trim_space removes on both sides: space, tab, CR, LF.
std::string_view trim(std::string_view s) {
  auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && blank(s.back())) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The host libcurl would connect to, lower case, or nullopt when it does not parse the URL.
std::optional<std::string> curl_host(const std::string& url) {
  CURLU* u = curl_url();
  if (u == nullptr) return std::nullopt;
  std::optional<std::string> host;
  if (curl_url_set(u, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK) {
    char* h = nullptr;
    if (curl_url_get(u, CURLUPART_HOST, &h, 0) == CURLUE_OK && h != nullptr) host = lower(h);
    curl_free(h);
  }
  curl_url_cleanup(u);
  return host;
}

// "host[:port]" without the port (IPv6 literals keep their brackets).
std::string_view without_port(std::string_view host_port) {
  const std::size_t bracket = host_port.rfind(']');
  const std::size_t colon = host_port.rfind(':');
  if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket)) {
    return host_port.substr(0, colon);
  }
  return host_port;
}

std::string percent_decoded(std::string_view s) {
  auto hex = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out.push_back(static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

bool is_ip_literal(std::string_view host) {
  return host.starts_with('[') ||
         (!host.empty() && std::all_of(host.begin(), host.end(), [](char c) { return (c >= '0' && c <= '9') || c == '.'; }));
}

// RFC 3986: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
bool valid_scheme(std::string_view s) {
  if (s.empty() || !std::isalpha(static_cast<unsigned char>(s[0]))) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
  });
}

void check_value(std::string_view value) {
  const std::string_view t = trim(value);
  if (auto n = lv::parse_decimal(value)) {
    LV_FUZZ_CHECK(!t.empty() && std::all_of(t.begin(), t.end(), [](char c) { return c >= '0' && c <= '9'; }), value);
    std::uint64_t expect = 0;
    auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), expect);
    LV_FUZZ_CHECK(ec == std::errc{} && ptr == t.data() + t.size() && expect == *n, value);
  }
  const std::string sha = lv::etag_sha256(value);
  if (!sha.empty()) {
    LV_FUZZ_CHECK(sha.size() == 64, sha);
    LV_FUZZ_CHECK(std::all_of(sha.begin(), sha.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }), sha);
    LV_FUZZ_CHECK(lower(value).find(sha) != std::string::npos, sha);
  }
  if (auto start = lv::content_range_start(value)) {
    LV_FUZZ_CHECK(t.starts_with("bytes "), value);
    const std::string_view rest = t.substr(6);
    LV_FUZZ_CHECK(lv::parse_decimal(rest.substr(0, rest.find('-'))) == start, value);
  }
  for (std::int64_t now : {std::int64_t{0}, std::int64_t{1700000000}}) {
    if (auto wait = lv::parse_retry_after(value, now)) LV_FUZZ_CHECK(*wait <= 24 * 3600, value);
  }

  const std::string host = lv::url_host(value);
  LV_FUZZ_CHECK(host.find_first_of("/?#@") == std::string::npos, host);
  LV_FUZZ_CHECK(host == lower(host), host);
  const std::string origin = lv::url_origin(value);
  if (!origin.empty()) {
    LV_FUZZ_CHECK(!host.empty() && origin.ends_with("://" + host), origin);
    const std::size_t scheme = value.find("://");
    LV_FUZZ_CHECK(scheme != std::string_view::npos && origin == lower(value.substr(0, scheme)) + "://" + host, origin);
    // Where the origin could equal a token's (a well-formed scheme), curl must
    // connect to the host we compared.
    if (!valid_scheme(value.substr(0, scheme)) || value.find('\0') != std::string_view::npos) return;
    // curl writes IP literals in their canonical form ([::0] as [::], 0x7f.1 as
    // 127.0.0.1): no name to compare with a token's host.
    if (auto theirs = curl_host(std::string(value)); theirs && !is_ip_literal(*theirs)) {
      // curl decodes %XX in the host: a spelling we keep, so never a host that
      // compares equal to a token's while curl connects elsewhere.
      LV_FUZZ_CHECK(*theirs == lower(percent_decoded(without_port(host))),
                    std::string(value) + " -> ours: " + host + ", curl: " + *theirs);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = lv_fuzz::as_text(data, size);
  for (std::size_t pos = 0; pos < text.size();) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    check_value(line);
    if (const std::size_t colon = line.find(':'); colon != std::string_view::npos) check_value(line.substr(colon + 1));
  }
  return 0;
}
