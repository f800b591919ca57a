// Writing manifests: sha256sum lines byte-identical to coreutils (escaping
// included), BSD tags, hashdeep, and the project's JSON.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/hashing.h"
#include "core/manifest.h"
#include "core/result.h"

namespace lv {

struct HashedFile {
  std::string name;  // as it goes into the manifest
  std::uint64_t size = 0;
  std::vector<Digest> digests;  // one per requested algorithm
  std::optional<std::uint32_t> crc32 = std::nullopt;  // zip entries: written by the JSON format
};

// `algorithms` in the order the user gave them. The sha256sum format holds one
// algorithm; hashdeep has no SHA-512 or BLAKE2b column and no way to write a
// name with a newline: those are Errors.
Result<std::string> render_manifest(ManifestFormat format, const std::vector<Algorithm>& algorithms,
                                    const std::vector<HashedFile>& files);

// A whole JSON manifest as `manifest refresh` writes it back: source, and for
// each entry path, size, crc32, digests (null when unknown), url and note.
std::string render_manifest_document(const Manifest& manifest);

}  // namespace lv
