#include "core/trailing_digest.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <string>

#include "test_util.h"

using namespace lv;

namespace {

Digest sha256_of(std::string_view s) {
  MultiHasher h;
  AlgorithmSet set;
  set.add(Algorithm::sha256);
  h.start(set);
  h.update(s.data(), s.size());
  return h.finish().front();
}

// Bytes whose digest depends on every position: i * 131 + i / 251.
std::string pattern(std::size_t n, unsigned seed) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>(i * 131 + i / 251 + seed);
  return s;
}

void append(int fd, std::string_view s) { REQUIRE(::write(fd, s.data(), s.size()) == static_cast<ssize_t>(s.size())); }

struct File {
  test::TempDir dir;
  int fd = ::open((dir / "f").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  ~File() { ::close(fd); }
};

}  // namespace

TEST_CASE("trailing digest: the digest of what was written, in pieces of every size, with writeback on the way") {
  File f;
  REQUIRE(f.fd >= 0);
  const std::string data = pattern((3u << 20) + 12345, 0);
  TrailingDigest digest(f.fd, Algorithm::sha256, 0, /*step=*/1u << 20);
  std::size_t at = 0;
  for (std::size_t piece : {1u, 16384u, 7u, 1u << 20, 65536u}) {
    append(f.fd, std::string_view(data).substr(at, piece));
    at += piece;
    digest.advance(at);
  }
  append(f.fd, std::string_view(data).substr(at));
  auto got = digest.finish(data.size());
  REQUIRE(got);
  CHECK(got.value().hex() == sha256_of(data).hex());
}

TEST_CASE("trailing digest: bytes already in the file (a resumed part) are hashed first") {
  File f;
  const std::string data = pattern(2'500'000, 3);
  append(f.fd, std::string_view(data).substr(0, 1'000'000));
  TrailingDigest digest(f.fd, Algorithm::sha256, 1'000'000);
  append(f.fd, std::string_view(data).substr(1'000'000));
  auto got = digest.finish(data.size());
  REQUIRE(got);
  CHECK(got.value().hex() == sha256_of(data).hex());
}

TEST_CASE("trailing digest: restart after a truncation hashes only the new content") {
  File f;
  const std::string old_bytes = pattern(1'500'000, 5);
  const std::string fresh = pattern(700'000, 9);
  append(f.fd, old_bytes);
  TrailingDigest digest(f.fd, Algorithm::sha256, old_bytes.size());
  digest.advance(old_bytes.size());
  REQUIRE(::ftruncate(f.fd, 0) == 0);
  REQUIRE(::lseek(f.fd, 0, SEEK_SET) == 0);
  digest.restart();
  append(f.fd, fresh);
  digest.advance(fresh.size());
  auto got = digest.finish(fresh.size());
  REQUIRE(got);
  CHECK(got.value().hex() == sha256_of(fresh).hex());
}

TEST_CASE("trailing digest: an empty file, and a file shorter than the size announced") {
  {
    File f;
    TrailingDigest digest(f.fd, Algorithm::sha256, 0);
    auto got = digest.finish(0);
    REQUIRE(got);
    CHECK(got.value().hex() == sha256_of("").hex());
  }
  {
    File f;
    append(f.fd, "0123456789");
    TrailingDigest digest(f.fd, Algorithm::sha256, 10);
    auto got = digest.finish(25);
    REQUIRE(!got);
    CHECK(got.error().message == "the file ends at byte 10, 25 were written");
  }
}

TEST_CASE("trailing digest: destroyed unfinished, the thread stops and the file stays the caller's") {
  File f;
  append(f.fd, pattern(100'000, 1));
  {
    TrailingDigest digest(f.fd, Algorithm::sha256, 100'000);
    digest.advance(100'000);
  }
  append(f.fd, "more");
  CHECK(::lseek(f.fd, 0, SEEK_END) == 100'004);
}
