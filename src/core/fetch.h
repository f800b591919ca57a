// `llava-verify fetch`: the files of a manifest downloaded into a folder,
// resumed from `NAME.part` with a Range request (If-Range on the ETag the
// part came from), hashed as the bytes arrive, checked for size and sha256
// before the rename to the final name, retried with backoff.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/hashing.h"
#include "core/http.h"
#include "core/manifest.h"
#include "core/result.h"

namespace lv {

struct FetchItem {
  std::string name;  // the manifest path: where it goes under the destination
  std::string url;
  std::optional<std::uint64_t> size;
  std::optional<Digest> sha256;
  bool unconfirmed = false;  // sha256 is a hint: a file that differs is kept, with a warning
};

// The URL of each manifest entry: its `url` with the Hugging Face host
// replaced by `endpoint` (when given), or, without a `url`, built from the
// manifest's source: ENDPOINT/<repository>/resolve/<revision>/<path>.
Result<std::vector<FetchItem>> fetch_items(const Manifest& manifest, const std::string& endpoint);
// "https://huggingface.co": what --endpoint and HF_ENDPOINT replace.
inline constexpr std::string_view kDefaultEndpoint = "https://huggingface.co";

struct FetchProgress {
  std::atomic<std::uint64_t> files_done{0};
  std::atomic<std::uint64_t> bytes{0};  // on disk in finished and partial files
  // The file each transfer thread is on (the first kSlots threads): its item
  // index (-1: none) and its bytes on disk, for a per-file progress line.
  struct Current {
    std::atomic<std::int64_t> item{-1};
    std::atomic<std::uint64_t> bytes{0};
  };
  static constexpr std::size_t kSlots = 16;
  std::array<Current, kSlots> current{};
};

struct FetchOptions {
  std::string dest;
  unsigned jobs = 1;
  unsigned retries = 5;
  double retry_delay = 1.0;  // seconds; doubled each retry, with jitter
  HttpSettings http;
  FetchProgress* progress = nullptr;
};

enum class FetchState : std::uint8_t { downloaded, present, failed };

struct FetchResult {
  FetchState state = FetchState::failed;
  bool verified = false;       // a known sha256 matched (else only the size, or nothing, was known)
  bool unconfirmed_mismatch = false;  // kept although it differs from an unconfirmed sha256
  std::string detail;          // why it failed
  std::uint64_t received = 0;  // bytes received over the network
  unsigned attempts = 0;
  bool resumed = false;        // continued a .part left by an earlier run
};

// One result per item, in order. An Error only when nothing could start
// (the destination cannot be made).
Result<std::vector<FetchResult>> fetch_all(const std::vector<FetchItem>& items, const FetchOptions& options);

}  // namespace lv
