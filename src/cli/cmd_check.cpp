// `llava-verify check`: sha256sum --check, faster, for every manifest format.
#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <thread>

#include "cli/commands.h"
#include "cli/console.h"
#include "cli/progress.h"
#include "core/check.h"
#include "core/fs.h"
#include "core/names.h"
#include "core/version.h"

namespace lv::cli {
namespace {

std::string plural(std::uint64_t n, std::string_view one, std::string_view many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

// Per-manifest counters, for the warnings sha256sum prints after each file.
struct ManifestTally {
  std::uint64_t mismatched = 0;
  std::uint64_t wrong_size = 0;  // failed on the size, no digest computed
  std::uint64_t unreadable = 0;
  std::uint64_t unverified = 0;  // size_only, unknown and unconfirmed
  std::uint64_t unconfirmed = 0;  // of those, differing from an unconfirmed digest
  std::uint64_t verified = 0;    // ok
};

std::string open_error_text(const FileResult& r) {
  if (r.status == FileStatus::special) return "not a regular file (FIFO, socket or device): not read";
  return error_text(r.error_number);
}

class CheckRun {
 public:
  explicit CheckRun(const CheckOptions& o) : o_(o), show_lines_(!o.status && o.json != "-") {}

  int run() {
    load_manifests();
    collect_unlisted();
    plan_ = plan_check(manifests_);
    ReadRun run(plan_.reads, o_.root, o_.jobs ? o_.jobs : default_jobs());
    verify_all(run);
    report_unlisted();
    if (!write_json()) exit_ = kExitError;
    return exit_;
  }

 private:
  // Every manifest is read before any file, so that the reads can be planned;
  // a manifest that could not be read is reported at its place in the output.
  void load_manifests() {
    ParseOptions parse{o_.algorithm};
    for (const auto& path : o_.manifests) {
      auto m = load_manifest(path, parse);
      if (!m) {
        load_errors_.push_back({manifests_.size(), m.error().message});
        continue;
      }
      summary_.malformed_lines += m->malformed.size();
      manifests_.push_back(std::move(m.value()));
    }
  }

  // Load errors of the manifests given before manifest `m` (all of them for SIZE_MAX).
  void report_load_errors_before(std::size_t m) {
    for (; next_load_error_ < load_errors_.size() && load_errors_[next_load_error_].before <= m; ++next_load_error_) {
      diag(load_errors_[next_load_error_].message);
      exit_ = kExitError;
    }
  }

  void collect_unlisted() {
    if (o_.audit_dirs.empty()) return;
    std::vector<std::string> problems;
    auto unlisted = find_unlisted(manifests_, o_.root, o_.audit_dirs, problems);
    for (const auto& p : problems) diag(p);
    if (!unlisted) {
      diag(unlisted.error().message);
      exit_ = kExitError;
      return;
    }
    unlisted_ = std::move(unlisted.value());
  }

  void verify_all(ReadRun& run) {
    records_.reserve(plan_.slots.size() + unlisted_.size());
    Progress progress(!o_.no_progress && stderr_is_terminal(), plan_.reads.size(), 0);
    progress.size_in_background(plan_.reads.size(),
                                [this](std::size_t i) { return join_path(o_.root, plan_.reads[i].path); });

    std::size_t slot = 0;
    for (std::size_t m = 0; m < manifests_.size(); ++m) {
      report_load_errors_before(m);
      const Manifest& manifest = manifests_[m];
      ManifestTally tally;
      std::size_t next_malformed = 0;
      for (const auto& entry : manifest.entries) {
        warn_malformed_before(manifest, entry.line, next_malformed);
        const FileReadResult* read = nullptr;
        while ((read = run.wait(plan_.slots[slot].read, std::chrono::milliseconds(100))) == nullptr) {
          auto p = run.progress();
          progress.update(p.files_done, p.bytes_done);
        }
        auto p = run.progress();
        progress.update(p.files_done, p.bytes_done);
        FileResult r = judge(entry, *read);
        print_result(entry, r, tally);
        count(summary_, r.status);
        records_.push_back({m, &entry, entry.path, read});
        ++slot;
      }
      warn_malformed_before(manifest, SIZE_MAX, next_malformed);
      finish_manifest(manifest, tally);
    }
    report_load_errors_before(SIZE_MAX);
    progress.finish();
  }

  void warn_malformed_before(const Manifest& m, std::size_t line, std::size_t& next) {
    for (; next < m.malformed.size() && m.malformed[next].line < line; ++next) {
      if (o_.warn) {
        // sha256sum's words for its formats; the parser's reason for ours (JSON, hashdeep).
        const bool ours = m.format == ManifestFormat::json || m.format == ManifestFormat::hashdeep;
        if (ours && !m.malformed[next].reason.empty()) {
          diag(fmt::format("{}: {}: {}", manifest_display_name(m.name), m.malformed[next].line, m.malformed[next].reason));
        } else {
          diag(fmt::format("{}: {}: improperly formatted {} checksum line", manifest_display_name(m.name),
                           m.malformed[next].line, algorithm_tag(m.main_algorithm)));
        }
      }
    }
  }

  void print_result(const ManifestEntry& entry, const FileResult& r, ManifestTally& tally) {
    const std::string name = check_display_name(entry.path);
    switch (r.status) {
      case FileStatus::ok:
        ++tally.verified;
        if (show_lines_ && !o_.quiet) out(name + ": OK\n");
        break;
      case FileStatus::failed:
        ++(r.size_mismatch ? tally.wrong_size : tally.mismatched);
        if (show_lines_) out(name + ": FAILED\n");
        break;
      case FileStatus::unconfirmed:
        ++tally.unverified;
        ++tally.unconfirmed;
        diag(fmt::format("warning: {}: differs from the manifest's unconfirmed {} (a value from a single source): "
                         "not counted as a failure; pin the value you trust",
                         quote_name(entry.path), algorithm_name(entry.digests.front().algorithm)));
        if (show_lines_ && !(o_.quiet && o_.allow_unknown_hashes)) out(name + ": DIFFERS FROM AN UNCONFIRMED HASH\n");
        break;
      case FileStatus::size_only:
      case FileStatus::unknown:
        ++tally.unverified;
        if (show_lines_ && !(o_.quiet && o_.allow_unknown_hashes)) {
          out(name + (r.status == FileStatus::size_only ? ": SIZE OK, NO HASH\n" : ": PRESENT, NO HASH OR SIZE\n"));
        }
        break;
      default:  // could not be opened or read
        // Like sha256sum, --ignore-missing ignores "No such file or directory" only.
        if (o_.ignore_missing && r.error_number == ENOENT) break;
        ++tally.unreadable;
        diag(fmt::format("{}: {}", quote_name(entry.path), open_error_text(r)));
        if (show_lines_) out(name + ": FAILED open or read\n");
        break;
    }
  }

  void finish_manifest(const Manifest& m, const ManifestTally& t) {
    if (m.entries.empty()) {
      diag(fmt::format("{}: no properly formatted checksum lines found", manifest_display_name(m.name)));
      exit_ = kExitError;
      return;
    }
    if (!o_.status) {
      if (!m.malformed.empty()) {
        diag(fmt::format("WARNING: {}", plural(m.malformed.size(), "line is improperly formatted",
                                               "lines are improperly formatted")));
      }
      if (t.unreadable) {
        diag(fmt::format("WARNING: {}", plural(t.unreadable, "listed file could not be read",
                                               "listed files could not be read")));
      }
      if (t.mismatched) {
        diag(fmt::format("WARNING: {}", plural(t.mismatched, "computed checksum did NOT match",
                                               "computed checksums did NOT match")));
      }
      if (t.wrong_size) {
        diag(fmt::format("WARNING: {}", plural(t.wrong_size, "listed file has the wrong size",
                                               "listed files have the wrong size")));
      }
      if (t.unverified > t.unconfirmed && !o_.allow_unknown_hashes) {
        diag(fmt::format("WARNING: {} (use --allow-unknown-hashes to accept)",
                         plural(t.unverified - t.unconfirmed, "listed file has no known hash",
                                "listed files have no known hash")));
      }
      if (t.unconfirmed && !o_.allow_unknown_hashes) {
        diag(fmt::format("WARNING: {} (use --allow-unknown-hashes to accept)",
                         plural(t.unconfirmed, "listed file differs from an unconfirmed hash",
                                "listed files differ from an unconfirmed hash")));
      }
    }
    bool failed = t.mismatched || t.wrong_size || t.unreadable || (o_.strict && !m.malformed.empty()) ||
                  (t.unverified && !o_.allow_unknown_hashes);
    if (o_.ignore_missing && t.verified == 0 && t.mismatched == 0 && t.wrong_size == 0 && t.unverified == 0) {
      if (!o_.status) diag(fmt::format("{}: no file was verified", manifest_display_name(m.name)));
      failed = true;
    }
    if (failed && exit_ == kExitOk) exit_ = kExitFindings;
  }

  void report_unlisted() {
    for (const auto& path : unlisted_) {
      if (show_lines_) out(check_display_name(path) + ": UNLISTED\n");
      count(summary_, FileStatus::unlisted);
      records_.push_back({0, nullptr, path, nullptr});
    }
    if (!unlisted_.empty()) {
      if (!o_.status) {
        diag(fmt::format("WARNING: {}", plural(unlisted_.size(), "file under the audited folders is not listed",
                                               "files under the audited folders are not listed")));
      }
      if (exit_ == kExitOk) exit_ = kExitFindings;
    }
  }

  bool write_json() {
    flush_out();
    if (o_.json.empty()) return true;
    std::string doc = render_check_json(manifests_, records_, summary_, ReportInfo{kVersion, o_.root});
    if (o_.json == "-") {
      out(doc);
      flush_out();
      return true;
    }
    if (auto s = write_file_atomic(o_.json, doc); !s) {
      diag(s.error().message);
      return false;
    }
    return true;
  }

  const CheckOptions& o_;
  const bool show_lines_;
  struct LoadError {
    std::size_t before;  // index in manifests_ of the next manifest that loaded
    std::string message;
  };
  std::vector<Manifest> manifests_;
  std::vector<LoadError> load_errors_;
  std::size_t next_load_error_ = 0;
  std::vector<std::string> unlisted_;
  CheckPlan plan_;
  std::vector<CheckRecord> records_;
  CheckSummary summary_;
  int exit_ = kExitOk;
};

}  // namespace

unsigned default_jobs() { return std::max(1u, std::thread::hardware_concurrency()); }

DeepLevel deep_level(const std::string& given) {
  if (given.empty()) return DeepLevel::off;
  return given == "decode" ? DeepLevel::decode : DeepLevel::structure;
}

int run_check(const CheckOptions& options) { return CheckRun(options).run(); }

}  // namespace lv::cli
