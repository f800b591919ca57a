#include "core/manifest_refresh.h"

#include <curl/curl.h>

#include <fmt/format.h>

#include "core/http.h"

namespace lv {

std::vector<RefreshOutcome> refresh_manifest(Manifest& manifest, const std::vector<FetchItem>& items,
                                             const HttpSettings& http) {
  HttpClient client(http);
  std::vector<RefreshOutcome> out;
  for (std::size_t i = 0; i < manifest.entries.size() && i < items.size(); ++i) {
    ManifestEntry& e = manifest.entries[i];
    RefreshOutcome r;
    r.path = e.path;
    const Digest* pinned = nullptr;
    for (const Digest& d : e.digests) {
      if (d.algorithm == Algorithm::sha256) pinned = &d;
    }
    r.asked = !e.size || pinned == nullptr;
    if (!r.asked) {
      out.push_back(std::move(r));
      continue;
    }
    HttpRequest request;
    request.url = items[i].url;
    request.head = true;
    request.follow_redirects = false;  // the X-Linked headers are on the hub's answer
    auto response = client.perform(request, HttpHandler{});
    if (!response) {
      r.detail = response.error().message;
    } else if (response->curl_code != CURLE_OK) {
      r.detail = response->error;
    } else {
      const auto& h = response->headers;
      auto header = [&](const char* name) {
        auto it = h.find(name);
        return it == h.end() ? std::string() : it->second;
      };
      std::optional<std::uint64_t> size = parse_decimal(header("x-linked-size"));
      std::string sha = etag_sha256(header("x-linked-etag"));
      if (response->status == 200) {  // not an LFS redirect: the answer is the file itself
        if (!size) size = parse_decimal(header("content-length"));
        if (sha.empty()) sha = etag_sha256(header("etag"));
      }
      if (response->status >= 400) {
        r.detail = fmt::format("HTTP {}", response->status);
      } else if (!size && sha.empty()) {
        r.detail = fmt::format("the server gave neither a size nor a sha256 (HTTP {})", response->status);
      } else {
        std::vector<std::string> learnt, conflicts;
        if (size) {
          if (e.size && *e.size != *size) {
            conflicts.push_back(fmt::format("the server says {} bytes, the manifest pins {}", *size, *e.size));
          } else if (!e.size) {
            e.size = size;
            learnt.push_back(fmt::format("size {}", *size));
          }
        }
        if (!sha.empty()) {
          auto digest = digest_from_hex(Algorithm::sha256, sha);
          if (pinned != nullptr && digest && !(*pinned == *digest)) {
            conflicts.push_back(fmt::format("the server says sha256 {}, the manifest pins {}", sha, pinned->hex()));
          } else if (pinned == nullptr && digest) {
            e.digests.push_back(*digest);
            normalize_digests(e);
            learnt.push_back(fmt::format("sha256 {}", sha));
          }
        }
        if (!conflicts.empty()) {
          r.conflict = true;
          r.detail = conflicts.front();
          for (std::size_t k = 1; k < conflicts.size(); ++k) r.detail += "; " + conflicts[k];
        } else if (!learnt.empty()) {
          r.filled = true;
          r.detail = learnt.front();
          for (std::size_t k = 1; k < learnt.size(); ++k) r.detail += ", " + learnt[k];
          const std::string source = "read from the server on refresh (HEAD: X-Linked-Size, X-Linked-Etag)";
          e.note = e.note.empty() ? source : e.note + "; " + source;
        } else {
          r.detail = "the server gave nothing new";
        }
      }
    }
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace lv
