// The per-file checks: the compare with an archive entry, the content sniff,
// and how `missing` and `rewrite` use them (other_extension, --fix-extensions).
#include "core/image_inspect.h"

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <libdeflate.h>

#include "core/fs.h"
#include "core/image_check.h"
#include "core/missing.h"
#include "core/names.h"
#include "core/rewrite.h"
#include "test_util.h"

using namespace lv;
using lv::test::TempDir;

namespace {

// A whole 1x1 GIF (PIL loads it).
const std::string kGif("GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,"
                       "\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02\x44\x01\x00;",
                       43);

std::uint32_t crc_of(std::string_view s) { return static_cast<std::uint32_t>(libdeflate_crc32(0, s.data(), s.size())); }

}  // namespace

TEST_CASE("a file equal to its entry is whole; one that differs says how, in size or CRC-32") {
  TempDir dir;
  const std::string content(68112, 'x');
  const std::string p = dir.write("a.jpg", content);
  InspectTask task{p, ArchiveEntryRef{"images.zip", content.size(), crc_of(content)}};
  InspectVerdict v = inspect_image(task, DeepLevel::off);
  CHECK(v.kind == InspectVerdict::Kind::whole);
  CHECK(v.compared);
  CHECK(v.detail.empty());

  dir.write("a.jpg", content.substr(0, 41203));
  v = inspect_image(task, DeepLevel::off);
  CHECK(v.kind == InspectVerdict::Kind::damaged);
  CHECK(v.detail == "differs from its images.zip entry: 41,203 of 68,112 bytes");

  dir.write("a.jpg", content + "y");
  CHECK(inspect_image(task, DeepLevel::off).detail == "differs from its images.zip entry: 68,113 bytes, the entry 68,112");

  std::string flipped = content;
  flipped[100] = 'z';
  dir.write("a.jpg", flipped);
  v = inspect_image(task, DeepLevel::off);
  CHECK(v.kind == InspectVerdict::Kind::damaged);
  CHECK(v.detail == fmt::format("differs from its images.zip entry: CRC-32 {:08x}, the entry's {:08x} (68,112 bytes each)",
                                crc_of(flipped), crc_of(content)));

  // A listed size that is not the entry's decides without a read (the file need not even be there).
  InspectTask listed{dir / "not-read.jpg", task.entry, 41203};
  CHECK(inspect_image(listed, DeepLevel::off).detail == "differs from its images.zip entry: 41,203 of 68,112 bytes");

  InspectTask gone{dir / "gone.jpg", task.entry};
  v = inspect_image(gone, DeepLevel::off);
  CHECK(v.kind == InspectVerdict::Kind::damaged);
  CHECK(v.detail == "cannot be read to compare with its images.zip entry: No such file or directory");
}

TEST_CASE("--deep: a file equal to its entry is still walked (the archive's copy may be cut short too)") {
  TempDir dir;
  const std::string cut = kGif.substr(0, 30);
  const std::string p = dir.write("a.gif", cut);
  InspectVerdict v = inspect_image({p, ArchiveEntryRef{"images.zip", cut.size(), crc_of(cut)}}, DeepLevel::structure);
  CHECK(v.compared);
  CHECK(v.kind == InspectVerdict::Kind::corrupt);
  CHECK(v.detail == image_structure_problem_bytes(cut));
  CHECK_FALSE(v.detail.empty());
}

TEST_CASE("--deep counts content in another format than the extension says, and it stays whole") {
  TempDir dir;
  const std::string p = dir.write("x.jpg", kGif);
  InspectVerdict v = inspect_image({p, {}}, DeepLevel::structure);
  CHECK(v.kind == InspectVerdict::Kind::whole);
  CHECK(v.content_differs);
  CHECK_FALSE(inspect_image({dir.write("y.gif", kGif), {}}, DeepLevel::structure).content_differs);
  // Without --deep the content is not read.
  CHECK_FALSE(inspect_image({p, {}}, DeepLevel::off).content_differs);
}

TEST_CASE("inspect_images keeps task order whatever the threads") {
  TempDir dir;
  std::vector<InspectTask> tasks;
  for (int i = 0; i < 64; ++i) {
    const std::string body(static_cast<std::size_t>(100 + i), 'a');
    const std::string p = dir.write(fmt::format("{}.jpg", i), i % 3 == 0 ? body.substr(1) : body);
    tasks.push_back({p, ArchiveEntryRef{"z.zip", body.size(), crc_of(body)}});
  }
  const auto verdicts = inspect_images(tasks, DeepLevel::off, 4);
  REQUIRE(verdicts.size() == tasks.size());
  for (int i = 0; i < 64; ++i) {
    CHECK((verdicts[static_cast<std::size_t>(i)].kind == InspectVerdict::Kind::damaged) == (i % 3 == 0));
  }
}

TEST_CASE("the format an extension names, and the one the first bytes announce") {
  CHECK(format_of_extension("a/b.JPG") == "jpeg");
  CHECK(format_of_extension("b.jpeg") == "jpeg");
  CHECK(format_of_extension("b.Png") == "png");
  CHECK(format_of_extension("b.gif") == "gif");
  CHECK(format_of_extension("b.tiff") == "tiff");
  CHECK(format_of_extension("b.txt").empty());
  CHECK(format_of_extension("dir.jpg/b").empty());
  CHECK(image_format_of(kGif) == "gif");
  CHECK(image_format_of("\x89PNG\r\n\x1A\n....") == "png");
  CHECK(image_format_of("\xFF\xD8\xFF\xE0") == "jpeg");
  CHECK(image_format_of("<!DOCTYPE html>").empty());
}

TEST_CASE("thousands are grouped") {
  CHECK(group_digits(0) == "0");
  CHECK(group_digits(999) == "999");
  CHECK(group_digits(1000) == "1,000");
  CHECK(group_digits(68112) == "68,112");
  CHECK(group_digits(178956970) == "178,956,970");
}

namespace {

MissingReport find(const std::string& records, const std::string& folder, MissingOptions o = {}) {
  StoreList stores;
  stores.push_back(std::move(open_folder_store(folder).value()));
  auto r = find_missing(records, [&](bool) -> Result<const StoreList*> { return &stores; }, nullptr, o);
  REQUIRE(r.ok());
  return std::move(r.value());
}

}  // namespace

TEST_CASE("a missing X.jpg whose folder holds X.gif is other_extension, with the name found") {
  TempDir dir;
  dir.write("img/ocr/1.gif", kGif);
  dir.write("img/ocr/2.PNG", kGif);
  dir.write("img/ocr/3.jpg", kGif);
  const std::string records = dir.write(
      "r.json", R"([{"id":"a","image":"ocr/1.jpg"},{"id":"b","image":"ocr/2.jpg"},{"id":"c","image":"ocr/3.jpg"},)"
                R"({"id":"d","image":"ocr/4.jpg"}])");
  const MissingReport r = find(records, dir / "img");
  CHECK(r.summary.present == 1);
  CHECK(r.summary.missing == 1);
  CHECK(r.summary.other_extension == 2);
  CHECK(r.summary.unusable() == 3);
  REQUIRE(r.records.size() == 3);
  CHECK(r.records[0].state == ImageState::other_extension);
  CHECK(r.records[0].found == "ocr/1.gif");
  CHECK(r.records[0].detail == "on disk as ocr/1.gif");
  CHECK(r.records[1].found == "ocr/2.PNG");
  CHECK(r.records[2].state == ImageState::missing);
  CHECK(r.records[2].found.empty());
  CHECK(r.summary.unusable_breakdown() == "1 absent, 0 empty, 0 corrupt, 2 under another extension");

  SUBCASE("rewrite --fix-extensions changes those extensions and nothing else") {
    RewriteOptions o;
    StoreList stores;
    stores.push_back(std::move(open_folder_store(dir / "img").value()));
    o.stores = &stores;
    o.judged = &r;
    o.fix_extensions = true;
    std::string out;
    auto stats = rewrite_records_in(test::slurp(records), "r.json", o, out);
    REQUIRE(stats.ok());
    CHECK(out == R"([{"id":"a","image":"ocr/1.gif"},{"id":"b","image":"ocr/2.PNG"},{"id":"c","image":"ocr/3.jpg"},)"
                 R"({"id":"d","image":"ocr/4.jpg"}])");
    CHECK(stats->fixed_extensions == 2);
    CHECK(stats->missing == 1);
    o.drop_missing = true;
    out.clear();
    REQUIRE(rewrite_records_in(test::slurp(records), "r.json", o, out).ok());
    CHECK(out == R"([{"id":"a","image":"ocr/1.gif"},{"id":"b","image":"ocr/2.PNG"},{"id":"c","image":"ocr/3.jpg"}])");
  }
}

TEST_CASE("--deep: a truncated image in a folder is corrupt; without --deep it is present") {
  TempDir dir;
  dir.write("img/a.gif", kGif.substr(0, 20));
  const std::string records = dir.write("r.json", R"([{"image":"a.gif"}])");
  CHECK(find(records, dir / "img").summary.present == 1);
  MissingOptions o;
  o.deep = DeepLevel::structure;
  const MissingReport r = find(records, dir / "img", o);
  CHECK(r.summary.corrupt == 1);
  REQUIRE(r.records.size() == 1);
  CHECK(r.records[0].detail == image_structure_problem_bytes(kGif.substr(0, 20)));
}
