// grow.h — growth of gort::map: hashGrow, growWork, evacuate, advanceEvacuationMark, and
// the allocation of bucket arrays and overflow buckets (Go 1.19, runtime/map.go).
//
// A grow is started by an insert of a new key (ops.h, assign) when no grow is in progress and
//   count+1 > 8 && count+1 > 6.5 * 2^B   -> doubling grow: B+1, old bucket j splits into
//                                           new buckets j (X) and j + 2^oldB (Y) by hash bit oldB
//   noverflow >= 2^min(B, 15)            -> same-size grow: B stays, chains are compacted
// hash_grow() only allocates the new array and keeps the old; the entries move later, a
// bucket chain at a time (evacuate), two per insert or delete (grow_work: the old bucket of
// the key being written, then the lowest unevacuated one, nevacuate). Evacuation keeps each
// chain's order; the old slots are marked kEvacuatedX/Y/Empty so that readers and iterators
// know where the entries went. When nevacuate reaches the number of old buckets the old
// array is released: freed, or handed to retired_ while an iteration may still read it.
//
// Keys in the old array stay valid after evacuation when an iteration was in progress when
// the grow started (keep_old_keys_): such an iteration may meet a kEvacuatedX/Y slot and
// look its key up in the new table (iter.h). Then evacuation copies keys instead of moving
// them, and the old keys are destroyed with the old array. Values always move.
//
// Array sizes: 2^B buckets, and for B >= 4 another 2^(B-4) preallocated overflow buckets at
// the end of the array, used before any overflow bucket is allocated on its own, plus as
// many more as fit in the slack of the size class the buckets round up to (Go's
// makeBucketArray: roundupsize, then nbuckets = up / bucket size; map.h, nalloc_for). The
// tophash mirror follows the buckets. Arrays and overflow buckets come from the runtime's
// allocator (alloc/runtime.h), zeroed, as Go's newarray and newobject give them.
// Arrays of 4 MiB and more are advised MADV_HUGEPAGE (advise_huge_pages).
#pragma once

#include <sys/mman.h>

#include <cstring>
#include <new>

#include "maps/map.h"

namespace gort {

namespace maps {
// Big bucket arrays ask for transparent huge pages, as Go's heap does for its arenas: a
// lookup's bucket is a random line of a big array, and with 4 KiB pages nearly every lookup
// would also miss the TLB. Only whole 2 MiB pages inside the array are advised.
inline void advise_huge_pages(void* p, size_t bytes) {
  constexpr uintptr_t kHuge = uintptr_t{2} << 20;
  if (bytes < 2 * kHuge) return;
  uintptr_t lo = (reinterpret_cast<uintptr_t>(p) + kHuge - 1) & ~(kHuge - 1);
  uintptr_t hi = (reinterpret_cast<uintptr_t>(p) + bytes) & ~(kHuge - 1);
  if (hi > lo) madvise(reinterpret_cast<void*>(lo), hi - lo, MADV_HUGEPAGE);
}
}  // namespace maps

// Allocates a zeroed array of 2^b buckets (and its mirror); nalloc: the buckets in it. It
// changes nothing else, so that a caller that allocates before it changes anything leaves the
// map as it was when this throws: std::length_error past kMaxB, std::bad_alloc when the
// memory is not there.
template <class K, class V, class H, class E>
typename map<K, V, H, E>::bucket* map<K, V, H, E>::make_bucket_array(uint8_t b, size_t& nalloc) {
  if (!array_fits(b)) throw std::length_error("gort::map: table larger than max_size()");
  const size_t n = nalloc_for(b);
  const size_t bytes = n * sizeof(bucket) + mirror_bytes(b);  // the mirror follows
  void* p = runtime::allocate(bytes, alignof(bucket), true);
  if (p == nullptr) throw std::bad_alloc();
  maps::advise_huge_pages(p, bytes);
  nalloc = n;
  return static_cast<bucket*>(p);
}

// The first insert into a map made without a hint allocates its single bucket.
template <class K, class V, class H, class E>
void map<K, V, H, E>::first_bucket() {
  size_t nalloc;
  bucket* arr = make_bucket_array(B_, nalloc);
  install_table(arr, B_, nalloc);
}

// Makes arr, a zeroed array of 2^b buckets from make_bucket_array, the current one.
template <class K, class V, class H, class E>
void map<K, V, H, E>::install_table(bucket* arr, uint8_t b, size_t nalloc) {
  buckets_ = arr;
  nalloc_ = nalloc;
  next_overflow_ = arr + (size_t{1} << b);
  overflow_end_ = arr + nalloc;
  B_ = b;
  mask_ = (size_t{1} << b) - 1;
  set_tops(mirror_of(buckets_, b, nalloc_));
  max_count_ = maps::max_count(b);
  max_overflow_ = maps::max_overflow(b);
}

// newoverflow: chain an empty overflow bucket to b.
template <class K, class V, class H, class E>
typename map<K, V, H, E>::bucket* map<K, V, H, E>::new_overflow(bucket* b) {
  bucket* ovf;
  if (next_overflow_ != overflow_end_) {
    ovf = next_overflow_++;
  } else {
    overflow_.push_back(nullptr);  // first: a throw from either allocation changes nothing
    ovf = static_cast<bucket*>(runtime::allocate(sizeof(bucket), alignof(bucket), true));
    if (ovf == nullptr) {
      overflow_.pop_back();
      throw std::bad_alloc();
    }
    overflow_.back() = ovf;
  }
  incr_noverflow();
  overflow_used_++;
  b->overflow = ovf;
  return ovf;
}

// incrnoverflow: exact below B = 16; above, incremented with probability 2^-(B-15), so that
// 2^15 - 1 still means "about as many overflow buckets as buckets".
template <class K, class V, class H, class E>
void map<K, V, H, E>::incr_noverflow() {
  if (B_ < 16) {
    noverflow_++;
    return;
  }
  uint32_t mask = (uint32_t{1} << (B_ - 15)) - 1;
  if ((gort::fastrand() & mask) == 0) noverflow_++;
}

// hashGrow.
template <class K, class V, class H, class E>
void map<K, V, H, E>::hash_grow(bool force_bigger) {
  const bool bigger = force_bigger || maps::over_load_factor(count_ + 1, B_);
  const uint8_t b = B_ + (bigger ? 1 : 0);
  size_t nalloc;
  bucket* arr = make_bucket_array(b, nalloc);  // first: when it throws, nothing has changed
  same_size_ = !bigger;
  oldbuckets_ = buckets_;
  flags_.store(flags_.load(std::memory_order_relaxed) | maps::kGrowing, std::memory_order_relaxed);
  old_nmain_ = size_t{1} << B_;
  install_table(arr, b, nalloc);
  nevacuate_ = 0;
  noverflow_ = 0;
  old_overflow_used_ = overflow_used_;
  overflow_used_ = 0;
  oldoverflow_ = std::move(overflow_);
  overflow_.clear();
  keep_old_keys_ = iterators_ > 0;
}

// growWork: evacuate the old bucket the write is about to use, then one more.
// The first is a random bucket of a big array. Its lines, and those of the destination the
// caller has not asked for (assign and remove prefetch the new bucket bucket_index, which is
// one of the two), are asked for here, before evacuate reads its first byte, so that those
// misses overlap instead of following one another. An old bucket below nevacuate_ is known
// to be evacuated (M3), and is not touched at all.
template <class K, class V, class H, class E>
void map<K, V, H, E>::grow_work(size_t bucket_index) {
  const size_t ob = bucket_index & oldmask();
  if (B_ >= maps::kPrefetchMinB && ob >= nevacuate_) {
    oldbuckets_[ob].prefetch_write();  // its tophash bytes become evacuation marks
    if (!same_size_) {  // a same-size grow has one destination, bucket_index itself
      const size_t other = ob == bucket_index ? ob + noldbuckets() : ob;  // Y or X
      buckets_[other].prefetch_write();
      if (tops_ != nullptr) __builtin_prefetch(tops_ + other, 1);
    }
  }
  evacuate(ob);
  if (growing()) evacuate(nevacuate_);
}

// Moves the chain of one old bucket to the new array.
template <class K, class V, class H, class E>
void map<K, V, H, E>::evacuate(size_t oldbucket) {
  using namespace maps;
  bucket* b = oldbuckets_ + oldbucket;
  const size_t newbit = noldbuckets();
  if (oldbucket >= nevacuate_ && !evacuated(b)) {  // below nevacuate_: evacuated (M3)
    struct dst {
      bucket* b;
      unsigned i;
      size_t j;  // b's index while it is the head bucket, then kNoCheck (see set_top_at)
    } xy[2] = {{buckets_ + oldbucket, 0, oldbucket},
               {same_size_ ? nullptr : buckets_ + oldbucket + newbit, 0, oldbucket + newbit}};
    if (B_ >= kPrefetchMinB) {  // both destinations are written: overlap their misses
      xy[0].b->prefetch_write();
      if (xy[1].b != nullptr) xy[1].b->prefetch_write();
    }
    // A bucket moved halfway cannot be put back (its first slots already point to the new
    // table), so a failure here, an overflow bucket that cannot be allocated or a key or
    // value constructor that throws, stops the program, as Go's runtime does when it runs
    // out of memory; every throw that can come before a grow moves anything leaves the map
    // as it was (make_bucket_array).
    try {
      for (; b != nullptr; b = b->overflow) {
        for (unsigned i = 0; i < kBucketCnt; i++) {
          const uint8_t top = b->tophash[i];
          if (is_empty(top)) {  // old buckets have no mirror: plain writes
            b->tophash[i] = kEvacuatedEmpty;
            continue;
          }
          const unsigned useY = same_size_ ? 0 : (hash_of(*b->key(i)) & newbit) != 0;
          b->tophash[i] = kEvacuatedX + useY;
          dst& d = xy[useY];
          if (d.i == kBucketCnt) {
            d.b = new_overflow(d.b);
            d.i = 0;
            d.j = kNoCheck;
          }
          set_top_at(d.b, d.j, d.i, top);
          if (keep_old_keys_) {
            ::new (d.b->key_slot(d.i)) K(*b->key(i));
          } else {
            ::new (d.b->key_slot(d.i)) K(std::move(*b->key(i)));
            b->key(i)->~K();
          }
          ::new (d.b->val_slot(d.i)) V(std::move(*b->val(i)));
          b->val(i)->~V();
          d.i++;
        }
      }
    } catch (...) {
      runtime::fatal("gort::map: out of memory, or a throwing hash or key or value constructor, "
            "while moving entries to the grown table");
    }
  }
  if (oldbucket == nevacuate_) advance_evacuation_mark(newbit);
}

// advanceEvacuationMark: move nevacuate past evacuated buckets; end the grow at the last.
template <class K, class V, class H, class E>
void map<K, V, H, E>::advance_evacuation_mark(size_t newbit) {
  nevacuate_++;
  size_t stop = nevacuate_ + 1024;
  if (stop > newbit) stop = newbit;
  while (nevacuate_ != stop && maps::evacuated(oldbuckets_ + nevacuate_)) nevacuate_++;
  if (nevacuate_ == newbit) end_grow();
}

// Evacuates every remaining old bucket (reserve, and ranges over non-trivial keys).
template <class K, class V, class H, class E>
void map<K, V, H, E>::finish_grow() {
  while (growing()) evacuate(nevacuate_);
}

template <class K, class V, class H, class E>
void map<K, V, H, E>::end_grow() {
  retire_or_free(oldbuckets_, old_nmain_, std::move(oldoverflow_), keep_old_keys_);
  oldoverflow_.clear();
  oldbuckets_ = nullptr;
  flags_.store(flags_.load(std::memory_order_relaxed) & ~maps::kGrowing, std::memory_order_relaxed);
  old_nmain_ = 0;
  old_overflow_used_ = 0;
  nevacuate_ = 0;
  same_size_ = false;
  keep_old_keys_ = false;
}

// Frees an array and its overflow buckets now, or when the last iteration ends.
template <class K, class V, class H, class E>
void map<K, V, H, E>::retire_or_free(bucket* arr, size_t nmain, bucket_list&& ovf,
                                     bool keys_alive) {
  if (iterators_ > 0) {
    retired_.push_back(retired{arr, nmain, std::move(ovf), keys_alive});
    return;
  }
  free_table(arr, nmain, ovf, keys_alive);
}

// Destroys what the chains of an array still hold (I2), then frees it all.
template <class K, class V, class H, class E>
void map<K, V, H, E>::free_table(bucket* arr, size_t nmain, bucket_list& ovf,
                                 bool keys_alive, bool later) {
  using namespace maps;
  if constexpr (!std::is_trivially_destructible_v<K> || !std::is_trivially_destructible_v<V>) {
    for (size_t j = 0; j < nmain; j++)
      for (bucket* b = arr + j; b != nullptr; b = b->overflow)
        for (unsigned i = 0; i < kBucketCnt; i++) {
          const uint8_t t = b->tophash[i];
          if (t >= kMinTopHash) destroy_slot(b, i);
          else if (keys_alive && (t == kEvacuatedX || t == kEvacuatedY)) b->key(i)->~K();
        }
  }
  if constexpr (maps::defers_frees<H>) {
    if (later) {  // an optimistic reader may still be reading them (sharded_map.h)
      for (bucket* o : ovf) H::retire_array(o);
      if (arr != nullptr) H::retire_array(arr);
      ovf.clear();
      return;
    }
  }
  for (bucket* o : ovf) runtime::deallocate(o);
  ovf.clear();
  runtime::deallocate(arr);
}

template <class K, class V, class H, class E>
void map<K, V, H, E>::release_all() {
  if (growing()) end_grow();
  for (retired& r : retired_) free_table(r.arr, r.nmain, r.ovf, r.keys_alive, false);
  retired_.clear();
  if (nalloc_ != 0) free_table(buckets_, size_t{1} << B_, overflow_, false, false);
  buckets_ = empty_bucket();
  set_tops(nullptr);
  nalloc_ = 0;
}

}  // namespace gort
