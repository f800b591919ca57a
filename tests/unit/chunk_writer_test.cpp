#include "core/chunk_writer.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>
#include <string>

#include "core/atomic_file.h"
#include "test_util.h"

using namespace lv;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Pieces of every size, across several 4 MiB chunks: the file is their concatenation.
std::string write_pieces(ChunkWriter& w) {
  std::string expect;
  std::size_t n = 0;
  for (std::size_t size : {1u, 0u, 4095u, 4u << 20, 3u, (9u << 20) + 17, 100000u}) {
    std::string piece(size, '\0');
    for (char& c : piece) c = static_cast<char>('a' + n++ % 26);
    CHECK(w.write(piece) == 0);
    expect += piece;
  }
  return expect;
}

}  // namespace

TEST_CASE("chunk writer: the file holds every piece in order") {
  test::TempDir dir;
  const std::string path = dir / "out";
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  REQUIRE(fd >= 0);
  std::string expect;
  {
    ChunkWriter w(fd);
    expect = write_pieces(w);
    CHECK(w.finish() == 0);
  }
  ::close(fd);
  CHECK(slurp(path) == expect);
}

TEST_CASE("chunk writer: a failed write is reported, by a later write or by finish") {
  test::TempDir dir;
  const std::string path = dir.write("ro", "");
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  ChunkWriter w(fd);
  (void)w.write(std::string(5u << 20, 'x'));  // one full chunk goes to the thread, and fails there
  CHECK(w.finish() == EBADF);
  ::close(fd);
}

TEST_CASE("chunk writer: destroyed unfinished, it stops and writes no more than was handed over") {
  test::TempDir dir;
  const std::string path = dir / "out";
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  {
    ChunkWriter w(fd);
    CHECK(w.write("never handed over: less than a chunk") == 0);
  }
  ::close(fd);
  CHECK(slurp(path).empty());
}

TEST_CASE("atomic file, written behind: same bytes under the final name after commit, nothing before") {
  test::TempDir dir;
  const std::string path = dir / "out.json";
  auto file = AtomicFile::create(path);
  REQUIRE(file);
  file->write_behind();
  std::string expect;
  int failed = 0;
  for (int i = 0; i < 300000; ++i) {
    std::string line = "{\"image\": \"GCC_train_" + std::to_string(i) + ".jpg\"},\n";
    failed += file->write(line).ok() ? 0 : 1;
    expect += line;
  }
  CHECK(failed == 0);
  CHECK(::access(path.c_str(), F_OK) != 0);
  REQUIRE(file->commit());
  CHECK(slurp(path) == expect);
}
