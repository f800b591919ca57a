// Hash manifests: the formats people already have (GNU coreutils, BSD tag,
// hashdeep) and the project's own JSON (docs/manifest-format.md), read into one
// model. Malformed lines are data (counted, with line numbers); a manifest that
// cannot be read or parsed at all is an Error.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/hashing.h"
#include "core/result.h"

namespace lv {

enum class ManifestFormat : std::uint8_t { gnu, bsd, hashdeep, json };
std::string_view format_name(ManifestFormat f);  // "sha256sum", "bsd", "hashdeep", "json"
std::optional<ManifestFormat> format_from_name(std::string_view name);

struct ManifestEntry {
  std::string path;                   // raw bytes, unescaped
  std::optional<std::uint64_t> size;  // known size, if the format has one
  std::vector<Digest> digests;  // expected; strongest first (algorithm_rank)
  std::optional<std::uint32_t> crc32;  // JSON manifests of zip entries; `check` ignores it
  std::string url;
  std::string note;
  // The digests are a hint from a single source (llava-release-facts: "unconfirmed"):
  // a file that differs is reported with a warning, never as a failure.
  bool unconfirmed = false;
  std::size_t line = 0;  // 1-based line of the entry in the manifest
};

struct MalformedLine {
  std::size_t line = 0;
  std::string reason;
};

struct ManifestSource {
  std::string repository;
  std::string revision;
  std::string url;
};

struct Manifest {
  std::string name;  // as given on the command line
  ManifestFormat format = ManifestFormat::gnu;
  std::vector<ManifestEntry> entries;
  std::vector<MalformedLine> malformed;
  std::optional<ManifestSource> source;
  // The algorithm most lines use; names the format in messages ("SHA256").
  Algorithm main_algorithm = Algorithm::sha256;
};

struct ParseOptions {
  // Forces the algorithm of untagged lines (otherwise it follows the digest
  // length: 32 md5, 40 sha1, 64 sha256, 128 sha512).
  std::optional<Algorithm> algorithm;
};

// Detects the format from the content, whatever the file's name.
// `readable_after`: bytes past the end of `text` that are allocated and may be
// read (any content); with 64 or more, a JSON manifest is parsed in place
// instead of from a padded copy (a 100 MB manifest: 100 MB less).
Result<Manifest> parse_manifest(std::string_view text, std::string name, const ParseOptions& options,
                                std::size_t readable_after = 0);
// How messages name a manifest: quoted like coreutils, "-" as 'standard input'.
std::string manifest_display_name(std::string_view path);
// Reads `path` ("-" is standard input) and parses it; errors name the file
// (`'x y.sums': No such file or directory`, `m.json: line 3: invalid JSON: ...`).
Result<Manifest> load_manifest(const std::string& path, const ParseOptions& options);

// The individual parsers, for tests and callers that know the format.
Manifest parse_text_manifest(std::string_view text, std::string name, const ParseOptions& options);
Result<Manifest> parse_hashdeep_manifest(std::string_view text, std::string name);
Result<Manifest> parse_json_manifest(std::string_view text, std::string name, std::size_t readable_after = 0);

// Sorts the digests of an entry strongest first and drops duplicates.
void normalize_digests(ManifestEntry& entry);

}  // namespace lv
