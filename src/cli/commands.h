// One function per command; each returns the process exit code:
// 0 all verified, 1 findings, 2 usage or operational error.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/hashing.h"
#include "core/missing.h"

namespace lv::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFindings = 1;
inline constexpr int kExitError = 2;

struct CheckOptions {
  std::vector<std::string> manifests;
  std::string root;
  std::optional<Algorithm> algorithm;
  unsigned jobs = 0;  // 0: one per core
  bool quiet = false;
  bool status = false;
  bool warn = false;
  bool strict = false;
  bool ignore_missing = false;
  bool allow_unknown_hashes = false;
  bool no_progress = false;
  std::string json;  // report file, "-" for stdout
  std::vector<std::string> audit_dirs;
};
int run_check(const CheckOptions& options);

struct ManifestCreateOptions {
  std::vector<std::string> paths;
  std::string format = "sha256sum";
  std::vector<Algorithm> algorithms;
  std::string output;  // empty: stdout
  std::string zip;     // --zip ARCHIVE: a manifest of the archive's entries
  unsigned jobs = 0;
  bool no_progress = false;
};
int run_manifest_create(const ManifestCreateOptions& options);

struct MissingCommandOptions {
  std::string records;
  std::vector<std::string> stores;
  std::string meta;
  std::string csv, json, list;
  std::optional<double> max_missing_fraction;
  std::string deep;  // --deep[=LEVEL]: empty (off), structure or decode
  bool no_archive_compare = false;
  bool allow_absolute = false;
  bool row_keys = false;
  bool no_size_check = false;
  unsigned jobs = 0;
};
int run_missing(const MissingCommandOptions& options);

struct ZipCommandOptions {
  std::string archive;
  std::string entries;  // --entries MANIFEST
  std::string records;  // --records RECORDS
  std::string json;     // report file, "-" for stdout
  bool list_only = false;
  bool no_progress = false;
  unsigned jobs = 0;
};
int run_zip(const ZipCommandOptions& options);

struct ExtractCommandOptions {
  std::string archive;
  std::string dest;
  std::string only;     // --only LIST: names, one per line ("-": standard input)
  std::string records;  // with --only-missing
  std::string images;   // with --only-missing (default: --dest)
  bool only_missing = false;
  std::string deep;     // with --only-missing: images --deep calls corrupt count as lacking
  bool overwrite = false;
  bool allow_symlinks = false;
  std::uint64_t max_total_bytes = 0;
  std::uint64_t max_ratio = 100;
  bool no_progress = false;
  unsigned jobs = 0;
};
int run_extract(const ExtractCommandOptions& options);

// What fetch and manifest refresh share: where to go and how.
struct NetworkOptions {
  std::string endpoint;    // --endpoint, else $HF_ENDPOINT
  std::string token_file;  // --token-file, else $HF_TOKEN
  std::string cacert;
  double timeout = 30;        // connect timeout, seconds
  double stall_timeout = 60;  // seconds without a byte
};

struct FetchCommandOptions {
  std::string manifest;
  std::string dest;
  std::vector<std::string> only;
  NetworkOptions net;
  unsigned jobs = 4;
  unsigned retries = 5;
  double retry_delay = 1.0;
  bool allow_unknown_hashes = false;
  bool no_progress = false;
  bool force_progress = false;  // --progress: draw it even when stderr is not a terminal (logs)
};
int run_fetch(const FetchCommandOptions& options);

struct ProbeCommandOptions {
  std::string meta;
  std::string only;         // names, one per line (missing --list)
  std::string json, csv;
  std::string state;
  std::string dest;         // with --fetch-missing
  bool fetch_missing = false;
  std::string placeholders;
  std::vector<std::string> resolve;
  std::vector<std::string> url_map;  // FROM=TO
  std::string cacert;
  std::string user_agent;
  unsigned parallel = 64;
  unsigned per_host = 8;
  double connect_timeout = 10;
  double timeout = 30;
  unsigned retries = 2;
  double retry_delay = 0.2;
  long max_redirects = 5;
  bool ignore_robots = false;
  bool no_progress = false;
};
int run_probe(const ProbeCommandOptions& options);

struct RefreshCommandOptions {
  std::string manifest;
  std::string output;  // default: the manifest itself
  NetworkOptions net;
};
int run_manifest_refresh(const RefreshCommandOptions& options);

struct AuditCommandOptions {
  std::string dir;
  std::vector<std::string> manifests, images, records, require;
  std::string meta;
  std::string report_dir;
  std::string probe_report;
  std::optional<double> max_missing_fraction;
  bool allow_unknown_hashes = false;
  bool allow_absolute = false;
  std::string deep;
  bool no_archive_compare = false;
  bool timestamps = false;
  unsigned jobs = 0;
};
int run_audit(const AuditCommandOptions& options);
// Loads --meta, warning about what it repeats (the first record wins); false
// (and the reason printed) when it cannot be read.
bool load_meta_or_say_why(const std::string& path, MetaIndex& meta);

struct RewriteCommandOptions {
  std::string records;
  std::string out;
  bool in_place = false;
  std::string prefix;
  bool prefix_given = false;  // --prefix was given, even empty (an identity rewrite)
  std::vector<std::string> stores;
  std::string meta;
  std::string zip_dest;
  bool drop_missing = false;
  bool row_keys = false;
  bool rename_to_gcc = false;
  std::string deep;             // with --drop-missing: also drop images --deep calls corrupt
  bool fix_extensions = false;  // point X.jpg at the X.gif (X.png, ...) that is there instead
  bool no_archive_compare = false;
  unsigned jobs = 0;
};
int run_rewrite(const RewriteCommandOptions& options);

unsigned default_jobs();

// --deep[=LEVEL] as given ("" when absent).
DeepLevel deep_level(const std::string& given);

}  // namespace lv::cli
