// Memory for the large tables of a dataset scan (hash tables of ~600K image
// names, name arenas, per-record vectors): blocks of 1 MiB or more are mapped
// on their own and marked for transparent huge pages. On a kernel whose THP
// mode is "madvise" (Debian's default), this takes a 2 MB page fault where
// there were 512 small ones, and one TLB entry where there were 512: random
// lookups in tables of tens of MB were spending much of their time in both.
// Smaller blocks come from the ordinary heap.
#pragma once

#include <cstddef>
#include <new>
#include <string>
#include <vector>

namespace lv {

void* huge_allocate(std::size_t bytes);
void huge_deallocate(void* p, std::size_t bytes) noexcept;

template <class T>
struct HugeAllocator {
  using value_type = T;
  HugeAllocator() noexcept = default;
  template <class U>
  HugeAllocator(const HugeAllocator<U>&) noexcept {}  // NOLINT(google-explicit-constructor): allocators convert
  T* allocate(std::size_t n) {
    if (n > static_cast<std::size_t>(-1) / sizeof(T)) throw std::bad_array_new_length();
    return static_cast<T*>(huge_allocate(n * sizeof(T)));
  }
  void deallocate(T* p, std::size_t n) noexcept { huge_deallocate(p, n * sizeof(T)); }
  template <class U>
  bool operator==(const HugeAllocator<U>&) const noexcept {
    return true;
  }
};

template <class T>
using HugeVector = std::vector<T, HugeAllocator<T>>;
using HugeString = std::basic_string<char, std::char_traits<char>, HugeAllocator<char>>;

}  // namespace lv
