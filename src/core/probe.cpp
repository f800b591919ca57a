// The transfer engine of `probe`: one thread, one curl multi handle, the
// metadata streamed in batches. See probe.h.
#include "core/probe.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <ctime>
#include <thread>
#include <cstring>
#include <deque>
#include <memory>
#include <queue>
#include <random>
#include <unordered_map>

#include "core/file_reader.h"
#include "core/atomic_file.h"
#include "core/fs.h"
#include "core/hashing.h"
#include "core/http.h"
#include "core/image_store.h"
#include "core/names.h"
#include "core/probe_state.h"
#include "core/records.h"

namespace lv {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::uint64_t kMaxImageBytes = 64u << 20;  // --fetch-missing: a larger body is refused
constexpr std::size_t kSniffBytes = 16;              // enough for every signature
constexpr std::uint64_t kDrainBytes = 64u << 10;     // error pages up to this size are read, not cut

struct Target {
  std::uint64_t index = 0;
  std::string id, image, url;
  unsigned attempt = 0;
  bool full = false;  // probe mode: the whole body, to hash a placeholder candidate
};

struct Prober;

struct Transfer {
  Prober* owner = nullptr;
  CURL* easy = nullptr;
  Target t;
  std::string host;
  // The final response, as it comes.
  long status = 0;
  std::string content_type, robots, retry_after;
  std::uint64_t total = 0;
  std::vector<std::uint8_t> head;
  std::uint8_t tail[64] = {};
  std::size_t tail_size = 0;
  std::uint64_t body = 0;
  bool cut = false;
  ProbeVerdict early;       // fetch mode: the verdict that cut the transfer
  bool early_verdict = false;
  // Fetch mode (or a full read): the body goes to a temporary file and/or a hash.
  bool fetching = false;
  Fd dir;  // its own descriptor of the folder: DestFolders keeps only the last one open
  std::string tmp_name, final_name;
  Fd out;
  int temp_slot = -1;  // registered for removal on SIGINT/SIGTERM
  std::unique_ptr<MultiHasher> hasher;
  std::string local_error;  // DEST could not be written: stops the run

  void reset_response() {
    status = 0;
    content_type.clear();
    robots.clear();
    retry_after.clear();
    total = 0;
  }
  void keep_tail(const std::uint8_t* p, std::size_t n) {
    if (n >= sizeof tail) {
      std::memcpy(tail, p + n - sizeof tail, sizeof tail);
      tail_size = sizeof tail;
      return;
    }
    const std::size_t keep = std::min(tail_size, sizeof tail - n);
    std::memmove(tail, tail + tail_size - keep, keep);
    std::memcpy(tail + keep, p, n);
    tail_size = keep + n;
  }
};

struct Waiting {
  Clock::time_point due;
  std::uint64_t seq;
  Target t;
  bool operator>(const Waiting& o) const { return due != o.due ? due > o.due : seq > o.seq; }
};

std::uint64_t fnv1a(std::string_view s) {
  std::uint64_t h = 1469598103934665603ull;
  for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  return h;
}

struct Prober {
  const ProbeOptions& o;
  ProbeReport report;
  CURLM* multi = nullptr;
  curl_slist* resolve = nullptr;
  int dest_fd = -1;
  std::unique_ptr<DestFolders> folders;
  ProbeState state;
  std::deque<Target> queue;
  std::unordered_map<std::string, std::deque<Target>> blocked;  // host -> waiting for a slot
  std::size_t blocked_count = 0;
  std::unordered_map<std::string, unsigned> per_host;
  std::priority_queue<Waiting, std::vector<Waiting>, std::greater<>> retries;
  std::uint64_t retry_seq = 0;
  unsigned in_flight = 0;
  std::vector<std::unique_ptr<Transfer>> pool;
  std::mt19937_64 jitter{0x1a4a};
  std::optional<Error> fatal;
  std::size_t max_placeholder = 0;

  explicit Prober(const ProbeOptions& options) : o(options) {
    for (const auto& p : o.placeholders) max_placeholder = std::max<std::size_t>(max_placeholder, p.size);
  }
  ~Prober() {
    for (auto& t : pool) {
      discard(*t);  // a run stopped by an error leaves no temporary file
      if (t->easy != nullptr) curl_easy_cleanup(t->easy);
    }
    if (multi != nullptr) curl_multi_cleanup(multi);
    curl_slist_free_all(resolve);
    folders.reset();
    if (dest_fd >= 0) ::close(dest_fd);
  }
  Prober(const Prober&) = delete;
  Prober& operator=(const Prober&) = delete;

  Status start() {
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

  // --- feeding ------------------------------------------------------------

  void add(const Record& r) {
    ++report.records;
    if (r.url.empty() || r.image_kind == ImageKind::duplicate) {
      ++report.without_url;
      return;
    }
    std::string image(r.image);
    if (o.only != nullptr) {
      const std::string key = is_normal_path(image) ? image : normalize_path(image);
      if (o.only->find(key).second == nullptr) {
        ++report.skipped;
        return;
      }
    }
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

  bool present_in_dest(const std::string& image) {
    struct stat st{};
    return ::fstatat(dest_fd, image.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) && st.st_size > 0;
  }

  std::size_t backlog() const { return queue.size() + blocked_count + retries.size(); }

  // --- outcomes -----------------------------------------------------------

  void record(const Target& t, ProbeClass cls, long http_status, std::string detail, bool to_state) {
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

  // --- transfers ----------------------------------------------------------

  static std::size_t on_header(char* data, std::size_t size, std::size_t n, void* user) {
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
    std::string name(line.substr(0, colon));
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) value.remove_suffix(1);
    if (name == "content-type") {
      x->content_type.assign(value);
      for (char& c : x->content_type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
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

  static std::size_t on_body(char* data, std::size_t size, std::size_t n, void* user) {
    auto* x = static_cast<Transfer*>(user);
    return x->owner->body(*x, reinterpret_cast<const std::uint8_t*>(data), size * n);
  }

  std::size_t body(Transfer& x, const std::uint8_t* p, std::size_t n) {
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

  bool open_temp(Transfer& x) {
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

  bool write_out(Transfer& x, const std::uint8_t* p, std::size_t n) {
    if (auto s = write_all(x.out.get(), std::span<const std::uint8_t>(p, n)); !s) {
      x.local_error = fmt::format("{}: {}", quote_name(join_path(o.dest, x.t.image)), s.error().message);
      return false;
    }
    return true;
  }

  static std::pair<std::string_view, std::string_view> split(std::string_view name) {
    const std::size_t slash = name.rfind('/');
    if (slash == std::string_view::npos) return {{}, name};
    return {name.substr(0, slash), name.substr(slash + 1)};
  }

  Transfer& take_transfer() {
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

  void launch(Target t) {
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
  void start_ready() {
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

  void finish(Transfer& x, CURLcode code) {
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

  static std::string sha256_hex(MultiHasher& h) {
    auto digests = h.finish();
    return digests.empty() ? std::string() : digests[0].hex();
  }

  // A SHA-256 hasher, started, fed `first` bytes.
  static std::unique_ptr<MultiHasher> sha256_of(std::span<const std::uint8_t> first = {}) {
    auto h = std::make_unique<MultiHasher>();
    AlgorithmSet set;
    set.add(Algorithm::sha256);
    h->start(set);
    if (!first.empty()) h->update(first.data(), first.size());
    return h;
  }

  // The placeholder a whole body of `size` bytes with this sha256 is, if any.
  std::optional<ProbeVerdict> placeholder(std::uint64_t size, const std::string& sha256_hex_digest) const {
    for (const auto& p : o.placeholders) {
      if (p.size == size && p.sha256 == sha256_hex_digest) {
        return ProbeVerdict{ProbeClass::placeholder, p.label.empty() ? "a known placeholder image" : p.label};
      }
    }
    return std::nullopt;
  }

  static ProbeResponse response_of(const Transfer& x) {
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
  ProbeVerdict check_fetched(Transfer& x, CURLcode code, ProbeVerdict v) {
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

  void discard(Transfer& x) {
    if (x.out.get() >= 0) {
      x.out.reset();
      ::unlinkat(x.dir.get(), x.tmp_name.c_str(), 0);
    }
    forget_temp(x);
  }

  static void forget_temp(Transfer& x) {
    if (x.temp_slot >= 0) unregister_temporary(x.temp_slot);
    x.temp_slot = -1;
  }

  // Runs transfers until the backlog is low enough to take another batch, or
  // (drain) until everything is done.
  Status pump(bool drain) {
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
};

}  // namespace

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
      if (options.only != nullptr) {
        const std::string image(r.image);
        if (options.only->find(is_normal_path(image) ? image : normalize_path(image)).second == nullptr) continue;
      }
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
