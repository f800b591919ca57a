#include "cli/console.h"

#include "core/fs.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <fmt/format.h>

#include <cstdio>
#include <memory>

namespace lv::cli {
namespace {

std::shared_ptr<spdlog::logger> g_err;
void (*g_clear_progress)() = nullptr;

}  // namespace

void init_console() {
  static char buffer[1 << 16];
  std::setvbuf(stdout, buffer, _IOFBF, sizeof buffer);
  g_err = spdlog::stderr_logger_st("llava-verify");
  g_err->set_pattern("%n: %v");
  g_err->set_level(spdlog::level::trace);
  g_err->flush_on(spdlog::level::trace);
}

void out(std::string_view text) {
  if (g_clear_progress) g_clear_progress();
  std::fwrite(text.data(), 1, text.size(), stdout);
}

void flush_out() { std::fflush(stdout); }

bool stdout_ok() { return std::fflush(stdout) == 0 && !std::ferror(stdout); }

void diag(std::string_view message) {
  if (g_clear_progress) g_clear_progress();
  std::fflush(stdout);
  if (g_err) {
    g_err->info("{}", message);
  } else {
    std::fprintf(stderr, "llava-verify: %.*s\n", static_cast<int>(message.size()), message.data());
  }
}

void warn_problems(std::string_view location, const std::vector<std::string>& problems) {
  for (const auto& p : problems) diag(fmt::format("warning: {}: {}", location, p));
}

void set_progress_clearer(void (*clear)()) { g_clear_progress = clear; }

bool write_output(const std::string& path, const std::string& text) { return write_outputs({{path, text}}); }

bool write_outputs(const std::vector<std::pair<std::string, std::string_view>>& outputs) {
  std::vector<std::pair<std::string, std::string_view>> files;
  for (const auto& o : outputs) {
    if (o.first != "-") files.push_back(o);
  }
  if (auto s = write_files_atomic(files); !s) {
    diag(s.error().message);
    return false;
  }
  for (const auto& [path, text] : outputs) {
    if (path == "-") out(text);
  }
  return true;
}

}  // namespace lv::cli
