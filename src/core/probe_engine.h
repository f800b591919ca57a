// The transfer engine of `probe` (probe.h), shared by its two files: probe.cpp
// (feeding the metadata, scheduling, the multi loop) and probe_transfer.cpp (what
// one transfer receives, what it means, and the files --fetch-missing writes).
// Internal: nothing outside the probe includes it.
#pragma once

#include <curl/curl.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <queue>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/fs.h"
#include "core/hashing.h"
#include "core/probe.h"
#include "core/probe_state.h"
#include "core/records.h"

namespace lv::probe_detail {

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

// Whether --only (if given) names this image (compared in its normal form).
bool selected(const ProbeOptions& o, std::string_view image);

// FNV-1a: ties a state-file line to its URL.
std::uint64_t fnv1a(std::string_view s);

// One probe run: a curl multi handle on the calling thread.
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

  explicit Prober(const ProbeOptions& options);
  ~Prober();
  Prober(const Prober&) = delete;
  Prober& operator=(const Prober&) = delete;

  Status start();

  // --- feeding ------------------------------------------------------------

  void add(const Record& r);

  bool present_in_dest(const std::string& image);

  std::size_t backlog() const { return queue.size() + blocked_count + retries.size(); }

  // --- outcomes -----------------------------------------------------------

  void record(const Target& t, ProbeClass cls, long http_status, std::string detail, bool to_state);

  // --- transfers ----------------------------------------------------------

  static std::size_t on_header(char* data, std::size_t size, std::size_t n, void* user);

  static std::size_t on_body(char* data, std::size_t size, std::size_t n, void* user);

  std::size_t body(Transfer& x, const std::uint8_t* p, std::size_t n);

  bool open_temp(Transfer& x);

  bool write_out(Transfer& x, const std::uint8_t* p, std::size_t n);

  static std::pair<std::string_view, std::string_view> split(std::string_view name);

  Transfer& take_transfer();

  void launch(Target t);

  // Starts what may start: due retries, then hosts that had to wait, then the queue.
  void start_ready();

  void finish(Transfer& x, CURLcode code);

  static std::string sha256_hex(MultiHasher& h);

  // A SHA-256 hasher, started, fed `first` bytes.
  static std::unique_ptr<MultiHasher> sha256_of(std::span<const std::uint8_t> first = {});

  // The placeholder a whole body of `size` bytes with this sha256 is, if any.
  std::optional<ProbeVerdict> placeholder(std::uint64_t size, const std::string& sha256_hex_digest) const;

  static ProbeResponse response_of(const Transfer& x);

  // Fetch mode: the body is all there, is an image, and is not a placeholder;
  // then the temporary file takes its final name.
  ProbeVerdict check_fetched(Transfer& x, CURLcode code, ProbeVerdict v);

  void discard(Transfer& x);

  static void forget_temp(Transfer& x);

  // Runs transfers until the backlog is low enough to take another batch, or
  // (drain) until everything is done.
  Status pump(bool drain);
};

}  // namespace lv::probe_detail
