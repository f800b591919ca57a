#include "core/image_store.h"

#include <doctest/doctest.h>

#include "core/hashing.h"
#include "test_util.h"

using namespace lv;

TEST_CASE("the row-number rule maps GCC_train_N to key N, and nothing else") {
  test::TempDir dir;
  dir.write("00001/000012345.jpg", "x");
  dir.write("00000/000000000.jpg", "x");
  auto store = open_img2dataset_store(dir.path(), StoreOptions{true, 1, true, {}});
  REQUIRE(store.ok());
  auto hit = store.value()->find("GCC_train_000012345.jpg", "");
  REQUIRE(hit.has_value());
  CHECK(hit->path == "00001/000012345.jpg");
  CHECK_FALSE(store.value()->find("GCC_train_.jpg", "").has_value());          // no digits: not key 0
  CHECK_FALSE(store.value()->find("GCC_train_18446744073709551616.jpg", "").has_value());  // past 64 bits
  CHECK_FALSE(store.value()->find("COCO_000012345.jpg", "").has_value());
}

TEST_CASE("hex decoding for names that are not UTF-8") {
  CHECK(bytes_from_hex("ff41") == std::string("\xff" "A"));
  CHECK(bytes_from_hex("FF41") == std::string("\xff" "A"));
  CHECK_FALSE(bytes_from_hex("f").has_value());
  CHECK_FALSE(bytes_from_hex("zz").has_value());
}
