#include "core/probe_state.h"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include "core/file_reader.h"
#include "core/http.h"
#include "core/names.h"

namespace lv {
namespace {

constexpr std::string_view kHeader = "llava-verify-probe-state 1\n";

std::optional<ProbeClass> class_from_name(std::string_view name) {
  for (std::size_t c = 0; c < kProbeClasses; ++c) {
    if (probe_class_name(static_cast<ProbeClass>(c)) == name) return static_cast<ProbeClass>(c);
  }
  return std::nullopt;
}

std::optional<std::uint64_t> parse_hex64(std::string_view s) {
  if (s.size() != 16) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : s) {
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (d < 0) return std::nullopt;
    v = (v << 4) | static_cast<std::uint64_t>(d);
  }
  return v;
}

}  // namespace

Status ProbeState::open(const std::string& path) {
  path_ = path;
  Fd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0666));
  if (fd.get() < 0) return Error{fmt::format("{}: {}", quote_name(path), error_text(errno))};
  auto text = read_stream(fd.get());
  if (!text) return Error{fmt::format("{}: {}", quote_name(path), text.error().message)};
  std::string_view all = text.value();
  if (all.empty()) {
    if (auto s = write_all(fd.get(), std::span(reinterpret_cast<const std::uint8_t*>(kHeader.data()), kHeader.size())); !s) {
      return Error{fmt::format("{}: {}", quote_name(path), s.error().message)};
    }
    fd_.reset(fd.release());
    return {};
  }
  if (!all.starts_with(kHeader)) {
    return Error{fmt::format("{}: line 1: not a probe state file (expected \"{}\")", quote_name(path), kHeader.substr(0, kHeader.size() - 1))};
  }
  // Complete lines only: a crash can leave the last one cut short.
  const std::size_t complete = all.rfind('\n') + 1;
  std::string_view body = all.substr(kHeader.size(), complete - kHeader.size());
  std::uint64_t line_no = 1;
  while (!body.empty()) {
    ++line_no;
    const std::size_t nl = body.find('\n');
    std::string_view line = body.substr(0, nl);
    body.remove_prefix(nl + 1);
    std::string_view f[5];
    std::size_t k = 0;
    for (; k < 4; ++k) {
      const std::size_t tab = line.find('\t');
      if (tab == std::string_view::npos) break;
      f[k] = line.substr(0, tab);
      line.remove_prefix(tab + 1);
    }
    f[4] = line;
    auto index = parse_decimal(f[0]);
    auto cls = class_from_name(f[1]);
    auto status = parse_decimal(f[2]);
    auto hash = parse_hex64(f[3]);
    if (k != 4 || !index || !cls || !status || !hash || *status > 999) {
      return Error{fmt::format("{}: line {}: not INDEX, CLASS, HTTP_STATUS, URL_HASH and DETAIL separated by tabs", quote_name(path),
                               line_no)};
    }
    entries_[*index] = Entry{*hash, *cls, static_cast<long>(*status), std::string(f[4])};
  }
  if (complete < all.size() && ::ftruncate(fd.get(), static_cast<off_t>(complete)) != 0) {
    return Error{fmt::format("{}: {}", quote_name(path), error_text(errno))};
  }
  if (::lseek(fd.get(), 0, SEEK_END) < 0) return Error{fmt::format("{}: {}", quote_name(path), error_text(errno))};
  fd_.reset(fd.release());
  return {};
}

const ProbeState::Entry* ProbeState::find(std::uint64_t index, std::uint64_t url_hash) const {
  auto it = entries_.find(index);
  return it == entries_.end() || it->second.url_hash != url_hash ? nullptr : &it->second;
}

Status ProbeState::append(std::uint64_t index, std::uint64_t url_hash, ProbeClass cls, long http_status, std::string_view detail) {
  std::string clean(detail);
  for (char& c : clean) {
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  }
  const std::string line = fmt::format("{}\t{}\t{}\t{:016x}\t{}\n", index, probe_class_name(cls), http_status, url_hash, clean);
  // One write per line: a crash cuts at most the line being written.
  if (auto s = write_all(fd_.get(), std::span(reinterpret_cast<const std::uint8_t*>(line.data()), line.size())); !s) {
    return Error{fmt::format("{}: {}", quote_name(path_), s.error().message)};
  }
  return {};
}

}  // namespace lv
