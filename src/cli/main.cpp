// llava-verify: parses the command line and hands over to one command.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "cli/commands.h"
#include "cli/console.h"
#include "core/atomic_file.h"
#include "core/version.h"

namespace {

using namespace lv;
using namespace lv::cli;

constexpr const char* kExitCodes =
    "Exit status:\n"
    "  0  every listed file verified\n"
    "  1  findings: a file failed, was missing or unreadable, has no known hash,\n"
    "     is unlisted (--audit), or a line was malformed (--strict)\n"
    "  2  the check could not run: usage, unreadable manifest, no valid line\n";

// CLI11 transform: algorithm names to Algorithm values.
Algorithm parse_algorithm_or_throw(const std::string& name) {
  auto a = algorithm_from_name(name);
  if (!a) throw CLI::ValidationError("--algo", "unknown algorithm '" + name + "' (md5, sha1, sha256, sha512, blake2b)");
  return *a;
}

void add_check(CLI::App& app, CheckOptions& o, std::string& algo) {
  auto* cmd = app.add_subcommand("check", "Verify the files that hash manifests list (sha256sum --check compatible)");
  cmd->footer(std::string("Manifest formats, detected from the content: sha256sum (untagged), BSD tags,\n"
                          "hashdeep, and llava-verify JSON (docs/manifest-format.md).\n\n") + kExitCodes);
  cmd->add_option("MANIFEST", o.manifests, "Manifest files ('-' for standard input)")->required();
  cmd->add_option("--root", o.root, "Resolve names in the manifests against DIR instead of the current directory")
      ->type_name("DIR");
  cmd->add_option("--algo", algo, "Algorithm of untagged lines (default: from the digest length)")->type_name("NAME");
  cmd->add_option("-j,--jobs", o.jobs, "Files read in parallel (default: one per core)")->type_name("N");
  // As in coreutils, the last of --quiet, --status and --warn wins (see apply_output_mode).
  cmd->add_flag("--quiet", o.quiet, "Don't print OK for each verified file");
  cmd->add_flag("--status", o.status, "Print nothing; the exit status tells");
  cmd->add_flag("-w,--warn", o.warn, "Warn about each improperly formatted line");
  cmd->add_flag("--strict", o.strict, "Exit 1 on improperly formatted lines");
  cmd->add_flag("--ignore-missing", o.ignore_missing, "Don't fail or report on missing files");
  cmd->add_flag("--allow-unknown-hashes", o.allow_unknown_hashes,
                "Accept entries checked on size alone (no known hash) without failing");
  cmd->add_option("--json", o.json, "Write a JSON report to FILE ('-' for standard output)")->type_name("FILE");
  cmd->add_option("--audit", o.audit_dirs, "Also list files under DIR that no manifest names")->type_name("DIR");
  cmd->add_flag("--no-progress", o.no_progress, "No progress line on a terminal");
}

// coreutils: each of --quiet, --status and --warn turns the other two off, so
// the last one given wins.
void apply_output_mode(const CLI::App& check, CheckOptions& o) {
  for (const CLI::Option* opt : check.parse_order()) {
    const std::string name = opt->get_name();
    if (name == "--quiet" || name == "--status" || name == "--warn") {
      o.quiet = name == "--quiet";
      o.status = name == "--status";
      o.warn = name == "--warn";
    }
  }
}

// --deep[=LEVEL]: a flag whose value is optional (--deep is --deep=structure).
void add_deep(CLI::App* cmd, std::string& level, const std::string& what) {
  cmd->add_flag("--deep{structure}", level,
                what + "--deep (or --deep=structure) walks each format's structure (JPEG markers to the end, PNG chunks, "
                "GIF blocks, WebP and BMP sizes); --deep=decode decodes each image as PIL would load it (libjpeg-turbo, "
                "libpng, giflib, libwebp). Images that are not whole are corrupt")
      ->type_name("LEVEL")
      ->check(CLI::IsMember({"structure", "decode"}));
}

void add_missing(CLI::App& app, MissingCommandOptions& o, double& max_fraction) {
  auto* cmd = app.add_subcommand("missing", "List the images a record file references that no store holds");
  cmd->footer(
      "Stores are tried in the order given: a folder, a zip archive (images.zip), or an\n"
      "img2dataset output folder (joined on the image URL from --meta). Write KIND:PATH\n"
      "(folder:, zip:, img2dataset:) to say which when detection guesses wrong.\n\n"
      "Exit status: 0 within the limit, 1 images missing (above --max-missing-fraction)\n"
      "or invalid image values, 2 could not run.");
  cmd->add_option("RECORDS", o.records, "A JSON array of records with an 'image' field")->required();
  cmd->add_option("--images", o.stores, "A store of images (repeatable)")->type_name("STORE")->required();
  cmd->add_option("--meta", o.meta, "Metadata with 'image' and 'url' (metadata.json): URLs in reports, img2dataset join")
      ->type_name("FILE");
  cmd->add_option("--csv", o.csv, "Write the missing records as CSV: index,id,image,url,caption")->type_name("FILE");
  cmd->add_option("--json", o.json, "Write a JSON report ('-' for standard output)")->type_name("FILE");
  cmd->add_option("--list", o.list, "Write the missing image names, one per line")->type_name("FILE");
  cmd->add_option("--max-missing-fraction", max_fraction, "Exit 1 only when more than F of the images are missing")
      ->type_name("F")->check(CLI::Range(0.0, 1.0));
  add_deep(cmd, o.deep, "Also check each image's content (folder stores): ");
  cmd->add_flag("--no-archive-compare", o.no_archive_compare,
                "Do not compare the files of a folder store with the entries of the same name in a zip store given too");
  cmd->add_flag("--allow-absolute", o.allow_absolute, "Check absolute image paths where they point");
  cmd->add_flag("--row-keys", o.row_keys, "img2dataset: map GCC_train_N to key N (unproven; see the warning)");
  cmd->add_flag("--no-size-check", o.no_size_check,
                "Take presence from the folder listing alone, no stat per file: faster on large folders, "
                "but empty files count as present");
  cmd->add_option("-j,--jobs", o.jobs, "Threads for listing folders and --deep (default: one per core)")->type_name("N");
}

void add_rewrite(CLI::App& app, RewriteCommandOptions& o) {
  auto* cmd = app.add_subcommand("rewrite", "Rewrite the 'image' values of a record file, touching no other byte");
  cmd->footer(
      "The output differs from the input only in the image values; an identity mapping\n"
      "gives the input back byte for byte. Written to a temporary file, then renamed.\n\n"
      "Exit status: 0 rewritten, 1 rewritten but some images are missing or invalid,\n"
      "2 could not run (nothing written).");
  cmd->add_option("RECORDS", o.records, "A JSON array of records with an 'image' field")->required();
  cmd->add_option("-o,--out", o.out, "Write the result to FILE")->type_name("FILE");
  cmd->add_flag("--in-place", o.in_place, "Replace RECORDS (the original stays until the new file is complete)");
  cmd->add_option("--prefix", o.prefix, "Prepend P to each value (e.g. an absolute image root ending in /)")
      ->type_name("P");
  cmd->add_option("--images", o.stores, "Point each value at the store that has the image (repeatable)")
      ->type_name("STORE");
  cmd->add_option("--meta", o.meta, "Metadata with 'image' and 'url', for img2dataset stores")->type_name("FILE");
  cmd->add_option("--zip-dest", o.zip_dest, "Where a zip store's images are extracted (default: its name without .zip)")
      ->type_name("DIR");
  cmd->add_flag("--drop-missing", o.drop_missing, "Drop the records whose image no store has (or that is empty, damaged, "
                "or with --deep corrupt: the output loads end to end)");
  add_deep(cmd, o.deep, "With --drop-missing, also drop the records whose image is not whole: ");
  cmd->add_flag("--fix-extensions", o.fix_extensions,
                "Point a missing X.jpg at the X.gif, X.png, ... its folder holds instead (OCR-VQA): only the extension of those "
                "values changes, the others stay as they are");
  cmd->add_flag("--no-archive-compare", o.no_archive_compare,
                "Do not compare folder images with the entries of the same name in a zip store given too");
  cmd->add_option("-j,--jobs", o.jobs, "Threads for --deep and the archive compare (default: one per core)")->type_name("N");
  cmd->add_flag("--rename-to-gcc", o.rename_to_gcc,
                "Values are img2dataset files: rename them GCC_train_*.jpg through their URL (needs --images "
                "img2dataset:DIR and --meta)");
  cmd->add_flag("--row-keys", o.row_keys, "img2dataset: map GCC_train_N to key N (unproven)");
}

void add_zip(CLI::App& app, ZipCommandOptions& o) {
  auto* cmd = app.add_subcommand("zip", "Test a zip archive entry by entry, and compare it with a manifest or records");
  cmd->footer(
      "Each entry's local header is checked against the central directory, and its data\n"
      "read (inflated when deflated) and checked against the CRC-32 and size. Also found:\n"
      "duplicate names, names unsafe to extract, symbolic links, encrypted entries,\n"
      "unsupported methods, overlapping entries and bytes before the archive.\n\n"
      "Exit status: 0 clean, 1 findings or differences, 2 the archive could not be read.");
  cmd->add_option("ARCHIVE", o.archive, "A zip archive (images.zip)")->required();
  cmd->add_option("--entries", o.entries, "Compare with a manifest of entries (sha256sum, BSD, hashdeep or JSON)")
      ->type_name("MANIFEST");
  cmd->add_option("--records", o.records, "Compare with a record file: images not in the archive, unreferenced entries")
      ->type_name("RECORDS");
  cmd->add_flag("--list-only", o.list_only, "Check the central directory only; read no entry data");
  cmd->add_option("--json", o.json, "Write a JSON report ('-' for standard output)")->type_name("FILE");
  cmd->add_option("-j,--jobs", o.jobs, "Entries read in parallel (default: one thread per core)")->type_name("N");
  cmd->add_flag("--no-progress", o.no_progress, "No progress line on a terminal");
}

void add_extract(CLI::App& app, ExtractCommandOptions& o) {
  auto* cmd = app.add_subcommand("extract", "Unpack a zip archive safely, or only the images a folder lacks");
  cmd->footer(
      "Writes only inside DEST: names with '..' or absolute paths are refused, symbolic links\n"
      "already in DEST are not followed, each file is written under a temporary name and\n"
      "renamed once its CRC-32 and size are right. Files already there with the same size\n"
      "and CRC-32 are skipped, so an interrupted run can simply be run again.\n\n"
      "Exit status: 0 every selected entry extracted or already there, 1 some refused,\n"
      "failed or not in the archive, 2 could not run (nothing written past the checks).");
  cmd->add_option("ARCHIVE", o.archive, "A zip archive (images.zip)")->required();
  cmd->add_option("-d,--dest", o.dest, "The folder to extract into (created if needed)")->type_name("DIR")->required();
  cmd->add_option("--only", o.only, "Extract only the entries named in FILE, one per line (e.g. missing --list)")
      ->type_name("FILE");
  cmd->add_flag("--only-missing", o.only_missing,
                "Extract only the images that --records names and the --images folder lacks");
  cmd->add_option("--records", o.records, "The record file for --only-missing")->type_name("RECORDS");
  add_deep(cmd, o.deep, "With --only-missing: also replace images that are not whole (as missing --deep finds them; a "
           "file that matches its entry is never replaced): ");
  cmd->add_option("--images", o.images, "The image folder for --only-missing (default: --dest)")->type_name("DIR");
  cmd->add_flag("--overwrite", o.overwrite, "Replace files that differ from the entry");
  cmd->add_flag("--allow-symlinks", o.allow_symlinks, "Create symbolic link entries whose target stays inside DEST");
  cmd->add_option("--max-total-bytes", o.max_total_bytes, "Refuse to write more than N bytes in all (default: no limit "
                  "but the free space)")->type_name("N");
  cmd->add_option("--max-ratio", o.max_ratio, "Refuse entries over 1 MiB that inflate more than N:1")
      ->type_name("N")->capture_default_str();
  cmd->add_option("-j,--jobs", o.jobs, "Entries written in parallel (default: one thread per core)")->type_name("N");
  cmd->add_flag("--no-progress", o.no_progress, "No progress line on a terminal");
}

void add_network(CLI::App* cmd, NetworkOptions& n) {
  cmd->add_option("--endpoint", n.endpoint, "Replace https://huggingface.co in URLs (mirrors; default: $HF_ENDPOINT)")
      ->type_name("URL");
  cmd->add_option("--token-file", n.token_file, "A file holding the access token (default: $HF_TOKEN); sent only to the "
                  "endpoint's host")->type_name("FILE");
  cmd->add_option("--cacert", n.cacert, "Trust the CA certificates in FILE (private mirrors); peers are always verified")
      ->type_name("FILE");
  cmd->add_option("--timeout", n.timeout, "Connect timeout in seconds")->type_name("SECONDS")->capture_default_str();
  cmd->add_option("--stall-timeout", n.stall_timeout, "Give up a transfer that sends nothing for this long (then retry)")
      ->type_name("SECONDS")->capture_default_str();
}

void add_fetch(CLI::App& app, FetchCommandOptions& o) {
  auto* cmd = app.add_subcommand("fetch", "Download the files of a manifest, resuming and verifying them");
  cmd->footer(
      "Data go to DIR/NAME.part; a re-run continues it with a Range request (If-Range on its\n"
      "ETag), or starts over when the server ignores Range or the file changed. The bytes are\n"
      "hashed as they arrive; size and sha256 are checked before the rename to NAME. A file\n"
      "already present and verified is skipped. Connection errors, timeouts, stalls, 5xx and\n"
      "429 (Retry-After) are retried with exponential backoff and jitter.\n\n"
      "Exit status: 0 all verified, 1 some file failed or has no known sha256, 2 could not run.");
  cmd->add_option("MANIFEST", o.manifest, "A llava-verify JSON manifest with URLs (manifests/*.json)")->required();
  cmd->add_option("-d,--dest", o.dest, "The folder to download into (created if needed)")->type_name("DIR")->required();
  cmd->add_option("--only", o.only, "Only this file of the manifest (repeatable)")->type_name("NAME")->allow_extra_args(false);
  cmd->add_option("-j,--jobs", o.jobs, "Parallel transfers")->type_name("N")->capture_default_str();
  cmd->add_option("--retries", o.retries, "Retries per file after the first attempt")->type_name("N")->capture_default_str();
  cmd->add_option("--retry-delay", o.retry_delay, "Seconds before the first retry (doubled each time, with jitter)")
      ->type_name("SECONDS")->capture_default_str();
  cmd->add_flag("--allow-unknown-hashes", o.allow_unknown_hashes, "Exit 0 even when a file has no known sha256");
  cmd->add_flag("--no-progress", o.no_progress, "No progress line on a terminal");
  cmd->add_flag("--progress", o.force_progress, "The progress line even when stderr is not a terminal (logs)");
  add_network(cmd, o.net);
}

void add_probe(CLI::App& app, ProbeCommandOptions& o) {
  auto* cmd = app.add_subcommand("probe", "Check which image URLs of a metadata file still answer with an image");
  cmd->footer(
      "Reads the url of each record (metadata.json, blip_laion_cc_sbu_558k_meta.json, any array\n"
      "of records with a url) and asks each server for the first bytes of the image (a Range\n"
      "request; a server that ignores it is cut off after them). Classes: ok, not_found,\n"
      "forbidden, server_error, timeout, connection_failed, not_image, placeholder, opted_out\n"
      "(X-Robots-Tag noai, noimageai, noindex or noimageindex, as img2dataset honours them).\n"
      "5xx, 429, timeouts and connection failures are retried with backoff. With --fetch-missing,\n"
      "the reachable images are downloaded whole into DEST under their image name (temporary\n"
      "name, checked, then renamed); files already there are not requested.\n\n"
      "Exit status: 0 every URL ok, 1 some are not, 2 could not run.");
  cmd->add_option("META", o.meta, "Metadata: a JSON array of records with url, image and id")->required();
  cmd->add_option("--only", o.only, "Only the images named in FILE, one per line (e.g. missing --list)")->type_name("FILE");
  cmd->add_option("--json", o.json, "Write the report as JSON to FILE ('-': standard output)")->type_name("FILE");
  cmd->add_option("--csv", o.csv, "Write the URLs that are not ok as CSV to FILE")->type_name("FILE");
  cmd->add_flag("--fetch-missing", o.fetch_missing, "Download the images that answer into --dest");
  cmd->add_option("-d,--dest", o.dest, "Where --fetch-missing writes (created if needed)")->type_name("DIR");
  cmd->add_option("--state", o.state, "Record each result in FILE; a re-run with it skips what is done")->type_name("FILE");
  cmd->add_option("--parallel", o.parallel, "Transfers in flight")->type_name("N")->capture_default_str()
      ->check(CLI::Range(1u, 4096u));
  cmd->add_option("--per-host", o.per_host, "Transfers in flight to one host")->type_name("N")->capture_default_str()
      ->check(CLI::Range(1u, 4096u));
  cmd->add_option("--connect-timeout", o.connect_timeout, "Seconds to connect")->type_name("SECONDS")->capture_default_str()
      ->check(CLI::Range(0.001, 3600.0));
  cmd->add_option("--timeout", o.timeout, "Seconds for a whole transfer")->type_name("SECONDS")->capture_default_str()
      ->check(CLI::Range(0.001, 86400.0));
  cmd->add_option("--retries", o.retries, "Retries after the first attempt")->type_name("N")->capture_default_str()
      ->check(CLI::Range(0u, 20u));
  cmd->add_option("--retry-delay", o.retry_delay, "Seconds before the first retry (doubled each time, with jitter)")
      ->type_name("SECONDS")->capture_default_str()->check(CLI::Range(0.0, 600.0));
  cmd->add_option("--max-redirects", o.max_redirects, "Redirects followed")->type_name("N")->capture_default_str()
      ->check(CLI::Range(0L, 50L));
  cmd->add_option("--resolve", o.resolve, "HOST:PORT:ADDR, as curl's --resolve (repeatable)")->type_name("ENTRY")
      ->allow_extra_args(false);
  cmd->add_option("--url-map", o.url_map, "FROM=TO: replace the URL prefix FROM by TO (repeatable; mirrors)")
      ->type_name("MAP")->allow_extra_args(false);
  cmd->add_option("--placeholders", o.placeholders, "Known placeholder images: lines \"SIZE SHA256 [LABEL]\"")
      ->type_name("FILE");
  cmd->add_flag("--ignore-robots", o.ignore_robots, "Do not classify X-Robots-Tag opt-outs");
  cmd->add_option("--user-agent", o.user_agent, "The User-Agent header (default: llava-verify/VERSION)")->type_name("TEXT");
  cmd->add_option("--cacert", o.cacert, "Trust the CA certificates in FILE instead of the system store")->type_name("FILE");
  cmd->add_flag("--no-progress", o.no_progress, "No progress line on a terminal");
}

void add_audit(CLI::App& app, AuditCommandOptions& o, double& max_fraction) {
  auto* cmd = app.add_subcommand("audit", "Check what a folder holds of the LLaVA release: the pre-training check and CI gate");
  cmd->footer(
      "DIR may be a LLaVA checkout, playground/data, or a release folder. Finds, up to 4 levels\n"
      "down: record files (by content: JSON records with 'conversations' or 'image'), metadata,\n"
      "zip archives, manifests (manifest.json, SHA256SUMS) and prompts folders. Checks the\n"
      "release files against their manifests (or the shipped ones), tests each archive, and\n"
      "finds the images each record file references that are not usable. A record file's\n"
      "image folder is its own folder, as the trainer's --image_folder (playground/data for\n"
      "llava_v1_5_mix665k.json), and its images/ sub-folder.\n\n"
      "Exit status: 0 pass, 1 the gate failed (each reason listed), 2 could not run.");
  cmd->add_option("DIR", o.dir, "The folder to audit")->required();
  cmd->add_option("--manifest", o.manifests, "Check against this manifest instead of the shipped ones (repeatable)")
      ->type_name("FILE")->allow_extra_args(false);
  cmd->add_option("--images", o.images, "Image stores instead of the record files' folders (repeatable)")
      ->type_name("STORE")->allow_extra_args(false);
  cmd->add_option("--meta", o.meta, "Metadata with 'image' and 'url' for the reports")->type_name("FILE");
  cmd->add_option("--records", o.records, "Another record file to check (repeatable)")->type_name("FILE")->allow_extra_args(false);
  cmd->add_option("--max-missing-fraction", max_fraction, "Pass while at most F of a record file's images are missing")
      ->type_name("F")->check(CLI::Range(0.0, 1.0));
  cmd->add_flag("--allow-unknown-hashes", o.allow_unknown_hashes, "Pass files that have no published hash");
  cmd->add_flag("--allow-absolute", o.allow_absolute, "Check absolute 'image' values where they point");
  add_deep(cmd, o.deep, "Also check each image's content: ");
  cmd->add_flag("--no-archive-compare", o.no_archive_compare,
                "Do not compare the images in folders with the entries of the same name in the zip archives beside them");
  cmd->add_option("--require", o.require, "Fail unless PATH (relative to DIR) exists (repeatable)")->type_name("PATH")->allow_extra_args(false);
  cmd->add_option("--report-dir", o.report_dir, "Write report.json, report.md, junit.xml, missing-images.csv and report.html")
      ->type_name("OUT");
  cmd->add_option("--probe-report", o.probe_report, "Include the summary of a `probe --json` report (not gated)")
      ->type_name("FILE");
  cmd->add_flag("--timestamps", o.timestamps, "Put the time of the run in the reports (off: byte-identical reports)");
  cmd->add_option("-j,--jobs", o.jobs, "Threads (default: one per core)")->type_name("N");
}

void add_manifest(CLI::App& app, ManifestCreateOptions& o, std::vector<std::string>& algos, RefreshCommandOptions& r) {
  auto* manifest = app.add_subcommand("manifest", "Create manifests, or fill in a JSON manifest's unknown values");
  manifest->require_subcommand(1);
  manifest->footer("Exit status: see `manifest create --help` and `manifest refresh --help`.");
  auto* create = manifest->add_subcommand("create", "Hash files and folders (recursively, sorted) into a manifest");
  create->footer(
      "Folders are walked recursively; names are relative to the folder given,\n"
      "sorted bytewise. The sha256sum output is byte-identical to `sha256sum`.\n\n"
      "Exit status: 0 all hashed, 1 some file could not be read, 2 usage or write error.");
  create->add_option("PATH", o.paths, "Files and folders");
  create->add_option("--zip", o.zip, "A manifest of the entries of a zip archive instead (JSON adds size and CRC-32)")
      ->type_name("ARCHIVE")->excludes("PATH");
  create->add_option("--format", o.format, "sha256sum, bsd, hashdeep or json")->capture_default_str();
  create->add_option("--algo", algos, "md5, sha1, sha256, sha512, blake2b (repeatable; default sha256)")
      ->type_name("NAME")
      ->allow_extra_args(false);  // one name per --algo: what follows is a PATH
  create->add_option("-o,--output", o.output, "Write to FILE atomically instead of standard output")
      ->type_name("FILE");
  create->add_option("-j,--jobs", o.jobs, "Files read in parallel (default: one per core)")->type_name("N");
  create->add_flag("--no-progress", o.no_progress, "No progress line on a terminal");

  auto* refresh = manifest->add_subcommand("refresh", "Fill a JSON manifest's unknown sizes and sha256 from the server");
  refresh->footer(
      "A HEAD on each file's resolve/<revision>/ URL, without following the redirect, reads\n"
      "X-Linked-Size and X-Linked-Etag (the sha256 of a Git LFS file). A value that disagrees\n"
      "with a pinned one is a conflict: nothing is written. The result replaces MANIFEST (or\n"
      "goes to -o FILE), written atomically.\n\n"
      "Exit status: 0 refreshed (or nothing to do), 1 some values could not be read, 2 conflicts\n"
      "or could not run.");
  refresh->add_option("MANIFEST", r.manifest, "A llava-verify JSON manifest")->required();
  refresh->add_option("-o,--output", r.output, "Write the result to FILE instead")->type_name("FILE");
  add_network(refresh, r.net);
}

}  // namespace

int main(int argc, char** argv) {
  init_console();
  (void)lv::process_umask();  // before any thread starts
  lv::remove_temporaries_on_signals();
  CLI::App app{"llava-verify: check that LLaVA training data on disk is exactly the published data"};
  app.name("llava-verify");
  app.set_version_flag("--version", std::string("llava-verify ") + kVersion);
  app.require_subcommand(1);
  app.footer(
      "Exit status, for every command: 0 all good, 1 findings (what they are: the\n"
      "command's --help), 2 the command could not run (usage, unreadable input).");

  CheckOptions check;
  std::string check_algo;
  add_check(app, check, check_algo);
  MissingCommandOptions missing;
  double max_fraction = -1;
  add_missing(app, missing, max_fraction);
  RewriteCommandOptions rewrite;
  add_rewrite(app, rewrite);
  ZipCommandOptions zip;
  add_zip(app, zip);
  ExtractCommandOptions extract;
  add_extract(app, extract);
  FetchCommandOptions fetch;
  add_fetch(app, fetch);
  ProbeCommandOptions probe;
  add_probe(app, probe);
  AuditCommandOptions audit;
  double audit_max_fraction = -1;
  add_audit(app, audit, audit_max_fraction);
  ManifestCreateOptions create;
  std::vector<std::string> create_algos;
  RefreshCommandOptions refresh;
  add_manifest(app, create, create_algos, refresh);

  try {
    app.parse(argc, argv);
    if (!check_algo.empty()) check.algorithm = parse_algorithm_or_throw(check_algo);
    apply_output_mode(*app.get_subcommand("check"), check);
    for (const auto& a : create_algos) create.algorithms.push_back(parse_algorithm_or_throw(a));
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    diag(e.what());
    diag("try 'llava-verify --help' or 'llava-verify COMMAND --help'");
    return kExitError;
  }

  // --jobs beyond a few threads per core only costs memory and thread limits.
  const unsigned max_jobs = 4 * default_jobs();
  for (unsigned* jobs : {&check.jobs, &create.jobs, &missing.jobs, &zip.jobs, &extract.jobs, &fetch.jobs, &audit.jobs}) *jobs = std::min(*jobs, max_jobs);

  int code = kExitError;
  try {
    if (app.got_subcommand("check")) {
      code = run_check(check);
    } else if (app.got_subcommand("rewrite")) {
      rewrite.prefix_given = app.get_subcommand("rewrite")->count("--prefix") > 0;
      code = run_rewrite(rewrite);
    } else if (app.got_subcommand("audit")) {
      if (audit_max_fraction >= 0) audit.max_missing_fraction = audit_max_fraction;
      code = run_audit(audit);
    } else if (app.got_subcommand("fetch")) {
      code = run_fetch(fetch);
    } else if (app.got_subcommand("probe")) {
      if (probe.fetch_missing != !probe.dest.empty()) {
        diag("probe: --fetch-missing and --dest go together");
        return kExitError;
      }
      code = run_probe(probe);
    } else if (app.get_subcommand("manifest")->got_subcommand("refresh")) {
      code = run_manifest_refresh(refresh);
    } else if (app.got_subcommand("extract")) {
      if (extract.only_missing && extract.records.empty()) {
        diag("extract: --only-missing needs --records RECORDS");
        return kExitError;
      }
      if (extract.only_missing && !extract.only.empty()) {
        diag("extract: --only and --only-missing do not go together");
        return kExitError;
      }
      code = run_extract(extract);
    } else if (app.got_subcommand("zip")) {
      code = run_zip(zip);
    } else if (app.got_subcommand("missing")) {
      if (max_fraction >= 0) missing.max_missing_fraction = max_fraction;
      code = run_missing(missing);
    } else if (app.get_subcommand("manifest")->got_subcommand("create")) {
      code = run_manifest_create(create);
    }
  } catch (const std::bad_alloc&) {
    diag("out of memory");
    return kExitError;
  } catch (const std::exception& e) {
    diag(fmt::format("internal error: {}", e.what()));
    return kExitError;
  }
  // Results that did not reach standard output (a full disk, a closed pipe) are an error.
  if (!stdout_ok()) {
    diag(fmt::format("write error on standard output: {}", std::strerror(errno)));
    return kExitError;
  }
  return code;
}
