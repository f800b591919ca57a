// The pure parts of `probe`: what a response means, placeholders, URL maps.
#include <curl/curl.h>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstring>

#include "core/hashing.h"
#include "core/http.h"
#include "core/probe.h"

namespace lv {
namespace {

// Content types that say "not an image" outright (HTML error pages, JSON errors).
bool clearly_not_image(std::string_view type) {
  type = type.substr(0, type.find(';'));
  type = trim_space(type);
  if (type.empty() || type.starts_with("image/")) return false;
  return type.starts_with("text/") || type.find("html") != std::string_view::npos ||
         type.find("json") != std::string_view::npos || type.find("xml") != std::string_view::npos ||
         type.starts_with("video/") || type.starts_with("audio/");
}

ProbeVerdict verdict(ProbeClass cls, std::string detail, bool retry = false) {
  ProbeVerdict v;
  v.cls = cls;
  v.detail = std::move(detail);
  v.retry = retry;
  return v;
}

}  // namespace

std::string_view probe_class_name(ProbeClass c) {
  switch (c) {
    case ProbeClass::ok: return "ok";
    case ProbeClass::not_found: return "not_found";
    case ProbeClass::forbidden: return "forbidden";
    case ProbeClass::server_error: return "server_error";
    case ProbeClass::timeout: return "timeout";
    case ProbeClass::connection_failed: return "connection_failed";
    case ProbeClass::not_image: return "not_image";
    case ProbeClass::placeholder: return "placeholder";
    case ProbeClass::opted_out: return "opted_out";
  }
  return "?";
}

Result<std::vector<Placeholder>> parse_placeholders(std::string_view text, std::string_view name) {
  std::vector<Placeholder> out;
  std::size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    const std::size_t nl = text.find('\n');
    std::string_view line = trim_space(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (line.empty() || line.front() == '#') continue;
    auto bad = [&](std::string_view why) {
      return Error{fmt::format("{}: line {}: {} (expected \"SIZE SHA256 [LABEL]\")", name, line_no, why)};
    };
    const std::size_t sp = line.find_first_of(" \t");
    if (sp == std::string_view::npos) return bad("no sha256");
    auto size = parse_decimal(line.substr(0, sp));
    if (!size || *size == 0) return bad("the size is not a positive whole number");
    std::string_view rest = trim_space(line.substr(sp));
    const std::size_t sp2 = rest.find_first_of(" \t");
    std::string_view hex = rest.substr(0, sp2);
    if (hex.size() != 64 || !is_hex(hex)) return bad("the sha256 is not 64 hex digits");
    Placeholder p;
    p.size = *size;
    p.sha256 = ascii_lower(hex);
    p.label = sp2 == std::string_view::npos ? std::string() : std::string(trim_space(rest.substr(sp2)));
    out.push_back(std::move(p));
  }
  return out;
}

std::string map_url(std::string_view url, const std::vector<UrlMap>& maps) {
  for (const auto& m : maps) {
    if (!m.from.empty() && url.starts_with(m.from)) return m.to + std::string(url.substr(m.from.size()));
  }
  return std::string(url);
}

std::string_view image_signature(std::span<const std::uint8_t> head) {
  auto starts = [&](const char* sig, std::size_t n, std::size_t at = 0) {
    return head.size() >= at + n && std::memcmp(head.data() + at, sig, n) == 0;
  };
  if (starts("\xFF\xD8\xFF", 3)) return "jpeg";
  if (starts("\x89PNG\r\n\x1A\n", 8)) return "png";
  if (starts("GIF87a", 6) || starts("GIF89a", 6)) return "gif";
  if (starts("RIFF", 4) && starts("WEBP", 4, 8)) return "webp";
  return {};
}

bool robots_opt_out(std::string_view value) {
  // One header value per line; each is "[agent:] directive, directive...".
  while (!value.empty()) {
    const std::size_t nl = value.find('\n');
    std::string_view one = value.substr(0, nl);
    value = nl == std::string_view::npos ? std::string_view() : value.substr(nl + 1);
    std::string_view directives = one;
    if (const std::size_t colon = one.find(':'); colon != std::string_view::npos) {
      const std::string agent = ascii_lower(trim_space(one.substr(0, colon)));
      if (agent != "llava-verify" && agent != "*") continue;  // a rule for another crawler
      directives = one.substr(colon + 1);
    }
    while (!directives.empty()) {
      const std::size_t comma = directives.find(',');
      const std::string d = ascii_lower(trim_space(directives.substr(0, comma)));
      if (d == "noai" || d == "noimageai" || d == "noindex" || d == "noimageindex") return true;
      directives = comma == std::string_view::npos ? std::string_view() : directives.substr(comma + 1);
    }
  }
  return false;
}

ProbeVerdict classify_probe(const ProbeResponse& r, bool honor_robots, const std::vector<Placeholder>& placeholders) {
  const bool answered = r.status >= 200 && r.status < 300;
  // A transfer that broke after the first bytes of an image still says the URL answers.
  const bool enough_body = answered && (r.head.size() >= 16 || (r.total > 0 && r.head.size() >= r.total));
  if (!r.cut && r.curl_code != CURLE_OK && !enough_body && !(r.status >= 300 && r.curl_code == CURLE_WRITE_ERROR)) {
    const std::string why = r.curl_error.empty() ? std::string(curl_easy_strerror(static_cast<CURLcode>(r.curl_code))) : r.curl_error;
    switch (r.curl_code) {
      case CURLE_OPERATION_TIMEDOUT: return verdict(ProbeClass::timeout, why, true);
      case CURLE_TOO_MANY_REDIRECTS: return verdict(ProbeClass::server_error, "too many redirects (a loop?): " + why);
      case CURLE_UNSUPPORTED_PROTOCOL:
      case CURLE_URL_MALFORMAT:
      case CURLE_PEER_FAILED_VERIFICATION: return verdict(ProbeClass::connection_failed, why);
      default: return verdict(ProbeClass::connection_failed, why, true);
    }
  }
  if (r.status == 0) return verdict(ProbeClass::connection_failed, "no HTTP response", true);
  if (r.status == 404 || r.status == 410) return verdict(ProbeClass::not_found, fmt::format("HTTP {}", r.status));
  if (r.status == 401 || r.status == 403 || r.status == 451) return verdict(ProbeClass::forbidden, fmt::format("HTTP {}", r.status));
  if (r.status == 429) return verdict(ProbeClass::server_error, "HTTP 429 (too many requests)", true);
  if (r.status >= 500) return verdict(ProbeClass::server_error, fmt::format("HTTP {}", r.status), true);
  if (r.status >= 400) return verdict(ProbeClass::not_found, fmt::format("HTTP {}", r.status));
  if (!answered) return verdict(ProbeClass::server_error, fmt::format("HTTP {} (not followed)", r.status));
  if (honor_robots && robots_opt_out(r.robots)) {
    std::string tags = r.robots;
    std::replace(tags.begin(), tags.end(), '\n', ';');
    return verdict(ProbeClass::opted_out, "X-Robots-Tag: " + tags);
  }
  if (clearly_not_image(r.content_type)) return verdict(ProbeClass::not_image, "Content-Type: " + r.content_type);
  if (r.head.empty()) return verdict(ProbeClass::not_image, "an empty body");
  if (image_signature(r.head).empty()) {
    return verdict(ProbeClass::not_image, r.content_type.empty()
                                              ? std::string("the first bytes are not a JPEG, PNG, GIF or WebP signature")
                                              : "Content-Type: " + r.content_type + ", but the first bytes are not a JPEG, PNG, GIF or WebP signature");
  }
  ProbeVerdict v;
  v.check_placeholder = r.total > 0 && std::any_of(placeholders.begin(), placeholders.end(),
                                                    [&](const Placeholder& p) { return p.size == r.total; });
  return v;
}

}  // namespace lv
