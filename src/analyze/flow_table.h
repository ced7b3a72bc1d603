// SPDX-License-Identifier: MIT
#pragma once
// Internal: the connection table of `rstlab analyze`. Two parts:
//  - an index: open addressing with linear probing and backward-shift deletion over
//    8-byte slots (32 bits of the key's hash, a pool number), small enough to stay in
//    the CPU's caches with tens of thousands of connections;
//  - a pool of entries in fixed chunks, each entry in two halves kept apart: the key
//    with the state every packet touches (Hot), densely packed, and what is touched
//    rarely (Cold). Addresses never move, and an erased entry is handed out again as it
//    is, so a value that keeps its buffers (vectors, strings) costs no allocation once
//    the pool is warm. Cold halves have a pool of their own and are given to an entry
//    only when it asks for one (cold()): on the generated captures about half of the
//    connections held never need theirs, and fresh memory is dear (see PoolArena).
//  - the pool's memory comes from a PoolArena: a few large blocks backed by transparent
//    huge pages, not one allocation per chunk (see PoolArena for why).
// Lookups take the key's hash from the caller, who computes it once per packet and can
// prefetch the slot and the entry a few packets ahead (see Analyzer::on_batch).

#include <sys/mman.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <vector>

namespace rstlab::detail {

/// Asks the CPU to bring the cache line at `p` closer. A volatile asm where it exists:
/// GCC drops a loop whose only effect is __builtin_prefetch (as it did to the lookup
/// loop of FlowTable::prefetch_entry).
inline void prefetch(const void* p) {
#if defined(__x86_64__) || defined(__i386__)
  asm volatile("prefetcht0 %0" : : "m"(*static_cast<const char*>(p)));
#else
  __builtin_prefetch(p);
#endif
}

/// Memory that is handed out in pieces and given back all at once: blocks of 2 MiB
/// (after a first small one, so that a small capture stays small), aligned and marked
/// for transparent huge pages (MADV_HUGEPAGE). Why: every page of fresh memory costs a
/// page fault on first touch, and on a virtual machine a fault costs about 20 us (the
/// 2026-11-29 host, mostly charged as user time). A table of 16,000 connections is
/// about 16 MB: 4,000 faults in 4 KiB pages, 8 in huge pages. Where the kernel offers
/// no huge pages the advice is ignored and the blocks are ordinary memory.
class PoolArena {
 public:
  PoolArena() = default;
  PoolArena(const PoolArena&) = delete;
  PoolArena& operator=(const PoolArena&) = delete;
  ~PoolArena() { release(); }

  /// `bytes` of fresh memory, aligned to a cache line.
  void* take(size_t bytes) {
    bytes = (bytes + 63) & ~size_t(63);
    if (bytes > left_) new_block(bytes);
    void* p = next_;
    next_ += bytes;
    left_ -= bytes;
    return p;
  }
  /// Gives every block back.
  void release() {
    for (const Block& b : blocks_) ::munmap(b.base, b.size);
    blocks_.clear();
    next_ = nullptr;
    left_ = 0;
  }

 private:
  static constexpr size_t kHuge = size_t(2) << 20, kFirst = size_t(128) << 10;
  struct Block {
    void* base;
    size_t size;
  };
  void new_block(size_t at_least) {
    const size_t want = blocks_.empty() && at_least <= kFirst ? kFirst : (at_least + kHuge - 1) / kHuge * kHuge;
    if (want < kHuge) {
      map(want, want);
      return;
    }
    // Map one huge page more and trim to a 2 MiB boundary: only aligned 2 MiB ranges
    // can be huge pages.
    char* raw = static_cast<char*>(map(want + kHuge, 0));
    char* aligned = reinterpret_cast<char*>((reinterpret_cast<uintptr_t>(raw) + kHuge - 1) & ~(kHuge - 1));
    blocks_.pop_back();
    if (aligned > raw) ::munmap(raw, static_cast<size_t>(aligned - raw));
    const size_t tail = static_cast<size_t>(raw + want + kHuge - (aligned + want));
    if (tail) ::munmap(aligned + want, tail);
    ::madvise(aligned, want, MADV_HUGEPAGE);
    blocks_.push_back({aligned, want});
    next_ = aligned;
    left_ = want;
  }
  void* map(size_t size, size_t usable) {
    void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    blocks_.push_back({p, size});
    next_ = static_cast<char*>(p);
    left_ = usable;
    return p;
  }
  std::vector<Block> blocks_;
  char* next_ = nullptr;
  size_t left_ = 0;
};

/// Both endpoints of a connection, in a fixed order.
struct FlowKey {
  uint64_t w[5] = {0, 0, 0, 0, 0};  // lower addr (16), higher addr (16), ports + family (8)
  bool operator==(const FlowKey& o) const {
    return ((w[0] ^ o.w[0]) | (w[1] ^ o.w[1]) | (w[2] ^ o.w[2]) | (w[3] ^ o.w[3]) | (w[4] ^ o.w[4])) == 0;
  }
  /// Five independent multiplies (they run side by side), then one mixing round so
  /// the low bits, which pick the slot, depend on every input bit.
  uint64_t hash() const {
    uint64_t h = w[0] * 0x9E3779B97F4A7C15ull + w[1] * 0xC2B2AE3D27D4EB4Full + w[2] * 0x165667B19E3779F9ull +
                 w[3] * 0xD6E8FEB86659FD93ull + w[4] * 0xFF51AFD7ED558CCDull;
    h ^= h >> 32;
    h *= 0x9E3779B97F4A7C15ull;
    return h ^ (h >> 29);
  }
};

template <class Hot, class Cold>
class FlowTable {
 public:
  static constexpr uint32_t kNone = ~0u;

  /// `capacity`: index slots to start with, a power of two (the index doubles as needed).
  explicit FlowTable(size_t capacity = 1 << 10) : slots_(capacity), mask_(capacity - 1) {}
  FlowTable(const FlowTable&) = delete;
  FlowTable& operator=(const FlowTable&) = delete;
  ~FlowTable() { destroy_pool(); }

  /// Forgets every entry and gives the pool's memory back.
  void clear() {
    destroy_pool();
    std::vector<Slot>(slots_.size()).swap(slots_);
    size_ = 0;
    std::vector<uint32_t>().swap(free_);
  }

  size_t size() const { return size_; }

  Hot& hot(uint32_t n) const { return chunks_[n / kChunk].hot[n % kChunk].value; }
  const FlowKey& key(uint32_t n) const { return chunks_[n / kChunk].hot[n % kChunk].key; }
  /// Entry `n`'s Cold half, given to it on the first call (a new one the first time the
  /// cold pool grows, otherwise one an erased entry gave back, as it was left: the
  /// caller resets it). It stays the entry's until the entry is erased.
  Cold& cold(uint32_t n) {
    HotEntry& e = hot_entry(n);
    if (!e.cold_ref) {
      uint32_t c;
      if (!cold_free_.empty()) {
        c = cold_free_.back();
        cold_free_.pop_back();
      } else {
        if (cold_used_ % kChunk == 0) add_cold_chunk();
        c = static_cast<uint32_t>(cold_used_++);
      }
      e.cold_ref = c + 1;
    }
    return cold_at(e.cold_ref - 1);
  }

  /// Starts loading the index slot of hash `h` into the cache.
  void prefetch_slot(uint64_t h) const { prefetch(&slots_[h & mask_]); }

  /// Starts loading the key and Hot half the index most likely holds for `h` (a hint
  /// only: the table may change before the lookup), and the Cold half if asked.
  void prefetch_entry(uint64_t h, bool with_cold = false) const {
    const uint32_t tag = static_cast<uint32_t>(h);
    for (size_t i = h & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (!s.ref) return;
      if (s.tag == tag) {
        prefetch_pool(s.ref - 1, with_cold);
        return;
      }
    }
  }

  /// Starts loading entry `n`'s key and Hot half, and its Cold half if asked (and it
  /// has one; else the one cold() would give it).
  void prefetch_pool(uint32_t n, bool with_cold) const {
    const char* p = reinterpret_cast<const char*>(&hot_entry(n));
    for (size_t off = 0; off < sizeof(HotEntry); off += 64) prefetch(p + off);
    if (!with_cold) return;
    const uint32_t ref = hot_entry(n).cold_ref;
    if (ref) prefetch_cold(ref - 1);
    else prefetch_next_cold();
  }

  /// Starts loading the entry the next insert() hands out (its stores then hit the cache).
  void prefetch_next_insert() const {
    if (!free_.empty()) prefetch_pool(free_.back(), false);
  }

  /// The pool number of `k`, or kNone.
  uint32_t find(const FlowKey& k, uint64_t h) const {
    const uint32_t tag = static_cast<uint32_t>(h);
    for (size_t i = h & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (!s.ref) return kNone;
      if (s.tag == tag && hot_entry(s.ref - 1).key == k) return s.ref - 1;
    }
  }

  /// Adds `k` (not present) and returns its pool number. Its halves are default ones
  /// the first time the pool grows, otherwise an erased entry's as they were left: the
  /// caller resets them.
  uint32_t insert(const FlowKey& k, uint64_t h) {
    if ((size_ + 1) * 2 > slots_.size()) grow();
    uint32_t n;
    if (!free_.empty()) {
      n = free_.back();
      free_.pop_back();
    } else {
      if (used_ % kChunk == 0) add_chunk();
      n = static_cast<uint32_t>(used_++);
    }
    hot_entry(n).key = k;
    place(static_cast<uint32_t>(h), n + 1);
    ++size_;
    return n;
  }

  /// Removes `k`; its halves stay in the pool, to be handed out again by insert().
  void erase(const FlowKey& k, uint64_t h) {
    const uint32_t tag = static_cast<uint32_t>(h);
    for (size_t i = h & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (!s.ref) return;
      if (s.tag == tag && hot_entry(s.ref - 1).key == k) {
        HotEntry& e = hot_entry(s.ref - 1);
        if (e.cold_ref) cold_free_.push_back(e.cold_ref - 1);  // for the next entry that asks
        e.cold_ref = 0;
        free_.push_back(s.ref - 1);
        erase_at(i);
        return;
      }
    }
  }

  /// Calls f(pool number) for every entry held, in no particular order.
  template <class F>
  void for_each(F f) const {
    for (const Slot& s : slots_)
      if (s.ref) f(s.ref - 1);
  }

 private:
  static constexpr size_t kChunk = 64;  // entries per allocation: small captures stay small
  struct Slot {
    uint32_t tag = 0;  // the low 32 bits of the hash: the home slot and a quick filter
    uint32_t ref = 0;  // pool number + 1; 0 = empty
  };
  struct HotEntry {
    FlowKey key;
    uint32_t cold_ref = 0;  // its Cold half's number in the cold pool + 1; 0 = none yet
    Hot value;
  };
  struct Chunk {  // kChunk entries of one half (the other is null), in arena_'s memory
    HotEntry* hot;
    Cold* cold;
  };

  void add_chunk() {
    HotEntry* h = static_cast<HotEntry*>(arena_.take(sizeof(HotEntry) * kChunk));
    for (size_t i = 0; i < kChunk; ++i) new (&h[i]) HotEntry();
    chunks_.push_back({h, nullptr});
  }

  void add_cold_chunk() {
    Cold* c = static_cast<Cold*>(arena_.take(sizeof(Cold) * kChunk));
    for (size_t i = 0; i < kChunk; ++i) new (&c[i]) Cold();
    cold_chunks_.push_back({nullptr, c});
  }

  void destroy_pool() {
    for (const Chunk& c : chunks_)
      for (size_t i = 0; i < kChunk; ++i) c.hot[i].~HotEntry();
    for (const Chunk& c : cold_chunks_)
      for (size_t i = 0; i < kChunk; ++i) c.cold[i].~Cold();
    chunks_.clear();
    cold_chunks_.clear();
    std::vector<uint32_t>().swap(cold_free_);
    used_ = cold_used_ = 0;
    arena_.release();
  }

  HotEntry& hot_entry(uint32_t n) const { return chunks_[n / kChunk].hot[n % kChunk]; }
  Cold& cold_at(uint32_t c) const { return cold_chunks_[c / kChunk].cold[c % kChunk]; }
  void prefetch_cold(uint32_t c) const {
    const char* p = reinterpret_cast<const char*>(&cold_at(c));
    for (size_t off = 0; off < sizeof(Cold); off += 64) prefetch(p + off);
  }
  /// The Cold half cold() hands out next, if one is waiting in the free list.
  void prefetch_next_cold() const {
    if (!cold_free_.empty()) prefetch_cold(cold_free_.back());
  }

  void place(uint32_t tag, uint32_t ref) {
    size_t i = tag & mask_;
    while (slots_[i].ref) i = (i + 1) & mask_;
    slots_[i] = {tag, ref};
  }

  void erase_at(size_t i) {
    --size_;
    slots_[i].ref = 0;
    // Backward-shift: pull later members of the probe run into the hole.
    for (size_t j = (i + 1) & mask_; slots_[j].ref; j = (j + 1) & mask_) {
      const size_t home = slots_[j].tag & mask_;
      const bool movable = i <= j ? (home <= i || home > j) : (home <= i && home > j);
      if (movable) {
        slots_[i] = slots_[j];
        slots_[j].ref = 0;
        i = j;
      }
    }
  }

  void grow() {
    std::vector<Slot> old(slots_.size() * 2);
    old.swap(slots_);
    mask_ = slots_.size() - 1;
    for (const Slot& s : old)
      if (s.ref) place(s.tag, s.ref);
  }

  std::vector<Slot> slots_;
  size_t mask_;
  size_t size_ = 0;
  PoolArena arena_;
  std::vector<Chunk> chunks_, cold_chunks_;
  size_t used_ = 0, cold_used_ = 0;
  std::vector<uint32_t> free_, cold_free_;
};

}  // namespace rstlab::detail
