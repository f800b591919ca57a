#include "cli/progress.h"

#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cstdio>
#include <thread>

#include "cli/console.h"
#include "core/zip_test.h"

namespace lv::cli {
namespace {

bool g_line_shown = false;

void clear_line() {
  if (!g_line_shown) return;
  std::fflush(stdout);
  std::fputs("\r\033[K", stderr);
  std::fflush(stderr);
  g_line_shown = false;
}

}  // namespace

bool stderr_is_terminal() { return ::isatty(2) == 1; }

void show_progress_line(const std::string& line) {
  std::fflush(stdout);
  std::fprintf(stderr, "\r\033[K%s", line.c_str());
  std::fflush(stderr);
  g_line_shown = true;
}

void clear_progress_line() { clear_line(); }

std::string human_bytes(double bytes) {
  static constexpr const char* kUnits[] = {"B", "kB", "MB", "GB", "TB", "PB"};
  int unit = 0;
  while (bytes >= 1000.0 && unit < 5) {
    bytes /= 1000.0;
    ++unit;
  }
  if (unit == 0) return fmt::format("{:.0f} B", bytes);
  return fmt::format("{:.1f} {}", bytes, kUnits[unit]);
}

Progress::Progress(bool enabled, std::uint64_t total_files, std::uint64_t total_bytes, std::string_view unit)
    : enabled_(enabled),
      unit_(unit),
      total_files_(total_files),
      total_bytes_(total_bytes),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {
  if (enabled_) set_progress_clearer(&clear_line);
}

Progress::~Progress() { finish(); }

void Progress::size_in_background(std::size_t count, std::function<std::string(std::size_t)> path_of) {
  if (!enabled_) return;
  sizer_ = std::jthread([this, count, path_of = std::move(path_of)](std::stop_token stop) {
    std::uint64_t total = 0;
    for (std::size_t i = 0; i < count; ++i) {
      if (stop.stop_requested()) return;
      struct stat st{};
      if (::stat(path_of(i).c_str(), &st) == 0 && S_ISREG(st.st_mode)) total += static_cast<std::uint64_t>(st.st_size);
    }
    total_scanned_.store(total);
    total_ready_.store(true);
  });
}

void Progress::update(std::uint64_t files_done, std::uint64_t bytes_done, std::string_view detail) {
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  double seconds = std::chrono::duration<double>(now - start_).count();
  double rate = seconds > 0 ? static_cast<double>(bytes_done) / seconds : 0;
  if (total_bytes_ == 0 && total_ready_.load()) total_bytes_ = total_scanned_.load();
  std::string line = fmt::format("{}/{} {}  {}", files_done, total_files_, unit_, human_bytes(static_cast<double>(bytes_done)));
  if (total_bytes_ > 0) line += fmt::format(" of {}", human_bytes(static_cast<double>(total_bytes_)));
  line += fmt::format("  {}/s", human_bytes(rate));
  if (total_bytes_ > bytes_done && rate > 0) {
    auto eta = static_cast<std::uint64_t>(static_cast<double>(total_bytes_ - bytes_done) / rate);
    line += fmt::format("  ETA {}:{:02}:{:02}", eta / 3600, eta / 60 % 60, eta % 60);
  }
  if (!detail.empty()) line += fmt::format("  | {}", detail);
  show_progress_line(line);
}

void show_zip_progress(bool enabled, const ZipProgress& counters, const std::function<bool()>& done) {
  if (!enabled) return;
  while (!done() && !counters.sized.load()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  Progress progress(true, counters.total_entries.load(), counters.total_bytes.load(), "entries");
  while (!done()) {
    progress.update(counters.entries.load(), counters.bytes.load());
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  progress.finish();
}

void Progress::finish() {
  if (sizer_.joinable()) {
    sizer_.request_stop();
    sizer_.join();
  }
  if (!enabled_) return;
  clear_line();
  set_progress_clearer(nullptr);
  enabled_ = false;
}

}  // namespace lv::cli
