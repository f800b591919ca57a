// Byte-preserving edits of the `image` values of a record file: every other
// byte (whitespace, key order, escapes, numbers) stays as it was, so the diff
// of input and output is the image values and nothing else.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/image_store.h"
#include "core/missing.h"
#include "core/records.h"
#include "core/result.h"

namespace lv {

struct RewriteOptions {
  std::string prefix;  // --prefix: prepended to each value
  // --images: each value points at the store that has the image: a folder or
  // img2dataset store as given joined with the path inside it; a zip entry at
  // the path `extract --dest` gives it (zip_dest, default: the zip's name
  // without .zip).
  const std::vector<std::unique_ptr<ImageStore>>* stores = nullptr;
  std::string zip_dest;
  const MetaIndex* meta = nullptr;  // URLs for img2dataset stores
  bool drop_missing = false;        // drop records whose image no store has (or is not usable: `judged`)
  // The images judged beforehand by find_missing over the same stores (--deep,
  // the archive compare, other extensions): one that is not usable counts as
  // missing; with fix_extensions, one under another extension points at the
  // file that is there (X.gif for X.jpg): only its extension changes, and the
  // values are not pointed at the stores.
  const MissingReport* judged = nullptr;
  bool fix_extensions = false;
  // Values are img2dataset files (`00000/000000123.jpg`): name them as LLaVA
  // does (`GCC_train_*.jpg`) through their sidecar URL and `meta`.
  bool rename_to_gcc = false;
  ScanOptions scan = [] {            // batch sizes (tests exercise small ones)
    ScanOptions o;
    o.overlap = true;  // the splice runs on the caller's thread: cutting on another pays
    return o;
  }();
};

struct RewriteStats {
  std::uint64_t records = 0;
  std::uint64_t with_image = 0;
  std::uint64_t rewritten = 0;  // value changed
  std::uint64_t unchanged = 0;  // same value (bytes kept as they were)
  std::uint64_t missing = 0;    // not in any store, or not usable: kept, or dropped with drop_missing
  std::uint64_t fixed_extensions = 0;  // pointed at the file under another extension (counted in rewritten)
  std::uint64_t invalid = 0;    // unsafe or non-string values: kept as they were
  std::uint64_t dropped = 0;
};

// Reads `in` and writes the result to `out` through a temporary file that is
// renamed into place only when complete (`out` may be `in` itself).
Result<RewriteStats> rewrite_records(const std::string& in, const std::string& out, const RewriteOptions& options);
// The same over bytes in memory (tests, fuzzing): the result is appended to `out`
// (partial when an Error is returned); `name` is how errors name the input.
Result<RewriteStats> rewrite_records_in(std::string_view text, std::string_view name, const RewriteOptions& options,
                                        std::string& out);

}  // namespace lv
