// map.h — gort::map: Go 1.19's hash map (runtime/map.go, hmap) rebuilt in C++20.
//
// A map is an array of 2^B buckets (bucket.h). Each bucket holds 8 key/value slots and the
// top byte of each slot's hash (tophash); when more than 8 keys hash to a bucket, overflow
// buckets are chained to it. The low B bits of a key's hash pick its bucket.
//
// Lookup (find, get, lookup):
//   1. hash the key with the map's seed; bucket = hash & (2^B - 1);
//   2. prefetch the bucket's key and value lines (bucket.h), so that a hit's misses overlap
//      instead of following one another;
//   3. if a grow is in progress and the key's old bucket is not evacuated yet, read the old
//      bucket instead;
//   4. match the 8 tophash bytes against the key's tophash with one compare (group.h), compare
//      the keys of the matching slots, follow the overflow chain unless the bucket's last
//      slot is kEmptyRest.
//
// The tophash mirror (not Go's; an index beside Go's layout, which stays as it is): for
// B <= kMirrorMaxB the array is followed by a copy of every head bucket's 8 tophash bytes,
// 8 bytes a bucket, kept equal to them by every write (set_top; invariant M6). Step 4 then
// reads the head's tophash from the mirror: at most 4 MiB, dense, 18 times smaller than
// the buckets, so far more of it stays in cache. A miss that ends in the head bucket
// (nearly all) reads no bucket line at all, as absl's misses read only its control bytes;
// a hit reads the mirror and then only its key's and value's lines, which step 2 has
// already requested. Bigger maps skip it: a mirror of 8 MiB and more (B >= 20) would not
// stay in cache, and a hit would wait on its line as well as on the bucket's. Cost: 8 bytes
// per bucket, about 2 bytes per entry. How much of a mirror stays in cache depends on the
// machine: where the cache a process gets does not hold both the mirror and the bucket lines
// (a 2 MiB mirror at 10^6 keys, B = 18, on a machine that gives a process a few MiB), a
// hit's key load may wait on the mirror's line, while a miss still reads no bucket line.
//
// Insert (set, try_emplace, operator[], ...; Go's mapassign):
//   1. if a grow is in progress, evacuate the old bucket of this key, then one more (growWork);
//   2. search the chain (the head's tophash from the mirror, as lookups do); an existing key
//      is updated in place;
//   3. for a new key, if no grow is in progress and either count+1 > 8 and
//      count+1 > 6.5 * 2^B (load factor) or noverflow >= 2^min(B,15) (too many overflow
//      buckets), start a grow (hashGrow) and go back to 1;
//   4. put the key into the first empty slot of the chain, or into a new overflow bucket.
//
// Growth (grow.h) is incremental, as Go's: hashGrow only allocates the new array (twice as
// big, or the same size when it is the overflow buckets that are too many) and keeps the
// old one; every later insert or delete evacuates the old bucket it touches plus the next
// unevacuated one (nevacuate). A doubling grow splits old bucket j into new buckets j (X)
// and j + 2^(B-1) (Y) by hash bit B-1. When every old bucket is evacuated, the old array is
// freed (or kept until the last iteration that may read it has ended).
//
// Writes prefetch the lines they will write (bucket.h, prefetch_write) before growWork, so
// that the misses of the new bucket and of the evacuated ones overlap.
//
// Delete (del, erase; Go's mapdelete): growWork as for inserts, then mark the slot kEmptyOne
// and turn a run of trailing empties into kEmptyRest, Go's marks computed on the bucket's 8
// tophash bytes as one word (bucket.h, mark_deleted_word) rather than a byte at a time.
// When the map becomes empty its seed is redrawn (Go issue 25237).
//
// Iteration (range; iter.h) follows mapiternext: a random start bucket and slot offset, a
// snapshot of the bucket array, and during a grow the old buckets filtered to the keys bound
// for the current new bucket. Guarantees while the callback changes the map: an entry
// deleted before it is reached is not produced; an entry added may or may not be; no entry
// is produced twice — including across grows.
//
// Invariants (check() walks them; tests call it):
//   M1. count_ == live slots in buckets_ + live slots in unevacuated old buckets
//   M2. a live key in bucket j of buckets_ has hash & mask_ == j; in old bucket j,
//       hash & oldmask == j; its tophash byte == tophash(hash)
//   M3. oldbuckets_ != nullptr  <=>  a grow is in progress  <=>  flags_ has kGrowing; then
//       every old bucket below nevacuate_ is evacuated and nevacuate_ < number of old buckets
//   M4. overflow_used_ == overflow buckets chained in buckets_
//   M5. no grow in progress  =>  count_ <= max(8, 6.5 * 2^B)
//   M6. tops_ != nullptr  =>  tops_[j] holds the 8 tophash bytes of bucket j of buckets_;
//       tops_ == nullptr  <=>  flags_ has kNoMirror
//   M7. max_count_ == max_count(B_) and max_overflow_ == max_overflow(B_)
//
// Concurrency: none, as in Go. A map may be read by many threads at once, written by one.
// flags_ holds Go's hashWriting bit, set for the duration of each write; a write or read that
// finds it set stops the program with "fatal error: concurrent map writes" (or "... read and
// map write"), as Go does. The bit is a relaxed atomic: detection is best effort, never
// a lock, and costs a load and a store. Lookups read the byte with a volatile load, as
// Go's mapaccess reads h.flags with a plain one: it can race only with a write that is
// itself the bug being caught, and GCC treats an atomic load, even a relaxed one, as a
// barrier, so a loop of lookups reloaded the map's fields (and the key) on every lookup.
//
// Errors: a table bigger than an allocation may be (kMaxAllocBytes, Go's maxAlloc; the most
// entries is max_size()) is refused with std::length_error: reserve(n > max_size()), the map
// constructor's hint, or the insert that would need it. Go's makemap ignores such a hint
// instead; a C++ reserve throws, as std containers do. Memory that is not there is
// std::bad_alloc. Both come before the write changes anything (a new table is allocated
// first), so the map is as it was; a reserve that grows a non-empty map step by step keeps
// every entry, in a table possibly bigger than before. A failure while a grow moves a
// bucket's entries (an overflow bucket it cannot allocate, a throwing hash or key or value
// constructor) cannot be undone halfway and stops the program, as running out of memory does
// in Go.
//
// References and iterators (STL surface): every call that can write — set, del, insert,
// emplace, try_emplace, insert_or_assign, operator[], erase(key), reserve, clear — may move
// entries (evacuation), so it invalidates all iterators, pointers and references. Lookups
// (find, get, lookup, contains, at on a const map) invalidate nothing. erase(iterator)
// removes the entry in place, without evacuating, and invalidates only that iterator.
// STL iteration starts at bucket 0 (no random start) and must not overlap a write; range()
// is the iteration that may write. Keys and values live apart (Go's bucket layout), so
// operator* yields a proxy {first, second} of references, kept in the iterator: `for (auto&
// [k, v] : m)` and `for (const auto& [k, v] : m)` bind as with std::unordered_map, and so
// does `auto [k, v]`, but its v too refers into the map (it copies the proxy, not the entry);
// `std::pair<const K, V> kv = *it` copies.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "alloc/runtime.h"
#include "maps/bucket.h"
#include "maps/hash.h"

namespace gort {
namespace maps {

// The largest allocation a bucket array may take: Go's maxAlloc on 64-bit Linux (2^48 bytes,
// its address space). Bigger tables are refused with std::length_error (map::max_size).
inline constexpr size_t kMaxAllocBytes = size_t{1} << 48;

inline constexpr size_t kLoadFactorNum = 13;  // load factor 6.5 = 13 / 2
inline constexpr size_t kLoadFactorDen = 2;

// Go's overLoadFactor: count items in 2^B buckets are over the load factor.
inline constexpr bool over_load_factor(size_t count, uint8_t B) {
  return count > kBucketCnt && count > kLoadFactorNum * ((size_t{1} << B) / kLoadFactorDen);
}

// Go's tooManyOverflowBuckets: about as many overflow buckets as buckets.
inline constexpr bool too_many_overflow_buckets(uint16_t noverflow, uint8_t B) {
  if (B > 15) B = 15;
  return noverflow >= uint16_t(1u << (B & 15));
}

enum class grow_kind : uint8_t { none, same_size, bigger };

// The count from which inserting a new key overloads 2^B buckets: over_load_factor(count + 1,
// B) iff count >= max_count(B); and the overflow count that is too many.
inline constexpr size_t max_count(uint8_t B) {
  const size_t c = kLoadFactorNum * ((size_t{1} << B) / kLoadFactorDen);
  return c > kBucketCnt ? c : kBucketCnt;
}
inline constexpr uint16_t max_overflow(uint8_t B) { return uint16_t(1u << (B > 15 ? 15 : B)); }

// What inserting a new key does to a map in this state (mapassign's test + hashGrow's choice).
inline constexpr grow_kind grow_decision(size_t count, uint8_t B, uint16_t noverflow,
                                         bool growing) {
  if (growing) return grow_kind::none;
  if (over_load_factor(count + 1, B)) return grow_kind::bigger;
  return too_many_overflow_buckets(noverflow, B) ? grow_kind::same_size : grow_kind::none;
}

// Go's make(map, hint): the smallest B whose buckets hold hint items under the load factor.
inline constexpr uint8_t B_for_hint(size_t hint) {
  uint8_t B = 0;
  while (over_load_factor(hint, B)) B++;
  return B;
}

inline constexpr uint8_t kHashWriting = 4;  // Go's flag bit
// Not Go's: set while a grow is in progress (oldbuckets_ != nullptr), so that a lookup tests
// "being written or growing" with one load and one branch.
inline constexpr uint8_t kGrowing = 8;
// Not Go's: set iff the array has no tophash mirror (tops_ == nullptr: B > kMirrorMaxB, or
// no array yet), so that the same test also sends such lookups to the bucket's own bytes.
inline constexpr uint8_t kNoMirror = 16;

// Inserts and evacuation prefetch the buckets they write from this B on (4096 buckets,
// 576 KiB for map<u64, u64>: past L2); smaller arrays are in cache, and the prefetches
// would only cost instructions.
inline constexpr uint8_t kPrefetchMinB = 12;

// The largest B whose arrays carry a tophash mirror (map.h): 2^19 buckets, a 4 MiB mirror.
inline constexpr uint8_t kMirrorMaxB = 19;

// Heterogeneous lookup (as abseil's): when both Hash and Eq declare is_transparent, the
// lookups take any key-like type Q that they accept (a std::string_view or a const char* for
// a std::string key) and build no K. key_arg<transparent>::type<Q, K> is Q then, else K; an
// alias, so that Q stays deducible in `const key_arg<Q>&`.
template <class T>
concept transparent = requires { typename T::is_transparent; };
template <bool Transparent>
struct key_arg {
  template <class Q, class K>
  using type = K;
};
template <>
struct key_arg<true> {
  template <class Q, class K>
  using type = Q;
};

// Sets hashWriting for one write, checking nobody else holds it (mapassign's prologue and
// epilogue).
class write_guard {
 public:
  explicit write_guard(std::atomic<uint8_t>& f) : f_(f) {
    uint8_t v = f_.load(std::memory_order_relaxed);
    if (v & kHashWriting) [[unlikely]] runtime::fatal("concurrent map writes");
    f_.store(v ^ kHashWriting, std::memory_order_relaxed);
  }
  ~write_guard() {
    uint8_t v = f_.load(std::memory_order_relaxed);
    if (!(v & kHashWriting)) [[unlikely]] runtime::fatal("concurrent map writes");
    f_.store(v & ~kHashWriting, std::memory_order_relaxed);
  }
  write_guard(const write_guard&) = delete;
  write_guard& operator=(const write_guard&) = delete;

 private:
  std::atomic<uint8_t>& f_;
};

struct xray_t;  // xray.h
// How deep xray() looks: the header fields only (O(1)), a walk of every bucket (counts:
// occupancy, chains, evacuation), or a walk that keeps one entry per bucket (pictures).
enum class xray_level : uint8_t { header, counts, per_bucket };

}  // namespace maps

// The default key equality: std::equal_to<K>, made transparent for string keys (their
// default hash, gort::hash, is transparent already), so m.find("abc") builds no std::string.
template <class K>
struct equal_to : std::equal_to<K> {};
template <>
struct equal_to<std::string> : std::equal_to<> {};
template <>
struct equal_to<std::string_view> : std::equal_to<> {};

namespace maps {
// A hasher may ask its map to hand the arrays it frees to H::retire_array(p) (which frees
// them once no optimistic reader can hold them; sharded_map.h) instead of freeing them.
template <class H>
concept defers_frees = requires(void* p) { H::retire_array(p); };
// Keys a reader may compare while a writer stores them (integers and pointers, with ==) and
// values it may copy while one is stored (trivially copyable): map::peek_hashed's types.
template <class K, class V, class Eq>
inline constexpr bool peekable_types = (std::is_integral_v<K> || std::is_pointer_v<K>) &&
                                       sizeof(K) <= 8 && std::is_same_v<Eq, gort::equal_to<K>> &&
                                       std::is_trivially_copyable_v<V>;
}  // namespace maps

template <class K, class V, class Hash = gort::hash<K>, class Eq = gort::equal_to<K>>
class map {
  static_assert(std::is_copy_constructible_v<K>, "map keys must be copyable, as Go's are");
  using bucket = maps::bmap<K, V>;
  using bucket_list = std::vector<bucket*, runtime::allocator<bucket*>>;
  static constexpr size_t kNoCheck = ~size_t{0};

 public:
  using key_type = K;
  using mapped_type = V;
  using value_type = std::pair<const K, V>;
  using size_type = size_t;
  using difference_type = ptrdiff_t;
  using hasher = Hash;
  using key_equal = Eq;
  template <bool Const>
  class basic_iterator;
  using iterator = basic_iterator<false>;
  using const_iterator = basic_iterator<true>;
  // The lookup key type: Q when Hash and Eq are both transparent, else K (see key_arg).
  template <class Q>
  using key_arg = typename maps::key_arg<maps::transparent<Hash> && maps::transparent<Eq>>::
      template type<Q, K>;

  map() : buckets_(empty_bucket()), seed_(gort::fastrand64()) {}
  explicit map(size_t hint) : map() { reserve(hint); }
  // A map with this hasher (one that carries state: sharded_map's, which brings its own seed).
  explicit map(const Hash& hash)
      : buckets_(empty_bucket()), seed_(gort::fastrand64()), hash_(hash) {}
  map(std::initializer_list<value_type> init) : map(init.size()) {
    for (const auto& kv : init) insert(kv);
  }
  map(const map& o) : map(o.hash_) {
    reserve(o.size());
    for (auto [k, v] : o) try_emplace(k, v);
  }
  map(map&& o) noexcept : map() { swap(o); }
  map& operator=(map o) noexcept {
    swap(o);
    return *this;
  }
  ~map() { release_all(); }

  // ---- Go's API -------------------------------------------------------------------------

  size_t len() const { return count_; }
  // v, ok := m[k]
  template <class Q = K>
  std::pair<V, bool> get(const key_arg<Q>& k) const {
    const V* p = lookup(k);
    return p ? std::pair<V, bool>(*p, true) : std::pair<V, bool>(V{}, false);
  }
  // m[k] = v
  template <class KK, class VV>
  void set(KK&& k, VV&& v) {
    insert_or_assign(std::forward<KK>(k), std::forward<VV>(v));
  }
  // delete(m, k)
  template <class Q = K>
  void del(const key_arg<Q>& k) {
    remove(k);
  }
  // for k, v := range m { fn(k, v) }; fn may return false to break, and may change the map.
  template <class F>
  void range(F&& fn);
  // The value of k, or nullptr: the lookup fast path.
  template <class Q = K>
  V* lookup(const key_arg<Q>& k) {
    return search<V*>(k, hash_of(k), [](bucket* b, uint64_t lane) {
      V* v = b->val_at_lane(lane);
      if (v == nullptr) __builtin_unreachable();  // the caller's null test is the only one
      return v;
    });
  }
  template <class Q = K>
  const V* lookup(const key_arg<Q>& k) const {
    return const_cast<map*>(this)->lookup<Q>(k);
  }

  // B, buckets, overflow buckets, grow state; the walk levels add occupancy (xray.h).
  maps::xray_t xray(maps::xray_level level = maps::xray_level::counts) const;
  std::string check() const;                         // invariants M1-M5; "" when they hold

  // ---- the STL's API --------------------------------------------------------------------

  size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  size_t bucket_count() const { return size_t{1} << B_; }
  float load_factor() const { return float(count_) / float(bucket_count()); }
  float max_load_factor() const { return 6.5f; }
  // The most entries a map can hold: the load factor's limit for the biggest table whose
  // array fits in maps::kMaxAllocBytes. reserve(n) beyond it, or an insert past it, throws
  // std::length_error.
  static constexpr size_t max_size() noexcept { return maps::max_count(kMaxB); }

  iterator begin() { return iterator(this); }
  iterator end() { return iterator(this, nullptr); }
  const_iterator begin() const { return const_iterator(this); }
  const_iterator end() const { return const_iterator(this, nullptr); }
  const_iterator cbegin() const { return begin(); }
  const_iterator cend() const { return end(); }

  template <class Q = K>
  iterator find(const key_arg<Q>& k) {
    return iterator_at(k);
  }
  template <class Q = K>
  const_iterator find(const key_arg<Q>& k) const {
    return const_cast<map*>(this)->iterator_at(k);
  }
  template <class Q = K>
  bool contains(const key_arg<Q>& k) const {
    return lookup<Q>(k) != nullptr;
  }
  template <class Q = K>
  size_t count(const key_arg<Q>& k) const {
    return contains<Q>(k) ? 1 : 0;
  }
  template <class Q = K>
  V& at(const key_arg<Q>& k) {
    V* p = lookup<Q>(k);
    if (p == nullptr) throw std::out_of_range("gort::map::at: no such key");
    return *p;
  }
  template <class Q = K>
  const V& at(const key_arg<Q>& k) const {
    return const_cast<map*>(this)->at<Q>(k);
  }

  V& operator[](const K& k) { return *try_emplace(k).first.value_ptr(); }
  V& operator[](K&& k) { return *try_emplace(std::move(k)).first.value_ptr(); }

  template <class KK, class... Args>
  std::pair<iterator, bool> try_emplace(KK&& k, Args&&... args) {
    return assign(std::forward<KK>(k), [&](void* p) { ::new (p) V(std::forward<Args>(args)...); });
  }
  template <class KK, class M>
  std::pair<iterator, bool> insert_or_assign(KK&& k, M&& v) {
    bool fresh = false;
    auto r = assign(std::forward<KK>(k), [&](void* p) {
      ::new (p) V(std::forward<M>(v));
      fresh = true;
    });
    if (!fresh) *r.first.value_ptr() = std::forward<M>(v);
    return r;
  }
  std::pair<iterator, bool> insert(const value_type& kv) { return try_emplace(kv.first, kv.second); }
  std::pair<iterator, bool> insert(value_type&& kv) {
    return try_emplace(std::move(const_cast<K&>(kv.first)), std::move(kv.second));
  }
  template <class... Args>
  std::pair<iterator, bool> emplace(Args&&... args) {
    value_type kv(std::forward<Args>(args)...);
    return insert(std::move(kv));
  }
  template <class Q = K>
  size_t erase(const key_arg<Q>& k) {
    return remove(k) ? 1 : 0;
  }
  iterator erase(const_iterator pos);
  iterator erase(iterator pos) { return erase(const_iterator(pos)); }
  void clear();
  void reserve(size_t n);
  void swap(map& o) noexcept;
  // Not Go's: evacuates what an incremental grow has left (as the writes to come would), so
  // that lookups never read an old bucket again. For a map about to be read and no longer
  // written (sync_map publishes its dirty table as the read table), whose grow would
  // otherwise never end. Invalidates iterators, as a write does.
  void complete_grow() {
    if (!growing()) return;
    maps::write_guard guard(flags_);
    finish_grow();
  }

  // ---- For containers built of maps (sharded_map.h) -------------------------------------
  // A chain longer than this is no chain peek_hashed trusts (a grow starts long before).
  static constexpr int kMaxPeekChain = 64;
  static uint64_t load_word(const uint8_t* p) {
    return __atomic_load_n(reinterpret_cast<const uint64_t*>(p), __ATOMIC_RELAXED);
  }
  // lookup, try_emplace and erase with k's hash h supplied by the caller, who has computed it
  // already (to choose a shard), so that k is hashed once. k is a K, or a key-like Q when
  // Hash and Eq are transparent. Precondition: h is the hash this map computes for k; a
  // caller can know it only when Hash ignores the seed the map passes it (a hasher built
  // with map(const Hash&) that carries its own seed). Checked at GORT_CHECKS >= 2.
  template <class Q = K>
  V* lookup_hashed(uint64_t h, const key_arg<Q>& k) {
    GORT_ASSERT(h == hash_of(k), "map: lookup_hashed: h is not the map's hash of k");
    return search<V*>(k, h, [](bucket* b, uint64_t lane) { return b->val_at_lane(lane); });
  }

  // Where a lookup starts (table_hint): the header fields that locate hash h's head bucket
  // and mirror word, and whether a lookup needs more (a grow in progress also reads the old
  // array). A container that reads optimistically keeps a copy of them, under its own
  // seqlock and away from the line the header shares with its lock (sharded_map.h,
  // "Hints"), refreshed by its writers after each write.
  struct table_hint {
    uintptr_t buckets = 0;
    uint64_t mask = 0;
    uintptr_t tops = 0;  // the mirror, 0 without one (kNoMirror)
    uint64_t growing = 0;
    bool operator==(const table_hint&) const = default;
  };
  table_hint hint() const {
    return {reinterpret_cast<uintptr_t>(buckets_), mask_, reinterpret_cast<uintptr_t>(tops_),
            growing() ? 1u : 0u};
  }
  // Asks, for writing, for the lines an insert or delete of h touches in the table t
  // describes: the head bucket and its mirror word (a lookup's, peek_hashed, asks for its
  // own). t may be stale or torn (a grow moved the table, the array is freed): a prefetch
  // of a wrong line is wasted, never a fault.
  static void prefetch_hint(const table_hint& t, uint64_t h) {
    const size_t j = h & t.mask;
    bucket::prefetch_write_at(t.buckets + j * sizeof(bucket));
    if (t.tops != 0) __builtin_prefetch(reinterpret_cast<const void*>(t.tops + j * 8), 1);
  }

  // An optimistic lookup in the table t describes (a copy of hint() the caller read), for a
  // reader that holds no lock while a writer may run (the seqlock readers of sharded_map.h):
  // k's value copied to *out (1), k absent (0), or no answer (-1: a grow in progress, a
  // chain longer than any the map makes). Every read may see a write half done, and t may
  // be torn; the caller validates whatever comes back afterwards. valid() runs once t is
  // read and before any bucket is: false gives -1, so that the array and mask used are ones
  // no write tore. The bucket's lines are asked for before valid(), from t (a prefetch
  // cannot fault).
  // Only for maps whose freed arrays outlive such readers (maps::defers_frees) and whose
  // keys and values can be read while written (maps::peekable_types).
  static constexpr bool peekable() {
    return maps::defers_frees<Hash> && maps::peekable_types<K, V, Eq>;
  }
  template <class Valid>
  static int peek_hashed(const table_hint& t, uint64_t h, K k, V* out, Valid valid) {
    static_assert(peekable());
    const size_t j = h & t.mask;
    bucket::prefetch_at(t.buckets + j * sizeof(bucket));
    if (t.growing || !valid()) return -1;
    bucket* b = reinterpret_cast<bucket*>(t.buckets) + j;
    uint64_t th = t.tops == 0 ? load_word(b->tophash)
                              : __atomic_load_n(reinterpret_cast<const uint64_t*>(t.tops) + j,
                                                __ATOMIC_RELAXED);
    const uint64_t w = maps::kTopSpread.w[h >> 56];
    for (int n = 0; n < kMaxPeekChain; n++) {
      const auto* bytes = reinterpret_cast<const uint8_t*>(&th);
      for (const uint64_t lane : maps::group(bytes).match_lanes(w)) {
        if (__atomic_load_n(b->key_at_lane(lane), __ATOMIC_RELAXED) == k) {
          std::memcpy(static_cast<void*>(out), b->val_at_lane(lane), sizeof(V));
          return 1;
        }
      }
      if (bytes[maps::kBucketCnt - 1] == maps::kEmptyRest) return 0;
      b = __atomic_load_n(&b->overflow, __ATOMIC_RELAXED);
      if (b == nullptr) return 0;
      th = load_word(b->tophash);
    }
    return -1;
  }
  template <class KK, class... Args>
  std::pair<iterator, bool> try_emplace_hashed(uint64_t h, KK&& k, Args&&... args) {
    static_assert(std::is_same_v<std::remove_cvref_t<KK>, K> ||
                  (maps::transparent<Hash> && maps::transparent<Eq>));
    GORT_ASSERT(h == hash_of(k), "map: try_emplace_hashed: h is not the map's hash of k");
    return assign_hashed(h, std::forward<KK>(k),
                         [&](void* p) { ::new (p) V(std::forward<Args>(args)...); });
  }
  template <class Q = K>
  bool erase_hashed(uint64_t h, const key_arg<Q>& k) {
    GORT_ASSERT(h == hash_of(k), "map: erase_hashed: h is not the map's hash of k");
    return remove_hashed(h, k);
  }

 private:
  struct slot {
    bucket* b;
    unsigned i;
  };
  struct hiter;  // iter.h
  struct retired {
    bucket* arr;
    size_t nmain;
    bucket_list ovf;
    bool keys_alive;
  };

  // The sentinel of a map with no buckets yet (Go allocates them lazily too): all slots
  // kEmptyRest, no overflow, so a lookup needs no "allocated?" test. Never written.
  static bucket* empty_bucket() {
    static bucket zero{};
    return &zero;
  }
  template <class Q>
  uint64_t hash_of(const Q& k) const {
    return maps::seeded_hash(hash_, k, seed_);
  }
  bool growing() const { return oldbuckets_ != nullptr; }
  size_t noldbuckets() const { return size_t{1} << (same_size_ ? B_ : B_ - 1); }
  size_t oldmask() const { return noldbuckets() - 1; }

  // The hot path of every lookup: hit(b, lane) for the slot holding k (lane: 8 x its
  // index, see group.h), or R{} when there is none. find_slot and lookup differ only in
  // what a hit returns, so that lookup's caller tests one pointer rather than a slot and then
  // a pointer.
  template <class R, class Q, class Hit>
  R search(const Q& k, uint64_t h, Hit hit) const {
    const uint8_t f = *reinterpret_cast<const volatile uint8_t*>(&flags_);  // see "Concurrency"
    const size_t j = h & mask_;
    bucket* b = buckets_ + j;
    b->prefetch();
    const uint8_t* th;
    if (f & (maps::kHashWriting | maps::kGrowing | maps::kNoMirror)) [[unlikely]] {
      if (f & maps::kHashWriting) runtime::fatal("concurrent map read and map write");
      if (f & maps::kGrowing) b = old_or_new(b, h);
      th = b->tophash;
    } else {
      th = reinterpret_cast<const uint8_t*>(tops_ + j);
    }
    const uint64_t w = maps::kTopSpread.w[h >> 56];
    for (;;) {
      for (const uint64_t lane : maps::group(th).match_lanes(w))
        if (eq_(*b->key_at_lane(lane), k)) [[likely]] return hit(b, lane);
      if (th[maps::kBucketCnt - 1] == maps::kEmptyRest) break;  // I1: nothing further down
      b = b->overflow;
      if (b == nullptr) break;
      th = b->tophash;
    }
    return R{};
  }
  // The slot holding k, or {nullptr, 0}.
  template <class Q>
  slot find_slot(const Q& k, uint64_t h) const {
    return search<slot>(k, h, [](bucket* b, uint64_t lane) {
      return slot{b, static_cast<unsigned>(lane / 8)};
    });
  }
  // Writes a tophash byte of b, and its mirror when b is a head bucket of the current array
  // (M6). Old buckets and overflow buckets have no mirror: their index falls outside.
  void set_top(bucket* b, unsigned i, uint8_t v) {
    if (tops_ == nullptr) {
      b->tophash[i] = v;
      return;
    }
    const size_t j = (reinterpret_cast<uintptr_t>(b) - reinterpret_cast<uintptr_t>(buckets_)) /
                     sizeof(bucket);
    set_top_at(b, j <= mask_ ? j : kNoCheck, i, v);
  }
  // set_top for a caller that knows b's place: bucket j of buckets_ (head), or kNoCheck
  // (an overflow bucket, which has no mirror).
  void set_top_at(bucket* b, size_t j, unsigned i, uint8_t v) {
    b->tophash[i] = v;
    if (tops_ != nullptr && j != kNoCheck) reinterpret_cast<uint8_t*>(tops_ + j)[i] = v;
  }
  // tops_ and its flag bit (kNoMirror) change together.
  void set_tops(uint64_t* t) {
    tops_ = t;
    const uint8_t f = flags_.load(std::memory_order_relaxed);
    flags_.store(t ? f & ~maps::kNoMirror : f | maps::kNoMirror, std::memory_order_relaxed);
  }
  // The mirror of an array of 2^b buckets (nalloc in all) made by make_bucket_array.
  static uint64_t* mirror_of(bucket* arr, uint8_t b, size_t nalloc) {
    return b <= maps::kMirrorMaxB ? reinterpret_cast<uint64_t*>(arr + nalloc) : nullptr;
  }
  static constexpr size_t mirror_bytes(uint8_t b) {
    return b <= maps::kMirrorMaxB ? (size_t{1} << b) * sizeof(uint64_t) : 0;
  }
  // Whether an array of 2^b buckets (with its preallocated overflow buckets and mirror) fits
  // in maps::kMaxAllocBytes; the size is computed without overflowing.
  static constexpr bool array_fits(uint8_t b) {
    if (b > 48) return false;
    const size_t raw = (size_t{1} << b) + (b >= 4 ? size_t{1} << (b - 4) : 0);
    // Room for the size-class rounding first (a page at most), so nalloc_for cannot overflow.
    if (raw > (maps::kMaxAllocBytes - mirror_bytes(b) - alloc::kPageSize) / sizeof(bucket))
      return false;
    return nalloc_for(b) <= (maps::kMaxAllocBytes - mirror_bytes(b)) / sizeof(bucket);
  }
  // Buckets in an array of 2^b main buckets, as Go's makeBucketArray counts them: for b >= 4,
  // 2^(b-4) overflow buckets more, and then as many as the size class's slack holds.
  static constexpr size_t nalloc_for(uint8_t b) {
    size_t n = size_t{1} << b;
    if (b < 4) return n;
    n += size_t{1} << (b - 4);
    return runtime::roundupsize(n * sizeof(bucket)) / sizeof(bucket);
  }
  static constexpr uint8_t max_B() {
    uint8_t b = 0;
    while (array_fits(b + 1)) b++;
    return b;
  }
  static constexpr uint8_t kMaxB = max_B();

  // While a grow is in progress, the entries of new bucket x & mask_ (x: that index, or a
  // hash) are still in old bucket x & oldmask() until it is evacuated, and are read there:
  // whether they are (in_old), and where (old_bucket, during a grow). Lookups, find and
  // both iterations ask this, as Go's mapaccess and mapiternext do.
  bool in_old(size_t x) const { return growing() && !maps::evacuated(old_bucket(x)); }
  bucket* old_bucket(size_t x) const { return oldbuckets_ + (x & oldmask()); }
  // search's in_old, during a grow: the bucket to read for h, b when it is the new one. Out
  // of line, and pure (it writes nothing), so that a loop of lookups may still keep the
  // map's fields in registers.
  [[gnu::noinline, gnu::pure]] bucket* old_or_new(bucket* b, uint64_t h) const {
    bucket* ob = old_bucket(h);
    return maps::evacuated(ob) ? b : ob;
  }

  template <class KK, class Make>
  std::pair<iterator, bool> assign(KK&& k, Make&& make) {
    if constexpr (!std::is_same_v<std::remove_cvref_t<KK>, K> &&
                  !(maps::transparent<Hash> && maps::transparent<Eq>)) {
      return assign(K(std::forward<KK>(k)), std::forward<Make>(make));  // one K, not one per probe
    } else {
      const uint64_t h = hash_of(k);
      return assign_hashed(h, std::forward<KK>(k), std::forward<Make>(make));
    }
  }
  template <class KK, class Make>
  std::pair<iterator, bool> assign_hashed(uint64_t h, KK&& k, Make&& make);
  template <class Q>
  bool remove(const Q& k) {
    return count_ != 0 && remove_hashed(hash_of(k), k);  // an empty map hashes nothing
  }
  template <class Q>
  bool remove_hashed(uint64_t h, const Q& k);
  void mark_deleted(bucket* head, size_t hj, bucket* b, unsigned i);
  void destroy_slot(bucket* b, unsigned i);
  void clear_chain(bucket* b, uint8_t mark);
  template <class Q>
  iterator iterator_at(const Q& k);

  // grow.h
  void first_bucket();
  void hash_grow(bool force_bigger = false);
  void grow_work(size_t bucket_index);
  void evacuate(size_t oldbucket);
  void advance_evacuation_mark(size_t newbit);
  void finish_grow();
  void end_grow();
  bucket* new_overflow(bucket* b);
  void incr_noverflow();
  bucket* make_bucket_array(uint8_t b, size_t& nalloc);
  void install_table(bucket* arr, uint8_t b, size_t nalloc);
  // Frees arr and ovf; with later, through H::retire_array when the hasher defers frees (an
  // optimistic reader may be inside them); the destructor, which no reader can overlap,
  // frees at once.
  void free_table(bucket* arr, size_t nmain, bucket_list& ovf, bool keys_alive,
                  bool later = true);
  void retire_or_free(bucket* arr, size_t nmain, bucket_list&& ovf, bool keys_alive);
  void release_all();

  // iter.h
  hiter iter_init();
  bool iter_next(hiter& it, const K*& k, V*& v);
  void iter_enter();
  void iter_leave();

  // Hot fields first: a lookup reads buckets_, mask_, seed_, tops_, flags_ (oldbuckets_ only
  // while growing), all in the first 48 bytes, so that a map placed 16 bytes into a line (a
  // shard of sharded_map.h, behind its lock) finds them in that one line.
  bucket* buckets_;  // 2^B buckets, then the preallocated overflow buckets
  uint64_t mask_ = 0;
  uint64_t seed_;
  uint64_t* tops_ = nullptr;      // the tophash mirror of buckets_, or null (B > kMirrorMaxB)
  std::atomic<uint8_t> flags_{maps::kNoMirror};
  uint8_t B_ = 0;
  uint16_t noverflow_ = 0;  // Go's approximate overflow-bucket counter (exact for B < 16)
  // grow_decision's thresholds for B_ (max_count, max_overflow), kept by install_table: an
  // insert of a new key tests count_ and noverflow_ against them and needs grow_decision
  // only when one is reached.
  uint16_t max_overflow_ = maps::max_overflow(0);
  bucket* oldbuckets_ = nullptr;  // the previous array while a grow is in progress
  size_t count_ = 0;
  size_t max_count_ = maps::max_count(0);
  bool same_size_ = false;
  bool keep_old_keys_ = false;  // evacuation copies keys: an iterator may read the old array
  size_t nevacuate_ = 0;        // old buckets below this are evacuated
  [[no_unique_address]] Hash hash_;
  [[no_unique_address]] Eq eq_;

  // Cold fields: allocation bookkeeping, x-ray counters, iterator lifetimes.
  size_t nalloc_ = 0;                    // buckets allocated in buckets_ (0: the sentinel)
  size_t old_nmain_ = 0;                 // 2^oldB
  bucket* next_overflow_ = nullptr;      // next preallocated overflow bucket of buckets_
  bucket* overflow_end_ = nullptr;
  bucket_list overflow_;                 // overflow buckets allocated one by one
  bucket_list oldoverflow_;
  size_t overflow_used_ = 0;             // overflow buckets chained in buckets_ (exact)
  size_t old_overflow_used_ = 0;
  int iterators_ = 0;                    // ranges in progress
  std::vector<retired, runtime::allocator<retired>> retired_;  // arrays an iterator may read
};

}  // namespace gort

#include "maps/grow.h"
#include "maps/iter.h"
#include "maps/ops.h"
#include "maps/xray.h"
