// Streaming message digests over OpenSSL EVP: several algorithms in one pass.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lv {

enum class Algorithm : std::uint8_t { md5, sha1, sha256, sha512, blake2b };
inline constexpr std::size_t kAlgorithmCount = 5;
inline constexpr std::size_t kMaxDigestBytes = 64;

// "md5", "sha1", "sha256", "sha512", "blake2b": the names used in options and JSON.
std::string_view algorithm_name(Algorithm a);
// "MD5", "SHA1", "SHA256", "SHA512", "BLAKE2b": the BSD tag, as coreutils writes it.
std::string_view algorithm_tag(Algorithm a);
std::size_t digest_bytes(Algorithm a);
// Case-insensitive; accepts "sha-256" style dashes too.
std::optional<Algorithm> algorithm_from_name(std::string_view name);
// Exact BSD tag (as coreutils accepts it).
std::optional<Algorithm> algorithm_from_tag(std::string_view tag);
// Strongest first: sha256 is what the release publishes, so it leads.
int algorithm_rank(Algorithm a);

// A set of algorithms as a bit mask.
class AlgorithmSet {
 public:
  AlgorithmSet() = default;
  void add(Algorithm a) { bits_ |= static_cast<std::uint8_t>(1u << static_cast<unsigned>(a)); }
  bool has(Algorithm a) const { return (bits_ >> static_cast<unsigned>(a)) & 1u; }
  bool empty() const { return bits_ == 0; }
  bool operator==(const AlgorithmSet&) const = default;

 private:
  std::uint8_t bits_ = 0;
};

struct Digest {
  Algorithm algorithm = Algorithm::sha256;
  std::uint8_t length = 0;
  std::array<std::uint8_t, kMaxDigestBytes> bytes{};

  std::string hex() const;  // lower case
  bool operator==(const Digest& o) const;
};

// Lower-case hex of bytes.
std::string to_hex(const std::uint8_t* data, std::size_t n);
inline bool is_hex_digit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
// True when `s` is all hex digits (either case).
bool is_hex(std::string_view s);
// The bytes `hex` spells (either case), when it is an even number of hex digits.
std::optional<std::string> bytes_from_hex(std::string_view hex);
// The digest `hex` spells, when it has exactly the right number of hex digits.
std::optional<Digest> digest_from_hex(Algorithm a, std::string_view hex);

// One EVP context per algorithm, reused across files (an object per worker thread).
// The digest implementations are fetched once per process, not per file.
class MultiHasher {
 public:
  MultiHasher();
  ~MultiHasher();
  MultiHasher(const MultiHasher&) = delete;
  MultiHasher& operator=(const MultiHasher&) = delete;

  void start(AlgorithmSet algorithms);
  void update(const void* data, std::size_t n);
  // Digests in the order of Algorithm values, one per algorithm started.
  std::vector<Digest> finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Convenience for tests and small inputs.
Digest digest_of(Algorithm a, std::string_view data);

}  // namespace lv
