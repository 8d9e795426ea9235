// sharded_map.h — gort::sharded_map: a concurrent map made of N gort::maps, each behind a
// lock of its own (a shard), the design engineers reach for first when one map must serve
// many threads (Java's ConcurrentHashMap before 8, folly's and TBB's striped maps).
//
// A request (get, set, del, compute, upsert, load_or_store, load_and_delete):
//   1. hash the key, once: h = Hash(k) with the sharded map's seed;
//   2. pick the shard: the top log2(N) bits of h x kShardMul (below: "Shard bits");
//   3. when reads are optimistic, locate k's bucket and mirror word from the shard's hint
//      (below: "Hints") and ask for their lines: a write before it takes the lock, a get or
//      contains at the start of its optimistic read;
//   4. a get or contains of an integer key first reads without the lock (below: "Optimistic
//      reads") and is done unless a writer was in the shard; otherwise take the shard's lock:
//      shared for get when Lock has lock_shared, exclusive otherwise.
//      The lock is tried first; a failed try is a contended acquisition, which the out-of-line
//      path times and counts (below: "Counters") before it blocks;
//   5. run the inner map's operation with h precomputed (map::lookup_hashed,
//      try_emplace_hashed, erase_hashed), so the inner map does not hash k again;
//   6. a write stores its shard's new count (for len()) and refreshes the shard's hint, then
//      the lock is released.
//
// Hash once. The inner maps are gort::map<K, V, shard_hash, Eq>: shard_hash hashes with the
// sharded map's seed and ignores the seed an inner map passes it, so that every inner map
// computes for k the very h of step 1 — when it evacuates and iterates too — and can be
// handed h. The price: all shards share one seed, fixed for the sharded map's life, and the
// inner map's fresh seed when it becomes empty (Go issue 25237) has no effect. It could not
// have one: a new seed would move keys to other shards.
//
// Shard bits. An inner map takes its bucket from the low B bits of h and its tophash from the
// top 8 (map.h). Were the shard made of h's low bits, which are bucket bits, every key of
// shard s would sit in buckets j with j mod N == s: each inner map would fill one bucket in
// N. Bits no map uses for its bucket (48-55: B stays below 48, as an array must fit in
// maps::kMaxAllocBytes) are not enough either: a hash leaves structure in h on patterned
// keys, and gort::hash's bits 48-55 and its low bits turned out correlated on keys in
// strides of 2^12, so that the inner maps had several times the empty buckets of plain maps
// holding the same keys. So the shard is the top log2(N) bits of h x kShardMul (an odd
// constant; Fibonacci hashing of the hash): they depend on every bit of h, which breaks such
// structure, and for a uniform h they leave the low bits of h exactly uniform within a shard
// (h = y x kShardMul^-1, where y has its top bits fixed by the shard and its low 64 - log2 N
// bits uniform; the low B bits of h are a bijection of the low B bits of y), and its top
// bits, the tophash, as near uniform as the multiply mixes. The cost is one multiply. The
// tests compare each shard's buckets with those of a plain map holding the same keys.
//
// Shard count. A power of two in [1, kMaxShards] (4096, a guard against mistakes: each shard
// is a 128-byte-aligned block and a map), fixed at construction. The default
// (default_shards()) is 64 shards per CPU the process may run on (sched_getaffinity),
// rounded up to a power of two. With T threads busy on distinct keys, an operation finds its
// shard held by another thread with a chance near (T - 1) x busy / N. The benchmark study
// (bench/report_concurrent.py, its shard sweep) finds throughput still rising well past the
// few shards per CPU that keep that chance small, in every workload with two threads or
// more; with gort::rwlock it gains little past about 64 per CPU, with std::mutex a little
// more (the report gives, per workload, the smallest count near the best). A shard costs
// 128 bytes and an empty map until its first key.
//
// Layout. The shards are one array from runtime::allocate. Each shard is aligned to and
// padded to kShardAlign (128) bytes. Its first line holds the lock, seq, the count and the
// map's hot fields (map.h), everything a locked read touches before the buckets; the rest
// of the map header and the contention counters follow. No two shards share a 64-byte line
// or an adjacent-line pair (x86 prefetches 128-byte pairs), so no shard's lock traffic slows
// another's. With optimistic reads the shards' hints are a second array (32 bytes a shard,
// two to a line), whose lines change only when a table does (see "Hints"). The sharded
// map's own fields are written only by the constructor.
//
// Locks. Lock is any type with lock, try_lock and unlock; with lock_shared, try_lock_shared
// and unlock_shared too, get takes it shared. gort::spin_rwlock (spin_rwlock.h, the
// default), gort::rwlock (rwlock.h), gort::slotted_rwlock, std::shared_mutex, std::mutex.
// spin_rwlock is the default because its writer releases with a plain store, where rwlock's
// release is a second locked instruction that waits for the write's bucket stores to reach
// the cache; and because its waiters yield rather than sleep: a shard's wait is one map
// operation long, and a sleeping waiter costs a futex call on both sides (the report's
// concurrent section compares the two, contended and oversubscribed). rwlock is the choice
// where waits can be long and the CPU time a spinning waiter burns matters.
// With std::mutex the try before the lock makes the uncontended path a trylock, dearer than
// glibc's lock; the gort locks' tries are their lock paths.
//   slotted_rwlock is a gort::rwlock whose readers count themselves in per-CPU reader slots
// (reader_slots.h) instead of its word, so that a read writes no line another CPU uses; the
// price is paid by writers, which wait for every CPU's slot of their shard to drain. It wins
// where reads dominate and loses where writes are frequent (the concurrent section of the
// report has the crossing), so it is a choice, not the default. Where reads are optimistic
// (below), readers take a lock only when a writer is in their shard, and the lock kind
// matters mostly for writes.
//
// Hints. A shard's first line is where its writers write (the lock, seq, the count, the
// map's flags), and every read and write reads it: when another thread has written the shard
// since, that read is a miss to the other CPU's cache. Were the bucket's address computed
// from that line (the map's header), the bucket's own miss, to memory, would follow it. So
// each shard has a hint: a copy of what locates a bucket and its mirror word
// (map::table_hint: the bucket array, the mask, the mirror, whether a grow is under way), in
// an array of its own, which changes only when a table does. Its writers compare it with
// the map before seq goes even, and store it when it changed (S4).
//   A reader computes the bucket from the hint, which it reads after seq, under the seqlock
// like the data it guards: the out-of-order core issues those loads and the bucket's
// prefetch while the read of seq may still be waiting for the other CPU, so the two misses
// overlap; the reader reads nothing else of the shard's first line but seq.
//   A writer asks for k's lines from the hint before it takes the lock (map::prefetch_hint;
// an unchecked hint, whose only use is to choose what to prefetch: a stale one costs a
// wasted prefetch, never a fault). So it does not read the shard's line before its lock's
// read-modify-write either, which would fetch the line shared and then again to own it.
//   Only with optimistic reads, whose readers would otherwise read the header.
//
// Optimistic reads (a seqlock). When K is an integer or a pointer compared with ==, and V
// is trivially copyable (maps::optimistic_reads), get and contains take no lock and write
// no line another thread reads:
//   writer  under the exclusive lock, makes the shard's seq odd before it changes the map
//           (a relaxed store, then a release fence) and even again after (a release store);
//           before seq goes even it refreshes the shard's hint (relaxed stores).
//   reader  enters a reclamation read section (reclaim.h: two plain stores, no fence), reads
//           seq (acquire); odd: a writer is inside, take the lock. Then reads the shard's
//           hint (relaxed loads), checks seq again, and only then the buckets the hint names
//           (map::peek_hashed, relaxed loads; the key compared, the value copied out); a
//           final acquire fence and a third read of seq accept the answer only when seq
//           never moved. Any other outcome — a write or grow in progress, seq moved, a
//           chain longer than any the map builds — falls back to the locked read.
// Why it is safe. A copy made while a write was under way may be torn, or come from a slot
// another key took over; seq then moved (or was odd), and the copy is discarded. The hint
// is checked before any bucket is read, so the bucket array and mask used belong together;
// read while seq stood still, it is the one the last write left, which describes the map
// that write left (S4: writers refresh it before seq goes even). The memory read cannot
// have been freed: the inner maps hand the arrays and overflow buckets they drop to the
// reclaimer instead of freeing them (maps::deferring, a hasher trait map.h honours), which
// frees them only after every read section open at the time has ended. Keys and values are
// read with plain-width loads (integers, a memcpy of a trivially copyable V) whose torn
// results are never used.
// Linearizability: an accepted read saw the map between two writes of its shard, as a locked
// read would have; its point is any instant between its two reads of seq.
// The C++ model calls the reads that overlap a write data races even though their results
// are thrown away; ThreadSanitizer would report them, so a TSan build reads under the lock
// (the tsan preset tests the locking protocol, the other builds this one; the test
// ShardedMapThreads.OptimisticReadsSeeOnlyWholeValues fails when the validation is removed).
// Cost: writers pay two stores on a line they hold anyway and the hint's comparison; reads
// pay nothing on the lock.
//
// Consistency. Each operation on a key is atomic: it runs whole under its shard's lock, so
// the operations on one key are linearizable, and so are those on keys of one shard.
//   len()    the sum of the shards' counts, each read without a lock at its own instant:
//            exact when no write runs during the call, otherwise not a snapshot (it can be a
//            total the map never had, off by at most the writes that overlap the call).
//   range    each shard's entries are copied out under its lock (shared when possible),
//            then fn is called on the copies with no lock held: each shard is seen as of
//            one instant, different shards at different instants. Copying costs one
//            shard's entries of memory; it buys freedom for fn, which may call anything,
//            this map included, and cannot stall the map's writers while it runs.
//   range_locked  the same views without the copy: fn runs while the shard's lock is held.
// Callbacks. compute's, upsert's and range_locked's fn run with a shard's lock held: they
// must not call into the same sharded_map — the same shard would deadlock, another could
// deadlock against a thread doing the reverse. Debug builds (GORT_CHECKS >= 2) stop with a
// fatal error instead. range's fn has no such rule. Hash runs before the lock is taken,
// Eq under it.
//
// Counters (shard_stats), per shard, all relaxed atomics in the shard's lines:
//   contended   acquisitions whose first try failed: the thread had to wait (a lock wait);
//   wait_ns     the time those waits took (steady_clock, read on the contended path only);
//   acquisitions  every acquisition — counted only when Stats is lock_stats::all, since a
//               shared acquisition would pay an atomic add on a line its readers share.
// Without contention the counters cost nothing but the try: zero on the uncontended path.
//
// Invariants (check() walks them under each shard's lock; tests call it):
//   S1. every key k in shard i's map has shard_of(k) == i
//   S2. shard i's count == its map's len() whenever its lock is free
//   S3. each inner map's invariants M1-M7 (map.h)
//   S4. with optimistic reads, shard i's hint == its map's hint() whenever its lock is free
// Synchronisation: shard::lock guards shard::m; shard::count is written under the lock
// (exclusive) and read by len() without it; the counters are atomics updated by holders;
// hint i is written under shard i's exclusive lock and read without it (relaxed atomics:
// optimistic readers check it with seq, writers only prefetch from it); shards_, hints_,
// mask_, shift_ and hash_ are immutable after construction.
//
// Memory: the shard array from runtime::allocate, the maps' buckets from the runtime as
// every gort::map's (with optimistic reads, freed through the reclaimer: an array dropped by
// a grow lives on until the read sections open at the time end), range's copies through
// runtime::allocator. A child of fork() must not
// use a sharded_map another thread of the parent was writing.
#pragma once

#include <sched.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <chrono>
#include <concepts>
#include <cstdint>
#include <functional>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "alloc/runtime.h"
#include "maps/map.h"
#include "maps/reader_slots.h"
#include "maps/reclaim.h"
#include "maps/rwlock.h"
#include "maps/spin_rwlock.h"

namespace gort {
namespace maps {

inline constexpr size_t kMaxShards = 4096;
inline constexpr size_t kShardAlign = 128;  // a 64-byte line pair
// The shard of hash h is the top log2(N) bits of h * kShardMul (see "Shard bits"): odd, and
// not gort::hash's multiplier (maps::kMul), so as not to undo its mixing.
inline constexpr uint64_t kShardMul = 0xbf58476d1ce4e5b9ull;

// What a shard counts besides its contended acquisitions and their wait (see above).
enum class lock_stats : uint8_t { waits, all };

struct shard_stats {
  uint64_t acquisitions = 0;  // 0 unless lock_stats::all
  uint64_t contended = 0;
  uint64_t wait_ns = 0;
};

template <class L>
concept shared_lockable = requires(L& l) {
  l.lock_shared();
  l.unlock_shared();
  { l.try_lock_shared() } -> std::convertible_to<bool>;
};

// The inner maps' hasher: Hash with the sharded map's seed, whatever seed the map passes.
// Transparent when Hash is, so the maps keep heterogeneous lookup.
template <class Hash, bool = transparent<Hash>>
struct shard_hash {
  shard_hash() = default;
  shard_hash(const Hash& h, uint64_t s) : hash(h), seed(s) {}
  [[no_unique_address]] Hash hash;
  uint64_t seed = 0;
  template <class Q>
  uint64_t operator()(const Q& k, uint64_t /*the map's seed*/) const {
    return seeded_hash(hash, k, seed);
  }
};
template <class Hash>
struct shard_hash<Hash, true> : shard_hash<Hash, false> {
  using shard_hash<Hash, false>::shard_hash;
  using is_transparent = void;
};

// The inner maps' hasher when gets read optimistically: their freed arrays go through the
// reclaimer (reclaim.h), so that a reader inside a read section never reads freed memory.
template <class Base>
struct deferring : Base {
  using Base::Base;
  static void retire_array(void* p) { reclaim::retire(p, runtime::deallocate); }
};

// Whether a sharded_map of these types reads without locks (see "Optimistic reads"): the
// types map::peek_hashed can read while a writer runs. Never under ThreadSanitizer, which
// would see the reads that a write can overlap (and that the sequence number then discards).
#if defined(__SANITIZE_THREAD__)
inline constexpr bool kOptimisticBuild = false;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
inline constexpr bool kOptimisticBuild = false;
#else
inline constexpr bool kOptimisticBuild = true;
#endif
#else
inline constexpr bool kOptimisticBuild = true;
#endif
template <class K, class V, class Eq>
inline constexpr bool optimistic_reads = kOptimisticBuild && peekable_types<K, V, Eq>;

// The CPUs this process may run on (its affinity mask), at least 1.
inline size_t usable_cpus() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) return std::max(CPU_COUNT(&set), 1);
  return std::max(std::thread::hardware_concurrency(), 1u);
}

// Stands in for the reader slots when Lock is not slotted_rwlock.
struct no_slots {
  no_slots() = default;
  explicit no_slots(size_t) {}
};

#if GORT_CHECKS >= 2
// The sharded map whose lock this thread holds while it runs a user callback (debug tiers).
inline thread_local const void* tl_callback_map = nullptr;
#endif

}  // namespace maps

template <class K, class V, class Hash = gort::hash<K>, class Eq = gort::equal_to<K>,
          class Lock = gort::spin_rwlock, maps::lock_stats Stats = maps::lock_stats::waits>
class sharded_map {
  static constexpr bool kOptimistic = maps::optimistic_reads<K, V, Eq>;
  using shard_hasher = std::conditional_t<kOptimistic, maps::deferring<maps::shard_hash<Hash>>,
                                          maps::shard_hash<Hash>>;
  using inner_map = gort::map<K, V, shard_hasher, Eq>;
  static_assert(inner_map::peekable() == kOptimistic);
  static constexpr bool kShared = maps::shared_lockable<Lock>;
  static constexpr bool kCountAll = Stats == maps::lock_stats::all;
  static constexpr bool kSlotted = std::is_same_v<Lock, slotted_rwlock>;

 public:
  using key_type = K;
  using mapped_type = V;
  using lock_type = Lock;
  using inner_map_type = inner_map;
  // Whether get and contains read without taking the shard's lock (see "Optimistic reads").
  static constexpr bool reads_without_locks = kOptimistic;
  template <class Q>
  using key_arg = typename inner_map::template key_arg<Q>;

  // 64 shards per usable CPU, rounded up to a power of two, at most kMaxShards (see above).
  static size_t default_shards() {
    return std::min(std::bit_ceil(64 * maps::usable_cpus()), maps::kMaxShards);
  }

  // shards: a power of two in [1, kMaxShards], else std::invalid_argument.
  explicit sharded_map(size_t shards = default_shards(), const Hash& hash = Hash());
  ~sharded_map();
  sharded_map(const sharded_map&) = delete;
  sharded_map& operator=(const sharded_map&) = delete;

  // ---- one key ----------------------------------------------------------------------------

  // The value of k, or nothing (Go's Load).
  template <class Q = K>
  std::optional<V> get(const key_arg<Q>& k) const {
    const uint64_t h = hash_of(k);
    const size_t i = shard_index(h);
    shard& s = shards_[i];
    if constexpr (kOptimistic) {
      alignas(V) unsigned char buf[sizeof(V)];
      const int r = peek(s, hints_[i], h, k, reinterpret_cast<V*>(buf));
      if (r >= 0) [[likely]]
        return r ? std::optional<V>(*std::launder(reinterpret_cast<V*>(buf))) : std::nullopt;
    }
    read_guard g(this, i);
    const V* v = s.m.template lookup_hashed<Q>(h, k);
    return v ? std::optional<V>(*v) : std::nullopt;
  }
  template <class Q = K>
  bool contains(const key_arg<Q>& k) const {
    const uint64_t h = hash_of(k);
    const size_t i = shard_index(h);
    shard& s = shards_[i];
    if constexpr (kOptimistic) {
      alignas(V) unsigned char buf[sizeof(V)];
      const int r = peek(s, hints_[i], h, k, reinterpret_cast<V*>(buf));
      if (r >= 0) [[likely]] return r == 1;
    }
    read_guard g(this, i);
    return s.m.template lookup_hashed<Q>(h, k) != nullptr;
  }
  // m[k] = v (Go's Store).
  template <class KK, class VV>
  void set(KK&& k, VV&& v) {
    with_key(std::forward<KK>(k), [&](auto&& key, uint64_t h, shard& s) {
      auto [it, fresh] = s.m.try_emplace_hashed(h, std::forward<decltype(key)>(key),
                                                std::forward<VV>(v));
      if (!fresh) *it.value_ptr() = std::forward<VV>(v);
    });
  }
  // delete(m, k); whether k was there.
  template <class Q = K>
  bool del(const key_arg<Q>& k) {
    const uint64_t h = hash_of(k);
    const size_t i = shard_index(h);
    shard& s = shards_[i];
    if constexpr (kOptimistic) prefetch_hint(i, h);
    write_guard g(this, i);
    return s.m.template erase_hashed<Q>(h, k);
  }

  // The atomic read-modify-write (Java's compute): fn(const V* current) — nullptr when k is
  // absent — returns std::optional<V>: a value, which k is then mapped to, or std::nullopt,
  // which deletes k (or leaves it absent). Returns what k maps to afterwards. fn runs under
  // k's shard lock (see "Callbacks"); when it throws, the map is unchanged.
  template <class KK, class F>
  std::optional<V> compute(KK&& k, F&& fn);
  // Stores v when k is absent (true), else calls update(V& current) in place (false).
  template <class KK, class VV, class F>
  bool upsert(KK&& k, VV&& v, F&& update);
  // Go's LoadOrStore: the value k maps to — v, stored now when k was absent — and whether it
  // was there (loaded).
  template <class KK, class VV>
  std::pair<V, bool> load_or_store(KK&& k, VV&& v);
  // Go's LoadAndDelete: k's value, which is deleted, or nothing.
  template <class Q = K>
  std::optional<V> load_and_delete(const key_arg<Q>& k);

  // ---- the whole map ----------------------------------------------------------------------

  // Entries: exact when no write overlaps the call, else not a snapshot (see above).
  size_t len() const;
  // fn(const K&, const V&) on every entry, each shard as of one instant, from copies made
  // under its lock; fn runs with no lock held, may call into the map, and may return false
  // to stop (see above).
  template <class F>
  void range(F&& fn) const;
  // The same on the entries in place, fn running under the shard's lock: fn must not call
  // into this map (see "Callbacks").
  template <class F>
  void range_locked(F&& fn) const;

  size_t shards() const { return mask_ + 1; }
  // The shard k belongs to (tests, studies).
  template <class Q = K>
  size_t shard_of(const key_arg<Q>& k) const {
    return shard_index(hash_of(k));
  }
  // Lock counters of shard i, and their sum over the shards; reset_stats zeroes them (not
  // atomically with respect to acquisitions in flight).
  maps::shard_stats stats(size_t i) const;
  maps::shard_stats stats() const;
  void reset_stats();
  // The inner map of shard i as map::xray describes it, read under its lock.
  maps::xray_t xray(size_t i, maps::xray_level level = maps::xray_level::counts) const;
  // Invariants S1-S3, under each shard's lock; "" when they hold.
  std::string check() const;

 private:
  struct alignas(maps::kShardAlign) shard {
    explicit shard(const shard_hasher& h) : m(h) {}
    // The lock, seq and the map's hot fields (map.h) share the first line, which every
    // operation reads; the counters, touched on contention, come after the map.
    Lock lock;
    std::atomic<uint32_t> seq{0};  // odd while a writer changes m (optimistic reads)
    std::atomic<size_t> count{0};  // m.len(), stored by writers under the lock (S2)
    inner_map m;
    std::atomic<uint64_t> acquisitions{0};
    std::atomic<uint64_t> contended{0};
    std::atomic<uint64_t> wait_ns{0};
  };
  static_assert(sizeof(shard) % maps::kShardAlign == 0);

  using table_hint = typename inner_map::table_hint;
  // Hints: shard i's table_hint, a copy of where its map's lookups start, in an array of its
  // own (see "Hints"). Written by the shard's writers, under its lock, only when it changed.
  struct hint_slot {
    std::atomic<uintptr_t> buckets{0};
    std::atomic<uint64_t> mask{0};
    std::atomic<uintptr_t> tops{0};
    std::atomic<uint64_t> growing{0};
    table_hint load() const {
      return {buckets.load(std::memory_order_relaxed), mask.load(std::memory_order_relaxed),
              tops.load(std::memory_order_relaxed), growing.load(std::memory_order_relaxed)};
    }
    void refresh(const inner_map& m) {
      const table_hint now = m.hint();
      if (now == load()) [[likely]] return;
      buckets.store(now.buckets, std::memory_order_relaxed);
      mask.store(now.mask, std::memory_order_relaxed);
      tops.store(now.tops, std::memory_order_relaxed);
      growing.store(now.growing, std::memory_order_relaxed);
    }
  };
  static_assert(sizeof(hint_slot) == 32);
  // A write guard's hold on its shard's hint.
  struct hint_ref {
    hint_ref(const sharded_map* owner, size_t i) : slot(owner->hints_[i]) {}
    void refresh(const inner_map& m) { slot.refresh(m); }
    hint_slot& slot;
  };
  struct no_hint {
    no_hint(const sharded_map*, size_t) {}
  };
  void prefetch_hint(size_t i, uint64_t h) const {
    inner_map::prefetch_hint(hints_[i].load(), h);
  }

  // Hold a shard's lock for one operation: shared (when Lock has it) or exclusive. With
  // slotted_rwlock a shared hold goes through the reader slots when no writer is there, and
  // an exclusive one waits for the slots' readers to drain. A write's guard stores the
  // shard's count before it unlocks (S2), on every way out.
  template <bool Shared>
  class guard {
   public:
    guard(const sharded_map* owner, size_t i) : s_(owner->shards_[i]), hint_(owner, i) {
      shard& s = s_;
#if GORT_CHECKS >= 2
      if (maps::tl_callback_map == owner)
        runtime::fatal("sharded_map: a callback run under a shard lock called into its map");
#endif
      if constexpr (kSlotted && Shared) {
        slot_ = owner->slots_.enter(i, s.lock);
        if (slot_ != nullptr) [[likely]] {
          if constexpr (kCountAll) count_acquisition<true>(s);
          return;
        }
        acquire_contended<true>(s);
      } else {
        acquire<Shared>(s_);
        if constexpr (kSlotted) {
          if (!owner->slots_.drained(i)) [[unlikely]] drain_contended(owner->slots_, i, s);
        }
        if constexpr (kOptimistic && !Shared) {  // odd before any change to m is made
          s_.seq.store(s_.seq.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
          std::atomic_thread_fence(std::memory_order_release);
        }
      }
    }
    ~guard() {
      if constexpr (Shared) {
        if constexpr (kSlotted) {
          if (slot_ != nullptr) [[likely]] {
            maps::reader_slots::leave(slot_);
            return;
          }
        }
        s_.lock.unlock_shared();
      } else {
        s_.count.store(s_.m.len(), std::memory_order_relaxed);
        if constexpr (kOptimistic) {
          hint_.refresh(s_.m);
          // even again, after every change to m
          s_.seq.store(s_.seq.load(std::memory_order_relaxed) + 1, std::memory_order_release);
        }
        s_.lock.unlock();
      }
    }
    guard(const guard&) = delete;
    guard& operator=(const guard&) = delete;

   private:
    shard& s_;
    [[no_unique_address]] std::conditional_t<kSlotted && Shared, maps::reader_slots::counter*,
                                             maps::no_slots> slot_{};
    [[no_unique_address]] std::conditional_t<kOptimistic && !Shared, hint_ref, no_hint> hint_;
  };
  using read_guard = guard<kShared>;
  using write_guard = guard<false>;

  template <bool Shared>
  static void acquire(shard& s) {
    bool got;
    if constexpr (Shared) got = s.lock.try_lock_shared();
    else got = s.lock.try_lock();
    if (!got) [[unlikely]] return acquire_contended<Shared>(s);
    if constexpr (kCountAll) count_acquisition<Shared>(s);
  }
  template <bool Shared>
  [[gnu::noinline, gnu::cold]] static void acquire_contended(shard& s);
  [[gnu::noinline, gnu::cold]] static void drain_contended(const maps::reader_slots& slots,
                                                           size_t i, shard& s);
  template <bool Shared>
  static void count_acquisition(shard& s) {
    if constexpr (Shared) {
      s.acquisitions.fetch_add(1, std::memory_order_relaxed);
    } else {  // the lock is ours alone: no read-modify-write needed
      s.acquisitions.store(s.acquisitions.load(std::memory_order_relaxed) + 1,
                           std::memory_order_relaxed);
    }
  }

  // An optimistic read of k in s, whose hint is hs (see "Optimistic reads"): 1 (its value in
  // *out), 0 (absent), or -1 (a writer was there: take the lock).
  static int peek(shard& s, const hint_slot& hs, uint64_t h, K k, V* out) {
    maps::reclaim::read_section section;
    const uint32_t v = s.seq.load(std::memory_order_acquire);
    if (v & 1) return -1;
    auto unchanged = [&] {
      std::atomic_thread_fence(std::memory_order_acquire);
      return s.seq.load(std::memory_order_relaxed) == v;
    };
    const int r = inner_map::peek_hashed(hs.load(), h, k, out, unchanged);
    return r >= 0 && unchanged() ? r : -1;
  }

  // Runs fn(key, h, shard) under the shard's write lock, with k as a K (or a key-like Q when
  // Hash and Eq are transparent), so that the key hashed is the one the map stores.
  template <class KK, class F>
  decltype(auto) with_key(KK&& k, F&& fn) {
    if constexpr (!std::is_same_v<std::remove_cvref_t<KK>, K> &&
                  !(maps::transparent<Hash> && maps::transparent<Eq>)) {
      return with_key(K(std::forward<KK>(k)), std::forward<F>(fn));
    } else {
      const uint64_t h = hash_of(k);
      const size_t i = shard_index(h);
      shard& s = shards_[i];
      if constexpr (kOptimistic) prefetch_hint(i, h);
      write_guard g(this, i);
      return fn(std::forward<KK>(k), h, s);
    }
  }

  static size_t valid_shards(size_t shards) {
    if (!std::has_single_bit(shards) || shards > maps::kMaxShards)
      throw std::invalid_argument("gort::sharded_map: shards must be a power of two <= 4096");
    return shards;
  }

  template <class Q>
  uint64_t hash_of(const Q& k) const {
    return hash_(k, 0);
  }
  size_t shard_index(uint64_t h) const { return ((h * maps::kShardMul) >> shift_) & mask_; }

  // Sets and clears tl_callback_map around a user callback run under a lock (debug tiers).
  struct callback_scope {
#if GORT_CHECKS >= 2
    explicit callback_scope(const sharded_map* m) : prev(maps::tl_callback_map) {
      maps::tl_callback_map = m;
    }
    ~callback_scope() { maps::tl_callback_map = prev; }
    const void* prev;
#else
    explicit callback_scope(const sharded_map*) {}
#endif
  };

  shard* shards_;
  hint_slot* hints_ = nullptr;  // with optimistic reads only
  [[no_unique_address]] std::conditional_t<kSlotted, maps::reader_slots, maps::no_slots> slots_;
  size_t mask_;       // shards() - 1
  unsigned shift_;    // 64 - log2(shards()), 63 for one shard (mask_ 0 then)
  shard_hasher hash_;
};

// ---- out of line ----------------------------------------------------------------------------

template <class K, class V, class H, class E, class L, maps::lock_stats S>
sharded_map<K, V, H, E, L, S>::sharded_map(size_t shards, const H& hash)
    : slots_(valid_shards(shards)),
      mask_(shards - 1),
      shift_(std::min(64u - static_cast<unsigned>(std::countr_zero(shards)), 63u)),
      hash_{hash, gort::fastrand64()} {
  void* p = runtime::allocate(shards * sizeof(shard), alignof(shard), false);
  if (p == nullptr) throw std::bad_alloc();
  shards_ = static_cast<shard*>(p);
  size_t made = 0;
  try {
    for (; made < shards; made++) ::new (static_cast<void*>(shards_ + made)) shard(hash_);
    if constexpr (kOptimistic) {
      void* q = runtime::allocate(shards * sizeof(hint_slot), 64, false);
      if (q == nullptr) throw std::bad_alloc();
      hints_ = static_cast<hint_slot*>(q);
      for (size_t i = 0; i < shards; i++) ::new (static_cast<void*>(hints_ + i)) hint_slot();
      for (size_t i = 0; i < shards; i++) hints_[i].refresh(shards_[i].m);
    }
  } catch (...) {
    while (made > 0) shards_[--made].~shard();
    runtime::deallocate(p);
    throw;
  }
}

template <class K, class V, class H, class E, class L, maps::lock_stats S>
sharded_map<K, V, H, E, L, S>::~sharded_map() {
  for (size_t i = 0; i < shards(); i++) shards_[i].~shard();
  runtime::deallocate(shards_);
  if (hints_ != nullptr) runtime::deallocate(hints_);
}

template <class K, class V, class H, class E, class L, maps::lock_stats S>
template <bool Shared>
void sharded_map<K, V, H, E, L, S>::acquire_contended(shard& s) {
  const auto t0 = std::chrono::steady_clock::now();
  if constexpr (Shared) s.lock.lock_shared();
  else s.lock.lock();
  const auto waited = std::chrono::steady_clock::now() - t0;
  s.contended.fetch_add(1, std::memory_order_relaxed);
  s.wait_ns.fetch_add(std::chrono::duration_cast<std::chrono::nanoseconds>(waited).count(),
                      std::memory_order_relaxed);
  if constexpr (kCountAll) count_acquisition<Shared>(s);
}

template <class K, class V, class H, class E, class L, maps::lock_stats S>
void sharded_map<K, V, H, E, L, S>::drain_contended(const maps::reader_slots& slots, size_t i,
                                                    shard& s) {
  const auto t0 = std::chrono::steady_clock::now();
  slots.wait_drained(i);
  const auto waited = std::chrono::steady_clock::now() - t0;
  s.contended.fetch_add(1, std::memory_order_relaxed);
  s.wait_ns.fetch_add(std::chrono::duration_cast<std::chrono::nanoseconds>(waited).count(),
                      std::memory_order_relaxed);
}

template <class K, class V, class H, class E, class L, maps::lock_stats S>
template <class KK, class F>
std::optional<V> sharded_map<K, V, H, E, L, S>::compute(KK&& k, F&& fn) {
  return with_key(std::forward<KK>(k), [&](auto&& key, uint64_t h, shard& s) {
    V* cur = s.m.lookup_hashed(h, key);
    std::optional<V> next;
    {
      callback_scope cs(this);
      next = std::invoke(fn, static_cast<const V*>(cur));
    }
    if (next && cur) *cur = *next;
    else if (next) s.m.try_emplace_hashed(h, std::forward<decltype(key)>(key), *next);
    else if (cur) s.m.erase_hashed(h, key);
    return next;
  });
}

template <class K, class V, class H, class E, class L, maps::lock_stats S>
template <class KK, class VV, class F>
bool sharded_map<K, V, H, E, L, S>::upsert(KK&& k, VV&& v, F&& update) {
  return with_key(std::forward<KK>(k), [&](auto&& key, uint64_t h, shard& s) {
    auto [it, fresh] =
        s.m.try_emplace_hashed(h, std::forward<decltype(key)>(key), std::forward<VV>(v));
    if (!fresh) {
      callback_scope cs(this);
      std::invoke(update, *it.value_ptr());
    }
    return fresh;
  });
}

template <class K, class V, class H, class E, class L, maps::lock_stats S>
template <class KK, class VV>
std::pair<V, bool> sharded_map<K, V, H, E, L, S>::load_or_store(KK&& k, VV&& v) {
  return with_key(std::forward<KK>(k), [&](auto&& key, uint64_t h, shard& s) {
    auto [it, fresh] =
        s.m.try_emplace_hashed(h, std::forward<decltype(key)>(key), std::forward<VV>(v));
    return std::pair<V, bool>(*it.value_ptr(), !fresh);
  });
}

template <class K, class V, class H, class E, class L, maps::lock_stats S>
template <class Q>
std::optional<V> sharded_map<K, V, H, E, L, S>::load_and_delete(const key_arg<Q>& k) {
  const uint64_t h = hash_of(k);
  const size_t i = shard_index(h);
  shard& s = shards_[i];
  if constexpr (kOptimistic) prefetch_hint(i, h);
  write_guard g(this, i);
  V* cur = s.m.template lookup_hashed<Q>(h, k);
  if (cur == nullptr) return std::nullopt;
  std::optional<V> out(std::move(*cur));
  s.m.template erase_hashed<Q>(h, k);
  return out;
}

template <class K, class V, class H, class E, class L, maps::lock_stats S>
size_t sharded_map<K, V, H, E, L, S>::len() const {
  size_t n = 0;
  for (size_t i = 0; i < shards(); i++) n += shards_[i].count.load(std::memory_order_relaxed);
  return n;
}

template <class K, class V, class H, class E, class L, maps::lock_stats S>
template <class F>
void sharded_map<K, V, H, E, L, S>::range(F&& fn) const {
  std::vector<std::pair<K, V>, runtime::allocator<std::pair<K, V>>> copy;
  for (size_t i = 0; i < shards(); i++) {
    copy.clear();
    {
      read_guard g(this, i);
      const inner_map& m = shards_[i].m;
      copy.reserve(m.len());
      for (const auto& [k, v] : m) copy.emplace_back(k, v);
    }
    for (const auto& [k, v] : copy) {
      if constexpr (std::is_convertible_v<std::invoke_result_t<F&, const K&, const V&>, bool>) {
        if (!fn(k, v)) return;
      } else {
        fn(k, v);
      }
    }
  }
}

template <class K, class V, class H, class E, class L, maps::lock_stats S>
template <class F>
void sharded_map<K, V, H, E, L, S>::range_locked(F&& fn) const {
  for (size_t i = 0; i < shards(); i++) {
    read_guard g(this, i);
    callback_scope cs(this);
    for (const auto& [k, v] : shards_[i].m) {
      if constexpr (std::is_convertible_v<std::invoke_result_t<F&, const K&, const V&>, bool>) {
        if (!fn(k, v)) return;
      } else {
        fn(k, v);
      }
    }
  }
}

template <class K, class V, class H, class E, class L, maps::lock_stats S>
maps::shard_stats sharded_map<K, V, H, E, L, S>::stats(size_t i) const {
  const shard& s = shards_[i];
  return {s.acquisitions.load(std::memory_order_relaxed),
          s.contended.load(std::memory_order_relaxed), s.wait_ns.load(std::memory_order_relaxed)};
}

template <class K, class V, class H, class E, class L, maps::lock_stats S>
maps::shard_stats sharded_map<K, V, H, E, L, S>::stats() const {
  maps::shard_stats t;
  for (size_t i = 0; i < shards(); i++) {
    const maps::shard_stats s = stats(i);
    t.acquisitions += s.acquisitions;
    t.contended += s.contended;
    t.wait_ns += s.wait_ns;
  }
  return t;
}

template <class K, class V, class H, class E, class L, maps::lock_stats S>
void sharded_map<K, V, H, E, L, S>::reset_stats() {
  for (size_t i = 0; i < shards(); i++) {
    shards_[i].acquisitions.store(0, std::memory_order_relaxed);
    shards_[i].contended.store(0, std::memory_order_relaxed);
    shards_[i].wait_ns.store(0, std::memory_order_relaxed);
  }
}

template <class K, class V, class H, class E, class L, maps::lock_stats S>
maps::xray_t sharded_map<K, V, H, E, L, S>::xray(size_t i, maps::xray_level level) const {
  read_guard g(this, i);
  return shards_[i].m.xray(level);
}

template <class K, class V, class H, class E, class L, maps::lock_stats S>
std::string sharded_map<K, V, H, E, L, S>::check() const {
  for (size_t i = 0; i < shards(); i++) {
    read_guard g(this, i);
    const shard& s = shards_[i];
    const std::string inner = s.m.check();
    if (!inner.empty()) return "S3: shard " + std::to_string(i) + ": " + inner;
    if (s.count.load(std::memory_order_relaxed) != s.m.len())
      return "S2: shard " + std::to_string(i) + " count " +
             std::to_string(s.count.load(std::memory_order_relaxed)) + " != len " +
             std::to_string(s.m.len());
    if constexpr (kOptimistic) {
      if (!(hints_[i].load() == s.m.hint()))
        return "S4: shard " + std::to_string(i) + "'s hint is not its map's table";
    }
    for (const auto& [k, v] : s.m)
      if (shard_of<K>(k) != i)
        return "S1: a key of shard " + std::to_string(i) + " belongs to shard " +
               std::to_string(shard_of<K>(k));
  }
  return "";
}

}  // namespace gort
