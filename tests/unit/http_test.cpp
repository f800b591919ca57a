// The header helpers of fetch and manifest refresh, and how URLs are made.
#include "core/http.h"

#include <doctest/doctest.h>

#include "core/fetch.h"

using namespace lv;

TEST_CASE("Retry-After: seconds or an HTTP date, bounded") {
  CHECK(parse_retry_after("1", 0) == 1u);
  CHECK(parse_retry_after(" 120 ", 0) == 120u);
  CHECK(parse_retry_after("99999999", 0) == 24u * 3600u);
  // Wed, 21 Oct 2015 07:28:00 GMT is 1445412480.
  CHECK(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 1445412480 - 30) == 30u);
  CHECK(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 1445412480 + 30) == 0u);
  CHECK_FALSE(parse_retry_after("soon", 0).has_value());
  CHECK_FALSE(parse_retry_after("-5", 0).has_value());
  CHECK_FALSE(parse_retry_after("", 0).has_value());
}

TEST_CASE("X-Linked-Etag gives the sha256; anything else gives nothing") {
  const std::string sha = "6b68bc5ca2bfd8a71119af0e8454929668ccda6a334955ccc95d114fc8d082fa";
  CHECK(etag_sha256("\"" + sha + "\"") == sha);
  CHECK(etag_sha256("W/\"" + sha + "\"") == sha);
  CHECK(etag_sha256(sha) == sha);
  CHECK(etag_sha256("\"6B68BC5CA2BFD8A71119AF0E8454929668CCDA6A334955CCC95D114FC8D082FA\"") == sha);
  CHECK(etag_sha256("\"5d41402abc4b2a76b9719d911017c592\"").empty());  // an md5-shaped git etag
  CHECK(etag_sha256("\"" + sha.substr(1) + "x\"").empty());
  CHECK(etag_sha256("").empty());
}

TEST_CASE("Content-Range, decimal values and URL hosts") {
  CHECK(content_range_start("bytes 100-199/200") == 100u);
  CHECK(content_range_start("bytes 0-0/1") == 0u);
  CHECK_FALSE(content_range_start("bytes */200").has_value());
  CHECK_FALSE(content_range_start("items 1-2/3").has_value());
  CHECK(parse_decimal("6540194375") == 6540194375u);
  CHECK_FALSE(parse_decimal("12a").has_value());
  CHECK_FALSE(parse_decimal("99999999999999999999").has_value());
  CHECK(url_host("https://HuggingFace.co/datasets/x") == "huggingface.co");
  CHECK(url_host("http://127.0.0.1:8080/a?b") == "127.0.0.1:8080");
  CHECK(url_host("http://user:pw@mirror.example:81/x") == "mirror.example:81");
  CHECK(url_host("not a url").empty());
}

TEST_CASE("URLs: the entry's own, with the endpoint swapped in; or built from the source") {
  const char* json = R"({"format": "llava-verify-manifest/1",
    "source": {"repository": "datasets/liuhaotian/LLaVA-Pretrain", "revision": "70f9"},
    "files": [
      {"path": "images.zip", "url": "https://huggingface.co/datasets/liuhaotian/LLaVA-Pretrain/resolve/70f9/images.zip"},
      {"path": "a b.json"},
      {"path": "other.bin", "url": "https://huggingface.co.evil.example/x"}
    ]})";
  auto manifest = parse_json_manifest(json, "m.json");
  REQUIRE(manifest.ok());
  auto plain = fetch_items(*manifest, "");
  REQUIRE(plain.ok());
  CHECK(plain->at(0).url == "https://huggingface.co/datasets/liuhaotian/LLaVA-Pretrain/resolve/70f9/images.zip");
  CHECK(plain->at(1).url == "https://huggingface.co/datasets/liuhaotian/LLaVA-Pretrain/resolve/70f9/a%20b.json");
  auto mirrored = fetch_items(*manifest, "http://127.0.0.1:9/");
  REQUIRE(mirrored.ok());
  CHECK(mirrored->at(0).url == "http://127.0.0.1:9/datasets/liuhaotian/LLaVA-Pretrain/resolve/70f9/images.zip");
  CHECK(mirrored->at(1).url == "http://127.0.0.1:9/datasets/liuhaotian/LLaVA-Pretrain/resolve/70f9/a%20b.json");
  CHECK(mirrored->at(2).url == "https://huggingface.co.evil.example/x");  // another host: left alone

  auto bare = parse_json_manifest(R"({"files": [{"path": "x"}]})", "bare.json");
  REQUIRE(bare.ok());
  auto none = fetch_items(*bare, "");
  REQUIRE_FALSE(none.ok());
  CHECK(none.error().message ==
        "bare.json: line 1: x has no 'url', and the manifest no source repository and revision to build one from");
}

TEST_CASE("the token's origin: scheme, host and port together") {
  CHECK(url_origin("https://huggingface.co/datasets/x") == "https://huggingface.co");
  CHECK(url_origin("HTTP://127.0.0.1:8080/a") == "http://127.0.0.1:8080");
  CHECK(url_origin("http://huggingface.co/x") != url_origin("https://huggingface.co/x"));
  CHECK(url_origin("mirror.example").empty());
  CHECK(url_origin("://host/x").empty());
}
