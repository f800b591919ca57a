// A one-line progress display on stderr (files, bytes, rate, ETA), drawn only
// when stderr is a terminal. Driven by the main thread between results.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace lv {
struct ZipProgress;
}

namespace lv::cli {

class Progress {
 public:
  // `total_bytes` may be 0 when unknown (no ETA then).
  Progress(bool enabled, std::uint64_t total_files, std::uint64_t total_bytes, std::string_view unit = "files");
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // Redraws at most ten times a second.
  // `detail`, when given, ends the line (e.g. the files in flight).
  void update(std::uint64_t files_done, std::uint64_t bytes_done, std::string_view detail = {});
  // Sizes the files on a background thread (`path_of(i)` for i < count), so
  // the line can show an ETA once the total is known. Only when enabled.
  void size_in_background(std::size_t count, std::function<std::string(std::size_t)> path_of);
  void finish();

 private:
  bool enabled_;
  std::atomic<bool> total_ready_{false};
  std::atomic<std::uint64_t> total_scanned_{0};
  std::jthread sizer_;
  std::string unit_;
  std::uint64_t total_files_;
  std::uint64_t total_bytes_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

// Draws the progress of a zip job running on another thread until `done()`;
// the totals come from the job once it has read the central directory.
void show_zip_progress(bool enabled, const ZipProgress& counters, const std::function<bool()>& done);

// "1.5 GB", "320 kB": decimal units as coreutils `--si` and curl print them.
std::string human_bytes(double bytes);

// True when file descriptor 2 is a terminal.
bool stderr_is_terminal();
// One progress line on stderr (replacing the last), and its removal: for
// commands that compose their own line (probe). The console clears it before
// printing anything else once set_progress_clearer(&clear_progress_line) is called.
void show_progress_line(const std::string& line);
void clear_progress_line();

}  // namespace lv::cli
