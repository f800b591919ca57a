#include "core/fs.h"

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test_util.h"

using namespace lv;
using lv::test::TempDir;

TEST_CASE("the walk is sorted bytewise by whole path and does not follow folder links") {
  TempDir dir;
  dir.write("a-c", "1");
  dir.write("a/b", "22");
  dir.write("B", "3");
  dir.write("z/deep/er/f", "4");
  ::symlink("a", (dir / "link-to-dir").c_str());
  ::symlink("B", (dir / "link-to-file").c_str());
  ::symlink("nowhere", (dir / "dangling").c_str());
  ::symlink(".", (dir / "a/loop").c_str());
  auto w = walk_files(dir.path());
  REQUIRE(w.ok());
  std::vector<std::string> names;
  for (const auto& f : w->files) names.push_back(f.relative);
  CHECK(names == std::vector<std::string>{"B", "a-c", "a/b", "link-to-file", "z/deep/er/f"});
  CHECK(w->files[2].size == 2);
  CHECK(w->problems.empty());
  CHECK(w->skipped == std::vector<std::string>{
                          dir / "a/loop: symbolic link to a folder or special file, not followed",
                          dir / "dangling: symbolic link to nothing readable (No such file or directory)",
                          dir / "link-to-dir: symbolic link to a folder or special file, not followed"});
}

TEST_CASE("walking a missing folder is an error naming it") {
  auto w = walk_files("/nonexistent-lv-test");
  REQUIRE_FALSE(w.ok());
  CHECK(w.error().message == "'/nonexistent-lv-test': No such file or directory");
}

TEST_CASE("atomic writes leave no temporary file") {
  TempDir dir;
  std::string target = dir / "report.json";
  REQUIRE(write_file_atomic(target, "{}\n").ok());
  CHECK(lv::test::slurp(target) == "{}\n");
  REQUIRE(write_file_atomic(target, "[]\n").ok());
  CHECK(lv::test::slurp(target) == "[]\n");
  auto w = walk_files(dir.path());
  REQUIRE(w.ok());
  CHECK(w->files.size() == 1);
  auto bad = write_file_atomic(dir / "no/such/dir/x", "1");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message == dir / "no/such/dir/x: cannot create a temporary file beside it: No such file or directory");
}

TEST_CASE("reading refuses folders and names the problem") {
  TempDir dir;
  CHECK(read_file(dir.path()).error().message == "Is a directory");
  CHECK(read_file(dir / "none").error().message == "No such file or directory");
  dir.write("x", "abc");
  CHECK(read_file(dir / "x").value() == "abc");
}

TEST_CASE("paths join and normalize lexically") {
  CHECK(join_path("", "a") == "a");
  CHECK(join_path(".", "a") == "a");
  CHECK(join_path("root", "a/b") == "root/a/b");
  CHECK(join_path("root/", "a") == "root/a");
  CHECK(join_path("root", "/abs") == "/abs");
  CHECK(normalize_path("./a//b/./c/") == "a/b/c");
  CHECK(normalize_path("a/../../b") == "../b");
  CHECK(normalize_path("/../a") == "/a");
  CHECK(normalize_path(".") == ".");
}
