#include "core/hashing.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace lv {
namespace {

struct AlgorithmInfo {
  std::string_view name;
  std::string_view tag;
  const char* openssl_name;
  std::size_t bytes;
};

constexpr std::array<AlgorithmInfo, kAlgorithmCount> kInfo{{
    {"md5", "MD5", "MD5", 16},
    {"sha1", "SHA1", "SHA1", 20},
    {"sha256", "SHA256", "SHA256", 32},
    {"sha512", "SHA512", "SHA512", 64},
    {"blake2b", "BLAKE2b", "BLAKE2B-512", 64},
}};

const AlgorithmInfo& info(Algorithm a) { return kInfo[static_cast<std::size_t>(a)]; }

// Fetched once: with OpenSSL 3 an implicit fetch per EVP_DigestInit costs more
// than hashing a small file.
struct FetchedDigests {
  std::array<EVP_MD*, kAlgorithmCount> md{};
  FetchedDigests() {
    for (std::size_t i = 0; i < kAlgorithmCount; ++i) {
      md[i] = EVP_MD_fetch(nullptr, kInfo[i].openssl_name, nullptr);
    }
  }
  ~FetchedDigests() {
    for (auto* m : md) EVP_MD_free(m);
  }
  FetchedDigests(const FetchedDigests&) = delete;
  FetchedDigests& operator=(const FetchedDigests&) = delete;
};

const EVP_MD* fetched(Algorithm a) {
  static const FetchedDigests digests;
  const EVP_MD* md = digests.md[static_cast<std::size_t>(a)];
  if (md == nullptr) {
    throw std::runtime_error("OpenSSL does not provide " + std::string(info(a).openssl_name));
  }
  return md;
}

}  // namespace

std::string_view algorithm_name(Algorithm a) { return info(a).name; }
std::string_view algorithm_tag(Algorithm a) { return info(a).tag; }
std::size_t digest_bytes(Algorithm a) { return info(a).bytes; }

std::optional<Algorithm> algorithm_from_name(std::string_view name) {
  std::string folded;
  for (char c : name) {
    if (c != '-' && c != '_') folded.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  if (folded == "blake2b512") folded = "blake2b";
  for (std::size_t i = 0; i < kAlgorithmCount; ++i) {
    if (kInfo[i].name == folded) return static_cast<Algorithm>(i);
  }
  return std::nullopt;
}

std::optional<Algorithm> algorithm_from_tag(std::string_view tag) {
  for (std::size_t i = 0; i < kAlgorithmCount; ++i) {
    if (kInfo[i].tag == tag) return static_cast<Algorithm>(i);
  }
  return std::nullopt;
}

int algorithm_rank(Algorithm a) {
  switch (a) {
    case Algorithm::sha256: return 0;
    case Algorithm::sha512: return 1;
    case Algorithm::blake2b: return 2;
    case Algorithm::sha1: return 3;
    case Algorithm::md5: return 4;
  }
  return 5;
}

std::string to_hex(const std::uint8_t* data, std::size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(n * 2, '0');
  for (std::size_t i = 0; i < n; ++i) {
    out[2 * i] = kDigits[data[i] >> 4];
    out[2 * i + 1] = kDigits[data[i] & 0xf];
  }
  return out;
}

bool is_hex(std::string_view s) {
  for (char c : s) {
    if (!is_hex_digit(c)) return false;
  }
  return true;
}

namespace {

constexpr auto kNibble = [] {
  std::array<std::uint8_t, 256> t{};
  for (int c = 0; c < 10; ++c) t[static_cast<std::size_t>('0' + c)] = static_cast<std::uint8_t>(c);
  for (int c = 0; c < 6; ++c) {
    t[static_cast<std::size_t>('a' + c)] = static_cast<std::uint8_t>(10 + c);
    t[static_cast<std::size_t>('A' + c)] = static_cast<std::uint8_t>(10 + c);
  }
  return t;
}();

// Decodes hex.size() / 2 bytes; the caller has checked the digits.
void decode_hex(std::string_view hex, std::uint8_t* out) {
  auto nibble = [](char c) { return kNibble[static_cast<unsigned char>(c)]; };
  for (std::size_t i = 0; i < hex.size() / 2; ++i) {
    out[i] = static_cast<std::uint8_t>(nibble(hex[2 * i]) << 4 | nibble(hex[2 * i + 1]));
  }
}

}  // namespace

std::optional<std::string> bytes_from_hex(std::string_view hex) {
  if (hex.size() % 2 != 0 || !is_hex(hex)) return std::nullopt;
  std::string out(hex.size() / 2, '\0');
  decode_hex(hex, reinterpret_cast<std::uint8_t*>(out.data()));
  return out;
}

std::optional<Digest> digest_from_hex(Algorithm a, std::string_view hex) {
  if (hex.size() != digest_bytes(a) * 2 || !is_hex(hex)) return std::nullopt;
  Digest d;
  d.algorithm = a;
  d.length = static_cast<std::uint8_t>(hex.size() / 2);
  decode_hex(hex, d.bytes.data());
  return d;
}

std::string Digest::hex() const { return to_hex(bytes.data(), length); }

bool Digest::operator==(const Digest& o) const {
  return algorithm == o.algorithm && length == o.length &&
         std::equal(bytes.begin(), bytes.begin() + length, o.bytes.begin());
}

struct MultiHasher::Impl {
  std::array<EVP_MD_CTX*, kAlgorithmCount> ctx{};
  AlgorithmSet active;
};

MultiHasher::MultiHasher() : impl_(std::make_unique<Impl>()) {
  for (auto& c : impl_->ctx) {
    c = EVP_MD_CTX_new();
    if (c == nullptr) throw std::bad_alloc();
  }
}

MultiHasher::~MultiHasher() {
  for (auto* c : impl_->ctx) EVP_MD_CTX_free(c);
}

void MultiHasher::start(AlgorithmSet algorithms) {
  impl_->active = algorithms;
  for (std::size_t i = 0; i < kAlgorithmCount; ++i) {
    auto a = static_cast<Algorithm>(i);
    if (algorithms.has(a) && EVP_DigestInit_ex2(impl_->ctx[i], fetched(a), nullptr) != 1) {
      throw std::runtime_error("EVP_DigestInit_ex2 failed for " + std::string(algorithm_name(a)));
    }
  }
}

void MultiHasher::update(const void* data, std::size_t n) {
  for (std::size_t i = 0; i < kAlgorithmCount; ++i) {
    if (impl_->active.has(static_cast<Algorithm>(i))) EVP_DigestUpdate(impl_->ctx[i], data, n);
  }
}

std::vector<Digest> MultiHasher::finish() {
  std::vector<Digest> out;
  for (std::size_t i = 0; i < kAlgorithmCount; ++i) {
    auto a = static_cast<Algorithm>(i);
    if (!impl_->active.has(a)) continue;
    Digest d;
    d.algorithm = a;
    unsigned int len = 0;
    EVP_DigestFinal_ex(impl_->ctx[i], d.bytes.data(), &len);
    d.length = static_cast<std::uint8_t>(len);
    out.push_back(d);
  }
  impl_->active = AlgorithmSet{};
  return out;
}

Digest digest_of(Algorithm a, std::string_view data) {
  MultiHasher h;
  AlgorithmSet set;
  set.add(a);
  h.start(set);
  h.update(data.data(), data.size());
  return h.finish().front();
}

}  // namespace lv
