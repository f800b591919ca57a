#include "core/fetch.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <random>
#include <set>
#include <thread>

#include <curl/curl.h>

#include "core/file_reader.h"
#include "core/fs.h"
#include "core/image_store.h"
#include "core/names.h"
#include "core/trailing_digest.h"

namespace lv {
namespace {

constexpr double kMaxDelay = 60.0;         // seconds between attempts, at most
constexpr std::uint64_t kMaxRetryAfter = 300;

std::string percent_encode_path(std::string_view path) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : path) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '/') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string replace_endpoint(const std::string& url, const std::string& endpoint) {
  if (endpoint.empty() || !url.starts_with(kDefaultEndpoint)) return url;
  const std::string_view rest = std::string_view(url).substr(kDefaultEndpoint.size());
  if (!rest.empty() && rest.front() != '/') return url;  // huggingface.co.example: another host
  std::string base = endpoint;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + std::string(rest);
}

// Empty when the folder of `path` is the destination or a real folder below it
// (no symbolic link on the way) and `path` itself, its .part and .part.etag
// are not symbolic links; otherwise why not.
std::string stays_inside(const std::string& dest, const std::string& path) {
  std::string at = path;
  bool last = true;
  while (at.size() > dest.size()) {
    for (const char* suffix : {"", ".part", ".part.etag"}) {
      if (!last && *suffix != '\0') continue;
      struct stat st{};
      const std::string p = at + suffix;
      if (::lstat(p.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
        return fmt::format("{} is a symbolic link: not followed", quote_name(p));
      }
    }
    last = false;
    const std::size_t slash = at.rfind('/');
    if (slash == std::string::npos) break;
    at.resize(slash);
  }
  return {};
}

bool retryable_curl(int code) {
  switch (code) {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_TOO_MANY_REDIRECTS:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_LOGIN_DENIED:
      return false;
    default:
      return true;
  }
}

class Fetcher {
 public:
  Fetcher(const FetchOptions& o, FetchProgress::Current* current)
      : o_(o), current_(current), client_(o.http), rng_(std::random_device{}()) {}

  FetchResult run(const FetchItem& item) {
    FetchResult r;
    if (std::string problem = image_path_problem(item.name); !problem.empty()) {
      r.detail = "not a safe name to write: " + problem;
      return r;
    }
    const std::string final_path = join_path(o_.dest, item.name);
    // Folders inside the destination are not followed through symbolic links.
    if (auto inside = stays_inside(o_.dest, final_path); !inside.empty()) {
      r.detail = inside;
      return r;
    }
    if (const std::size_t slash = final_path.rfind('/'); slash != std::string::npos) {
      if (auto made = make_directories(final_path.substr(0, slash)); !made) {
        r.detail = made.error().message;
        return r;
      }
    }
    if (already_there(item, final_path, r)) return r;
    const std::string part = final_path + ".part";
    const std::string etag_file = final_path + ".part.etag";
    for (int pass = 0; pass < 2; ++pass) {
      const bool again = download(item, part, etag_file, r);
      if ((r.state == FetchState::failed && !r.detail.empty()) || !again) break;
    }
    if (r.state == FetchState::failed && r.detail.empty()) r.detail = "the download did not verify";
    if (r.state == FetchState::failed) {
      // An empty part is worth nothing to a re-run: no litter.
      struct stat st{};
      if (::lstat(part.c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0) {
        ::unlink(part.c_str());
        ::unlink(etag_file.c_str());
      }
    }
    if (r.state == FetchState::downloaded) {
      if (::rename(part.c_str(), final_path.c_str()) != 0) {
        r.state = FetchState::failed;
        r.detail = fmt::format("{}: cannot rename into place: {}", quote_name(part), error_text(errno));
        return r;
      }
      ::unlink(etag_file.c_str());
    }
    return r;
  }

 private:
  // A file already under the final name that matches what is known.
  bool already_there(const FetchItem& item, const std::string& path, FetchResult& r) {
    struct stat st{};
    if (::lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return false;
    if (item.size && static_cast<std::uint64_t>(st.st_size) != *item.size) return false;
    if (item.sha256) {
      auto digest = hash_file(path);
      if (!digest) return false;
      if (!(*digest == *item.sha256)) {
        // A value from a single source cannot condemn a complete file: kept, with a warning.
        if (!item.unconfirmed) return false;
        r.unconfirmed_mismatch = true;
        r.detail = fmt::format("sha256 {}, the manifest's unconfirmed value is {}", digest->hex(), item.sha256->hex());
      } else {
        r.verified = true;
      }
    }
    r.state = FetchState::present;
    count_bytes(static_cast<std::int64_t>(st.st_size));
    return true;
  }

  std::optional<Digest> hash_file(const std::string& path) {
    Fd fd{::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW)};
    if (fd.fd < 0) return std::nullopt;
    AlgorithmSet set;
    set.add(Algorithm::sha256);
    hasher_.start(set);
    buf_.resize(1u << 20);
    for (;;) {
      const ssize_t n = ::read(fd.fd, buf_.data(), buf_.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return std::nullopt;
      if (n == 0) break;
      hasher_.update(buf_.data(), static_cast<std::size_t>(n));
    }
    return hasher_.finish().front();
  }

  void sleep_before(unsigned attempt, std::optional<std::uint64_t> retry_after) {
    std::uniform_real_distribution<double> jitter(0.5, 1.5);
    double delay = std::min(kMaxDelay, o_.retry_delay * std::pow(2.0, attempt) * jitter(rng_));
    if (retry_after) delay = std::max(delay, static_cast<double>(std::min(*retry_after, kMaxRetryAfter)));
    std::this_thread::sleep_for(std::chrono::duration<double>(delay));
  }

  // Downloads into `part` (continuing it where it can) and verifies it. True
  // when a resumed part failed to verify and one fresh download is worth it.
  bool download(const FetchItem& item, const std::string& part, const std::string& etag_file, FetchResult& r) {
    r.state = FetchState::failed;
    Fd fd{::open(part.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0666)};
    if (fd.fd < 0) {
      r.detail = fmt::format("{}: {}", quote_name(part), error_text(errno));
      return false;
    }
    std::string etag;
    if (auto text = read_file(etag_file)) etag = std::string(text.value().substr(0, text.value().find('\n')));
    // What is already there is kept when it can be trusted; the digest thread
    // hashes it (reading it back) while the rest arrives.
    std::uint64_t offset = 0;
    {
      struct stat st{};
      if (::fstat(fd.fd, &st) != 0) {
        r.detail = fmt::format("{}: {}", quote_name(part), error_text(errno));
        return false;
      }
      const auto have = static_cast<std::uint64_t>(st.st_size);
      // Longer than the file, or (no validator, no hash) resumed bytes could mix two versions unseen.
      const bool keep = have > 0 && !(item.size && have > *item.size) && !(etag.empty() && !item.sha256);
      if (have > 0 && !keep && ::ftruncate(fd.fd, 0) != 0) {
        r.detail = fmt::format("{}: {}", quote_name(part), error_text(errno));
        return false;
      }
      if (keep) {
        offset = have;
        r.resumed = true;
      }
    }
    TrailingDigest digest(fd.fd, Algorithm::sha256, offset);
    const std::uint64_t resumed_from = offset;
    count_bytes(static_cast<std::int64_t>(offset));
    if (::lseek(fd.fd, static_cast<off_t>(offset), SEEK_SET) < 0) {
      r.detail = fmt::format("{}: {}", quote_name(part), error_text(errno));
      return false;
    }

    std::string fatal;        // a reason not to retry
    bool fatal_drop = false;  // ... after which the part is worthless
    bool range_broken = false;
    HttpHandler handler;
    handler.begin = [&](long status, const std::map<std::string, std::string>& headers) -> Status {
      auto header = [&](const char* name) {
        auto it = headers.find(name);
        return it == headers.end() ? std::string() : it->second;
      };
      if (status == 206) {
        auto start = content_range_start(header("content-range"));
        if (!start || *start != offset) {
          range_broken = true;
          return Error{"the server answered the range request with other bytes"};
        }
      } else if (offset > 0) {
        // 200: the server sends the whole file (it ignores Range, or the file changed).
        if (::ftruncate(fd.fd, 0) != 0 || ::lseek(fd.fd, 0, SEEK_SET) != 0) return Error{error_text(errno)};
        count_bytes(-static_cast<std::int64_t>(offset));
        offset = 0;
        digest.restart();
      }
      const std::string type = header("content-type");
      if (type.starts_with("text/html") && !item.name.ends_with(".html") && !item.name.ends_with(".htm")) {
        fatal = "the server sent an HTML page, not the file";
        fatal_drop = true;
        return Error{fatal};
      }
      if (status == 200 && item.size) {
        if (auto length = parse_decimal(header("content-length")); length && *length != *item.size) {
          fatal = fmt::format("the server sends {} bytes, the manifest says {}", *length, *item.size);
          fatal_drop = true;
          return Error{fatal};
        }
      }
      if (std::string tag = header("etag"); !tag.empty() && tag != etag) {
        etag = tag;
        (void)write_file_atomic(etag_file, tag + "\n");
      }
      return {};
    };
    handler.body = [&](std::span<const std::uint8_t> bytes) -> Status {
      if (item.size && offset + bytes.size() > *item.size) {
        fatal = fmt::format("the server sends more than the {} bytes the manifest says", *item.size);
        fatal_drop = true;
        return Error{fatal};
      }
      if (auto w = write_all(fd.fd, bytes); !w) {
        fatal = fmt::format("{}: {}", quote_name(part), w.error().message);
        return Error{fatal};
      }
      offset += bytes.size();
      digest.advance(offset);
      r.received += bytes.size();
      count_bytes(static_cast<std::int64_t>(bytes.size()));
      return {};
    };

    std::string last;
    for (unsigned attempt = 0;; ++attempt) {
      if (item.size && offset == *item.size && offset > 0 && attempt == 0 && resumed_from == offset) break;  // complete already
      HttpRequest request;
      request.url = item.url;
      request.range_from = offset;
      request.if_range = offset > 0 ? etag : std::string();
      range_broken = false;
      auto response = client_.perform(request, handler);
      ++r.attempts;
      std::optional<std::uint64_t> retry_after;
      if (!fatal.empty()) {
        r.detail = fatal;
        if (fatal_drop) drop(part, etag_file);
        return false;
      }
      if (!response) {
        last = response.error().message;
      } else if (range_broken) {
        last = "the server answered the range request with other bytes";
        if (::ftruncate(fd.fd, 0) != 0 || ::lseek(fd.fd, 0, SEEK_SET) != 0) {
          r.detail = error_text(errno);
          return false;
        }
        offset = 0;
        etag.clear();
        digest.restart();
      } else {
        const HttpResponse& resp = response.value();
        if (resp.curl_code == CURLE_OK && resp.status >= 200 && resp.status < 300) {
          if (!item.size || offset == *item.size) break;
          last = fmt::format("the transfer ended at byte {} of {}", offset, *item.size);
        } else if (resp.curl_code == CURLE_OK && resp.status == 416 && item.size && offset == *item.size) {
          break;  // the part was complete
        } else if (resp.curl_code != CURLE_OK) {
          last = resp.error;
          if (!retryable_curl(resp.curl_code)) {
            r.detail = last;
            return false;
          }
        } else {
          last = fmt::format("HTTP {}", resp.status);
          if (resp.status == 401 || resp.status == 403) last += " (a token may be needed: HF_TOKEN or --token-file)";
          const bool retry = resp.status == 408 || resp.status == 429 || resp.status >= 500;
          if (resp.status == 416) {
            if (::ftruncate(fd.fd, 0) != 0 || ::lseek(fd.fd, 0, SEEK_SET) != 0) {
              r.detail = error_text(errno);
              return false;
            }
            offset = 0;
            digest.restart();
          } else if (!retry) {
            r.detail = last;
            return false;
          }
          if (auto it = resp.headers.find("retry-after"); it != resp.headers.end()) {
            retry_after = parse_retry_after(it->second, static_cast<std::int64_t>(std::time(nullptr)));
          }
        }
      }
      if (attempt >= o_.retries) {
        r.detail = o_.retries == 0 ? last : fmt::format("{} (after {} attempts)", last, attempt + 1);
        return false;
      }
      sleep_before(attempt, retry_after);
    }
    // Complete: check before the rename.
    auto hashed = digest.finish(offset);
    if (!hashed) {
      r.detail = fmt::format("{}: {}", quote_name(part), hashed.error().message);
      return false;
    }
    const Digest got = hashed.value();
    if (::fsync(fd.fd) != 0) {
      r.detail = fmt::format("{}: {}", quote_name(part), error_text(errno));
      return false;
    }
    if (item.size && offset != *item.size) {
      r.detail = fmt::format("{} bytes, the manifest says {}", offset, *item.size);
      drop(part, etag_file);
      return false;
    }
    if (item.sha256 && !(got == *item.sha256) && item.unconfirmed && resumed_from == 0) {
      r.unconfirmed_mismatch = true;
      r.detail = fmt::format("sha256 {}, the manifest's unconfirmed value is {}", got.hex(), item.sha256->hex());
    } else if (item.sha256 && !(got == *item.sha256)) {
      drop(part, etag_file);
      if (resumed_from > 0) return true;  // the old part may be what was wrong: once more from scratch
      r.detail = fmt::format("sha256 {}, the manifest says {}", got.hex(), item.sha256->hex());
      return false;
    }
    r.verified = item.sha256.has_value() && !r.unconfirmed_mismatch;
    r.state = FetchState::downloaded;
    return false;
  }

  // A part that must not be resumed: removed with its ETag.
  static void drop(const std::string& part, const std::string& etag_file) {
    ::unlink(part.c_str());
    ::unlink(etag_file.c_str());
  }

  // Bytes on disk went up (or down: a part dropped): the totals and this thread's file.
  void count_bytes(std::int64_t delta) {
    if (o_.progress != nullptr) o_.progress->bytes += static_cast<std::uint64_t>(delta);
    if (current_ != nullptr) current_->bytes += static_cast<std::uint64_t>(delta);
  }

  const FetchOptions& o_;
  FetchProgress::Current* current_;
  HttpClient client_;
  MultiHasher hasher_;
  std::vector<std::uint8_t> buf_;
  std::minstd_rand rng_;
};

}  // namespace

Result<std::vector<FetchItem>> fetch_items(const Manifest& manifest, const std::string& endpoint) {
  std::vector<FetchItem> items;
  std::set<std::string> names;
  for (const ManifestEntry& e : manifest.entries) {
    // Two entries for one file would share its .part: refused.
    const std::string normal = normalize_path(e.path);
    if (!names.insert(normal).second || names.contains(normal + ".part") ||
        (normal.ends_with(".part") && names.contains(normal.substr(0, normal.size() - 5)))) {
      return Error{fmt::format("{}: line {}: {} names the same file as another entry (or its .part)",
                               manifest_display_name(manifest.name), e.line, quote_name(e.path))};
    }
    FetchItem item;
    item.name = e.path;
    item.size = e.size;
    for (const Digest& d : e.digests) {
      if (d.algorithm == Algorithm::sha256) item.sha256 = d;
    }
    item.unconfirmed = e.unconfirmed;
    if (!e.url.empty()) {
      item.url = replace_endpoint(e.url, endpoint);
    } else if (manifest.source && !manifest.source->repository.empty() && !manifest.source->revision.empty()) {
      std::string base = endpoint.empty() ? std::string(kDefaultEndpoint) : endpoint;
      while (!base.empty() && base.back() == '/') base.pop_back();
      item.url = fmt::format("{}/{}/resolve/{}/{}", base, manifest.source->repository, manifest.source->revision,
                             percent_encode_path(e.path));
    } else {
      return Error{fmt::format("{}: line {}: {} has no 'url', and the manifest no source repository and revision to "
                               "build one from",
                               manifest_display_name(manifest.name), e.line, quote_name(e.path))};
    }
    items.push_back(std::move(item));
  }
  return items;
}

Result<std::vector<FetchResult>> fetch_all(const std::vector<FetchItem>& items, const FetchOptions& options) {
  if (auto made = make_directories(options.dest); !made) return made.error();
  std::vector<FetchResult> results(items.size());
  std::atomic<std::size_t> next{0};
  std::atomic<std::size_t> next_slot{0};
  auto work = [&] {
    const std::size_t slot = next_slot.fetch_add(1);
    FetchProgress::Current* current =
        options.progress != nullptr && slot < FetchProgress::kSlots ? &options.progress->current[slot] : nullptr;
    Fetcher fetcher(options, current);
    for (std::size_t i; (i = next.fetch_add(1)) < items.size();) {
      if (current != nullptr) {
        current->bytes = 0;
        current->item = static_cast<std::int64_t>(i);
      }
      results[i] = fetcher.run(items[i]);
      if (current != nullptr) current->item = -1;
      if (options.progress != nullptr) ++options.progress->files_done;
    }
  };
  const unsigned jobs = std::max(1u, std::min<unsigned>(options.jobs, static_cast<unsigned>(items.size())));
  {
    std::vector<std::jthread> threads;
    for (unsigned t = 1; t < jobs; ++t) threads.emplace_back(work);
    work();
  }
  return results;
}

}  // namespace lv
