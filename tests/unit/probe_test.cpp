#include "core/probe.h"

#include <curl/curl.h>
#include <doctest/doctest.h>

#include "core/probe_report.h"
#include "core/probe_state.h"
#include "test_util.h"

using namespace lv;

namespace {

const std::uint8_t kJpeg[] = {0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, 'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1};
const std::uint8_t kHtml[] = {'<', '!', 'd', 'o', 'c', 't', 'y', 'p', 'e', ' ', 'h', 't', 'm', 'l', '>', '\n'};

ProbeResponse answered(long status, std::span<const std::uint8_t> head, std::string type = "image/jpeg") {
  ProbeResponse r;
  r.curl_code = CURLE_OK;
  r.status = status;
  r.content_type = std::move(type);
  r.head = head;
  r.total = 5000;
  return r;
}

std::string classify(const ProbeResponse& r, bool robots = true, const std::vector<Placeholder>& ph = {}) {
  ProbeVerdict v = classify_probe(r, robots, ph);
  return std::string(probe_class_name(v.cls)) + (v.retry ? " retry" : "") + (v.check_placeholder ? " check" : "") +
         (v.detail.empty() ? "" : ": " + v.detail);
}

}  // namespace

TEST_CASE("probe: statuses and transport errors") {
  CHECK(classify(answered(206, kJpeg)) == "ok");
  CHECK(classify(answered(200, kJpeg)) == "ok");
  CHECK(classify(answered(404, {}, "text/html")) == "not_found: HTTP 404");
  CHECK(classify(answered(410, {}, "")) == "not_found: HTTP 410");
  CHECK(classify(answered(400, {}, "")) == "not_found: HTTP 400");
  CHECK(classify(answered(403, {}, "")) == "forbidden: HTTP 403");
  CHECK(classify(answered(401, {}, "")) == "forbidden: HTTP 401");
  CHECK(classify(answered(451, {}, "")) == "forbidden: HTTP 451");
  CHECK(classify(answered(429, {}, "")) == "server_error retry: HTTP 429 (too many requests)");
  CHECK(classify(answered(503, {}, "")) == "server_error retry: HTTP 503");
  CHECK(classify(answered(302, {}, "")) == "server_error: HTTP 302 (not followed)");

  ProbeResponse r;
  r.curl_code = CURLE_OPERATION_TIMEDOUT;
  r.curl_error = "Operation timed out after 2000 milliseconds";
  CHECK(classify(r) == "timeout retry: Operation timed out after 2000 milliseconds");
  r.curl_code = CURLE_COULDNT_CONNECT;
  r.curl_error = "";
  CHECK(classify(r) == "connection_failed retry: Couldn't connect to server");
  r.curl_code = CURLE_TOO_MANY_REDIRECTS;
  r.curl_error = "Maximum (5) redirects followed";
  CHECK(classify(r) == "server_error: too many redirects (a loop?): Maximum (5) redirects followed");
  r.curl_code = CURLE_UNSUPPORTED_PROTOCOL;
  r.curl_error = "Protocol \"file\" not supported";
  CHECK(classify(r) == "connection_failed: Protocol \"file\" not supported");

  // Our own cut after the first bytes is not an error; nor is a drop after enough of them.
  ProbeResponse cut = answered(200, kJpeg);
  cut.curl_code = CURLE_WRITE_ERROR;
  cut.cut = true;
  CHECK(classify(cut) == "ok");
  ProbeResponse dropped = answered(200, kJpeg);
  dropped.curl_code = CURLE_RECV_ERROR;
  CHECK(classify(dropped) == "ok");
  dropped.head = std::span<const std::uint8_t>(kJpeg, 3);
  CHECK(classify(dropped) == "connection_failed retry: Failure when receiving data from the peer");
}

TEST_CASE("probe: content type, signatures, robots and placeholders") {
  CHECK(classify(answered(200, kHtml, "text/html; charset=utf-8")) == "not_image: Content-Type: text/html; charset=utf-8");
  CHECK(classify(answered(200, kJpeg, "application/json")) == "not_image: Content-Type: application/json");
  CHECK(classify(answered(200, kHtml, "image/jpeg")) ==
        "not_image: Content-Type: image/jpeg, but the first bytes are not a JPEG, PNG, GIF or WebP signature");
  CHECK(classify(answered(200, kHtml, "")) == "not_image: the first bytes are not a JPEG, PNG, GIF or WebP signature");
  CHECK(classify(answered(200, {}, "image/png")) == "not_image: an empty body");
  CHECK(classify(answered(200, kJpeg, "application/octet-stream")) == "ok");

  ProbeResponse noai = answered(200, kJpeg);
  noai.robots = "noai, noimageai";
  CHECK(classify(noai) == "opted_out: X-Robots-Tag: noai, noimageai");
  CHECK(classify(noai, false) == "ok");
  noai.robots = "nofollow\nNoImageIndex";
  CHECK(classify(noai) == "opted_out: X-Robots-Tag: nofollow;NoImageIndex");

  std::vector<Placeholder> ph{{5000, std::string(64, 'a'), "flickr"}};
  CHECK(classify(answered(206, kJpeg), true, ph) == "ok check");
  ph[0].size = 5001;
  CHECK(classify(answered(206, kJpeg), true, ph) == "ok");
}

TEST_CASE("probe: X-Robots-Tag directives as img2dataset reads them") {
  CHECK(robots_opt_out("noai"));
  CHECK(robots_opt_out("noindex, nofollow"));
  CHECK(robots_opt_out(" NOIMAGEAI "));
  CHECK(robots_opt_out("nofollow\nnoimageindex"));
  CHECK_FALSE(robots_opt_out("nofollow, noarchive"));
  CHECK_FALSE(robots_opt_out("googlebot: noindex"));  // a rule for another crawler
  CHECK(robots_opt_out("llava-verify: noai"));
  CHECK_FALSE(robots_opt_out(""));
  CHECK_FALSE(robots_opt_out("noindexing"));
}

TEST_CASE("probe: image signatures") {
  auto sig = [](std::string_view s) {
    return std::string(image_signature(std::span(reinterpret_cast<const std::uint8_t*>(s.data()), s.size())));
  };
  CHECK(sig("\xFF\xD8\xFF\xE1") == "jpeg");
  CHECK(sig("\x89PNG\r\n\x1A\n") == "png");
  CHECK(sig("GIF89a") == "gif");
  CHECK(sig("GIF87a") == "gif");
  CHECK(sig(std::string_view("RIFF\x10\0\0\0WEBPVP8 ", 16)) == "webp");
  CHECK(sig(std::string_view("RIFF\x10\0\0\0WAVE", 12)) == "");
  CHECK(sig("\xFF\xD8") == "");
  CHECK(sig("<html>") == "");
}

TEST_CASE("probe: URL maps and placeholder lists") {
  std::vector<UrlMap> maps{{"http://farm1.staticflickr.com/", "http://127.0.0.1:8080/flickr/"}, {"http://", "http://mirror/"}};
  CHECK(map_url("http://farm1.staticflickr.com/1/2.jpg", maps) == "http://127.0.0.1:8080/flickr/1/2.jpg");
  CHECK(map_url("http://a.com/x.jpg", maps) == "http://mirror/a.com/x.jpg");
  CHECK(map_url("https://a.com/x.jpg", maps) == "https://a.com/x.jpg");

  auto list = parse_placeholders("# known\n\n1542 D1700469ceaaa80106596ebc2f595cc3ec45c9516c907d39c697187e7e3b6876 flickr gone\n",
                                 "ph.txt");
  REQUIRE(list.ok());
  REQUIRE(list->size() == 1);
  CHECK((*list)[0].size == 1542);
  CHECK((*list)[0].sha256 == "d1700469ceaaa80106596ebc2f595cc3ec45c9516c907d39c697187e7e3b6876");
  CHECK((*list)[0].label == "flickr gone");
  auto bad = parse_placeholders("12 abc\n", "ph.txt");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message == "ph.txt: line 1: the sha256 is not 64 hex digits (expected \"SIZE SHA256 [LABEL]\")");
  auto zero = parse_placeholders("\n0 " + std::string(64, 'a'), "ph.txt");
  REQUIRE_FALSE(zero.ok());
  CHECK(zero.error().message == "ph.txt: line 2: the size is not a positive whole number (expected \"SIZE SHA256 [LABEL]\")");
}

TEST_CASE("probe: the state file keeps whole lines and ties them to their URL") {
  test::TempDir dir;
  const std::string path = dir / "state";
  {
    ProbeState s;
    REQUIRE(s.open(path).ok());
    REQUIRE(s.append(3, 0xabc, ProbeClass::not_found, 404, "HTTP 404").ok());
    REQUIRE(s.append(7, 0xdef, ProbeClass::timeout, 0, "slow\tand\nbroken").ok());
  }
  // A line cut short by a crash.
  {
    std::ofstream(path, std::ios::app) << "9\tok\t2";
  }
  ProbeState s;
  REQUIRE(s.open(path).ok());
  REQUIRE(s.find(3, 0xabc) != nullptr);
  CHECK(s.find(3, 0xabc)->cls == ProbeClass::not_found);
  CHECK(s.find(3, 0xabc)->http_status == 404);
  CHECK(s.find(3, 0xabd) == nullptr);  // another URL at that index
  REQUIRE(s.find(7, 0xdef) != nullptr);
  CHECK(s.find(7, 0xdef)->detail == "slow and broken");
  CHECK(s.find(9, 0) == nullptr);
  REQUIRE(s.append(9, 0x1, ProbeClass::ok, 200, "").ok());
  std::string text;
  {
    std::ifstream in(path);
    text.assign(std::istreambuf_iterator<char>(in), {});
  }
  CHECK(text ==
        "llava-verify-probe-state 1\n"
        "3\tnot_found\t404\t0000000000000abc\tHTTP 404\n"
        "7\ttimeout\t0\t0000000000000def\tslow and broken\n"
        "9\tok\t200\t0000000000000001\t\n");

  test::TempDir other;
  other.write("state", "something else\n");
  ProbeState bad;
  auto st = bad.open(other / "state");
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().message.find("line 1: not a probe state file") != std::string::npos);
}

TEST_CASE("probe: CSV report quotes what needs it") {
  ProbeReport r;
  r.urls = 2;
  r.counts[0] = 1;
  r.items.push_back({4, "GCC_train_4", "GCC_train_4.jpg", "http://a/b,c", ProbeClass::not_image, 200,
                     "Content-Type: text/html; charset=\"x\""});
  CHECK(render_probe_csv(r) ==
        "index,id,image,url,class,http_status,detail\r\n"
        "4,GCC_train_4,GCC_train_4.jpg,\"http://a/b,c\",not_image,200,\"Content-Type: text/html; charset=\"\"x\"\"\"\r\n");
}
