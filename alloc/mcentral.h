// mcentral.h — one per size class: spans with free objects, and a transfer cache of batches.
//
// How objects move (tcmalloc's central free list + transfer cache, under Go's names):
//  1. A thread cache whose list for class c is empty calls RemoveRange: mcentral hands over a
//     whole batch (ClassBatch(c) objects, linked through their first word). It first pops a
//     batch a thread cache gave back earlier (the transfer cache, O(1)); only if there is none
//     does it cut objects from its partial spans, asking mheap for a new span when those run out.
//  2. A thread cache whose list is too long calls InsertRange with one batch: it is pushed on
//     the transfer cache if there is room (O(1)), else each object goes back to its span
//     (found through the page map); a span whose objects are all back goes to mheap.
//  3. Trim (malloc_trim, and the scavenger for a class idle since its previous pass) empties
//     the transfer cache into the spans and gives every span with no object out to mheap.
// This is the cross-thread free path: a consumer thread's frees land in its own cache, a
// full batch travels through the transfer cache, and the producer's next refill takes it —
// one lock round trip per batch, never a lock or an atomic per object.
// Invariants: every span on `partial` is kSmall of this class and HasFree(); a kSmall span of
// this class with HasFree() is on `partial` (onlist); every slot holds exactly batch objects.
// All fields are guarded by `lock`. Lock order: lockrank.h (mcentral[c] ranks by class,
// below mheap).
#pragma once

#include <cstdint>

#include "alloc/lock.h"
#include "alloc/span.h"

namespace gort::alloc {

class alignas(kCacheLine) mcentral {
 public:
  static constexpr uint32_t kMaxSlots = 64;

  void Init(uint8_t cls);
  // Hands out up to n objects as a null-terminated chain in *head; returns how many (0: OOM).
  // REQUIRES: 1 <= n <= ClassBatch(cls); the caller does not hold `lock`.
  uint32_t RemoveRange(void** head, uint32_t n);
  // Takes back a null-terminated chain of n objects.
  // REQUIRES: 1 <= n <= ClassBatch(cls); the caller does not hold `lock`.
  void InsertRange(void* head, uint32_t n);
  // Point 3: with idle_only, only when no batch moved since the previous such call.
  // REQUIRES: the caller does not hold `lock`.
  void Trim(bool idle_only);
  const char* check() const;  // the invariants above; "" when they hold (check.h)

  struct Stats {
    uint64_t spans;        // small spans held
    uint64_t slots;        // batches in the transfer cache
    uint64_t transfer_hits, transfer_misses;
  };
  Stats GetStats();
  // The same, for a caller that holds `lock` (heapwalk.h). REQUIRES: `lock` held.
  Stats StatsLocked() const { return {nspans_, nslots_, hits_, misses_}; }

  Lock lock{LockRank::kMCentral};  // Init gives it its class's rank

 private:
  // REQUIRES (all three): `lock` held.
  uint32_t CutFromSpans(void** head, uint32_t n);
  void ReturnToSpans(void* head, uint32_t n);
  mspan* NewSpan();  // partial_ is empty

  uint8_t cls_ = 0;
  uint32_t batch_ = 0;
  uint32_t maxslots_ = 0;
  uint32_t nslots_ = 0;
  SpanList partial_;
  uint64_t nspans_ = 0;
  uint64_t hits_ = 0, misses_ = 0;
  uint64_t inserts_ = 0;
  uint64_t moves_at_trim_ = 0;  // hits_ + misses_ + inserts_ at the previous idle_only Trim
  void* slots_[kMaxSlots] = {};
};

extern mcentral g_mcentral[kNumClasses] GORT_HIDDEN;

}  // namespace gort::alloc
