#include "core/zip_test.h"

#include <fmt/format.h>

#include <algorithm>
#include <mutex>
#include <thread>

#include "core/flat_map.h"
#include "core/fs.h"
#include "core/image_store.h"
#include "core/names.h"
#include "core/records.h"

namespace lv {
namespace {

constexpr std::size_t kEntriesPerClaim = 64;

std::uint64_t saturating_add(std::uint64_t a, std::uint64_t b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; }

// Where an entry ends at the least, from the central directory alone: a local
// header with its central name, then its compressed data.
std::uint64_t estimated_end(const ZipEntry& e) {
  return saturating_add(saturating_add(e.header_offset, kLocalHeaderSize + e.name.size()), e.compressed_size);
}

// Entries whose local header lies inside an earlier entry's estimated bytes:
// their data are not read (they would be read again and again: the
// overlapping-file bomb), and the overlap pass reports them.
std::vector<bool> inside_others(const ZipDirectory& dir, const std::vector<std::size_t>& by_offset) {
  std::vector<bool> inside(dir.entries.size(), false);
  std::uint64_t reach = 0;
  bool any = false;
  for (std::size_t i : by_offset) {
    const ZipEntry& e = dir.entries[i];
    if (any && e.header_offset < reach) inside[i] = true;
    if (!any || estimated_end(e) > reach) reach = estimated_end(e);
    any = true;
  }
  return inside;
}

// Findings the central directory alone shows: duplicates, unsafe names, symlinks.
void directory_findings(const ZipDirectory& dir, const FlatStringMap<std::uint64_t>& first, std::vector<ZipFinding>& out) {
  if (dir.leading_bytes > 0) {
    out.push_back({ZipFindingKind::junk_before, -1, 0,
                   fmt::format("{} bytes before the first entry (a self-extractor stub, or junk)", dir.leading_bytes)});
  }
  for (std::size_t i = 0; i < dir.entries.size(); ++i) {
    const ZipEntry& e = dir.entries[i];
    const auto index = static_cast<std::int64_t>(i);
    if (const std::uint64_t owner = *first.find(e.name).second; owner != i) {
      out.push_back({ZipFindingKind::duplicate, index, e.header_offset, fmt::format("the same name as entry {}", owner)});
    }
    if (std::string problem = zip_name_problem(e.name, e.utf8_flag()); !problem.empty()) {
      out.push_back({ZipFindingKind::unsafe_name, index, e.header_offset, "unsafe to extract: " + problem});
    }
    if (e.is_symlink()) {
      out.push_back({ZipFindingKind::symlink, index, e.header_offset, "a symbolic link (not extracted unless asked)"});
    }
  }
}

// Entries whose local header lies inside another entry's bytes: the
// overlapping-file zip bomb, or a damaged directory. `ends[i]` is where entry
// i's header, data and descriptor end.
void overlap_findings(const ZipDirectory& dir, const std::vector<std::size_t>& order, const std::vector<std::uint64_t>& ends,
                      std::vector<ZipFinding>& out) {
  std::uint64_t reach = 0;
  std::size_t owner = 0;
  bool any = false;
  for (std::size_t i : order) {
    const ZipEntry& e = dir.entries[i];
    if (e.header_offset >= dir.directory_start) continue;  // reported as truncated
    if (any && e.header_offset < reach) {
      out.push_back({ZipFindingKind::overlapping, static_cast<std::int64_t>(i), e.header_offset,
                     fmt::format("its local header at byte {} lies inside entry {} ({}, bytes {}-{})", e.header_offset, owner,
                                 quote_name(dir.entries[owner].name), dir.entries[owner].header_offset, reach - 1)});
    }
    if (!any || ends[i] > reach) {
      reach = ends[i];
      owner = i;
      any = true;
    }
  }
}

struct Shared {
  const ZipDirectory& dir;
  const ZipTestOptions& options;
  const std::vector<std::size_t>& order;  // entry indexes by local header offset
  const std::vector<AlgorithmSet>& hash;  // per entry: digests the manifest asks for
  std::vector<EntryOutcome> outcomes;
  std::vector<std::vector<Digest>> digests;
  std::atomic<std::size_t> next{0};
  std::atomic<bool> stop{false};
  std::mutex error_mutex;
  std::optional<std::pair<std::size_t, Error>> error;  // the first by entry position
};

void work(Shared& sh, ZipInput& input) {
  ZipScratch scratch;
  MultiHasher hasher;
  EntrySink to_hasher = [&](std::span<const std::uint8_t> bytes) {
    hasher.update(bytes.data(), bytes.size());
    return Status{};
  };
  while (!sh.stop.load(std::memory_order_relaxed)) {
    const std::size_t at = sh.next.fetch_add(kEntriesPerClaim);
    if (at >= sh.order.size()) break;
    // Read ahead to the start of the next share, never into another thread's.
    const std::size_t after = at + kEntriesPerClaim;
    input.set_read_ahead_limit(after < sh.order.size() ? sh.dir.entries[sh.order[after]].header_offset
                                                       : sh.dir.directory_start);
    for (std::size_t k = at; k < std::min(at + kEntriesPerClaim, sh.order.size()); ++k) {
      const std::size_t i = sh.order[k];
      const bool hashing = !sh.hash.empty() && !sh.hash[i].empty();
      if (hashing) hasher.start(sh.hash[i]);
      auto outcome = read_entry(input, sh.dir, i, scratch, hashing ? &to_hasher : nullptr);
      if (!outcome) {
        std::lock_guard lock(sh.error_mutex);
        if (!sh.error || sh.error->first > k) sh.error.emplace(k, outcome.error());
        sh.stop = true;
        return;
      }
      if (hashing) {
        auto d = hasher.finish();
        if (outcome->data_read) sh.digests[i] = std::move(d);
      }
      sh.outcomes[i] = std::move(outcome.value());
      if (sh.options.progress != nullptr) {
        sh.options.progress->entries.fetch_add(1, std::memory_order_relaxed);
        sh.options.progress->bytes.fetch_add(sh.dir.entries[i].compressed_size, std::memory_order_relaxed);
      }
    }
  }
}

void compare_with_manifest(ZipReport& report, const Manifest& manifest, const FlatStringMap<std::uint64_t>& by_name,
                           const std::vector<std::vector<Digest>>& digests) {
  report.compared = true;
  report.manifest_name = manifest.name;
  report.malformed_manifest_lines = manifest.malformed.size();
  const ZipDirectory& dir = report.dir;
  std::vector<bool> named(dir.entries.size(), false);
  for (const ManifestEntry& m : manifest.entries) {
    auto [key, index] = by_name.find(m.path);
    if (index == nullptr) {
      report.missing.push_back(m.path);
      continue;
    }
    named[*index] = true;
    const ZipEntry& e = dir.entries[*index];
    std::vector<std::string> what;
    if (m.size && *m.size != e.size) what.push_back(fmt::format("size {}, the manifest says {}", e.size, *m.size));
    if (m.crc32 && *m.crc32 != e.crc32) what.push_back(fmt::format("CRC-32 {:08x}, the manifest says {:08x}", e.crc32, *m.crc32));
    if (what.empty()) {
      for (const Digest& want : m.digests) {
        const auto& got = digests[*index];
        auto it = std::find_if(got.begin(), got.end(), [&](const Digest& d) { return d.algorithm == want.algorithm; });
        if (it == got.end()) continue;  // the data could not be read: a finding already says why
        if (!(*it == want)) {
          what.push_back(fmt::format("{} {}, the manifest says {}", algorithm_name(want.algorithm), it->hex(), want.hex()));
        }
      }
    }
    if (!what.empty()) {
      std::string detail = what.front();
      for (std::size_t k = 1; k < what.size(); ++k) detail += "; " + what[k];
      report.changed.push_back({m.path, std::move(detail)});
    }
  }
  for (std::size_t i = 0; i < dir.entries.size(); ++i) {
    if (named[i] || dir.entries[i].is_directory()) continue;
    auto [key, first] = by_name.find(dir.entries[i].name);
    if (first != nullptr && *first != i) continue;  // a duplicate: reported as such
    report.extra.push_back(dir.entries[i].name);
  }
}

}  // namespace

bool ZipReport::clean() const {
  return findings.empty() && missing.empty() && extra.empty() && changed.empty() && not_in_archive.empty() &&
         unreferenced.empty() && malformed_manifest_lines == 0;
}

Result<ZipReport> test_zip(const std::string& path, const ZipTestOptions& options) {
  auto input = ZipInput::open_file(path);
  if (!input) return Error{input.error().message, "io"};
  return test_zip(*input, options);
}

Result<ZipReport> test_zip(ZipInput& input, const ZipTestOptions& options) {
  auto dir = read_zip_directory(input);
  if (!dir) return dir.error();
  ZipReport report;
  report.archive = input.name();
  report.dir = std::move(dir.value());
  report.list_only = options.list_only;
  const ZipDirectory& d = report.dir;
  const std::size_t n = d.entries.size();
  for (const auto& e : d.entries) report.data_bytes = saturating_add(report.data_bytes, e.size);

  std::vector<ZipFinding> findings;
  FlatStringMap<std::uint64_t> by_name = first_entry_by_name(d);
  const std::vector<std::size_t> order = entries_by_offset(d);
  directory_findings(d, by_name, findings);
  if (options.entries == nullptr) by_name = {};  // not held while the data are read
  std::vector<std::uint64_t> ends(n);
  std::vector<std::vector<Digest>> digests(n);

  if (options.list_only) {
    // No local header is read: an entry ends, at the least, after a header
    // with its central name and its compressed data.
    for (std::size_t i = 0; i < n; ++i) ends[i] = estimated_end(d.entries[i]);
  } else {
    // Entries inside others are not read: their estimated ends stand.
    const std::vector<bool> skip = inside_others(d, order);
    std::vector<std::size_t> to_read;
    to_read.reserve(n);
    for (std::size_t i : order) {
      if (skip[i]) {
        ends[i] = estimated_end(d.entries[i]);
      } else {
        to_read.push_back(i);
      }
    }
    std::vector<AlgorithmSet> hash;
    if (!options.hash_all.empty()) hash.assign(n, options.hash_all);
    if (options.entries != nullptr) {
      for (const ManifestEntry& m : options.entries->entries) {
        auto [key, index] = by_name.find(m.path);
        if (index == nullptr || m.digests.empty()) continue;
        if (hash.empty()) hash.resize(n);
        for (const Digest& dg : m.digests) hash[*index].add(dg.algorithm);
      }
    }
    if (options.progress != nullptr) {
      std::uint64_t bytes = 0;
      for (std::size_t i : to_read) bytes = saturating_add(bytes, d.entries[i].compressed_size);
      options.progress->total_entries = to_read.size();
      options.progress->total_bytes = bytes;
      options.progress->sized = true;
    }
    Shared sh{d, options, to_read, hash, std::vector<EntryOutcome>(n), std::vector<std::vector<Digest>>(n), {}, {}, {}, {}};
    const unsigned jobs = std::max(
        1u, std::min<unsigned>(options.jobs, static_cast<unsigned>((to_read.size() + kEntriesPerClaim - 1) / kEntriesPerClaim)));
    std::vector<ZipInput> inputs;
    for (unsigned t = 1; t < jobs; ++t) {
      auto other = input.reopen();
      if (!other) return Error{other.error().message, "io"};
      inputs.push_back(std::move(other.value()));
    }
    {
      std::vector<std::jthread> threads;
      // A worker that throws (out of memory) stops the run with an error, never the process.
      auto guarded = [&sh](ZipInput& in) {
        try {
          work(sh, in);
        } catch (const std::exception& e) {
          std::lock_guard lock(sh.error_mutex);
          if (!sh.error) sh.error.emplace(0, Error{fmt::format("{}: {}", quote_name(in.name()), e.what())});
          sh.stop = true;
        }
      };
      for (auto& in : inputs) threads.emplace_back([&guarded, &in] { guarded(in); });
      guarded(input);
    }
    if (sh.error) return Error{sh.error->second.message, "io"};
    for (std::size_t i : to_read) {
      ends[i] = sh.outcomes[i].extent_end;
      for (auto& f : sh.outcomes[i].findings) findings.push_back(std::move(f));
    }
    digests = std::move(sh.digests);
  }
  overlap_findings(d, order, ends, findings);
  std::stable_sort(findings.begin(), findings.end(), [](const ZipFinding& a, const ZipFinding& b) {
    return a.entry != b.entry ? a.entry < b.entry : a.kind < b.kind;
  });
  std::vector<bool> flagged(n, false);
  for (const auto& f : findings) {
    if (f.entry < 0) {
      report.counts[static_cast<std::size_t>(f.kind)]++;
      continue;
    }
    flagged[static_cast<std::size_t>(f.entry)] = true;
  }
  // Count entries per kind (an entry with two header mismatches counts once).
  std::int64_t last_entry = -2;
  std::array<bool, kZipFindingKinds> seen{};
  for (const auto& f : findings) {
    if (f.entry < 0) continue;
    if (f.entry != last_entry) {
      seen.fill(false);
      last_entry = f.entry;
    }
    auto k = static_cast<std::size_t>(f.kind);
    if (!seen[k]) report.counts[k]++;
    seen[k] = true;
  }
  report.ok = static_cast<std::uint64_t>(std::count(flagged.begin(), flagged.end(), false));
  report.findings = std::move(findings);
  if (options.entries != nullptr) compare_with_manifest(report, *options.entries, by_name, digests);
  if (!options.hash_all.empty()) report.digests = std::move(digests);
  return report;
}

Status compare_with_records(ZipReport& report, const std::string& records_path) {
  report.records_compared = true;
  report.records_name = records_path;
  const ZipDirectory& d = report.dir;
  FlatStringMap<std::uint8_t> entries;  // 0 not referenced, 1 referenced
  entries.reserve(d.entries.size());
  for (const auto& e : d.entries) {
    if (!e.is_directory()) entries.try_emplace(e.name, 0);
  }
  StringArena arena;
  FlatStringMap<std::uint8_t> absent;  // referenced names already listed as not in the archive
  Status scanned = scan_records(records_path, ScanOptions{}, [&](const RecordBatch& batch) -> Status {
    for (const Record& r : batch.records) {
      ++report.records;
      if (r.image_kind != ImageKind::string || !image_path_problem(r.image).empty()) continue;
      ++report.referenced;
      std::string normalized;
      std::string_view image = r.image;
      if (!is_normal_path(image)) image = normalized = normalize_path(r.image);
      if (std::uint8_t* mark = entries.get(image); mark != nullptr) {
        *mark = 1;
      } else if (absent.find(image).second == nullptr) {
        absent.try_emplace(arena.intern(image), 1);
        report.not_in_archive.emplace_back(image);
      }
    }
    return {};
  });
  if (!scanned) return scanned;
  for (const auto& e : d.entries) {
    if (e.is_directory()) continue;
    std::uint8_t* mark = entries.get(e.name);
    if (mark != nullptr && *mark == 0) {
      report.unreferenced.push_back(e.name);
      *mark = 2;  // listed once, whatever the duplicates
    }
  }
  return {};
}

}  // namespace lv
