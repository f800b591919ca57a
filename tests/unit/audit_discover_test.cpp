#include "core/audit_discover.h"

#include <doctest/doctest.h>

#include "core/audit_roots.h"
#include "core/image_store.h"
#include "test_util.h"

using namespace lv;

TEST_CASE("record files are told by their first record, not their name") {
  test::TempDir dir;
  dir.write("mix.json", "[\n  {\n    \"id\": \"1\",\n    \"image\": \"coco/train2017/1.jpg\",\n    \"conversations\": []\n  }\n]");
  dir.write("text_only.json", "[{\"id\": \"1\", \"model\": \"\", \"conversations\": [{\"from\": \"human\"}]}]");
  dir.write("lines.jsonl", "{\"id\": 1, \"image\": \"a.jpg\"}\n{\"id\": 2}\n");
  dir.write("bom.json", "\xEF\xBB\xBF [ {\"conversations\": []} ]");
  dir.write("nested_only.json", "[{\"meta\": {\"image\": \"a.jpg\"}, \"conversations_count\": 1}]");
  dir.write("key_in_string.json", "[{\"note\": \"\\\"image\\\": here\"}]");
  dir.write("config.json", "{\"zero_optimization\": {\"stage\": 2}}");
  dir.write("numbers.json", "[1, 2, 3]");
  dir.write("empty.json", "");
  CHECK(sniff_record_file(dir.path() + "/mix.json"));
  CHECK(sniff_record_file(dir.path() + "/text_only.json"));
  CHECK(sniff_record_file(dir.path() + "/lines.jsonl"));
  CHECK(sniff_record_file(dir.path() + "/bom.json"));
  CHECK_FALSE(sniff_record_file(dir.path() + "/nested_only.json"));
  CHECK_FALSE(sniff_record_file(dir.path() + "/key_in_string.json"));
  CHECK_FALSE(sniff_record_file(dir.path() + "/config.json"));
  CHECK_FALSE(sniff_record_file(dir.path() + "/numbers.json"));
  CHECK_FALSE(sniff_record_file(dir.path() + "/empty.json"));
  CHECK_FALSE(sniff_record_file(dir.path() + "/absent.json"));
}

TEST_CASE("a checkout's sections: playground/data and LLaVA-Pretrain, not the image folders") {
  test::TempDir dir;
  const std::string rec = "[{\"id\": \"1\", \"image\": \"x.jpg\", \"conversations\": []}]";
  dir.write("README.md", "LLaVA");
  dir.write("scripts/zero2.json", "{\"train_batch_size\": 1}");
  dir.write("playground/data/llava_v1_5_mix665k.json", rec);
  dir.write("playground/data/coco/train2017/mixed_in.json", rec);  // inside an image folder: never searched
  dir.write("playground/data/00000/shard.json", rec);              // a shard folder: never searched
  dir.write("playground/data/LLaVA-Pretrain/blip_laion_cc_sbu_558k.json", rec);
  dir.write("playground/data/LLaVA-Pretrain/blip_laion_cc_sbu_558k_meta.json", "[]");
  dir.write("playground/data/prompts/conversation/system_message.txt", "You are");
  dir.write("playground/data/eval/mm-vet/llava-mm-vet.jsonl", "{\"image\": \"v1.jpg\"}\n");
  dir.write("a/b/c/d/e/deep.json", rec);  // five levels down: past the bound
  auto tree = discover_audit_tree(dir.path());
  REQUIRE(tree.ok());
  REQUIRE(tree->sections.size() == 2);
  CHECK(tree->sections[0].path == "playground/data");
  CHECK(tree->sections[0].record_files == std::vector<std::string>{"llava_v1_5_mix665k.json"});
  CHECK(tree->sections[1].path == "playground/data/LLaVA-Pretrain");
  CHECK(tree->sections[1].record_files == std::vector<std::string>{"blip_laion_cc_sbu_558k.json"});
  CHECK(tree->prompts == std::vector<std::string>{"playground/data/prompts"});
  CHECK(tree->skipped == std::vector<std::string>{"playground/data/eval"});
}

TEST_CASE("an image root lists its folder once; images/ is a view that finds the same files") {
  test::TempDir dir;
  dir.write("images/00453/004539375.jpg", "jpeg");
  dir.write("00001/000010000.jpg", "jpeg");
  dir.write("Sub/skip.jpg", "jpeg");
  dir.write("notes.txt", "text");
  auto roots = open_image_roots(dir.path(), {"Sub"}, 1);
  REQUIRE(roots.ok());
  REQUIRE(roots->stores.size() == 2);
  CHECK(roots->shown[1] == dir.path() + "/images");
  CHECK(roots->stores[0]->image_files() == 2);  // Sub/ is left out, notes.txt is no image
  CHECK(roots->stores[1]->image_files() == 1);
  CHECK(roots->stores[0]->find("00001/000010000.jpg", "").has_value());
  CHECK_FALSE(roots->stores[0]->find("Sub/skip.jpg", "").has_value());
  auto hit = roots->stores[1]->find("00453/004539375.jpg", "");
  REQUIRE(hit.has_value());
  CHECK(hit->path == "00453/004539375.jpg");
  CHECK(hit->size == 4);
  CHECK_FALSE(roots->stores[1]->find("00001/000010000.jpg", "").has_value());
}

TEST_CASE("image extensions, any case") {
  CHECK(has_image_extension("a/b.JPG"));
  CHECK(has_image_extension("x.jpeg"));
  CHECK(has_image_extension("x.webp"));
  CHECK_FALSE(has_image_extension("x.json"));
  CHECK_FALSE(has_image_extension("jpg"));
  CHECK_FALSE(has_image_extension("x.jpgjpg"));
}
