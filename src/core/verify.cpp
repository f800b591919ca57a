#include "core/verify.h"


#include <algorithm>

namespace lv {

std::string_view status_name(FileStatus s) {
  switch (s) {
    case FileStatus::ok: return "ok";
    case FileStatus::failed: return "failed";
    case FileStatus::size_only: return "size_only";
    case FileStatus::unconfirmed: return "unconfirmed";
    case FileStatus::unknown: return "unknown";
    case FileStatus::missing: return "missing";
    case FileStatus::directory: return "directory";
    case FileStatus::dangling_link: return "dangling_link";
    case FileStatus::link_loop: return "link_loop";
    case FileStatus::special: return "special";
    case FileStatus::unreadable: return "unreadable";
    case FileStatus::unlisted: return "unlisted";
  }
  return "?";
}

namespace {

FileStatus status_of(PathKind kind) {
  switch (kind) {
    case PathKind::missing: return FileStatus::missing;
    case PathKind::directory: return FileStatus::directory;
    case PathKind::dangling_link: return FileStatus::dangling_link;
    case PathKind::link_loop: return FileStatus::link_loop;
    case PathKind::special: return FileStatus::special;
    case PathKind::unreadable: return FileStatus::unreadable;
    case PathKind::regular: break;
  }
  return FileStatus::ok;
}

void sort_strongest_first(std::vector<Digest>& digests) {
  std::stable_sort(digests.begin(), digests.end(), [](const Digest& a, const Digest& b) {
    return algorithm_rank(a.algorithm) < algorithm_rank(b.algorithm);
  });
}

}  // namespace

FileResult describe(const FileReadResult& read) {
  FileResult r;
  r.error_number = read.error_number;
  r.status = status_of(read.kind);
  if (read.kind != PathKind::regular) return r;
  r.size = read.size;
  r.actual = read.digests;
  sort_strongest_first(r.actual);
  return r;
}

FileResult judge(const ManifestEntry& entry, const FileReadResult& read) {
  FileResult r = describe(read);
  if (read.kind != PathKind::regular) return r;
  if (entry.size && *entry.size != read.size) {
    r.status = FileStatus::failed;
    r.size_mismatch = read.digests.empty();
    return r;
  }
  if (entry.digests.empty()) {
    r.status = entry.size ? FileStatus::size_only : FileStatus::unknown;
    return r;
  }
  // Both lists are strongest first; read.digests is in Algorithm order.
  for (const auto& want : entry.digests) {
    bool matched = false;
    for (const auto& got : read.digests) {
      if (got.algorithm == want.algorithm) matched = got == want;
    }
    if (!matched) {
      r.status = entry.unconfirmed ? FileStatus::unconfirmed : FileStatus::failed;
      break;
    }
    r.status = FileStatus::ok;
  }
  return r;
}

}  // namespace lv
