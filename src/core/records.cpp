#include "core/records.h"

#include <fcntl.h>
#include <simdjson.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "core/file_reader.h"
#include "core/names.h"
#include "core/record_batch.h"

namespace lv {
namespace {

namespace od = simdjson::ondemand;


// The bytes of the input that are in memory: [base, base + data.size()).
class Window {
 public:
  Window(int fd, std::string_view whole, std::size_t block) : fd_(fd), block_(block) {
    if (fd_ < 0) {
      view_ = whole;
      eof_ = true;
    }
  }

  std::uint64_t base() const { return base_; }
  std::uint64_t limit() const { return base_ + bytes().size(); }
  bool eof() const { return eof_; }
  std::string_view bytes() const { return fd_ < 0 ? view_ : std::string_view(buf_); }
  char at(std::uint64_t pos) const { return bytes()[pos - base_]; }
  std::string_view slice(std::uint64_t from, std::uint64_t to) const { return bytes().substr(from - base_, to - from); }

  // Reads one more block, first dropping what lies before `keep_from`, which
  // has `lines_before` newlines before it (the scanner counted them).
  Status more(std::uint64_t keep_from, std::uint64_t lines_before) {
    if (eof_) return {};
    std::size_t drop = static_cast<std::size_t>(keep_from - base_);
    lines_dropped_ = lines_before;
    buf_.erase(0, drop);
    base_ = keep_from;
    std::size_t old = buf_.size();
    buf_.resize(old + block_);
    for (;;) {
      ssize_t n = ::read(fd_, buf_.data() + old, block_);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        buf_.resize(old);
        return Error{error_text(errno)};
      }
      buf_.resize(old + static_cast<std::size_t>(n));
      if (n == 0) eof_ = true;
      return {};
    }
  }

  // 1-based line of a position inside the window.
  std::uint64_t line_of(std::uint64_t pos) const {
    auto b = bytes();
    std::size_t upto = static_cast<std::size_t>(std::min(pos, limit()) - base_);
    return lines_dropped_ + static_cast<std::uint64_t>(std::count(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(upto), '\n')) + 1;
  }

 private:
  int fd_;
  std::size_t block_;
  std::string buf_;
  std::string_view view_;
  std::uint64_t base_ = 0;
  std::uint64_t lines_dropped_ = 0;
  bool eof_ = false;
};

class Scanner {
 public:
  // Cuts the input into batches of whole records, handed to `sink` in order.
  Scanner(int fd, std::string_view text, std::string_view name, const ScanOptions& options, const BatchSink& sink)
      : window_(fd, text, options.read_block), name_(name), options_(options), sink_(sink) {}

  Status run();

 private:
  enum class Need { done, more, error };

  Error error_at(std::uint64_t pos, std::string_view what) const {
    return Error{fmt::format("{}: byte {} (line {}): {}", name_, pos, window_.line_of(pos), what)};
  }
  // Makes byte `pos` available; false at the end of the input.
  Result<bool> have(std::uint64_t pos) {
    while (pos >= window_.limit()) {
      if (window_.eof()) return false;
      if (auto s = window_.more(batch_begin_, lines_before_); !s) return Error{fmt::format("{}: {}", name_, s.error().message)};
    }
    return true;
  }
  Result<std::uint64_t> skip_ws(std::uint64_t pos) {
    for (;;) {
      auto h = have(pos);
      if (!h) return h.error();
      if (!h.value()) return pos;
      std::string_view rest = window_.bytes().substr(static_cast<std::size_t>(pos - window_.base()));
      std::size_t i = 0;
      while (i < rest.size() && is_json_space(rest[i])) ++i;
      pos += i;
      if (i < rest.size()) return pos;
      // White space is kept in memory until the batch it belongs to is handed
      // over: bound it like a record.
      if (pos - batch_begin_ > options_.max_record_bytes + options_.batch_bytes) {
        return error_at(pos, fmt::format("more than {} MB of white space", options_.max_record_bytes >> 20));
      }
    }
  }
  Result<std::uint64_t> scan_element(std::uint64_t begin);
  Result<std::uint64_t> scan_container(std::uint64_t begin);
  Status flush(std::uint64_t text_end, bool last);
  Status cut();

  Window window_;
  std::string_view name_;
  const ScanOptions& options_;
  const BatchSink& sink_;
  std::uint64_t batch_begin_ = 0;
  std::uint64_t next_index_ = 0;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> spans_;  // records of the batch
  bool first_batch_ = true;
  std::uint64_t lines_before_ = 0;  // newlines before batch_begin_
  bool sink_failed_ = false;
};

// Byte classes for the scanner's loop outside strings.
enum : unsigned char { kOther = 0, kQuote, kOpen, kClose, kComma, kSpace };
constexpr auto kClass = [] {
  std::array<unsigned char, 256> t{};
  t['"'] = kQuote;
  t['{'] = t['['] = kOpen;
  t['}'] = t[']'] = kClose;
  t[','] = kComma;
  t[' '] = t['\n'] = t['\r'] = t['\t'] = kSpace;
  return t;
}();

// 64 bytes at a time: bit i of each mask is byte i of the block.
struct BlockMasks {
  std::uint64_t quote, backslash, open, close;
};

#if defined(__SSE2__)
inline BlockMasks block_masks(const char* p) {
  BlockMasks m{0, 0, 0, 0};
  for (int k = 0; k < 4; ++k) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * k));
    auto bits = [&](char c) {
      return static_cast<std::uint64_t>(static_cast<std::uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(c)))));
    };
    const int shift = 16 * k;
    m.quote |= bits('"') << shift;
    m.backslash |= bits('\\') << shift;
    m.open |= (bits('{') | bits('[')) << shift;
    m.close |= (bits('}') | bits(']')) << shift;
  }
  return m;
}
#else
inline BlockMasks block_masks(const char* p) {
  BlockMasks m{0, 0, 0, 0};
  for (int i = 0; i < 64; ++i) {
    const std::uint64_t bit = std::uint64_t{1} << i;
    switch (p[i]) {
      case '"': m.quote |= bit; break;
      case '\\': m.backslash |= bit; break;
      case '{': case '[': m.open |= bit; break;
      case '}': case ']': m.close |= bit; break;
      default: break;
    }
  }
  return m;
}
#endif

// Bit i set when an odd number of bits at or below i are set in x.
inline std::uint64_t prefix_xor(std::uint64_t x) {
  x ^= x << 1;
  x ^= x << 2;
  x ^= x << 4;
  x ^= x << 8;
  x ^= x << 16;
  x ^= x << 32;
  return x;
}

// The end of an object or array starting at `begin`, 64 bytes at a time: the
// quotes that are not escaped delimit the strings (a prefix XOR gives the bytes
// inside them), and the brackets outside strings are counted. The state that
// crosses a block boundary is three numbers (inside a string, the next byte
// escaped, the depth), so the window may be refilled between blocks.
Result<std::uint64_t> Scanner::scan_container(std::uint64_t begin) {
  std::uint64_t pos = begin;
  std::int64_t depth = 0;
  std::uint64_t in_string = 0;    // all ones inside a string
  std::uint64_t next_escaped = 0;  // 1: the block's first byte is escaped
  alignas(64) char tail[64];
  const char* window = nullptr;  // byte `pos` is window[pos]; valid up to `ready`
  std::uint64_t ready = 0;
  for (;;) {
    if (pos - begin > options_.max_record_bytes) {
      return error_at(begin, fmt::format("record {} is larger than {} MB", next_index_, options_.max_record_bytes >> 20));
    }
    std::size_t len = 64;
    const char* block;
    if (pos + 64 <= ready) {
      block = window + pos;
    } else if (auto h = have(pos + 63); !h) {
      return h.error();
    } else if (h.value()) {
      window = window_.bytes().data() - window_.base();
      ready = window_.limit();
      block = window + pos;
    } else {
      // The last bytes of the input: a padded copy, its extra bytes masked off.
      if (pos >= window_.limit()) return error_at(pos, fmt::format("the file ends inside record {} (truncated?)", next_index_));
      len = static_cast<std::size_t>(window_.limit() - pos);
      std::memset(tail, ' ', sizeof tail);
      std::memcpy(tail, window_.bytes().data() + (pos - window_.base()), len);
      block = tail;
    }
    BlockMasks m = block_masks(block);
    // Escaped bytes: each backslash that is not itself escaped escapes the next byte.
    std::uint64_t escaped = next_escaped;
    next_escaped = 0;
    for (std::uint64_t b = m.backslash & ~escaped; b != 0;) {
      const int i = __builtin_ctzll(b);
      b &= b - 1;
      if (i == 63) {
        next_escaped = 1;
        break;
      }
      const std::uint64_t follower = std::uint64_t{1} << (i + 1);
      escaped |= follower;
      b &= ~follower;
    }
    const std::uint64_t inside = prefix_xor(m.quote & ~escaped) ^ in_string;
    in_string = static_cast<std::uint64_t>(0) - (inside >> 63);
    std::uint64_t brackets = (m.open | m.close) & ~inside;
    if (len < 64) brackets &= (std::uint64_t{1} << len) - 1;
    while (brackets != 0) {
      const int i = __builtin_ctzll(brackets);
      brackets &= brackets - 1;
      if ((m.open >> i) & 1) {
        ++depth;
      } else if (--depth == 0) {
        return pos + static_cast<std::uint64_t>(i) + 1;
      }
    }
    if (len < 64) return error_at(pos + len, fmt::format("the file ends inside record {} (truncated?)", next_index_));
    pos += 64;
  }
}

// Finds the end of the top-level element starting at `begin`: strings are
// skipped with memchr, brackets counted (no recursion, so nesting depth costs
// nothing here; the batch parse bounds it). Works on raw pointers over the
// window and refills only when it runs out of bytes.
Result<std::uint64_t> Scanner::scan_element(std::uint64_t begin) {
  std::uint64_t pos = begin;
  std::int64_t depth = 0;
  bool in_string = false;
  for (;;) {
    if (pos - begin > options_.max_record_bytes) {
      return error_at(begin, fmt::format("record {} is larger than {} MB", next_index_, options_.max_record_bytes >> 20));
    }
    auto h = have(pos);
    if (!h) return h.error();
    if (!h.value()) return error_at(pos, fmt::format("the file ends inside record {} (truncated?)", next_index_));
    // Pointers are valid until the next refill.
    const char* origin = window_.bytes().data() - window_.base();  // origin + offset = byte at offset
    const char* p = origin + pos;
    const char* const end = origin + window_.limit();
    const char* const first = origin + begin;
    while (p < end) {
      if (in_string) {
        const auto* q = static_cast<const char*>(std::memchr(p, '"', static_cast<std::size_t>(end - p)));
        if (q == nullptr) {
          p = end;
          break;
        }
        // Escaped when preceded by an odd run of backslashes (within the element).
        const char* b = q;
        while (b > first && b[-1] == '\\') --b;
        p = q + 1;
        if ((q - b) % 2 == 0) {
          in_string = false;
          if (depth == 0) return static_cast<std::uint64_t>(p - origin);
        }
        continue;
      }
      while (p < end && kClass[static_cast<unsigned char>(*p)] == kOther) ++p;
      if (p == end) break;
      switch (kClass[static_cast<unsigned char>(*p)]) {
        case kQuote:
          in_string = true;
          ++p;
          break;
        case kOpen:
          ++depth;
          ++p;
          break;
        case kClose:
          if (depth == 0) return static_cast<std::uint64_t>(p - origin);  // the array's ']' after a scalar
          ++p;
          if (--depth == 0) return static_cast<std::uint64_t>(p - origin);
          break;
        default:  // comma or white space
          if (depth == 0) return static_cast<std::uint64_t>(p - origin);  // the end of a scalar
          ++p;
      }
    }
    pos = static_cast<std::uint64_t>(p - origin);
  }
}

Status Scanner::run() {
  Status s = cut();
  if (!s && !spans_.empty() && !sink_failed_) {
    // The records cut before the problem are parsed first: an error in them
    // comes earlier in the file, and is the one to report.
    if (auto f = flush(spans_.back().second, false); !f) return f;
  }
  return s;
}

Status Scanner::cut() {
  auto start = skip_ws(0);
  if (!start) return start.error();
  std::uint64_t pos = start.value();
  auto h = have(pos);
  if (!h) return h.error();
  if (!h.value()) return error_at(pos, "empty file: expected a JSON array of records");
  if (window_.at(pos) == '\xEF') {
    return error_at(pos, "a UTF-8 byte order mark: JSON must not start with one (RFC 8259)");
  }
  if (window_.at(pos) != '[') {
    const char c = window_.at(pos);
    return error_at(pos, fmt::format("expected '[' (a JSON array of records), found {}",
                                     c >= 0x20 && c < 0x7f ? fmt::format("'{}'", c)
                                                           : fmt::format("byte 0x{:02x}", static_cast<unsigned char>(c))));
  }
  auto p = skip_ws(pos + 1);
  if (!p) return p.error();
  pos = p.value();
  if (!(h = have(pos))) return h.error();
  if (!h.value()) return error_at(pos, "the file ends inside the array (truncated?)");
  bool closed = window_.at(pos) == ']';
  while (!closed) {
    std::uint64_t begin = pos;
    const char open = window_.at(pos);
    auto end = open == '{' || open == '[' ? scan_container(begin) : scan_element(begin);
    if (!end) return end.error();
    if (end.value() == begin) {  // `[,` or `,,`: no value where a record should start
      return error_at(begin, fmt::format("expected record {}, found '{}'", next_index_, window_.at(begin)));
    }
    if (end.value() - begin > options_.max_record_bytes) {
      return error_at(begin, fmt::format("record {} is larger than {} MB", next_index_, options_.max_record_bytes >> 20));
    }
    spans_.emplace_back(begin, end.value());
    ++next_index_;
    auto sep = skip_ws(end.value());
    if (!sep) return sep.error();
    pos = sep.value();
    if (!(h = have(pos)) || !h.value()) {
      if (!h) return h.error();
      return error_at(pos, "the file ends inside the array (truncated?)");
    }
    char c = window_.at(pos);
    if (c == ']') {
      closed = true;
      break;
    }
    if (c != ',') return error_at(pos, fmt::format("expected ',' or ']' after record {}", next_index_ - 1));
    auto next = skip_ws(pos + 1);
    if (!next) return next.error();
    pos = next.value();
    if (!(h = have(pos)) || !h.value()) {
      if (!h) return h.error();
      return error_at(pos, "the file ends inside the array (truncated?)");
    }
    if (window_.at(pos) == ']') return error_at(pos, "a trailing comma after the last record");
    if (pos - batch_begin_ >= options_.batch_bytes) {
      if (auto s = flush(pos, false); !s) return s;
    }
  }
  auto tail = skip_ws(pos + 1);
  if (!tail) return tail.error();
  if (!(h = have(tail.value()))) return h.error();
  if (h.value()) return error_at(tail.value(), "content after the end of the array");
  return flush(tail.value(), true);
}

Status Scanner::flush(std::uint64_t text_end, bool last) {
  PendingBatch batch;
  batch.begin = batch_begin_;
  batch.assign(window_.slice(batch_begin_, text_end));
  batch.lines_before = lines_before_;
  const std::string_view t = batch.text();
  lines_before_ += static_cast<std::uint64_t>(std::count(t.begin(), t.end(), '\n'));
  batch.first = first_batch_;
  batch.last = last;
  batch.first_index = next_index_ - spans_.size();
  batch.spans.swap(spans_);
  spans_.clear();
  batch_begin_ = text_end;
  first_batch_ = false;
  Status s = sink_(std::move(batch));
  sink_failed_ = !s.ok();
  return s;
}

}  // namespace

Status scan_records_in(std::string_view text, std::string_view name, const ScanOptions& options,
                       const BatchHandler& on_batch) {
  BatchParser parser(name, options);
  BatchSink sink = [&](PendingBatch&& b) { return parser.hand_over(b, on_batch); };
  return Scanner(-1, text, name, options, sink).run();
}

namespace {

// A file is cut into batches on a thread of its own while the caller's thread
// parses the batches and runs the handler: the two halves of the work overlap.
// At most kInFlight batches wait between them. Errors come out in file order:
// a batch the cutter handed over is parsed before the cutter's own error.
class Pipeline {
 public:
  static constexpr std::size_t kInFlight = 2;

  // Cutter side: false once the consumer stopped (the cutter then stops too).
  bool push(PendingBatch&& b) {
    std::unique_lock lock(mu_);
    space_.wait(lock, [&] { return queue_.size() < kInFlight || stopped_; });
    if (stopped_) return false;
    queue_.push_back(std::move(b));
    ready_.notify_one();
    return true;
  }
  void finish(Status s) {
    std::lock_guard lock(mu_);
    done_ = true;
    result_ = std::move(s);
    ready_.notify_one();
  }
  // Consumer side.
  std::optional<PendingBatch> pop() {
    std::unique_lock lock(mu_);
    ready_.wait(lock, [&] { return !queue_.empty() || done_; });
    if (queue_.empty()) return std::nullopt;
    PendingBatch b = std::move(queue_.front());
    queue_.pop_front();
    space_.notify_one();
    return b;
  }
  void stop() {
    std::lock_guard lock(mu_);
    stopped_ = true;
    space_.notify_all();
  }
  Status result() {
    std::lock_guard lock(mu_);
    return result_;
  }

 private:
  std::mutex mu_;
  std::condition_variable ready_, space_;
  std::deque<PendingBatch> queue_;
  bool done_ = false;
  bool stopped_ = false;
  Status result_;
};

}  // namespace

Status scan_records(const std::string& path, const ScanOptions& options, const BatchHandler& on_batch) {
  const bool stdin_input = path == "-";
  int fd = stdin_input ? 0 : ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  const std::string name = quote_name(stdin_input ? "standard input" : path);
  if (fd < 0) return Error{fmt::format("{}: {}", name, error_text(errno))};
  BatchParser parser(name, options);
  Status result;
  if (!options.overlap) {
    const BatchSink sink = [&](PendingBatch&& b) { return parser.hand_over(b, on_batch); };
    result = Scanner(fd, {}, name, options, sink).run();
  } else {
    Pipeline pipe;
    const BatchSink sink = [&](PendingBatch&& b) -> Status {
      if (!pipe.push(std::move(b))) return Error{"stopped"};  // the consumer failed: its error is the one reported
      return {};
    };
    std::thread cutter([&] { pipe.finish(Scanner(fd, {}, name, options, sink).run()); });
    while (auto batch = pipe.pop()) {
      if (auto s = parser.hand_over(*batch, on_batch); !s) {
        result = s;
        break;
      }
    }
    pipe.stop();
    cutter.join();
    if (result) result = pipe.result();
  }
  if (!stdin_input) ::close(fd);
  return result;
}

}  // namespace lv
