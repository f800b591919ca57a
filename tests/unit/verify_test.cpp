#include "core/verify.h"

#include "core/read_run.h"

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <thread>

#include "core/check.h"
#include "test_util.h"

using namespace lv;
using lv::test::TempDir;

namespace {

ManifestEntry entry_for(std::string path, std::string_view content, Algorithm a = Algorithm::sha256) {
  ManifestEntry e;
  e.path = std::move(path);
  e.digests.push_back(digest_of(a, content));
  return e;
}

FileResult run_one(const ManifestEntry& e, const std::string& root) {
  Manifest m;
  m.entries.push_back(e);
  std::vector<Manifest> manifests{m};  // the plan points into it
  CheckPlan plan = plan_check(manifests);
  ReadRun run(plan.reads, root, 1);
  const FileReadResult* r = nullptr;
  while ((r = run.wait(0, std::chrono::milliseconds(100))) == nullptr) {
  }
  return judge(manifests[0].entries[0], *r);
}

}  // namespace

TEST_CASE("ok, failed and failed on size") {
  TempDir dir;
  dir.write("a", "hello");
  auto ok = run_one(entry_for("a", "hello"), dir.path());
  CHECK(ok.status == FileStatus::ok);
  CHECK(ok.size == 5u);
  REQUIRE(ok.actual.size() == 1);
  CHECK(ok.actual[0].hex() == "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");

  auto bad = run_one(entry_for("a", "hellO"), dir.path());
  CHECK(bad.status == FileStatus::failed);
  CHECK_FALSE(bad.size_mismatch);

  ManifestEntry sized = entry_for("a", "hello");
  sized.size = 6;
  auto short_file = run_one(sized, dir.path());
  CHECK(short_file.status == FileStatus::failed);
  CHECK(short_file.size_mismatch);  // decided on size, nothing read
  CHECK(short_file.actual.empty());
  CHECK(short_file.size == 5u);
}

TEST_CASE("an unconfirmed digest warns instead of failing; a wrong size still fails") {
  TempDir dir;
  dir.write("a", "hello");
  ManifestEntry hint = entry_for("a", "hellO");
  hint.unconfirmed = true;
  CHECK(run_one(hint, dir.path()).status == FileStatus::unconfirmed);
  ManifestEntry right = entry_for("a", "hello");
  right.unconfirmed = true;
  CHECK(run_one(right, dir.path()).status == FileStatus::ok);
  hint.size = 6;
  CHECK(run_one(hint, dir.path()).status == FileStatus::failed);
  CheckSummary s;
  count(s, FileStatus::unconfirmed);
  CHECK(s.unconfirmed == 1);
  CHECK(s.failed == 0);
}

TEST_CASE("every expected digest must match, read in one pass") {
  TempDir dir;
  dir.write("a", "abc");
  ManifestEntry e = entry_for("a", "abc");
  e.digests.push_back(digest_of(Algorithm::md5, "abc"));
  auto both = run_one(e, dir.path());
  CHECK(both.status == FileStatus::ok);
  CHECK(both.actual.size() == 2);
  e.digests[1] = digest_of(Algorithm::md5, "abd");
  CHECK(run_one(e, dir.path()).status == FileStatus::failed);
}

TEST_CASE("size only and unknown are never ok") {
  TempDir dir;
  dir.write("a", "abc");
  ManifestEntry e;
  e.path = "a";
  e.size = 3;
  CHECK(run_one(e, dir.path()).status == FileStatus::size_only);
  e.size = 4;
  CHECK(run_one(e, dir.path()).status == FileStatus::failed);
  e.size.reset();
  CHECK(run_one(e, dir.path()).status == FileStatus::unknown);
}

TEST_CASE("paths that are not readable regular files get their own status") {
  TempDir dir;
  ::mkdir((dir / "d").c_str(), 0755);
  ::symlink("nowhere", (dir / "dangling").c_str());
  ::symlink("loop2", (dir / "loop1").c_str());
  ::symlink("loop1", (dir / "loop2").c_str());
  ::mkfifo((dir / "fifo").c_str(), 0644);
  auto status = [&](const char* name) { return run_one(entry_for(name, ""), dir.path()).status; };
  CHECK(status("missing") == FileStatus::missing);
  CHECK(status("missing/below") == FileStatus::missing);
  CHECK(status("d") == FileStatus::directory);
  CHECK(status("dangling") == FileStatus::dangling_link);
  CHECK(status("loop1") == FileStatus::link_loop);
  CHECK(status("fifo") == FileStatus::special);  // and it did not block
  auto missing = run_one(entry_for("missing", ""), dir.path());
  CHECK(error_text(missing.error_number) == "No such file or directory");
}

TEST_CASE("results are the same for any number of jobs") {
  TempDir dir;
  std::vector<ManifestEntry> entries;
  for (int i = 0; i < 200; ++i) {
    std::string content(static_cast<std::size_t>(i * 37), static_cast<char>('a' + i % 26));
    dir.write("f" + std::to_string(i), content);
    entries.push_back(entry_for("f" + std::to_string(i), i % 7 == 0 ? content + "x" : content));
  }
  entries.push_back(entry_for("absent", ""));
  std::vector<ReadItem> items;
  AlgorithmSet sha256;
  sha256.add(Algorithm::sha256);
  for (const auto& e : entries) items.push_back({e.path, sha256, std::nullopt});
  auto statuses = [&](unsigned jobs) {
    ReadRun run(items, dir.path(), jobs);
    std::vector<FileStatus> out;
    for (std::size_t i = 0; i < items.size(); ++i) {
      const FileReadResult* r = nullptr;
      while ((r = run.wait(i, std::chrono::milliseconds(100))) == nullptr) {
      }
      out.push_back(judge(entries[i], *r).status);
    }
    return out;
  };
  auto one = statuses(1);
  CHECK(one == statuses(2));
  CHECK(one == statuses(8));
  CHECK(one[0] == FileStatus::failed);
  CHECK(one[1] == FileStatus::ok);
  CHECK(one.back() == FileStatus::missing);
}

TEST_CASE("audit finds files no manifest names, relative to the root") {
  TempDir dir;
  dir.write("data/a.json", "1");
  dir.write("data/sub/b.jpg", "2");
  dir.write("data/extra.txt", "3");
  Manifest m;
  m.entries.push_back(entry_for("a.json", "1"));
  m.entries.push_back(entry_for("./sub//b.jpg", "2"));
  std::vector<std::string> problems;
  auto unlisted = find_unlisted({m}, dir / "data", {dir / "data"}, problems);
  REQUIRE(unlisted.ok());
  CHECK(unlisted.value() == std::vector<std::string>{"extra.txt"});
  CHECK(problems.empty());
}

TEST_CASE("a file named by several entries is read once, with every digest asked of it") {
  std::vector<Manifest> manifests(2);
  manifests[0].entries.push_back(entry_for("a", "abc"));
  manifests[0].entries.push_back(entry_for("./a", "abc", Algorithm::md5));
  manifests[0].entries.push_back(entry_for("b", "x"));
  manifests[1].entries.push_back(entry_for("a", "abc", Algorithm::sha1));
  manifests[1].entries.back().size = 3;
  CheckPlan plan = plan_check(manifests);
  REQUIRE(plan.reads.size() == 2);
  CHECK(plan.reads[0].path == "a");
  CHECK(plan.reads[0].algorithms.has(Algorithm::sha256));
  CHECK(plan.reads[0].algorithms.has(Algorithm::md5));
  CHECK(plan.reads[0].algorithms.has(Algorithm::sha1));
  CHECK_FALSE(plan.reads[0].algorithms.has(Algorithm::sha512));
  CHECK_FALSE(plan.reads[0].expected_size.has_value());  // the entries disagree on the size
  REQUIRE(plan.slots.size() == 4);
  CHECK(plan.slots[1].read == 0);
  CHECK(plan.slots[2].read == 1);
  CHECK(plan.slots[3].manifest == 1);
  CHECK(plan.slots[3].read == 0);

  TempDir dir;
  dir.write("a", "abc");
  ReadRun run(plan.reads, dir.path(), 2);
  const FileReadResult* r = nullptr;
  while ((r = run.wait(0, std::chrono::milliseconds(100))) == nullptr) {
  }
  CHECK(r->digests.size() == 3);
  for (const auto& slot : plan.slots) {
    if (slot.read == 0) CHECK(judge(*slot.entry, *r).status == FileStatus::ok);
  }
}

TEST_CASE("entries that agree on a size let a wrong-sized file go unread") {
  std::vector<Manifest> manifests(1);
  manifests[0].entries.push_back(entry_for("a", "abc"));
  manifests[0].entries.back().size = 4;
  CheckPlan plan = plan_check(manifests);
  REQUIRE(plan.reads.size() == 1);
  CHECK(plan.reads[0].expected_size == 4u);
  TempDir dir;
  dir.write("a", "abc");
  ReadRun run(plan.reads, dir.path(), 1);
  const FileReadResult* r = nullptr;
  while ((r = run.wait(0, std::chrono::milliseconds(100))) == nullptr) {
  }
  CHECK(r->size_mismatch);
  CHECK(r->digests.empty());
  FileResult judged = judge(manifests[0].entries[0], *r);
  CHECK(judged.status == FileStatus::failed);
  CHECK(judged.size_mismatch);
}
