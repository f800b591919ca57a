#include "core/zip_input.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <utility>

#include "core/file_reader.h"
#include "core/names.h"

namespace lv {
namespace {

std::string source_error(zip_source_t* source) {
  zip_error_t* error = zip_source_error(source);
  return error == nullptr ? std::string("unknown error") : std::string(zip_error_strerror(error));
}

}  // namespace

ZipInput::ZipInput(zip_source* source, std::string name, std::string path, std::span<const std::uint8_t> memory)
    : source_(source), name_(std::move(name)), path_(std::move(path)), memory_(memory) {}

ZipInput::ZipInput(ZipInput&& other) noexcept
    : source_(std::exchange(other.source_, nullptr)),
      fd_(std::exchange(other.fd_, -1)),
      name_(std::move(other.name_)),
      path_(std::move(other.path_)),
      memory_(other.memory_),
      size_(other.size_),
      position_(other.position_),
      window_(std::move(other.window_)),
      window_capacity_(std::exchange(other.window_capacity_, 0)),
      window_size_(std::exchange(other.window_size_, 0)),
      window_start_(other.window_start_),
      read_ahead_limit_(other.read_ahead_limit_) {}

ZipInput& ZipInput::operator=(ZipInput&& other) noexcept {
  if (this != &other) {
    if (source_ != nullptr) {
      zip_source_close(source_);
      zip_source_free(source_);
    }
    if (fd_ >= 0) ::close(fd_);
    source_ = std::exchange(other.source_, nullptr);
    fd_ = std::exchange(other.fd_, -1);
    name_ = std::move(other.name_);
    path_ = std::move(other.path_);
    memory_ = other.memory_;
    size_ = other.size_;
    position_ = other.position_;
    window_ = std::move(other.window_);
    window_capacity_ = std::exchange(other.window_capacity_, 0);
    window_size_ = std::exchange(other.window_size_, 0);
    window_start_ = other.window_start_;
    read_ahead_limit_ = other.read_ahead_limit_;
  }
  return *this;
}

ZipInput::~ZipInput() {
  if (fd_ >= 0) ::close(fd_);
  if (source_ != nullptr) {
    zip_source_close(source_);
    zip_source_free(source_);
  }
}

Status ZipInput::open_source() {
  if (zip_source_open(source_) < 0) return Error{fmt::format("{}: {}", quote_name(name_), source_error(source_))};
  zip_stat_t st;
  zip_stat_init(&st);
  if (zip_source_stat(source_, &st) < 0 || (st.valid & ZIP_STAT_SIZE) == 0) {
    return Error{fmt::format("{}: cannot tell its size: {}", quote_name(name_), source_error(source_))};
  }
  size_ = st.size;
  position_ = 0;
  return {};
}

Result<ZipInput> ZipInput::open_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) return Error{fmt::format("{}: {}", quote_name(path), error_text(errno)), "io"};
  struct stat st{};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    const int err = errno;
    ::close(fd);
    if (S_ISDIR(st.st_mode)) return Error{fmt::format("{}: {}", quote_name(path), error_text(EISDIR)), "io"};
    if (st.st_mode != 0) return Error{fmt::format("{}: not a regular file", quote_name(path)), "io"};
    return Error{fmt::format("{}: {}", quote_name(path), error_text(err)), "io"};
  }
  ZipInput input(nullptr, path, path, {});
  input.fd_ = fd;
  input.size_ = static_cast<std::uint64_t>(st.st_size);
  return input;
}

Result<ZipInput> ZipInput::open_memory(std::span<const std::uint8_t> data, std::string name) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* source = zip_source_buffer_create(data.data(), data.size(), 0, &error);
  if (source == nullptr) {
    std::string message = fmt::format("{}: {}", quote_name(name), zip_error_strerror(&error));
    zip_error_fini(&error);
    return Error{std::move(message)};
  }
  zip_error_fini(&error);
  ZipInput input(source, std::move(name), "", data);
  if (auto opened = input.open_source(); !opened) return opened.error();
  return input;
}

Result<ZipInput> ZipInput::reopen() const {
  if (path_.empty()) return open_memory(memory_, name_);
  // The same open file (not the path again: the archive may be replaced meanwhile).
  const int fd = ::fcntl(fd_, F_DUPFD_CLOEXEC, 0);
  if (fd < 0) return Error{fmt::format("{}: {}", quote_name(name_), error_text(errno)), "io"};
  ZipInput input(nullptr, name_, path_, {});
  input.fd_ = fd;
  input.size_ = size_;
  return input;
}

Result<std::size_t> ZipInput::read_at(std::uint64_t offset, std::span<std::uint8_t> out) {
  if (offset >= size_ || out.empty()) return std::size_t{0};
  if (fd_ >= 0) {
    std::size_t done = 0;
    while (done < out.size()) {
      const ssize_t n = ::pread(fd_, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Error{fmt::format("{}: read error at byte {}: {}", quote_name(name_), offset + done, error_text(errno))};
      if (n == 0) break;
      done += static_cast<std::size_t>(n);
    }
    return done;
  }
  if (offset != position_) {
    if (zip_source_seek(source_, static_cast<zip_int64_t>(offset), SEEK_SET) < 0) {
      return Error{fmt::format("{}: cannot seek to byte {}: {}", quote_name(name_), offset, source_error(source_))};
    }
    position_ = offset;
  }
  std::size_t done = 0;
  while (done < out.size()) {
    zip_int64_t n = zip_source_read(source_, out.data() + done, out.size() - done);
    if (n < 0) {
      position_ = UINT64_MAX;  // unknown: seek next time
      return Error{fmt::format("{}: read error at byte {}: {}", quote_name(name_), offset + done, source_error(source_))};
    }
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  position_ = offset + done;
  return done;
}

Result<std::span<const std::uint8_t>> ZipInput::peek(std::uint64_t offset, std::size_t n) {
  constexpr std::size_t kReadAhead = 1u << 20;
  if (offset >= window_start_ && offset - window_start_ <= window_size_ && n <= window_size_ - (offset - window_start_)) {
    return std::span<const std::uint8_t>(window_.get() + (offset - window_start_), n);
  }
  std::size_t want = n;
  if (read_ahead_limit_ > offset) {
    want = static_cast<std::size_t>(std::max<std::uint64_t>(n, std::min<std::uint64_t>(kReadAhead, read_ahead_limit_ - offset)));
  }
  if (want > window_capacity_) {
    window_.reset(new std::uint8_t[want]);
    window_capacity_ = want;
  }
  window_size_ = 0;
  auto got = read_at(offset, {window_.get(), want});
  if (!got) return got.error();
  window_start_ = offset;
  window_size_ = *got;
  return std::span<const std::uint8_t>(window_.get(), std::min(n, window_size_));
}

}  // namespace lv
