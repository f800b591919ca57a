#pragma once

namespace lv {
// From project(VERSION ...) in CMakeLists.txt.
inline constexpr const char* kVersion = LLAVA_VERIFY_VERSION;
}  // namespace lv
