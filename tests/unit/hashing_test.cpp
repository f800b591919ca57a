#include "core/hashing.h"

#include <doctest/doctest.h>

#include <string>

using namespace lv;

TEST_CASE("known-answer vectors for every algorithm") {
  // FIPS 180-2, RFC 1321, RFC 7693 test vectors for "abc".
  CHECK(digest_of(Algorithm::md5, "abc").hex() == "900150983cd24fb0d6963f7d28e17f72");
  CHECK(digest_of(Algorithm::sha1, "abc").hex() == "a9993e364706816aba3e25717850c26c9cd0d89d");
  CHECK(digest_of(Algorithm::sha256, "abc").hex() ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(digest_of(Algorithm::sha512, "abc").hex() ==
        "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
        "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
  CHECK(digest_of(Algorithm::blake2b, "abc").hex() ==
        "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1"
        "7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923");
  CHECK(digest_of(Algorithm::sha256, "").hex() ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_CASE("a million 'a' hashed in uneven pieces gives the FIPS vector") {
  MultiHasher h;
  AlgorithmSet set;
  set.add(Algorithm::sha256);
  set.add(Algorithm::sha1);
  h.start(set);
  std::string chunk(4093, 'a');
  std::size_t left = 1000000;
  while (left > 0) {
    std::size_t n = std::min(left, chunk.size());
    h.update(chunk.data(), n);
    left -= n;
  }
  auto digests = h.finish();
  REQUIRE(digests.size() == 2);
  CHECK(digests[0].algorithm == Algorithm::sha1);
  CHECK(digests[0].hex() == "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
  CHECK(digests[1].algorithm == Algorithm::sha256);
  CHECK(digests[1].hex() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("a hasher is reusable after finish") {
  MultiHasher h;
  AlgorithmSet set;
  set.add(Algorithm::md5);
  for (int i = 0; i < 3; ++i) {
    h.start(set);
    h.update("abc", 3);
    CHECK(h.finish().front().hex() == "900150983cd24fb0d6963f7d28e17f72");
  }
}

TEST_CASE("algorithm names and tags") {
  CHECK(algorithm_from_name("SHA-256") == Algorithm::sha256);
  CHECK(algorithm_from_name("sha512") == Algorithm::sha512);
  CHECK(algorithm_from_name("blake2b512") == Algorithm::blake2b);
  CHECK_FALSE(algorithm_from_name("sha3-256").has_value());
  CHECK(algorithm_from_tag("BLAKE2b") == Algorithm::blake2b);
  CHECK_FALSE(algorithm_from_tag("sha256").has_value());  // tags are exact, as coreutils writes them
  CHECK(algorithm_tag(Algorithm::sha1) == "SHA1");
  CHECK(digest_bytes(Algorithm::sha512) == 64);
  CHECK(is_hex("00aAfF"));
  CHECK_FALSE(is_hex("0g"));
}
