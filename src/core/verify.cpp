#include "core/verify.h"

#include "core/fs.h"

#include <algorithm>

namespace lv {

std::string_view status_name(FileStatus s) {
  switch (s) {
    case FileStatus::ok: return "ok";
    case FileStatus::failed: return "failed";
    case FileStatus::size_only: return "size_only";
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

bool is_open_or_read_failure(FileStatus s) {
  switch (s) {
    case FileStatus::missing:
    case FileStatus::directory:
    case FileStatus::dangling_link:
    case FileStatus::link_loop:
    case FileStatus::special:
    case FileStatus::unreadable: return true;
    default: return false;
  }
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
  if (read.size_mismatch || (entry.size && *entry.size != read.size)) {
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
      r.status = FileStatus::failed;
      break;
    }
    r.status = FileStatus::ok;
  }
  return r;
}

VerifyRun::VerifyRun(const std::vector<VerifyItem>& items, std::string root, unsigned jobs)
    : items_(items), root_(std::move(root)), results_(items.size()), done_(std::make_unique<std::atomic<bool>[]>(items.size())) {
  if (jobs == 0) jobs = 1;
  if (jobs > items.size()) jobs = static_cast<unsigned>(std::max<std::size_t>(items.size(), 1));
  workers_.reserve(jobs);
  for (unsigned i = 0; i < jobs; ++i) workers_.emplace_back([this] { work(); });
}

VerifyRun::~VerifyRun() {
  stop_.store(true);
  for (auto& t : workers_) t.join();
}

void VerifyRun::work() {
  FileReader reader(&bytes_done_);
  std::string path;
  std::chrono::steady_clock::time_point last_wake{};
  for (;;) {
    if (stop_.load(std::memory_order_relaxed)) return;
    std::size_t i = next_.fetch_add(1, std::memory_order_relaxed);
    if (i >= items_.size()) return;
    const VerifyItem& item = items_[i];
    path = join_path(root_, item.path);
    if (item.entry == nullptr) {
      results_[i] = describe(reader.read(path, item.algorithms, std::nullopt));
    } else {
      AlgorithmSet algorithms;
      for (const auto& d : item.entry->digests) algorithms.add(d.algorithm);
      results_[i] = judge(*item.entry, reader.read(path, algorithms, item.entry->size));
    }
    files_done_.fetch_add(1, std::memory_order_relaxed);
    // seq_cst store then load, against wait()'s store of waiting_for_ then
    // load of done_[i]: one of the two sides always sees the other.
    done_[i].store(true);
    // Waking the caller for every small file costs more than reading it: wake
    // it at most every 2 ms while work remains (it also wakes on its timeout),
    // and always for the last items.
    std::size_t waited = waiting_for_.load();
    if (waited <= i) {
      auto now = std::chrono::steady_clock::now();
      if (now - last_wake >= std::chrono::milliseconds(2) || next_.load(std::memory_order_relaxed) >= items_.size()) {
        last_wake = now;
        { std::lock_guard lock(mutex_); }
        cv_.notify_one();
      }
    }
  }
}

const FileResult* VerifyRun::wait(std::size_t i, std::chrono::milliseconds timeout) {
  if (done_[i].load(std::memory_order_acquire)) return &results_[i];
  std::unique_lock lock(mutex_);
  waiting_for_.store(i);
  bool done = cv_.wait_for(lock, timeout, [&] { return done_[i].load(); });
  waiting_for_.store(SIZE_MAX);
  return done ? &results_[i] : nullptr;
}

VerifyProgress VerifyRun::progress() const {
  return {files_done_.load(std::memory_order_relaxed), bytes_done_.load(std::memory_order_relaxed)};
}

}  // namespace lv
