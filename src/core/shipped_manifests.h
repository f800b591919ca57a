// The manifests of manifests/, compiled into the binary (CMake embeds the
// files), so that `audit` checks a release without the source tree.
#pragma once

#include <string_view>
#include <vector>

namespace lv {

struct ShippedManifest {
  std::string_view name;  // "llava-pretrain.json"
  std::string_view text;  // the JSON, as in manifests/
};

// In name order.
const std::vector<ShippedManifest>& shipped_manifests();

}  // namespace lv
