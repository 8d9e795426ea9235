// iter.h — iteration over gort::map: range() (Go's mapiterinit/mapiternext) and the STL
// iterators.
//
// range(fn), Go's `for k, v := range m`:
//   1. snapshot the bucket array and B; draw a random start bucket and a random slot offset
//      (each range visits the buckets from the start bucket round, and the slots of every
//      bucket from the offset round);
//   2. for each bucket of the snapshot: if a grow is in progress and the snapshot is the new
//      array (it.B == B), and the old bucket it comes from is not evacuated yet, walk that
//      old bucket instead, producing only the keys bound for this new bucket (checkBucket);
//   3. a slot marked kEvacuatedX/Y means the table grew after the snapshot: the entry is
//      looked up by key in the current table, and skipped if it has been deleted.
// Guarantees while fn changes the map: an entry deleted before it is reached is not
// produced; an entry added may or may not be; no entry is produced twice.
//
// Lifetimes (C++ has no GC to keep a snapshot alive): while any range is in progress
// (iterators_ > 0) an old array is not freed when its grow ends but kept in retired_, and a
// grow started then keeps the old keys valid (keep_old_keys_); the last range to end frees
// the retired arrays. A range that starts in the middle of a grow of non-trivially-copyable
// keys first finishes that grow, so that keys it may look up are never moved-from.
//
// The STL iterators walk the same way from bucket 0, offset 0, with no snapshot: they are
// invalidated by writes (see map.h), so the table they walk never changes under them.
#pragma once

#include <cstddef>
#include <iterator>
#include <new>

#include "maps/map.h"

namespace gort {

template <class K, class V, class H, class E>
struct map<K, V, H, E>::hiter {
  bucket* buckets;  // snapshot
  uint8_t B;
  uint8_t offset;   // slot offset: slot (i + offset) & 7 is visited i-th
  bool wrapped;
  size_t start_bucket;
  size_t bucket_;   // next bucket index of the snapshot to load
  bucket* bptr;     // current bucket of a chain, nullptr between chains
  unsigned i;
  size_t check;     // new bucket whose keys an old chain is filtered for, or kNoCheck
};

template <class K, class V, class H, class E>
template <class F>
void map<K, V, H, E>::range(F&& fn) {
  if (count_ == 0) return;
  iter_enter();
  struct leave {
    map* m;
    ~leave() { m->iter_leave(); }
  } guard{this};
  hiter it = iter_init();
  const K* k;
  V* v;
  while (iter_next(it, k, v)) {
    if constexpr (std::is_convertible_v<std::invoke_result_t<F&, const K&, V&>, bool>) {
      if (!fn(*k, *v)) return;
    } else {
      fn(*k, *v);
    }
  }
}

template <class K, class V, class H, class E>
void map<K, V, H, E>::iter_enter() {
  if constexpr (!std::is_trivially_copyable_v<K>) {
    if (growing() && !keep_old_keys_) {
      maps::write_guard guard(flags_);
      finish_grow();
    }
  }
  iterators_++;
}

template <class K, class V, class H, class E>
void map<K, V, H, E>::iter_leave() {
  if (--iterators_ > 0) return;
  for (retired& r : retired_) free_table(r.arr, r.nmain, r.ovf, r.keys_alive);
  retired_.clear();
}

// mapiterinit.
template <class K, class V, class H, class E>
typename map<K, V, H, E>::hiter map<K, V, H, E>::iter_init() {
  const uint64_t r = gort::fastrand64();
  hiter it{};
  it.buckets = buckets_;
  it.B = B_;
  it.start_bucket = r & mask_;
  it.offset = static_cast<uint8_t>((r >> B_) & (maps::kBucketCnt - 1));
  it.bucket_ = it.start_bucket;
  it.check = kNoCheck;
  return it;
}

// mapiternext: the next entry, or false at the end.
template <class K, class V, class H, class E>
bool map<K, V, H, E>::iter_next(hiter& it, const K*& k, V*& v) {
  using namespace maps;
  if (flags_.load(std::memory_order_relaxed) & kHashWriting) [[unlikely]]
    runtime::fatal("concurrent map iteration and map write");
  bucket* b = it.bptr;
  unsigned i = it.i;
  size_t check = it.check;
  size_t bkt = it.bucket_;
  for (;;) {
    if (b == nullptr) {
      if (bkt == it.start_bucket && it.wrapped) return false;
      check = kNoCheck;
      b = it.buckets + bkt;
      if (in_old(bkt) && it.B == B_) {  // it.B == B_: the snapshot is the new array
        b = old_bucket(bkt);
        check = bkt;
      }
      if (++bkt == (size_t{1} << it.B)) {
        bkt = 0;
        it.wrapped = true;
      }
      i = 0;
    }
    for (; i < kBucketCnt; i++) {
      const unsigned off = (i + it.offset) & (kBucketCnt - 1);
      const uint8_t t = b->tophash[off];
      if (is_empty(t) || t == kEvacuatedEmpty) continue;
      K* key = b->key(off);
      if (check != kNoCheck && !same_size_ &&
          (hash_of(*key) & ((size_t{1} << it.B) - 1)) != check)
        continue;  // bound for the other half of this old bucket
      if (t != kEvacuatedX && t != kEvacuatedY) {
        k = key;
        v = b->val(off);
      } else {
        // The table grew since the snapshot: the live entry is wherever the key is now.
        slot s = find_slot(*key, hash_of(*key));
        if (s.b == nullptr) continue;  // deleted
        k = s.b->key(s.i);
        v = s.b->val(s.i);
      }
      it.bucket_ = bkt;
      it.bptr = b;
      it.i = i + 1;
      it.check = check;
      return true;
    }
    b = b->overflow;
    i = 0;
  }
}

// ---- STL iterators ---------------------------------------------------------------------

template <class K, class V, class H, class E>
template <bool Const>
class map<K, V, H, E>::basic_iterator {
  using map_ptr = std::conditional_t<Const, const map*, map*>;
  using value_ref = std::conditional_t<Const, const V&, V&>;

 public:
  using iterator_category = std::forward_iterator_tag;
  using value_type = std::pair<const K, V>;
  using difference_type = ptrdiff_t;
  struct reference {
    const K& first;
    value_ref second;
    operator value_type() const { return value_type(first, second); }
  };
  struct pointer {
    reference r;
    const reference* operator->() const { return &r; }
  };

  basic_iterator() = default;
  template <bool C = Const, class = std::enable_if_t<C>>
  basic_iterator(const basic_iterator<false>& o)  // iterator -> const_iterator
      : m_(o.m_), next_(o.next_), b_(o.b_), i_(o.i_), check_(o.check_) {}

  // The proxy is built in the iterator itself and returned as an lvalue, so that
  // `for (auto& [k, v] : m)` binds as it does for std::unordered_map: k and v name the key
  // and value in the bucket (the proxy's members are references). It stays valid until the
  // iterator is dereferenced again or destroyed.
  reference& operator*() const {
    return *std::launder(::new (static_cast<void*>(proxy_)) reference{*b_->key(i_), *b_->val(i_)});
  }
  pointer operator->() const { return pointer{**this}; }
  basic_iterator& operator++() {
    i_++;
    settle();
    return *this;
  }
  basic_iterator operator++(int) {
    basic_iterator t = *this;
    ++*this;
    return t;
  }
  friend bool operator==(const basic_iterator& a, const basic_iterator& b) {
    return a.b_ == b.b_ && a.i_ == b.i_;
  }
  auto value_ptr() const { return b_->val(i_); }

 private:
  friend class map;
  template <bool>
  friend class basic_iterator;

  explicit basic_iterator(map_ptr m) : m_(m) {  // begin()
    if (m->count_ != 0) settle();
  }
  basic_iterator(map_ptr m, std::nullptr_t) : m_(m) {}  // end()
  basic_iterator(map_ptr m, size_t bi, bucket* b, unsigned i, size_t check = kNoCheck)
      : m_(m), next_(bi + 1), b_(b), i_(i), check_(check) {}

  // Moves to the first live slot at or after (b_, i_), loading chains as mapiternext does.
  // The live slots of a bucket come from one group compare (full()); i_ <= kBucketCnt.
  void settle() {
    for (;;) {
      if (b_ == nullptr && !load_next()) return;
      for (const unsigned i : b_->full().from(i_)) {
        i_ = i;
        if (check_ == kNoCheck || m_->same_size_ ||
            (m_->hash_of(*b_->key(i_)) & m_->mask_) == check_)
          return;
      }
      b_ = b_->overflow;
      i_ = 0;
    }
  }
  bool load_next() {
    i_ = 0;
    if (next_ == (size_t{1} << m_->B_)) return false;  // end
    check_ = kNoCheck;
    b_ = m_->buckets_ + next_;
    // A bucket of more than three lines (string keys: six) is read at its tophash line and
    // its values' lines, its keys' lines skipped unless the loop reads the keys: a pattern
    // the hardware prefetchers do not follow, so those lines are asked for kAhead buckets
    // ahead. The address is computed as an integer: near the end it may lie past the array
    // (a prefetch never faults).
    if constexpr (sizeof(bucket) > 3 * maps::kLine) {
      constexpr size_t kAhead = 4;
      const uintptr_t p = reinterpret_cast<uintptr_t>(b_) + kAhead * sizeof(bucket);
      constexpr size_t kVals = offsetof(bucket, vals);
      constexpr size_t kValsEnd = kVals + sizeof(V) * maps::kBucketCnt - 1;
      __builtin_prefetch(reinterpret_cast<const void*>(p));
      __builtin_prefetch(reinterpret_cast<const void*>(p + kVals));
      __builtin_prefetch(reinterpret_cast<const void*>(p + kValsEnd));
    }
    if (m_->in_old(next_)) {
      b_ = m_->old_bucket(next_);
      check_ = next_;
    }
    next_++;
    return true;
  }

  static_assert(std::is_trivially_destructible_v<reference>);
  alignas(reference) mutable std::byte proxy_[sizeof(reference)];  // operator*'s result
  map_ptr m_ = nullptr;
  size_t next_ = 0;  // next new bucket index to load
  bucket* b_ = nullptr;
  unsigned i_ = 0;
  size_t check_ = kNoCheck;
};

}  // namespace gort
