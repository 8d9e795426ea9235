// scavenger.h — free pages go back to the OS off the allocation path, once they have stayed
// free for a while.
//
// Design (Go's background scavenger, mgcscavenge.go, and tcmalloc's release of page-heap
// memory at a pace): a page the program freed may soon be wanted again, and giving it back
// costs twice — the release itself, and a page fault (plus zeroing by the kernel) at its
// next use. A page that stayed free for long is not needed by the workload's present peak
// and only inflates the resident set. So:
//   1. Freeing keeps pages resident. mheap releases eagerly only while its free resident
//      pages exceed max(GORT_RETAIN_MB, the bytes in use): a heap never holds more idle
//      memory than it uses, and a large block freed and allocated again in a loop finds its
//      pages faulted in (mheap.h, point 4).
//   2. Each free run remembers when its resident pages were last freed (mspan::free_ms,
//      merged runs keep the newest time: a run in active churn never ages).
//   3. One background thread, started the first time the heap has free resident pages
//      (from a free slow path, after every allocator lock is released), wakes every half
//      delay while such pages exist, and releases every run whose pages have stayed free for
//      GORT_SCAVENGE_DELAY_MS (default 1000). With none left, it sleeps on a futex until
//      the heap gets some. Each pass also empties the transfer cache of every size class no
//      batch moved through since the previous pass (mcentral.h, point 3), so that the spans
//      of a burst of small objects come back too. It never allocates; it takes the mcentral
//      and heap locks, in their order.
//   4. malloc_trim(0) (gort_malloc_trim) flushes the caller's thread cache, empties every
//      transfer cache, and releases every free resident page at once.
// GORT_SCAVENGE_DELAY_MS=0 turns the background thread off (release then happens only in 1
// and 4): for programs that must stay single-threaded, such as ones that unshare(2) a user
// namespace after start.
//
// Starting the thread: pthread_create runs on the thread that freed, after its free has
// returned from every allocator structure, with all signals blocked so that the new thread
// inherits a full mask (the program's signals never land on it). glibc's pthread_create
// allocates the new thread's TLS vector with malloc, which then runs as an ordinary, outer
// call: no allocator lock is held and no structure is half updated at that point. A child of
// fork() has no scavenger thread; it starts its own the same way when it needs one.
#pragma once

#include <atomic>
#include <cstdint>

#include "alloc/config.h"

namespace gort::alloc {

// Milliseconds of a coarse monotonic clock (no allocation, no lock; vDSO).
uint64_t NowMs();

void ScavengerInit(uint64_t delay_ms);

// Idle: not started, nothing to release yet. Wanted: the heap has free resident pages and the
// next free slow path starts the thread. Running. Disabled: GORT_SCAVENGE_DELAY_MS=0, or
// pthread_create failed (reported once).
enum : uint32_t { kScavengerIdle, kScavengerWanted, kScavengerRunning, kScavengerDisabled };
extern std::atomic<uint32_t> g_scavenger_state GORT_HIDDEN;

// Starts the thread when the heap asked for it (mheap sets kScavengerWanted).
// REQUIRES: the caller holds no allocator lock and is outside every allocator structure.
[[gnu::noinline]] void StartScavenger();
GORT_INLINE void MaybeStartScavenger() {
  if (GORT_UNLIKELY(g_scavenger_state.load(std::memory_order_relaxed) == kScavengerWanted))
    StartScavenger();
}

// From mheap, under its lock, when free resident pages appear: wakes a sleeping scavenger,
// or marks one wanted. Cheap when the thread is awake or off.
void ScavengerNotify();

// malloc_trim(0): the caller's cache flushed, every free resident page released; the bytes.
uint64_t Trim();

void ScavengerForkChild();

}  // namespace gort::alloc
