// SPDX-License-Identifier: MIT
#pragma once
// Internal: an open-addressing hash table (linear probing, backward-shift deletion)
// from a flow key to an owned value. One flat array of slots: a lookup touches one or
// two cache lines instead of chasing the bucket lists of std::unordered_map.

#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

namespace rstlab::detail {

/// Both endpoints of a connection, in a fixed order.
struct FlowKey {
  uint64_t w[5] = {0, 0, 0, 0, 0};  // lower addr (16), higher addr (16), ports + family (8)
  bool operator==(const FlowKey& o) const { return std::memcmp(w, o.w, sizeof w) == 0; }
  uint64_t hash() const {
    uint64_t h = 0x9E3779B97F4A7C15ull;
    for (uint64_t v : w) {
      h ^= v;
      h *= 0xff51afd7ed558ccdull;
      h ^= h >> 29;
    }
    return h;
  }
};

template <class V>
class FlowTable {
 public:
  explicit FlowTable(size_t capacity = 1 << 14) : slots_(capacity), mask_(capacity - 1) {}

  size_t size() const { return size_; }

  V* find(const FlowKey& k) const {
    for (size_t i = k.hash() & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (!s.value) return nullptr;
      if (s.key == k) return s.value.get();
    }
  }

  V* insert(const FlowKey& k, std::unique_ptr<V> v) {
    if ((size_ + 1) * 2 > slots_.size()) grow();
    V* raw = v.get();
    place(k, std::move(v));
    ++size_;
    return raw;
  }

  /// Removes `k` and hands its value back.
  std::unique_ptr<V> take(const FlowKey& k) {
    for (size_t i = k.hash() & mask_;; i = (i + 1) & mask_) {
      if (!slots_[i].value) return nullptr;
      if (slots_[i].key == k) return take_at(i);
    }
  }

  /// Hands over every value and empties the table.
  template <class Out>
  void drain(Out out) {
    for (auto& s : slots_)
      if (s.value) out(std::move(s.value));
    size_ = 0;
  }

 private:
  struct Slot {
    FlowKey key;
    std::unique_ptr<V> value;
  };

  void place(const FlowKey& k, std::unique_ptr<V> v) {
    size_t i = k.hash() & mask_;
    while (slots_[i].value) i = (i + 1) & mask_;
    slots_[i].key = k;
    slots_[i].value = std::move(v);
  }

  std::unique_ptr<V> take_at(size_t i) {
    std::unique_ptr<V> out = std::move(slots_[i].value);
    --size_;
    // Backward-shift: pull later members of the probe run into the hole.
    for (size_t j = (i + 1) & mask_; slots_[j].value; j = (j + 1) & mask_) {
      const size_t home = slots_[j].key.hash() & mask_;
      const bool movable = i <= j ? (home <= i || home > j) : (home <= i && home > j);
      if (movable) {
        slots_[i].key = slots_[j].key;
        slots_[i].value = std::move(slots_[j].value);
        i = j;
      }
    }
    return out;
  }

  void grow() {
    std::vector<Slot> old(slots_.size() * 2);
    old.swap(slots_);
    mask_ = slots_.size() - 1;
    for (auto& s : old)
      if (s.value) place(s.key, std::move(s.value));
  }

  std::vector<Slot> slots_;
  size_t mask_;
  size_t size_ = 0;
};

}  // namespace rstlab::detail
