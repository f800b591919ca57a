// Runs a fuzz target's LLVMFuzzerTestOneInput on every file of the folders (or
// files) given: the committed corpora and regression inputs replayed by the
// normal test suite, built by any compiler, without libFuzzer.
// Exit 0 when every input ran (an invariant violation aborts), 2 on an
// unreadable path or when no input at all was found. A folder that does not
// exist counts as empty (regressions/<target>/ may not exist yet).
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace fs = std::filesystem;

namespace {

bool run_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "replay: cannot read %s\n", path.c_str());
    return false;
  }
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // A copy of its own, like libFuzzer's, so that reads past the end are caught.
  std::vector<std::uint8_t> copy(bytes.begin(), bytes.end());
  LLVMFuzzerTestOneInput(copy.data(), copy.size());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t ran = 0;
  bool ok = true;
  for (int a = 1; a < argc; ++a) {
    const fs::path root(argv[a]);
    std::error_code ec;
    if (!fs::exists(root, ec)) continue;
    if (!fs::is_directory(root, ec)) {
      if (run_file(root)) {
        ++ran;
      } else {
        ok = false;
      }
      continue;
    }
    std::vector<fs::path> files;
    for (const auto& entry : fs::recursive_directory_iterator(root, ec)) {
      if (entry.is_regular_file()) files.push_back(entry.path());
    }
    if (ec) {
      std::fprintf(stderr, "replay: cannot list %s: %s\n", root.c_str(), ec.message().c_str());
      return 2;
    }
    std::sort(files.begin(), files.end());  // the same order on every run
    for (const auto& f : files) {
      if (f.filename().string().front() == '.') continue;  // .gitkeep and the like
      if (!run_file(f)) {
        ok = false;
        continue;
      }
      ++ran;
    }
  }
  std::printf("replay: %zu inputs\n", ran);
  if (ran == 0) {
    std::fprintf(stderr, "replay: no input found (is the corpus folder there?)\n");
    return 2;
  }
  return ok ? 0 : 2;
}
