// Test-only: prints, for each file argument, NAME<TAB>ok|error<TAB>reason as
// `--deep=decode` judges it (image_decode_check), and with -s the structure
// walk's verdict (image_structure_problem) instead. Used to compare verdicts
// with PIL's file by file (tests/cli/compat_decode_pil.sh).
#include <cstdio>
#include <cstring>
#include <string>

#include "core/image_check.h"
#include "core/image_decode.h"

int main(int argc, char** argv) {
  bool structure = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "-s") == 0) {
      structure = true;
      continue;
    }
    const std::string path = argv[i];
    const std::string name = path.substr(path.rfind('/') + 1);
    const std::string problem = structure ? lv::image_structure_problem(path) : lv::image_decode_check(path).problem;
    std::printf("%s\t%s\t%s\n", name.c_str(), problem.empty() ? "ok" : "error", problem.c_str());
  }
  return 0;
}
