// Fuzzes zip reading through a memory-backed ZipInput: the central directory
// (read_zip_directory), name checks (zip_name_problem), every entry's local
// header and data (read_entry: inflate, CRC-32, size), and the whole test
// (test_zip). Invariants:
// - an archive that cannot be read is an Error naming the archive, with a kind;
// - the directory lies inside the file; entries_by_offset is a permutation in
//   offset order; the same bytes read as a file give the same directory;
// - an entry read without findings handed over exactly its size in bytes,
//   whose CRC-32 (computed here with zlib) is the directory's;
// - test_zip counts each entry once: clean, or with findings.
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/zip_directory.h"
#include "core/zip_entry.h"
#include "core/zip_input.h"
#include "core/zip_test.h"
#include "fuzz_check.h"

namespace {

// Bounds on the work one input may cause, so that a small zip bomb stays fast.
constexpr std::size_t kMaxEntriesRead = 64;
constexpr std::uint64_t kMaxBytesOut = 16u << 20;

bool known_kind(const std::string& kind) {
  return kind == "not_a_zip" || kind == "truncated_archive" || kind == "bad_central_directory" || kind == "unsupported";
}

bool same_directory(const lv::ZipDirectory& a, const lv::ZipDirectory& b) {
  if (a.entries.size() != b.entries.size() || a.directory_start != b.directory_start ||
      a.directory_size != b.directory_size || a.leading_bytes != b.leading_bytes || a.zip64 != b.zip64) {
    return false;
  }
  for (std::size_t i = 0; i < a.entries.size(); ++i) {
    const auto& x = a.entries[i];
    const auto& y = b.entries[i];
    if (x.name != y.name || x.header_offset != y.header_offset || x.compressed_size != y.compressed_size ||
        x.size != y.size || x.crc32 != y.crc32 || x.method != y.method || x.flags != y.flags) {
      return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> bytes(data, size);
  auto input = lv::ZipInput::open_memory(bytes, "fuzz.zip");
  LV_FUZZ_CHECK(input.ok(), input.ok() ? "" : input.error().message);
  auto dir = lv::read_zip_directory(*input);

  // The same bytes as a file (pread path).
  lv_fuzz::MemFile file(lv_fuzz::as_text(data, size));
  if (!file.path().empty()) {
    auto on_disk = lv::ZipInput::open_file(file.path());
    LV_FUZZ_CHECK(on_disk.ok(), on_disk.ok() ? "" : on_disk.error().message);
    auto dir2 = lv::read_zip_directory(*on_disk);
    LV_FUZZ_CHECK(dir2.ok() == dir.ok(), "");
    if (dir.ok()) LV_FUZZ_CHECK(same_directory(*dir, *dir2), "");
  }

  if (!dir.ok()) {
    LV_FUZZ_CHECK(dir.error().message.starts_with("fuzz.zip: "), dir.error().message);
    LV_FUZZ_CHECK(known_kind(dir.error().kind), dir.error().kind + ": " + dir.error().message);
    return 0;
  }
  const lv::ZipDirectory& d = *dir;
  LV_FUZZ_CHECK(d.file_size == size, "");
  LV_FUZZ_CHECK(d.directory_start <= size && d.directory_size <= size - d.directory_start, "");
  LV_FUZZ_CHECK(d.leading_bytes <= d.directory_start, "");

  const std::vector<std::size_t> order = lv::entries_by_offset(d);
  LV_FUZZ_CHECK(order.size() == d.entries.size(), "");
  std::vector<bool> seen(order.size());
  for (std::size_t k = 0; k < order.size(); ++k) {
    LV_FUZZ_CHECK(order[k] < order.size() && !seen[order[k]], "");
    seen[order[k]] = true;
    if (k > 0) LV_FUZZ_CHECK(d.entries[order[k - 1]].header_offset <= d.entries[order[k]].header_offset, "");
  }
  auto first = lv::first_entry_by_name(d);
  for (std::size_t i = 0; i < d.entries.size(); ++i) {
    const lv::ZipEntry& e = d.entries[i];
    const std::string problem = lv::zip_name_problem(e.name, e.utf8_flag());
    if (e.name.empty() || e.name.find('\0') != std::string::npos || e.name.front() == '/' ||
        e.name.find('\\') != std::string::npos || e.name == ".." || e.name.starts_with("../") ||
        e.name.find("/../") != std::string::npos || e.name.ends_with("/..")) {
      LV_FUZZ_CHECK(!problem.empty(), e.name);
    }
    (void)e.is_symlink();
    (void)e.unix_mode();
    const std::uint64_t* at = first.get(e.name);
    LV_FUZZ_CHECK(at != nullptr && *at <= i, e.name);
  }

  // Every entry (up to a bound), in file order, as `zip` reads them.
  lv::ZipScratch scratch;
  std::uint64_t total_out = 0;
  for (std::size_t k = 0; k < std::min(order.size(), kMaxEntriesRead) && total_out <= kMaxBytesOut; ++k) {
    const std::size_t i = order[k];
    const lv::ZipEntry& e = d.entries[i];
    input->set_read_ahead_limit(k + 1 < order.size() ? d.entries[order[k + 1]].header_offset : d.directory_start);
    std::uint64_t got = 0;
    uLong crc = crc32(0L, Z_NULL, 0);
    bool stopped = false;
    lv::EntrySink sink = [&](std::span<const std::uint8_t> chunk) -> lv::Status {
      got += chunk.size();
      total_out += chunk.size();
      crc = crc32(crc, chunk.data(), static_cast<uInt>(chunk.size()));
      if (total_out > kMaxBytesOut) {
        stopped = true;
        return lv::Error{"enough"};
      }
      return {};
    };
    auto outcome = lv::read_entry(*input, d, i, scratch, &sink);
    if (!outcome.ok()) {
      LV_FUZZ_CHECK(stopped && outcome.error().message == "enough", outcome.error().message);
      break;
    }
    LV_FUZZ_CHECK(got <= e.size || !outcome->findings.empty(), "more bytes than the size, without a finding");
    for (const auto& f : outcome->findings) {
      LV_FUZZ_CHECK(f.entry == static_cast<std::int64_t>(i) && !f.detail.empty(), f.detail);
    }
    if (outcome->data_read) LV_FUZZ_CHECK(outcome->crc32 == static_cast<std::uint32_t>(crc), "");
    if (outcome->findings.empty()) {
      LV_FUZZ_CHECK(outcome->data_read, e.name);
      LV_FUZZ_CHECK(got == e.size && static_cast<std::uint32_t>(crc) == e.crc32, e.name);
    }
  }

  // The whole test, one thread, when what it may inflate is bounded (the sizes
  // the directory gives bound what each entry's data may inflate to).
  std::uint64_t declared = 0;
  for (const auto& e : d.entries) declared += std::min<std::uint64_t>(e.size, kMaxBytesOut + 1);
  if (d.entries.size() <= kMaxEntriesRead && declared <= kMaxBytesOut) {
    lv::ZipTestOptions options;
    auto report = lv::test_zip(*input, options);
    LV_FUZZ_CHECK(report.ok(), report.ok() ? "" : report.error().message);
    std::vector<bool> flagged(d.entries.size());
    for (const auto& f : report->findings) {
      LV_FUZZ_CHECK(f.entry >= -1 && f.entry < static_cast<std::int64_t>(d.entries.size()), f.detail);
      if (f.entry >= 0) flagged[static_cast<std::size_t>(f.entry)] = true;
    }
    const auto clean = static_cast<std::uint64_t>(std::count(flagged.begin(), flagged.end(), false));
    LV_FUZZ_CHECK(report->ok == clean, "");
  }
  return 0;
}
