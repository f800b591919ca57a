// The zip reader on archives built byte by byte in memory (through the
// memory-backed libzip source), so each field can be made wrong on purpose.
#include "core/zip_test.h"

#include <doctest/doctest.h>
#include <libdeflate.h>
#include <zlib.h>

#include <string>
#include <vector>

#include "core/zip_directory.h"

using namespace lv;

namespace {

struct Item {
  std::string name;
  std::string data;
  bool deflate = false;
  std::uint16_t made_by = 0x0314;  // Unix, version 2.0
  std::uint32_t external = 0100644u << 16;
};

void put16(std::string& s, unsigned v) {
  s += static_cast<char>(v & 0xff);
  s += static_cast<char>((v >> 8) & 0xff);
}
void put32(std::string& s, std::uint32_t v) {
  put16(s, v & 0xffff);
  put16(s, v >> 16);
}

std::string deflate_raw(const std::string& data) {
  libdeflate_compressor* c = libdeflate_alloc_compressor(6);
  std::string out(libdeflate_deflate_compress_bound(c, data.size()), '\0');
  out.resize(libdeflate_deflate_compress(c, data.data(), data.size(), out.data(), out.size()));
  libdeflate_free_compressor(c);
  return out;
}

// A well-formed archive; `patch` may then change bytes.
std::string build(const std::vector<Item>& items, std::string prefix = "") {
  std::string body = prefix, central;
  for (const auto& it : items) {
    const std::string stored = it.deflate ? deflate_raw(it.data) : it.data;
    const auto crc = static_cast<std::uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(it.data.data()),
                                                      static_cast<uInt>(it.data.size())));
    const auto offset = static_cast<std::uint32_t>(body.size() - prefix.size());
    std::string fields;
    put16(fields, 0);                       // flags
    put16(fields, it.deflate ? 8 : 0);      // method
    put32(fields, 0);                       // time, date
    put32(fields, crc);
    put32(fields, static_cast<std::uint32_t>(stored.size()));
    put32(fields, static_cast<std::uint32_t>(it.data.size()));
    put16(fields, static_cast<unsigned>(it.name.size()));
    put16(fields, 0);                       // extra
    put32(body, kLocalHeaderSig);
    put16(body, 20);
    body += fields + it.name + stored;
    put32(central, kCentralHeaderSig);
    put16(central, it.made_by);
    put16(central, 20);
    central += fields;
    put16(central, 0);  // comment
    put16(central, 0);  // disk
    put16(central, 0);  // internal attributes
    put32(central, it.external);
    put32(central, offset);
    central += it.name;
  }
  const auto cd_offset = static_cast<std::uint32_t>(body.size() - prefix.size());
  std::string end;
  put32(end, kEndSig);
  put32(end, 0);
  put16(end, static_cast<unsigned>(items.size()));
  put16(end, static_cast<unsigned>(items.size()));
  put32(end, static_cast<std::uint32_t>(central.size()));
  put32(end, cd_offset);
  put16(end, 0);
  return body + central + end;
}

Result<ZipReport> test_bytes(const std::string& bytes, const ZipTestOptions& options = {}) {
  auto in = ZipInput::open_memory({reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()}, "t.zip");
  REQUIRE(in.ok());
  return test_zip(*in, options);
}

std::string jpeg(std::size_t n, char fill) { return "\xff\xd8\xff\xe0" + std::string(n, fill) + "\xff\xd9"; }

}  // namespace

TEST_CASE("names unsafe to extract, each with its reason") {
  CHECK(zip_name_problem("GCC_train_000000001.jpg", false).empty());
  CHECK(zip_name_problem("00000/000000001.jpg", true).empty());
  CHECK(zip_name_problem("a..b/c..jpg", false).empty());
  CHECK(zip_name_problem("", false) == "an empty name");
  CHECK(zip_name_problem("../x.jpg", false) == "a '..' component");
  CHECK(zip_name_problem("a/b/..", false) == "a '..' component");
  CHECK(zip_name_problem("/etc/passwd", false) == "an absolute path");
  CHECK(zip_name_problem("a\\b.jpg", false) == "a backslash");
  CHECK(zip_name_problem("C:/x.jpg", false) == "a drive letter");
  CHECK(zip_name_problem(std::string("a\0b", 3), false) == "a NUL byte");
  CHECK(zip_name_problem("caf\xe9.jpg", true) == "invalid UTF-8 although the UTF-8 flag is set");
  CHECK(zip_name_problem("caf\xe9.jpg", false).empty());  // CP437 by the spec: not our business
}

TEST_CASE("a sound archive, stored and deflated, tests clean with every job count") {
  std::string bytes = build({{"a.jpg", jpeg(5000, 'a')}, {"b.jpg", jpeg(7000, 'b'), true}, {"d/", ""}});
  for (unsigned jobs : {1u, 2u, 4u}) {
    ZipTestOptions o;
    o.jobs = jobs;
    auto r = test_bytes(bytes, o);
    REQUIRE(r.ok());
    CHECK(r->dir.entries.size() == 3);
    CHECK(r->ok == 3);
    CHECK(r->findings.empty());
    CHECK(r->clean());
    CHECK(r->data_bytes == 5006 + 7006);
  }
}

TEST_CASE("a flipped data byte is a bad CRC, with both values") {
  std::string bytes = build({{"a.jpg", jpeg(100, 'a')}, {"b.jpg", jpeg(100, 'b')}});
  const std::size_t second = bytes.find("b.jpg") + 5 + 10;  // inside b's data
  bytes[second] = 'X';
  auto r = test_bytes(bytes);
  REQUIRE(r.ok());
  REQUIRE(r->findings.size() == 1);
  const ZipFinding& f = r->findings[0];
  CHECK(f.kind == ZipFindingKind::bad_crc);
  CHECK(f.entry == 1);
  CHECK(f.offset == 30 + 5 + 106);
  auto good = static_cast<std::uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(jpeg(100, 'b').data()), 106));
  std::string bad_data = jpeg(100, 'b');
  bad_data[10] = 'X';
  auto got = static_cast<std::uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(bad_data.data()), 106));
  char want[128];
  std::snprintf(want, sizeof want, "the data give CRC-32 %08x, the central directory says %08x", got, good);
  CHECK(f.detail == want);
  CHECK(r->ok == 1);
  CHECK(r->counts[static_cast<std::size_t>(ZipFindingKind::bad_crc)] == 1);
}

TEST_CASE("a cut deflate stream is truncated; garbage is bad data") {
  std::string full = build({{"a.jpg", jpeg(20000, 'a') + std::string(3000, 'q'), true}});
  std::string stream = deflate_raw(jpeg(20000, 'a') + std::string(3000, 'q'));
  // Replace the data by its first half and shrink the compressed size to match.
  Item cut{"a.jpg", jpeg(20000, 'a') + std::string(3000, 'q'), true};
  std::string bytes = build({cut});
  const std::size_t data_at = 30 + 5;
  const std::size_t half = stream.size() / 2;
  bytes.erase(data_at + half, stream.size() - half);
  auto fix = [&](std::size_t at, std::uint32_t v) {
    std::string s;
    put32(s, v);
    bytes.replace(at, 4, s);
  };
  fix(18, static_cast<std::uint32_t>(half));                 // local compressed size
  const std::size_t cd = data_at + half;
  fix(cd + 20, static_cast<std::uint32_t>(half));            // central compressed size
  fix(bytes.size() - 6, static_cast<std::uint32_t>(cd));     // directory offset
  auto r = test_bytes(bytes);
  REQUIRE(r.ok());
  REQUIRE(r->findings.size() == 1);
  CHECK(r->findings[0].kind == ZipFindingKind::truncated);

  std::string garbage = build({{"a.jpg", jpeg(300, 'a'), true}});
  garbage[30 + 5] = '\xff';  // block type 3: invalid
  auto g = test_bytes(garbage);
  REQUIRE(g.ok());
  REQUIRE(g->findings.size() == 1);
  CHECK(g->findings[0].kind == ZipFindingKind::bad_data);
}

TEST_CASE("duplicates, unsafe names and symlinks come from the central directory") {
  Item link{"link.jpg", "../../etc/passwd"};
  link.external = 0120777u << 16;
  auto r = test_bytes(build({{"a.jpg", "x"}, {"a.jpg", "y"}, {"../up.jpg", "z"}, link}));
  REQUIRE(r.ok());
  REQUIRE(r->findings.size() == 3);
  CHECK(r->findings[0].kind == ZipFindingKind::duplicate);
  CHECK(r->findings[0].entry == 1);
  CHECK(r->findings[0].detail == "the same name as entry 0");
  CHECK(r->findings[1].kind == ZipFindingKind::unsafe_name);
  CHECK(r->findings[1].detail == "unsafe to extract: a '..' component");
  CHECK(r->findings[2].kind == ZipFindingKind::symlink);
  CHECK(r->findings[2].entry == 3);
}

TEST_CASE("bytes before the archive: found, and the entries still read") {
  auto r = test_bytes(build({{"a.jpg", jpeg(10, 'a')}}, std::string(777, '#')));
  REQUIRE(r.ok());
  REQUIRE(r->findings.size() == 1);
  CHECK(r->findings[0].kind == ZipFindingKind::junk_before);
  CHECK(r->findings[0].entry == -1);
  CHECK(r->findings[0].detail == "777 bytes before the first entry (a self-extractor stub, or junk)");
  CHECK(r->ok == 1);
}

TEST_CASE("archives that cannot be read are errors with a kind and the archive's name") {
  auto kind_of = [](const std::string& bytes) {
    auto r = test_bytes(bytes);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.rfind("t.zip: ", 0) == 0);
    return r.error().kind;
  };
  CHECK(kind_of("") == "not_a_zip");
  CHECK(kind_of("hello, world, this is not an archive at all") == "not_a_zip");
  std::string good = build({{"a.jpg", jpeg(1000, 'a')}, {"b.jpg", jpeg(1000, 'b')}});
  CHECK(kind_of(good.substr(0, good.size() / 2)) == "truncated_archive");
  std::string lie = good;
  lie[lie.size() - 22 + 10] = 9;  // 9 entries claimed, 2 present
  lie[lie.size() - 22 + 8] = 9;
  CHECK(kind_of(lie) == "bad_central_directory");
  auto r = test_bytes(build({}));
  REQUIRE(r.ok());
  CHECK(r->dir.entries.empty());
}

TEST_CASE("--entries: missing, extra and changed, by size, CRC-32 and sha256") {
  std::string bytes = build({{"a.jpg", "aaaa"}, {"b.jpg", "bbbb"}, {"c.jpg", "cccc"}, {"sub/", ""}});
  const char* json = R"({"files": [
    {"path": "a.jpg", "size": 4, "sha256": "61be55a8e2f6b4e172338bddf184d6dbee29c98853e0a0485ecee7f27b9af0b4"},
    {"path": "b.jpg", "size": 5},
    {"path": "c.jpg", "crc32": "00000000"},
    {"path": "gone.jpg", "size": 1}
  ]})";
  auto manifest = parse_json_manifest(json, "m.json");
  REQUIRE(manifest.ok());
  ZipTestOptions o;
  o.entries = &manifest.value();
  auto r = test_bytes(bytes, o);
  REQUIRE(r.ok());
  CHECK(r->missing == std::vector<std::string>{"gone.jpg"});
  CHECK(r->extra.empty());  // folders are not files
  REQUIRE(r->changed.size() == 2);
  CHECK(r->changed[0].name == "b.jpg");
  CHECK(r->changed[0].detail == "size 4, the manifest says 5");
  CHECK(r->changed[1].name == "c.jpg");
  CHECK(r->changed[1].detail.rfind("CRC-32 ", 0) == 0);

  const char* wrong = R"({"files": [{"path": "a.jpg", "sha256": "0000000000000000000000000000000000000000000000000000000000000000"},
    {"path": "b.jpg"}]})";
  auto m2 = parse_json_manifest(wrong, "m2.json");
  REQUIRE(m2.ok());
  o.entries = &m2.value();
  auto r2 = test_bytes(bytes, o);
  REQUIRE(r2.ok());
  REQUIRE(r2->changed.size() == 1);
  CHECK(r2->changed[0].detail ==
        "sha256 61be55a8e2f6b4e172338bddf184d6dbee29c98853e0a0485ecee7f27b9af0b4, the manifest says "
        "0000000000000000000000000000000000000000000000000000000000000000");
  CHECK(r2->extra == std::vector<std::string>{"c.jpg"});
}

TEST_CASE("an entry over 64 MiB streams through zlib and tests clean to its last byte") {
  // 80 MiB + 1: the last input chunk ends as an output buffer fills, which once read as "cut short".
  std::string bytes = build({{"big.bin", std::string((80u << 20) + 1, '\0'), true}, {"after.jpg", jpeg(10, 'z')}});
  auto r = test_bytes(bytes);
  REQUIRE(r.ok());
  CHECK(r->findings.empty());
  CHECK(r->ok == 2);
}

TEST_CASE("a stored entry whose sizes differ is a size mismatch, found before any byte is handed on") {
  std::string fixed = build({{"a.jpg", jpeg(100, 'a')}});
  const std::size_t cd = fixed.find("PK\x01\x02");
  fixed[cd + 24] = 5;  // central size: 5 (little-endian low byte), compressed size stays 106
  fixed[cd + 25] = 0;
  fixed[22] = 5;       // local size too
  fixed[23] = 0;
  auto in = ZipInput::open_memory({reinterpret_cast<const std::uint8_t*>(fixed.data()), fixed.size()}, "t.zip");
  REQUIRE(in.ok());
  auto dir = read_zip_directory(*in);
  REQUIRE(dir.ok());
  ZipScratch scratch;
  std::size_t handed = 0;
  EntrySink sink = [&](std::span<const std::uint8_t> b) {
    handed += b.size();
    return Status{};
  };
  auto outcome = read_entry(*in, *dir, 0, scratch, &sink);
  REQUIRE(outcome.ok());
  REQUIRE(outcome->findings.size() == 1);
  CHECK(outcome->findings[0].kind == ZipFindingKind::size_mismatch);
  CHECK(outcome->findings[0].detail == "stored, but 106 bytes of data for a size of 5");
  CHECK(handed == 0);
}
