// ops.h — the writes of gort::map: insert (Go's mapassign), delete (mapdelete), in-place
// erase through an iterator, clear (mapclear), reserve (makemap's hint), swap.
// Included by map.h; see its design comment for the steps and invariants.
#pragma once

#include "maps/map.h"

namespace gort {

// mapassign: find k (hashed to h by the caller: assign or try_emplace_hashed), or make room
// for it (growing first when the map is full).
template <class K, class V, class H, class E>
template <class KK, class Make>
std::pair<typename map<K, V, H, E>::iterator, bool> map<K, V, H, E>::assign_hashed(uint64_t h,
                                                                                   KK&& k,
                                                                                   Make&& make) {
  maps::write_guard guard(flags_);  // after hashing, as Go: a throwing hash is no write
  if (nalloc_ == 0) [[unlikely]] first_bucket();
  const uint64_t w = maps::kTopSpread.w[h >> 56];
  const auto top = static_cast<uint8_t>(w);  // maps::tophash(h)
  for (;;) {
    const size_t bi = h & mask_;
    bucket* b = buckets_ + bi;
    if (B_ >= maps::kPrefetchMinB) b->prefetch_write();  // the lines a new key writes
    if (growing()) grow_work(bi);
    // The head bucket's tophash bytes come from the mirror when there is one (M6), as in
    // search (lookups): then inserting a new key reads none of the bucket lines it writes.
    const uint8_t* th = tops_ ? reinterpret_cast<const uint8_t*>(tops_ + bi) : b->tophash;
    bucket* ins = nullptr;
    unsigned ins_i = 0;
    for (;;) {
      const maps::group g(th);
      for (const unsigned i : g.match(w))
        if (eq_(*b->key(i), k)) return {iterator(this, bi, b, i), false};
      const maps::slot_mask empty = g.at_most(maps::kEmptyOne);
      if (empty && ins == nullptr) [[likely]] {  // a new key mostly goes into its head bucket
        ins = b;
        ins_i = empty.first();
      }
      if (th[maps::kBucketCnt - 1] == maps::kEmptyRest || b->overflow == nullptr) break;
      b = b->overflow;
      th = b->tophash;
    }
    if ((count_ >= max_count_ || noverflow_ >= max_overflow_) && !growing() &&
        maps::grow_decision(count_, B_, noverflow_, false) != maps::grow_kind::none) {
      hash_grow();
      continue;  // the table changed: search again
    }
    if (ins == nullptr) ins = new_overflow(b);
    ::new (ins->key_slot(ins_i)) K(std::forward<KK>(k));
    try {
      make(ins->val_slot(ins_i));
    } catch (...) {
      ins->key(ins_i)->~K();
      throw;
    }
    set_top_at(ins, ins == buckets_ + bi ? bi : kNoCheck, ins_i, top);
    count_++;
    return {iterator(this, bi, ins, ins_i), true};
  }
}

// mapdelete.
template <class K, class V, class H, class E>
template <class Q>
bool map<K, V, H, E>::remove_hashed(uint64_t h, const Q& k) {
  if (count_ == 0) return false;
  maps::write_guard guard(flags_);
  const size_t bi = h & mask_;
  bucket* head = buckets_ + bi;
  if (B_ >= maps::kPrefetchMinB) head->prefetch_write();  // read, then written
  if (growing()) grow_work(bi);
  const uint64_t w = maps::kTopSpread.w[h >> 56];
  // The head's tophash bytes from the mirror (M6), as in assign: deleting a key that is not
  // there reads no bucket line.
  const uint8_t* th = tops_ ? reinterpret_cast<const uint8_t*>(tops_ + bi) : head->tophash;
  for (bucket* b = head;;) {
    for (const unsigned i : maps::group(th).match(w)) {
      if (!eq_(*b->key(i), k)) continue;
      destroy_slot(b, i);
      mark_deleted(head, bi, b, i);
      if (--count_ == 0) seed_ = gort::fastrand64();  // Go issue 25237
      return true;
    }
    if (th[maps::kBucketCnt - 1] == maps::kEmptyRest || (b = b->overflow) == nullptr) break;
    th = b->tophash;
  }
  return false;
}

template <class K, class V, class H, class E>
void map<K, V, H, E>::destroy_slot(bucket* b, unsigned i) {
  b->key(i)->~K();
  b->val(i)->~V();
}

// Slot i of b (in the chain starting at head) is now empty; keep I1: a run of empty slots
// that reaches the end of the chain becomes kEmptyRest. Within b the marks are computed on
// its 8 tophash bytes at once (mark_deleted_word) and written back whole (with the mirror
// when b is a head bucket of buckets_, hj: head's index there, or kNoCheck); only a run that
// takes b's first slot goes on, as Go's walk does, into the bucket before b.
template <class K, class V, class H, class E>
void map<K, V, H, E>::mark_deleted(bucket* head, size_t hj, bucket* b, unsigned i) {
  using namespace maps;
  bool next_rest = true;  // read only for the last slot: the overflow pointer's line may be cold
  if (i == kBucketCnt - 1) {
    const bucket* o = b->overflow;
    next_rest = o == nullptr || o->tophash[0] == kEmptyRest;
  }
  uint64_t t;  // a head's bytes from the mirror (M6), so that the bucket line is only stored to
  const bool mirrored = b == head && tops_ != nullptr && hj != kNoCheck;
  if (mirrored) t = tops_[hj];
  else std::memcpy(&t, b->tophash, sizeof t);
  const deleted_word d = mark_deleted_word(t, i, next_rest);
  std::memcpy(b->tophash, &d.t, sizeof t);
  if (b == head) {
    if (mirrored) tops_[hj] = d.t;
    return;
  }
  if (!d.reached_first) return;
  for (;;) {  // b is an overflow bucket whose every slot is now kEmptyRest
    bucket* c = b;
    for (b = head; b->overflow != c; b = b->overflow) {
    }
    unsigned k = kBucketCnt;
    for (; k > 0 && b->tophash[k - 1] == kEmptyOne; k--)
      set_top_at(b, b == head ? hj : kNoCheck, k - 1, kEmptyRest);
    if (k > 0 || b == head) return;
  }
}

template <class K, class V, class H, class E>
template <class Q>
typename map<K, V, H, E>::iterator map<K, V, H, E>::iterator_at(const Q& k) {
  const uint64_t h = hash_of(k);
  slot s = find_slot(k, h);
  if (s.b == nullptr) return end();
  const size_t bi = h & mask_;
  return iterator(this, bi, s.b, s.i, in_old(h) ? bi : kNoCheck);
}

// erase through an iterator: in place, without growWork, so that other iterators stay valid.
template <class K, class V, class H, class E>
typename map<K, V, H, E>::iterator map<K, V, H, E>::erase(const_iterator pos) {
  maps::write_guard guard(flags_);
  iterator it(this, pos.next_ - 1, pos.b_, pos.i_, pos.check_);
  const bool old = pos.check_ != kNoCheck;
  bucket* head = old ? old_bucket(pos.check_) : buckets_ + (pos.next_ - 1);
  destroy_slot(pos.b_, pos.i_);
  mark_deleted(head, old ? kNoCheck : pos.next_ - 1, pos.b_, pos.i_);
  if (--count_ == 0) seed_ = gort::fastrand64();
  it.i_++;
  it.settle();
  return it;
}

// mapclear: every entry goes, the bucket array (and B) stays. An iterator in progress sees
// only empty slots from here on.
template <class K, class V, class H, class E>
void map<K, V, H, E>::clear() {
  if (count_ == 0 && !growing()) return;
  maps::write_guard guard(flags_);
  if (growing()) {
    for (size_t j = 0; j < old_nmain_; j++) clear_chain(oldbuckets_ + j, maps::kEvacuatedEmpty);
    end_grow();
  }
  for (size_t j = 0; j < (size_t{1} << B_); j++) clear_chain(buckets_ + j, maps::kEmptyOne);
  std::memset(static_cast<void*>(buckets_), 0, nalloc_ * sizeof(bucket) + mirror_bytes(B_));
  next_overflow_ = buckets_ + (size_t{1} << B_);
  retire_or_free(nullptr, 0, std::move(overflow_), false);
  overflow_.clear();
  overflow_used_ = 0;
  noverflow_ = 0;
  count_ = 0;
  seed_ = gort::fastrand64();
}

// Destroys every entry of a chain, leaving `mark` in its slots.
template <class K, class V, class H, class E>
void map<K, V, H, E>::clear_chain(bucket* b, uint8_t mark) {
  for (; b != nullptr; b = b->overflow)
    for (const unsigned i : b->full()) {
      destroy_slot(b, i);
      set_top(b, i, mark);
    }
}

// make(map, n): enough buckets for n entries without growing. Finishes any grow first.
template <class K, class V, class H, class E>
void map<K, V, H, E>::reserve(size_t n) {
  if (n > max_size()) throw std::length_error("gort::map::reserve: n > max_size()");
  const uint8_t want = maps::B_for_hint(n);
  if (nalloc_ != 0 && want <= B_) return;
  maps::write_guard guard(flags_);
  if (count_ == 0 && !growing() && iterators_ == 0) {
    size_t nalloc;
    bucket* arr = make_bucket_array(want, nalloc);  // first: when it throws, nothing changed
    bucket_list ovf = std::move(overflow_);
    overflow_.clear();
    if (nalloc_ != 0) free_table(buckets_, size_t{1} << B_, ovf, false);
    install_table(arr, want, nalloc);
    overflow_used_ = 0;
    noverflow_ = 0;
    return;
  }
  finish_grow();
  while (B_ < want) {
    hash_grow(true);
    finish_grow();
  }
}

template <class K, class V, class H, class E>
void map<K, V, H, E>::swap(map& o) noexcept {
  uint8_t f = flags_.load(std::memory_order_relaxed);
  flags_.store(o.flags_.load(std::memory_order_relaxed), std::memory_order_relaxed);
  o.flags_.store(f, std::memory_order_relaxed);
  std::swap(buckets_, o.buckets_);
  std::swap(tops_, o.tops_);
  std::swap(mask_, o.mask_);
  std::swap(seed_, o.seed_);
  std::swap(oldbuckets_, o.oldbuckets_);
  std::swap(count_, o.count_);
  std::swap(B_, o.B_);
  std::swap(noverflow_, o.noverflow_);
  std::swap(max_overflow_, o.max_overflow_);
  std::swap(max_count_, o.max_count_);
  std::swap(same_size_, o.same_size_);
  std::swap(keep_old_keys_, o.keep_old_keys_);
  std::swap(nevacuate_, o.nevacuate_);
  std::swap(hash_, o.hash_);
  std::swap(eq_, o.eq_);
  std::swap(nalloc_, o.nalloc_);
  std::swap(old_nmain_, o.old_nmain_);
  std::swap(next_overflow_, o.next_overflow_);
  std::swap(overflow_end_, o.overflow_end_);
  overflow_.swap(o.overflow_);
  oldoverflow_.swap(o.oldoverflow_);
  std::swap(overflow_used_, o.overflow_used_);
  std::swap(old_overflow_used_, o.old_overflow_used_);
  std::swap(iterators_, o.iterators_);
  retired_.swap(o.retired_);
}

}  // namespace gort
