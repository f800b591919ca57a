#include "core/rewrite.h"

#include <doctest/doctest.h>

#include "core/fs.h"
#include "test_util.h"

using namespace lv;
using lv::test::TempDir;

namespace {

// Odd but valid formatting: the rewrite must keep every byte but the values.
const std::string kInput =
    "[\n"
    "  {\"id\":1,\"image\":\"a\\u005f1.jpg\" ,\"n\": 1.50e+3},\n"
    "\t{ \"conversations\": [], \"id\": \"t\" },\n"
    "  {\"image\"  :  \"b/caf\xC3\xA9.jpg\", \"x\": \"\\\"q\\\"\"},\n"
    "  {\"image\": \"../evil.jpg\"}\n"
    "]  \n";

Result<std::string> run(const std::string& input, RewriteOptions o, RewriteStats* stats = nullptr,
                        std::size_t batch = 4u << 20) {
  TempDir dir;
  std::string in = dir.write("in.json", input);
  o.scan.batch_bytes = batch;
  auto s = rewrite_records(in, dir / "out.json", o);
  if (!s) return s.error();
  if (stats) *stats = s.value();
  return test::slurp(dir / "out.json");
}

}  // namespace

TEST_CASE("an identity rewrite gives the input back byte for byte") {
  for (std::size_t batch : {1, 16, 4096}) {
    RewriteStats stats;
    auto out = run(kInput, RewriteOptions{}, &stats, batch);
    REQUIRE(out.ok());
    CHECK(out.value() == kInput);
    CHECK(stats.records == 4);
    CHECK(stats.with_image == 3);
    CHECK(stats.unchanged == 2);
    CHECK(stats.invalid == 1);
  }
}

TEST_CASE("a prefix changes the image values and nothing else") {
  RewriteOptions o;
  o.prefix = "/data/\"x\"\\";
  for (std::size_t batch : {1, 4096}) {
    RewriteStats stats;
    auto out = run(kInput, o, &stats, batch);
    REQUIRE(out.ok());
    CHECK(out.value() ==
          "[\n"
          "  {\"id\":1,\"image\":\"/data/\\\"x\\\"\\\\a_1.jpg\" ,\"n\": 1.50e+3},\n"
          "\t{ \"conversations\": [], \"id\": \"t\" },\n"
          "  {\"image\"  :  \"/data/\\\"x\\\"\\\\b/caf\xC3\xA9.jpg\", \"x\": \"\\\"q\\\"\"},\n"
          "  {\"image\": \"../evil.jpg\"}\n"
          "]  \n");
    CHECK(stats.rewritten == 2);
    CHECK(stats.invalid == 1);  // never resolved, kept as it was
  }
}

TEST_CASE("dropping records keeps the file valid and the kept records as they were") {
  TempDir images;
  images.write("a.jpg", "x");
  images.write("c.jpg", "x");
  std::vector<std::unique_ptr<ImageStore>> stores;
  stores.push_back(std::move(open_folder_store(images.path()).value()));
  RewriteOptions o;
  o.stores = &stores;
  o.drop_missing = true;
  const std::string input = "[ {\"image\": \"a.jpg\"},\n  {\"image\": \"b.jpg\"},\n  {\"image\": \"c.jpg\"} ]\n";
  for (std::size_t batch : {1, 4096}) {
    RewriteStats stats;
    auto out = run(input, o, &stats, batch);
    REQUIRE(out.ok());
    CHECK(out.value() == "[ {\"image\": \"" + images.path() + "/a.jpg\"},\n  {\"image\": \"" + images.path() +
                             "/c.jpg\"} ]\n");
    CHECK(stats.dropped == 1);
    CHECK(stats.missing == 1);
  }
  auto first_dropped = run("[{\"image\": \"b.jpg\"}, {\"image\": \"c.jpg\"}]", o);
  REQUIRE(first_dropped.ok());
  CHECK(first_dropped.value() == "[{\"image\": \"" + images.path() + "/c.jpg\"}]");
  auto all_dropped = run("[\n {\"image\": \"b.jpg\"},\n {\"image\": \"d.jpg\"}\n]\n", o);
  REQUIRE(all_dropped.ok());
  CHECK(all_dropped.value() == "[\n \n]\n");
}

TEST_CASE("a malformed input leaves no output file") {
  TempDir dir;
  std::string in = dir.write("in.json", "[{\"image\": \"a.jpg\"},\n{\"image\": ");
  auto s = rewrite_records(in, dir / "out.json", RewriteOptions{});
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().message == in + ": byte 31 (line 2): the file ends inside record 1 (truncated?)");
  auto w = walk_files(dir.path());
  REQUIRE(w.ok());
  CHECK(w->files.size() == 1);  // only the input: no output, no temporary file
}
