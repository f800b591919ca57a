// `manifest refresh`: unknown sizes and sha256 of a manifest filled from the
// server. For a Git LFS file, a HEAD on its `resolve/<revision>/` URL answers,
// before any redirect, with X-Linked-Size and X-Linked-Etag (the sha256).
// A value that disagrees with a pinned one is a conflict, never an overwrite.
#pragma once

#include <string>
#include <vector>

#include "core/fetch.h"
#include "core/manifest.h"
#include "core/result.h"

namespace lv {

struct RefreshOutcome {
  std::string path;
  bool asked = false;        // the entry lacked a size or a sha256
  bool filled = false;       // something was learnt
  bool conflict = false;     // the server disagrees with a pinned value
  std::string detail;        // what was learnt, or why not
};

// Updates `manifest` in place (entries in `items` order, which follows it).
// Never changes a pinned value; conflicts are outcomes.
std::vector<RefreshOutcome> refresh_manifest(Manifest& manifest, const std::vector<FetchItem>& items,
                                             const HttpSettings& http);

}  // namespace lv
