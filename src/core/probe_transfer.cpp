// What one transfer of `probe` receives and what it means: headers, the first
// bytes, the verdict, retries, and the files --fetch-missing writes (a temporary
// name, checked, then renamed). See probe_engine.h.
#include <curl/curl.h>
#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <cstring>
#include <ctime>

#include "core/atomic_file.h"
#include "core/file_reader.h"
#include "core/http.h"
#include "core/image_store.h"
#include "core/names.h"
#include "core/probe_engine.h"

namespace lv::probe_detail {

std::size_t Prober::on_header(char* data, std::size_t size, std::size_t n, void* user) {
  auto* x = static_cast<Transfer*>(user);
  std::string_view line(data, size * n);
  if (line.starts_with("HTTP/")) {
    x->reset_response();
    const std::size_t sp = line.find(' ');
    if (sp != std::string_view::npos) x->status = static_cast<long>(parse_decimal(line.substr(sp + 1, 3)).value_or(0));
    return size * n;
  }
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos) return size * n;
  const std::string name = ascii_lower(trim_space(line.substr(0, colon)));
  const std::string_view value = trim_space(line.substr(colon + 1));
  if (name == "content-type") {
    x->content_type = ascii_lower(value);
  } else if (name == "x-robots-tag") {
    if (!x->robots.empty()) x->robots += '\n';
    x->robots.append(value);
  } else if (name == "retry-after") {
    x->retry_after.assign(value);
  } else if (name == "content-length" && x->total == 0) {
    x->total = parse_decimal(value).value_or(0);
  } else if (name == "content-range") {
    if (const std::size_t slash = value.rfind('/'); slash != std::string_view::npos) {
      x->total = parse_decimal(value.substr(slash + 1)).value_or(0);
    }
  }
  return size * n;
}

std::size_t Prober::on_body(char* data, std::size_t size, std::size_t n, void* user) {
  auto* x = static_cast<Transfer*>(user);
  return x->owner->body(*x, reinterpret_cast<const std::uint8_t*>(data), size * n);
}

std::size_t Prober::body(Transfer& x, const std::uint8_t* p, std::size_t n) {
  if (x.status < 200 || x.status >= 300) {
    // An error page: its status says it all. A small one is read to its end
    // (and dropped), so that the connection can serve the next URL.
    x.body += n;
    if (x.total > 0 && x.total <= kDrainBytes && x.body <= kDrainBytes) return n;
    x.cut = true;
    return 0;
  }
  if (x.t.full) {  // hashing a placeholder candidate
    x.body += n;
    if (x.body > max_placeholder) {
      x.cut = true;
      return 0;
    }
    x.hasher->update(p, n);
    return n;
  }
  if (!x.fetching) {
    const std::size_t take = std::min(n, o.head_bytes - std::min(o.head_bytes, x.head.size()));
    x.head.insert(x.head.end(), p, p + take);
    x.body += n;
    // A 206 answer is the range asked for: read to its end, the connection
    // stays open for the next URL. A server that ignored the range is cut off.
    if (x.status != 206 && x.head.size() >= o.head_bytes) {
      x.cut = true;
      return 0;
    }
    if (x.status == 206 && x.body > o.head_bytes + kDrainBytes) {  // more than was asked for
      x.cut = true;
      return 0;
    }
    return n;
  }
  // Fetch mode: sniff the first bytes, then stream to the temporary file.
  std::size_t used = 0;
  if (x.out.get() < 0 && x.head.size() < kSniffBytes) {
    used = std::min(n, kSniffBytes - x.head.size());
    x.head.insert(x.head.end(), p, p + used);
    if (x.head.size() < kSniffBytes) {
      x.body += used;
      x.keep_tail(p, used);
      return n;
    }
    ProbeVerdict v = classify_probe(response_of(x), o.honor_robots, o.placeholders);
    if (v.cls != ProbeClass::ok) {
      x.early = std::move(v);
      x.early_verdict = true;
      x.cut = true;
      return 0;
    }
    if (!open_temp(x) || !write_out(x, x.head.data(), x.head.size())) return 0;
    x.hasher = sha256_of(x.head);
    x.body += used;
    x.keep_tail(p, used);
  }
  const std::uint8_t* rest = p + used;
  const std::size_t left = n - used;
  if (left == 0) return n;
  if (x.body + left > kMaxImageBytes) {
    x.early = ProbeVerdict{ProbeClass::not_image, fmt::format("larger than {} MiB", kMaxImageBytes >> 20)};
    x.early_verdict = true;
    x.cut = true;
    return 0;
  }
  if (!write_out(x, rest, left)) return 0;
  x.hasher->update(rest, left);
  x.body += left;
  x.keep_tail(rest, left);
  return n;
}

bool Prober::open_temp(Transfer& x) {
  const auto [dir, leaf] = split(x.t.image);
  auto fd = folders->open(dir);
  if (!fd) {
    x.local_error = fmt::format("{}: {}", quote_name(o.dest), fd.error().message);
    return false;
  }
  x.dir.reset(::fcntl(fd.value(), F_DUPFD_CLOEXEC, 0));
  if (x.dir.get() < 0) {
    x.local_error = fmt::format("{}: {}", quote_name(o.dest), error_text(errno));
    return false;
  }
  x.final_name = std::string(leaf);
  x.tmp_name = "." + x.final_name + ".lv-part";
  if (x.tmp_name.size() > NAME_MAX) x.tmp_name = fmt::format(".lv-part-{}", x.t.index);
  ::unlinkat(x.dir.get(), x.tmp_name.c_str(), 0);  // left by an interrupted run
  // SIGINT or SIGTERM removes it (registered before it exists, so at any moment);
  // SIGKILL leaves it, and the next run replaces it.
  x.temp_slot = register_temporary(join_path(o.dest, join_path(dir, x.tmp_name)));
  x.out.reset(::openat(x.dir.get(), x.tmp_name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666));
  if (x.out.get() < 0) {
    forget_temp(x);
    x.local_error = fmt::format("{}: {}", quote_name(join_path(o.dest, join_path(dir, x.tmp_name))), error_text(errno));
    return false;
  }
  return true;
}

bool Prober::write_out(Transfer& x, const std::uint8_t* p, std::size_t n) {
  if (auto s = write_all(x.out.get(), std::span<const std::uint8_t>(p, n)); !s) {
    x.local_error = fmt::format("{}: {}", quote_name(join_path(o.dest, x.t.image)), s.error().message);
    return false;
  }
  return true;
}

std::pair<std::string_view, std::string_view> Prober::split(std::string_view name) {
  const std::size_t slash = name.rfind('/');
  if (slash == std::string_view::npos) return {{}, name};
  return {name.substr(0, slash), name.substr(slash + 1)};
}

void Prober::finish(Transfer& x, CURLcode code) {
  curl_multi_remove_handle(multi, x.easy);
  --in_flight;
  if (--per_host[x.host] == 0) per_host.erase(x.host);
  ProbeResponse r = response_of(x);
  r.curl_code = code;
  r.cut = x.cut;
  // curl's own words carry timings ("after 1501 milliseconds"): the report
  // says the same thing for the same failure, whatever the timing.
  r.curl_error = curl_easy_strerror(code);
  if (!x.local_error.empty()) {
    discard(x);
    if (!fatal) fatal = Error{x.local_error};
    x.owner = nullptr;
    return;
  }
  ProbeVerdict v = x.early_verdict ? x.early : classify_probe(r, o.honor_robots, o.placeholders);
  if (x.t.full) {
    // The whole body of a placeholder candidate: its sha256 decides.
    v = ProbeVerdict{};
    if (!x.cut && code == CURLE_OK && x.status >= 200 && x.status < 300) {
      if (auto ph = placeholder(x.body, sha256_hex(*x.hasher))) v = std::move(*ph);
    }
  } else if (v.cls == ProbeClass::ok && x.fetching) {
    v = check_fetched(x, code, v);
  } else if (v.cls == ProbeClass::ok && v.check_placeholder) {
    if (x.head.size() == x.total) {
      if (auto ph = placeholder(x.total, sha256_hex(*sha256_of(x.head)))) v = std::move(*ph);
    } else {
      Target t = x.t;
      t.full = true;
      discard(x);
      x.owner = nullptr;
      queue.push_front(std::move(t));
      return;
    }
  }
  if (x.fetching && v.cls != ProbeClass::ok) discard(x);
  if (v.retry && x.t.attempt < o.retries) {
    Target t = x.t;
    double delay = o.retry_delay * static_cast<double>(1u << std::min(t.attempt, 16u));
    delay *= 0.5 + std::uniform_real_distribution<double>(0, 1)(jitter);
    if (x.status == 429 && !x.retry_after.empty()) {
      if (auto secs = parse_retry_after(x.retry_after, static_cast<std::int64_t>(std::time(nullptr)))) {
        delay = std::max(delay, std::min<double>(static_cast<double>(*secs), 60));
      }
    }
    ++t.attempt;
    t.full = false;
    retries.push({Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(delay)), retry_seq++,
                  std::move(t)});
    x.owner = nullptr;
    return;
  }
  record(x.t, v.cls, x.status, std::move(v.detail), true);
  x.owner = nullptr;
}

std::string Prober::sha256_hex(MultiHasher& h) {
  auto digests = h.finish();
  return digests.empty() ? std::string() : digests[0].hex();
}

// A SHA-256 hasher, started, fed `first` bytes.
std::unique_ptr<MultiHasher> Prober::sha256_of(std::span<const std::uint8_t> first) {
  auto h = std::make_unique<MultiHasher>();
  AlgorithmSet set;
  set.add(Algorithm::sha256);
  h->start(set);
  if (!first.empty()) h->update(first.data(), first.size());
  return h;
}

// The placeholder a whole body of `size` bytes with this sha256 is, if any.
std::optional<ProbeVerdict> Prober::placeholder(std::uint64_t size, const std::string& sha256_hex_digest) const {
  for (const auto& p : o.placeholders) {
    if (p.size == size && p.sha256 == sha256_hex_digest) {
      return ProbeVerdict{ProbeClass::placeholder, p.label.empty() ? "a known placeholder image" : p.label};
    }
  }
  return std::nullopt;
}

ProbeResponse Prober::response_of(const Transfer& x) {
  ProbeResponse r;
  r.status = x.status;
  r.content_type = x.content_type;
  r.robots = x.robots;
  r.total = x.total;
  r.head = x.head;
  return r;
}

// Fetch mode: the body is all there, is an image, and is not a placeholder;
// then the temporary file takes its final name.
ProbeVerdict Prober::check_fetched(Transfer& x, CURLcode code, ProbeVerdict v) {
  if (x.cut || code != CURLE_OK) {
    discard(x);
    v.cls = ProbeClass::connection_failed;
    v.detail = "the transfer broke before the end of the image";
    v.retry = true;
    return v;
  }
  if (x.out.get() < 0) {
    // A body shorter than the sniffed bytes: decide on what there is.
    if (x.head.empty() || image_signature(x.head).empty()) return ProbeVerdict{ProbeClass::not_image, "the body is not an image"};
    if (!open_temp(x) || !write_out(x, x.head.data(), x.head.size())) {
      if (!fatal) fatal = Error{x.local_error};
      return ProbeVerdict{ProbeClass::connection_failed, x.local_error};
    }
    x.hasher = sha256_of(x.head);
  }
  if (image_signature(x.head) == "jpeg") {
    // The end-of-image marker, allowing for a little padding after it (as `missing --deep`).
    bool eoi = false;
    for (std::size_t i = 0; i + 1 < x.tail_size; ++i) eoi = eoi || (x.tail[i] == 0xFF && x.tail[i + 1] == 0xD9);
    if (!eoi) {
      discard(x);
      return ProbeVerdict{ProbeClass::not_image, "a JPEG without its end marker (truncated?)"};
    }
  }
  if (auto ph = placeholder(x.body, sha256_hex(*x.hasher))) {
    discard(x);
    return *ph;
  }
  if (::renameat(x.dir.get(), x.tmp_name.c_str(), x.dir.get(), x.final_name.c_str()) != 0) {
    const std::string why = fmt::format("{}: {}", quote_name(join_path(o.dest, x.t.image)), error_text(errno));
    discard(x);
    if (!fatal) fatal = Error{why};
    return ProbeVerdict{ProbeClass::connection_failed, why};
  }
  x.out.reset();
  forget_temp(x);
  ++report.fetched;
  if (o.progress != nullptr) ++o.progress->fetched;
  return v;
}

void Prober::discard(Transfer& x) {
  if (x.out.get() >= 0) {
    x.out.reset();
    ::unlinkat(x.dir.get(), x.tmp_name.c_str(), 0);
  }
  forget_temp(x);
}

void Prober::forget_temp(Transfer& x) {
  if (x.temp_slot >= 0) unregister_temporary(x.temp_slot);
  x.temp_slot = -1;
}

}  // namespace lv::probe_detail
