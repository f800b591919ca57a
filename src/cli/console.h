// The only place that writes to the terminal. Results go to stdout through a
// large buffer; diagnostics go to stderr through spdlog as
// "llava-verify: message", the way coreutils prefixes its own.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace lv::cli {

void init_console();
// A result line (the caller gives the trailing newline).
void out(std::string_view text);
void flush_out();
// A report to FILE (written atomically) or, for "-", to standard output; false
// (and the reason printed) when it could not be written.
bool write_output(const std::string& path, const std::string& text);
// Several reports, all or none (write_files_atomic); "-" goes to standard
// output once the files are in place. False (the error printed) on failure.
bool write_outputs(const std::vector<std::pair<std::string, std::string_view>>& outputs);
// Flushes standard output; false (and errno set) when anything written to it was lost.
bool stdout_ok();
// A diagnostic on stderr: "llava-verify: <message>".
void diag(std::string_view message);
// "warning: <location>: <problem>" for each problem a store or metadata file had.
void warn_problems(std::string_view location, const std::vector<std::string>& problems);
// Called before anything is printed while a progress line may be on stderr.
void set_progress_clearer(void (*clear)());

}  // namespace lv::cli
