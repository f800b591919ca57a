// `llava-verify manifest create`: hash files and folders into a manifest.
#include <sys/stat.h>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/console.h"
#include "cli/progress.h"
#include "core/fs.h"
#include "core/manifest_write.h"
#include "core/names.h"
#include "core/read_run.h"
#include "core/verify.h"
#include "core/zip_test.h"

namespace lv::cli {
namespace {

int write_manifest(const ManifestCreateOptions& o, ManifestFormat format, const std::vector<Algorithm>& algorithms,
                   const std::vector<HashedFile>& hashed, int exit);

struct Planned {
  std::string name;     // in the manifest
  std::string fs_path;  // on disk
};

bool is_directory(const std::string& path) {
  struct stat st{};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// The entries of an archive, hashed as they are inflated; entries with
// findings are reported and left out (exit 1).
int hash_zip_entries(const ManifestCreateOptions& o, AlgorithmSet set, std::vector<HashedFile>& hashed) {
  ZipTestOptions options;
  options.jobs = o.jobs ? o.jobs : default_jobs();
  options.hash_all = set;
  auto report = test_zip(o.zip, options);
  if (!report) {
    diag(report.error().message);
    return kExitError;
  }
  int exit = kExitOk;
  std::vector<bool> flagged(report->dir.entries.size(), false);
  for (const auto& f : report->findings) {
    if (f.entry < 0) continue;
    const auto i = static_cast<std::size_t>(f.entry);
    flagged[i] = true;
    diag(fmt::format("{}: {} (entry {}): {}: {}; left out", quote_name(o.zip), quote_name(report->dir.entries[i].name), i,
                     zip_finding_name(f.kind), f.detail));
    exit = kExitFindings;
  }
  for (std::size_t i = 0; i < report->dir.entries.size(); ++i) {
    const ZipEntry& e = report->dir.entries[i];
    if (flagged[i] || e.is_directory() || report->digests[i].empty()) continue;
    hashed.push_back({e.name, e.size, report->digests[i], e.crc32});
  }
  std::sort(hashed.begin(), hashed.end(), [](const HashedFile& a, const HashedFile& b) { return a.name < b.name; });
  return exit;
}

}  // namespace


int run_manifest_create(const ManifestCreateOptions& o) {
  auto format = format_from_name(o.format);
  if (!format) {
    diag(fmt::format("unknown format '{}' (expected sha256sum, bsd, hashdeep or json)", o.format));
    return kExitError;
  }
  std::vector<Algorithm> algorithms = o.algorithms;
  if (algorithms.empty()) algorithms.push_back(Algorithm::sha256);
  AlgorithmSet set;
  for (Algorithm a : algorithms) set.add(a);

  if (o.zip.empty() && o.paths.empty()) {
    diag("manifest create: give files and folders, or --zip ARCHIVE");
    return kExitError;
  }
  int exit = kExitOk;
  std::vector<HashedFile> hashed;
  if (!o.zip.empty()) {
    exit = hash_zip_entries(o, set, hashed);
    if (exit == kExitError) return exit;
    return write_manifest(o, *format, algorithms, hashed, exit);
  }
  const std::string output_norm = o.output.empty() ? std::string() : normalize_path(o.output);
  std::vector<Planned> planned;
  for (const auto& path : o.paths) {
    if (!is_directory(path)) {
      planned.push_back({path, path});
      continue;
    }
    auto walked = walk_files(path);
    if (!walked) {
      diag(walked.error().message);
      exit = kExitFindings;
      continue;
    }
    for (const auto& p : walked->problems) {
      diag(p);
      exit = kExitFindings;
    }
    for (const auto& s : walked->skipped) diag(fmt::format("skipped {}", s));
    for (auto& f : walked->files) {
      std::string fs_path = join_path(path, f.relative);
      if (!output_norm.empty() && normalize_path(fs_path) == output_norm) continue;  // not the manifest itself
      planned.push_back({std::move(f.relative), std::move(fs_path)});
    }
  }

  std::vector<ReadItem> items;
  items.reserve(planned.size());
  for (const auto& p : planned) items.push_back({p.fs_path, set, std::nullopt});  // fs_path already joined

  hashed.reserve(planned.size());
  {
    Progress progress(!o.no_progress && stderr_is_terminal(), items.size(), 0);
    progress.size_in_background(items.size(), [&planned](std::size_t i) { return planned[i].fs_path; });
    ReadRun run(items, "", o.jobs ? o.jobs : default_jobs());
    for (std::size_t i = 0; i < items.size(); ++i) {
      const FileReadResult* read = nullptr;
      while ((read = run.wait(i, std::chrono::milliseconds(100))) == nullptr) {
        auto p = run.progress();
        progress.update(p.files_done, p.bytes_done);
      }
      FileResult described = describe(*read);
      const FileResult* r = &described;
      if (r->status != FileStatus::ok) {
        std::string why = r->status == FileStatus::special ? "not a regular file (FIFO, socket or device): not read"
                                                           : error_text(r->error_number);
        diag(fmt::format("{}: {}", quote_name(planned[i].fs_path), why));
        exit = kExitFindings;
        continue;
      }
      hashed.push_back({planned[i].name, r->size.value_or(0), r->actual});
    }
  }

  return write_manifest(o, *format, algorithms, hashed, exit);
}

namespace {

int write_manifest(const ManifestCreateOptions& o, ManifestFormat format, const std::vector<Algorithm>& algorithms,
                   const std::vector<HashedFile>& hashed, int exit) {
  auto text = render_manifest(format, algorithms, hashed);
  if (!text) {
    diag(text.error().message);
    return kExitError;
  }
  if (o.output.empty()) {
    out(text.value());
    flush_out();
  } else if (auto s = write_file_atomic(o.output, text.value()); !s) {
    diag(s.error().message);
    return kExitError;
  }
  return exit;
}

}  // namespace

}  // namespace lv::cli
