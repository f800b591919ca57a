// An open-addressing hash map from string views to small values, and an arena
// that owns the bytes of its keys. For the millions of image names that
// `missing` and `rewrite` look up: one flat array instead of a node per entry
// (node-based maps cost a cache miss or two per lookup and an allocation per
// insert, which dominated the join).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include "core/huge_alloc.h"

namespace lv {

// Copies strings into large blocks; views stay valid for the arena's life.
class StringArena {
 public:
  StringArena() = default;
  StringArena(const StringArena&) = delete;
  StringArena& operator=(const StringArena&) = delete;
  ~StringArena() {
    for (const auto& b : blocks_) huge_deallocate(b.first, b.second);
  }

  std::string_view intern(std::string_view s) {
    if (s.size() > left_) {
      std::size_t block = std::max<std::size_t>(kBlock, s.size());
      blocks_.emplace_back(static_cast<char*>(huge_allocate(block)), block);
      next_ = blocks_.back().first;
      left_ = block;
    }
    char* at = next_;
    std::copy(s.begin(), s.end(), at);
    next_ += s.size();
    left_ -= s.size();
    return {at, s.size()};
  }

 private:
  static constexpr std::size_t kBlock = 2 << 20;  // one huge page
  std::vector<std::pair<char*, std::size_t>> blocks_;
  char* next_ = nullptr;
  std::size_t left_ = 0;
};

// Keys are views: the caller keeps their bytes alive (a StringArena, or strings
// that do not move).
template <class V>
class FlatStringMap {
 public:
  // Room for n keys without rehashing (the table is at most 80% full).
  void reserve(std::size_t n) {
    std::size_t want = 16;
    while (want * 4 < n * 5) want <<= 1;
    if (want > slots_.size()) rehash(want);
  }
  std::size_t size() const { return size_; }

  // The hash the table uses for `key`: callers that look up many keys compute
  // them first and prefetch() their slots, so that the cache misses of a batch
  // overlap instead of following one another.
  static std::uint64_t hash(std::string_view key) { return std::hash<std::string_view>{}(key) | 1u; }
  void prefetch(std::uint64_t h) const {
    if (!slots_.empty()) __builtin_prefetch(&slots_[h & mask_]);
  }

  // The value for `key`, inserting `value` when absent; and whether it was inserted.
  std::pair<V*, bool> try_emplace(std::string_view key, V value) { return try_emplace(key, hash(key), std::move(value)); }
  std::pair<V*, bool> try_emplace(std::string_view key, std::uint64_t h, V value) {
    if ((size_ + 1) * 5 > slots_.size() * 4) rehash(std::max<std::size_t>(16, slots_.size() * 2));
    for (std::size_t i = h & mask_;; i = (i + 1) & mask_) {
      Slot& s = slots_[i];
      if (s.hash == 0) {
        s = Slot{h, key.data(), static_cast<std::uint32_t>(key.size()), std::move(value)};
        ++size_;
        return {&s.value, true};
      }
      if (s.hash == h && key == std::string_view(s.data, s.size)) return {&s.value, false};
    }
  }

  // Every key and value, in table order (not a stable order: callers sort).
  template <class F>
  void for_each(F&& f) const {
    for (const Slot& s : slots_) {
      if (s.hash != 0) f(std::string_view(s.data, s.size), s.value);
    }
  }

  // The value for `key`, or null.
  V* get(std::string_view key) { return const_cast<V*>(find(key).second); }

  // The stored key and value, or nulls.
  std::pair<std::string_view, const V*> find(std::string_view key) const { return find(key, hash(key)); }
  std::pair<std::string_view, const V*> find(std::string_view key, std::uint64_t h) const {
    if (size_ == 0) return {{}, nullptr};
    for (std::size_t i = h & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.hash == 0) return {{}, nullptr};
      if (s.hash == h && key == std::string_view(s.data, s.size)) return {std::string_view(s.data, s.size), &s.value};
    }
  }

 private:
  struct Slot {
    std::uint64_t hash = 0;  // 0: empty (real hashes have their low bit set)
    const char* data = nullptr;
    std::uint32_t size = 0;
    V value{};
  };

  void rehash(std::size_t capacity) {
    HugeVector<Slot> old = std::move(slots_);
    slots_.assign(capacity, Slot{});
    mask_ = capacity - 1;
    for (Slot& s : old) {
      if (s.hash == 0) continue;
      std::size_t i = s.hash & mask_;
      while (slots_[i].hash != 0) i = (i + 1) & mask_;
      slots_[i] = std::move(s);
    }
  }

  HugeVector<Slot> slots_;
  std::size_t mask_ = 0;
  std::size_t size_ = 0;
};

}  // namespace lv
