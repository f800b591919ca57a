#include "core/huge_alloc.h"

#include <sys/mman.h>

#include <cstdint>
#include <cstdlib>

namespace lv {
namespace {

constexpr std::size_t kMapFrom = 1u << 20;
constexpr std::size_t kHugePage = 2u << 20;

std::size_t mapped_size(std::size_t bytes) { return (bytes + kHugePage - 1) & ~(kHugePage - 1); }

}  // namespace

void* huge_allocate(std::size_t bytes) {
  if (bytes < kMapFrom) {
    void* p = std::malloc(bytes == 0 ? 1 : bytes);
    if (p == nullptr) throw std::bad_alloc();
    return p;
  }
  // Over-map by one huge page and trim, so that the block starts on a 2 MB
  // boundary (a huge page can only back an aligned range).
  const std::size_t size = mapped_size(bytes);
  void* raw = ::mmap(nullptr, size + kHugePage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) throw std::bad_alloc();
  auto at = reinterpret_cast<std::uintptr_t>(raw);
  const std::uintptr_t aligned = (at + kHugePage - 1) & ~(std::uintptr_t{kHugePage} - 1);
  if (aligned > at) ::munmap(raw, aligned - at);
  const std::uintptr_t tail = aligned + size;
  const std::uintptr_t map_end = at + size + kHugePage;
  if (map_end > tail) ::munmap(reinterpret_cast<void*>(tail), map_end - tail);
#ifdef MADV_HUGEPAGE
  ::madvise(reinterpret_cast<void*>(aligned), size, MADV_HUGEPAGE);  // advice: failure changes nothing
#endif
  return reinterpret_cast<void*>(aligned);
}

void huge_deallocate(void* p, std::size_t bytes) noexcept {
  if (p == nullptr) return;
  if (bytes < kMapFrom) {
    std::free(p);
    return;
  }
  ::munmap(p, mapped_size(bytes));
}

}  // namespace lv
