// xray.h — the x-ray of a gort::map: what its buckets look like right now, and check(), the
// walk of its invariants (M1-M5 of map.h, I1-I3 of bucket.h).
//
// xray() reports, without changing anything: B, buckets, overflow buckets in use (exact, and
// Go's approximate noverflow that drives same-size grows), the occupancy histogram (how many
// buckets hold 0..8 entries), chain lengths, grow state and evacuation progress, and the bytes
// the map holds. With per_bucket, also each main bucket's chain population and each old
// bucket's evacuation bit, for pictures (bench/maps/xray.cc draws them into the report).
#pragma once

#include <array>
#include <sstream>
#include <string>
#include <vector>

#include "maps/map.h"

namespace gort {
namespace maps {

struct xray_t {
  uint8_t B = 0;
  uint64_t seed = 0;             // hash0
  size_t count = 0;
  size_t buckets = 0;            // 2^B
  size_t allocated_buckets = 0;  // in the array: 2^B + preallocated overflow buckets
  size_t overflow = 0;           // overflow buckets chained in the current table (exact)
  size_t noverflow = 0;          // Go's counter (approximate for B >= 16)
  bool growing = false;
  bool same_size = false;
  size_t old_buckets = 0;
  size_t old_overflow = 0;
  size_t nevacuate = 0;
  size_t evacuated = 0;          // old buckets evacuated so far
  double load = 0;               // count / 2^B; a grow starts above 6.5
  size_t bucket_bytes = 0;       // sizeof one bucket
  size_t bytes = 0;              // every bucket the map holds (both arrays, all overflows)
  // Memory a hit touches: the distinct 64-byte bucket lines a successful lookup of each live
  // entry of the current table reads (every tophash of its chain up to its bucket, the
  // overflow pointers followed, its key and its value), averaged over the entries, at the
  // array's real addresses. A head bucket's tophash is not counted when the map reads it
  // from the mirror (a 4 MiB array at most, meant to stay in cache). Counts level and up.
  double lines_per_hit = 0;
  std::array<size_t, kBucketCnt + 1> occupancy{};  // buckets (main + overflow) with n entries
  std::vector<size_t> chain;     // chain[n]: main buckets with n buckets in their chain
  std::vector<uint8_t> per_bucket_entries;  // per main bucket: entries in its chain (<= 255)
  std::vector<uint8_t> old_evacuated;       // per old bucket: 1 when evacuated
};

}  // namespace maps

template <class K, class V, class H, class E>
maps::xray_t map<K, V, H, E>::xray(maps::xray_level level) const {
  const bool per_bucket = level == maps::xray_level::per_bucket;
  maps::xray_t x;
  x.B = B_;
  x.seed = seed_;
  x.count = count_;
  x.buckets = size_t{1} << B_;
  x.allocated_buckets = nalloc_;
  x.overflow = overflow_used_;
  x.noverflow = noverflow_;
  x.growing = growing();
  x.same_size = same_size_;
  x.load = double(count_) / double(x.buckets);
  x.bucket_bytes = sizeof(bucket);
  x.bytes = (nalloc_ + overflow_.size()) * sizeof(bucket) + (nalloc_ ? mirror_bytes(B_) : 0);
  if (growing()) {
    x.old_buckets = old_nmain_;
    x.old_overflow = old_overflow_used_;
    x.nevacuate = nevacuate_;
    const auto oldB = static_cast<uint8_t>(std::countr_zero(old_nmain_));
    x.bytes += (nalloc_for(oldB) + oldoverflow_.size()) * sizeof(bucket) + mirror_bytes(oldB);
  }
  if (nalloc_ == 0 || level == maps::xray_level::header) return x;
  auto line = [](const void* p) { return reinterpret_cast<uintptr_t>(p) / 64; };
  size_t lines = 0, live = 0;
  for (size_t j = 0; j < x.buckets; j++) {
    size_t len = 0, entries = 0;
    uintptr_t path[2 * 64];  // the lines read before reaching the current bucket's slots
    size_t npath = 0;
    for (bucket* b = buckets_ + j; b != nullptr; b = b->overflow, len++) {
      const unsigned n = b->full().count();
      x.occupancy[n]++;
      entries += n;
      const bool mirrored = len == 0 && tops_ != nullptr;
      if (!mirrored && npath + 2 <= std::size(path)) path[npath++] = line(b->tophash);
      for (const unsigned i : b->full()) {
        uintptr_t seen[2 * 64 + 2];
        size_t ns = 0;
        auto add = [&](uintptr_t l) {
          for (size_t q = 0; q < ns; q++)
            if (seen[q] == l) return;
          seen[ns++] = l;
        };
        for (size_t q = 0; q < npath; q++) add(path[q]);
        add(line(b->key(i)));
        add(line(b->val(i)));
        lines += ns;
        live++;
      }
      if (npath + 1 <= std::size(path)) path[npath++] = line(&b->overflow);
    }
    if (x.chain.size() <= len) x.chain.resize(len + 1);
    x.chain[len]++;
    if (per_bucket) x.per_bucket_entries.push_back(uint8_t(entries > 255 ? 255 : entries));
  }
  x.lines_per_hit = live ? double(lines) / double(live) : 0;
  if (growing()) {
    for (size_t j = 0; j < old_nmain_; j++) {
      bool e = maps::evacuated(oldbuckets_ + j);
      x.evacuated += e;
      if (per_bucket) x.old_evacuated.push_back(e);
    }
  }
  return x;
}

// Walks every invariant; returns what is broken, "" when all hold.
template <class K, class V, class H, class E>
std::string map<K, V, H, E>::check() const {
  using namespace maps;
  std::ostringstream err;
  auto fail = [&](const char* what, size_t where) {
    if (err.tellp() == 0) err << what << " (bucket " << where << ")";
  };
  // I1 and M2 over one chain; returns its live entries and its overflow buckets.
  auto walk = [&](bucket* head, size_t j, size_t mask, size_t& entries, size_t& ovf) {
    bool rest = false;
    for (bucket* b = head; b != nullptr; b = b->overflow) {
      if (b != head) ovf++;
      for (unsigned i = 0; i < kBucketCnt; i++) {
        const uint8_t t = b->tophash[i];
        if (rest && t != kEmptyRest) fail("I1: a slot after kEmptyRest is not kEmptyRest", j);
        rest = rest || t == kEmptyRest;
        if (t < kMinTopHash) continue;
        entries++;
        const uint64_t h = hash_of(*b->key(i));
        if ((h & mask) != j) fail("M2: a key sits in a bucket its hash does not pick", j);
        if (tophash(h) != t) fail("M2: a tophash byte differs from its key's hash", j);
      }
    }
  };
  if (nalloc_ == 0) return count_ == 0 ? "" : "M1: entries counted in a map with no buckets";
  size_t live = 0, ovf = 0, oldovf = 0;
  for (size_t j = 0; j <= mask_; j++) walk(buckets_ + j, j, mask_, live, ovf);
  if (ovf != overflow_used_) fail("M4: overflow_used_ differs from the chained overflow buckets", 0);
  if (tops_ != mirror_of(buckets_, B_, nalloc_) && nalloc_ != 0)
    fail("M6: the mirror is not the current array's", 0);
  if (tops_ != nullptr)
    for (size_t j = 0; j <= mask_; j++)
      if (std::memcmp(tops_ + j, buckets_[j].tophash, kBucketCnt) != 0)
        fail("M6: the mirror differs from the bucket's tophash bytes", j);
  if ((tops_ == nullptr) != ((flags_.load(std::memory_order_relaxed) & kNoMirror) != 0))
    fail("M6: the kNoMirror flag disagrees with tops_", 0);
  if (max_count_ != maps::max_count(B_) || max_overflow_ != maps::max_overflow(B_))
    fail("M7: the grow thresholds are not B's", 0);
  if (growing() != ((flags_.load(std::memory_order_relaxed) & kGrowing) != 0))
    fail("M3: the kGrowing flag disagrees with oldbuckets_", 0);
  if (growing()) {
    if (nevacuate_ >= old_nmain_) fail("M3: nevacuate reached the end but the grow goes on", 0);
    for (size_t j = 0; j < old_nmain_; j++) {
      bucket* ob = oldbuckets_ + j;
      if (evacuated(ob)) {
        for (bucket* b = ob; b != nullptr; b = b->overflow)
          for (unsigned i = 0; i < kBucketCnt; i++)
            if (b->tophash[i] < kEvacuatedX || b->tophash[i] >= kMinTopHash)
              fail("I3: an evacuated old bucket has an unmarked slot", j);
      } else {
        if (j < nevacuate_) fail("M3: an old bucket below nevacuate is not evacuated", j);
        walk(ob, j, oldmask(), live, oldovf);
      }
    }
  } else if (count_ > kBucketCnt && over_load_factor(count_, B_)) {
    fail("M5: over the load factor with no grow in progress", 0);
  }
  if (live != count_) fail("M1: count differs from the live slots", 0);
  return err.str();
}

}  // namespace gort
