#include "core/atomic_file.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <signal.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstring>
#include <cstdlib>
#include <random>

#include "core/file_reader.h"
#include "core/names.h"

namespace lv {

namespace {

// Temporary files in flight, for the signal handlers: fixed slots, no
// allocation, so that the handler only reads memory and calls unlink().
constexpr int kSlots = 64;
enum SlotState : int { kFree = 0, kFilling = 1, kReady = 2 };
struct TempSlot {
  std::atomic<int> state{kFree};
  char path[PATH_MAX];
};
TempSlot g_temps[kSlots];

int register_temp(const std::string& path) {
  if (path.size() >= PATH_MAX) return -1;
  for (int i = 0; i < kSlots; ++i) {
    int expected = kFree;
    if (g_temps[i].state.load() == kFree && g_temps[i].state.compare_exchange_strong(expected, kFilling)) {
      std::memcpy(g_temps[i].path, path.c_str(), path.size() + 1);
      g_temps[i].state.store(kReady);  // only now may a handler read the path
      return i;
    }
  }
  return -1;  // more files in flight than slots: not cleaned on a signal
}

void unregister_temp(int slot) {
  if (slot >= 0) g_temps[slot].state.store(kFree);
}

void on_signal(int sig) {
  for (auto& t : g_temps) {
    if (t.state.load() == kReady) ::unlink(t.path);
  }
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

}  // namespace

int register_temporary(const std::string& path) { return register_temp(path); }
void unregister_temporary(int slot) { unregister_temp(slot); }

void remove_temporaries_on_signals() {
  struct sigaction sa{};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(sig, &sa, nullptr);
}

mode_t process_umask() {
  // Read once: umask() can only be read by setting it, which races with threads.
  static const mode_t mask = [] {
    mode_t m = ::umask(0);
    ::umask(m);
    return m;
  }();
  return mask;
}

namespace {

// What a run killed by SIGKILL (or a file-size limit) left beside `path`:
// `NAME.tmp-XXXXXX` files, removed so that a re-run does not pile them up.
void remove_stale_temporaries(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  const std::string prefix = (slash == std::string::npos ? path : path.substr(slash + 1)) + ".tmp-";
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return;
  while (dirent* e = ::readdir(d)) {
    const std::string_view name = e->d_name;
    if (name.size() != prefix.size() + 6 || !name.starts_with(prefix)) continue;
    if (!std::all_of(name.begin() + static_cast<std::ptrdiff_t>(prefix.size()), name.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; })) {
      continue;
    }
    struct stat st{};
    if (::fstatat(::dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode)) {
      ::unlinkat(::dirfd(d), e->d_name, 0);
    }
  }
  ::closedir(d);
}

}  // namespace

Result<AtomicFile> AtomicFile::create(const std::string& path) {
  constexpr std::size_t kBuffer = 1 << 20;
  // A device, FIFO or socket (`--json /dev/null`, `/dev/stdout`, `>(cmd)`) is
  // written to as it is: renaming a regular file over it would replace the
  // device node (as root, /dev/null itself).
  struct stat target{};
  if (::stat(path.c_str(), &target) == 0 && !S_ISREG(target.st_mode)) {
    if (S_ISDIR(target.st_mode)) return Error{fmt::format("{}: is a folder", quote_name(path))};
    const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) return Error{fmt::format("{}: {}", quote_name(path), error_text(errno))};
    std::FILE* f = ::fdopen(fd, "wb");
    if (f == nullptr) {
      const int err = errno;
      ::close(fd);
      return Error{fmt::format("{}: {}", quote_name(path), error_text(err))};
    }
    auto buffer = std::make_unique<char[]>(kBuffer);
    std::setvbuf(f, buffer.get(), _IOFBF, kBuffer);
    return AtomicFile(path, std::string(), f, std::move(buffer));  // no temporary: commit() only flushes
  }
  remove_stale_temporaries(path);
  // The name is registered for the signal handlers before the file exists, so
  // that no moment has a temporary file a SIGINT would leave behind.
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kChars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::string tmp;
  int fd = -1;
  int slot = -1;
  for (int attempt = 0; fd < 0 && attempt < 100; ++attempt) {
    tmp = path + ".tmp-";
    for (int k = 0; k < 6; ++k) tmp.push_back(kChars[rng() % (sizeof kChars - 1)]);
    slot = register_temp(tmp);
    fd = ::open(tmp.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
      const int err = errno;
      unregister_temp(slot);
      slot = -1;
      if (err != EEXIST) {
        return Error{fmt::format("{}: cannot create a temporary file beside it: {}", quote_name(path), error_text(err))};
      }
    }
  }
  if (fd < 0) return Error{fmt::format("{}: cannot create a temporary file beside it: {}", quote_name(path), error_text(EEXIST))};
  // The mode a plain open() would give, or the mode of the file being replaced.
  struct stat existing{};
  if (::stat(path.c_str(), &existing) == 0 && S_ISREG(existing.st_mode)) {
    ::fchmod(fd, existing.st_mode & 07777);
  } else {
    ::fchmod(fd, 0666 & ~process_umask());
  }
  std::FILE* f = ::fdopen(fd, "wb");
  if (f == nullptr) {
    int err = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    unregister_temp(slot);
    return Error{fmt::format("{}: {}", quote_name(path), error_text(err))};
  }
  auto buffer = std::make_unique<char[]>(kBuffer);
  std::setvbuf(f, buffer.get(), _IOFBF, kBuffer);
  AtomicFile file(path, std::move(tmp), f, std::move(buffer));
  file.slot_ = slot;
  return file;
}

AtomicFile::AtomicFile(AtomicFile&& other) noexcept
    : path_(std::move(other.path_)),
      tmp_(std::move(other.tmp_)),
      file_(other.file_),
      buffer_(std::move(other.buffer_)),
      writer_(std::move(other.writer_)),
      slot_(other.slot_),
      failed_(other.failed_) {
  other.slot_ = -1;
  other.file_ = nullptr;
  other.tmp_.clear();
}

AtomicFile::~AtomicFile() {
  writer_.reset();  // its thread stops before the file closes
  if (file_ != nullptr) std::fclose(file_);
  if (!tmp_.empty()) ::unlink(tmp_.c_str());
  unregister_temp(slot_);
}

void AtomicFile::write_behind() { writer_ = std::make_unique<ChunkWriter>(::fileno(file_)); }

Status AtomicFile::write(std::string_view data) {
  if (failed_) return Error{fmt::format("{}: earlier write failed", quote_name(path_))};
  if (writer_ != nullptr) {
    if (const int err = writer_->write(data); err != 0) {
      failed_ = true;
      return Error{fmt::format("writing {}: {}", quote_name(path_), error_text(err))};
    }
    return {};
  }
  if (!data.empty() && std::fwrite(data.data(), 1, data.size(), file_) != data.size()) {
    failed_ = true;
    return Error{fmt::format("writing {}: {}", quote_name(path_), error_text(errno))};
  }
  return {};
}

Status AtomicFile::fail(int err) {
  failed_ = true;
  return Error{fmt::format("writing {}: {}", quote_name(path_), error_text(err))};
}

Status AtomicFile::sync() {
  if (failed_ || file_ == nullptr) return Error{fmt::format("{}: earlier write failed", quote_name(path_))};
  if (writer_ != nullptr) {
    const int err = writer_->finish();
    writer_.reset();
    if (err != 0) return fail(err);
  }
  if (std::fflush(file_) != 0) return fail(errno);
  if (!tmp_.empty() && ::fsync(::fileno(file_)) != 0) return fail(errno);  // not a device or pipe written in place
  return {};
}

Status AtomicFile::commit() {
  if (auto s = sync(); !s) return s;
  std::FILE* f = file_;
  file_ = nullptr;
  if (std::fclose(f) != 0) return fail(errno);
  if (tmp_.empty()) return {};  // a device or pipe, written in place
  if (::rename(tmp_.c_str(), path_.c_str()) != 0) return fail(errno);
  tmp_.clear();
  unregister_temp(slot_);
  slot_ = -1;
  return {};
}

}  // namespace lv
