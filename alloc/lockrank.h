// lockrank.h — the allocator's lock order, as code (Go's runtime/lockrank.go).
//
// Every Lock (lock.h) has a rank. A thread may take a lock only when its rank is above the
// rank of every lock the thread already holds; two threads can then never wait for each other
// in a cycle. At GORT_CHECKS >= 2 Lock::lock() enforces the rule and dies naming both locks
// ("fatal error: lock order: taking mcentral[12] while holding mheap"); below tier 2 the
// order is only this enum, and Lock carries no rank at all.
//
// The order, lowest first, and the edge each step exists for:
//
//   kInit          malloc.cc's g_init_lock. EnsureInit holds it while it sets mcentral and
//                  mheap up (Init, set_retain; none of which locks today). Lowest, so start-up
//                  may take any allocator lock, and starting up with an allocator lock held
//                  is an error rather than a latent deadlock against a thread in EnsureInit.
//   kProcs         the proc registry (proc.cc). Draining the procs no thread holds
//                  (malloc_trim, the scavenger) gives their empty spans back to mheap under
//                  it, so it ranks below mheap; nothing else is taken under it.
//   kMCentral + c  mcentral[c].lock, one rank per size class c (1..kNumClasses-1). Ranked by
//                  class because the fork handler (mcache.cc, CacheForkPrepare) holds all of
//                  them at once and takes them in class order. Outside fork no thread holds
//                  two mcentral locks.
//   kMHeap         mheap.lock. mcentral holds its lock when it needs a span from the heap
//                  (RemoveRange -> NewSpan -> AllocSpan) or gives an empty one back
//                  (InsertRange -> ReturnToSpans -> FreeSpan), so mheap ranks above every
//                  mcentral. Under it the heap calls only the OS layer (os.h) and, in
//                  InsertFree, ScavengerNotify (atomics and a futex wake, no lock).
//                  The heap walk (heapwalk.h: gort_heap_walk, gort_get_stats, the heap map)
//                  takes all of mcentral[1..67] and then mheap, as fork does, and nothing
//                  while it holds them; from a signal handler it only tries each (try_lock)
//                  and gives up rather than wait for a lock its own thread may hold.
//   kProfile       the heap profile's table (profile.cc). A leaf: it is taken after a sampled
//                  allocation's span is made, and while a profile is written; nothing else
//                  is taken under it.
//
// Containers' locks (maps/, slices/) are not allocator Locks; a container may allocate while
// it holds one, so they come before all of these (thread.h orders the fork hooks that way).
//
// The held-lock record. At tier >= 2 each thread keeps the locks it holds, with their ranks,
// in a fixed stack in initial-exec TLS: no allocation, usable before libc is up. The ranks on
// it rise strictly from bottom to top, so a thread holds at most one lock per rank and the
// stack, kNumRanks deep, cannot overflow (the fork handler holds 69 locks at once). Locks are
// normally released from the top; a release from the middle is allowed and closes the gap.
// fork(): the child inherits the forking thread's stack with every lock of the prepare
// handler on it; Lock::ResetInChild takes each off again (lock.h).
#pragma once

#include <cstdint>

#include "alloc/config.h"
#include "alloc/sizeclasses.h"

namespace gort::alloc {

enum class LockRank : uint8_t {
  kInit,
  kProcs,     // the proc registry (proc.h)
  kMCentral,  // + size class: mcentral[c] ranks kMCentral + c (class 0 is unused)
  kMHeap = kMCentral + kNumClasses,
  kProfile,  // the heap profile's table (profile.cc): nothing else is taken while it is held
  kNumRanks,
};

constexpr LockRank MCentralRank(uint32_t cls) {
  return LockRank(uint32_t(LockRank::kMCentral) + cls);
}

#if GORT_CHECKS >= 2

inline constexpr uint32_t kNumLockRanks = uint32_t(LockRank::kNumRanks);

struct HeldLocks {
  uint32_t n;                       // locks held
  LockRank ranks[kNumLockRanks];    // strictly rising from [0] to [n-1]
  const void* locks[kNumLockRanks]; // which Lock holds each rank
};

extern constinit thread_local HeldLocks tl_held_locks __attribute__((tls_model("initial-exec")))
GORT_HIDDEN;

// Called by Lock before it acquires / releases: records lock (of rank r) as held, or dies
// naming both locks when r is not above every rank held; takes lock off the record, or dies
// when this thread does not hold it.
void LockRankAcquire(const void* lock, LockRank r) GORT_HIDDEN;
void LockRankRelease(const void* lock, LockRank r) GORT_HIDDEN;

// True when the calling thread holds lock (for preconditions: "caller holds the lock").
bool LockRankHeld(const void* lock) GORT_HIDDEN;

// How many allocator locks the calling thread holds.
inline uint32_t LocksHeld() { return tl_held_locks.n; }

#endif  // GORT_CHECKS >= 2

}  // namespace gort::alloc
