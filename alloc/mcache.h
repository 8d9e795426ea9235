// mcache.h — the per-thread cache: one free list per size class, no lock, no atomics.
//
// A request walks (Go's mallocgc, tcmalloc's fast path):
//  1. malloc: size -> class (table lookup); pop the head of this thread's list for the class.
//     That is the whole fast path: a load, a test, a load and two stores.
//  2. free: the page map gives the class from the pointer (two dependent loads); push on the
//     list; if the list has reached its maximum, the slow path hands one batch to mcentral.
//  3. An empty list is refilled with one batch from mcentral (the slow path).
// The cache lives in initial-exec TLS and starts as kUnsetCache: every list empty with room 1,
// so the first malloc and the first free of a thread fall into the slow path, which sets the
// thread up (the sentinel idea of Go's emptymspan) — the fast path has no "initialised?" test.
// Invariants of an active cache, per class c:  len(c) + room(c) == max(c),  1 <= room(c),
// every object on list c is a free object of class c, and
//   capacity == sum over c of max(c) * size(c) <= budget (GORT_THREAD_CACHE_KB)
// max(c) starts at ClassCacheInitial(c) and grows by a batch at each refill (slow start).
//
// Large objects: a thread also keeps up to kLargeSlots freed large spans (kLargeBytes in all)
// in state kCached, and hands one back when a request needs exactly that many pages — the
// malloc/free of a 64 KiB buffer in a loop then never takes the heap lock, nor any atomic:
// the process-wide count of parked bytes (statistics) hears of a cache's change only when it
// passes kParkedSlack, and exactly when the cache is flushed or its thread exits.
// Setting a thread up enrolls it in the thread registry (thread.h); at its exit the
// registry's lowest layer, this cache, runs last: every list goes back to mcentral, and the
// cache is dead — room 1 on every list, so any later free on that thread flushes at once and
// nothing is stranded. Only the owning thread touches a cache. Limitation (the registry's):
// a thread whose first allocation happens in the last round of pthread key destructors is
// not told that it exits; its few cached objects are not returned and it stays counted in
// gort_stats.thread_caches.
#pragma once

#include <cstdint>

#include "alloc/config.h"
#include "alloc/sizeclasses.h"

namespace gort::alloc {

struct FreeList {
  void* head;
  uint32_t room;  // free slots left; the free that takes it to 0 calls the slow path
  uint32_t max;
};

enum : uint8_t { kCacheUnset = 0, kCacheActive = 1, kCacheDead = 2 };

struct mspan;

struct mcache {
  static constexpr uint32_t kLargeSlots = 4;
  static constexpr size_t kLargeBytes = 2 << 20;
  static constexpr uint64_t kParkedSlack = 1 << 20;

  FreeList lists[kNumClasses];
  uint8_t state;
  uint64_t capacity;  // bytes the lists may hold, summed over classes
  mspan* large[kLargeSlots];  // parked large spans, oldest first
  uint32_t nlarge;
  uint64_t large_bytes;
  uint64_t large_published;  // of large_bytes, the part added to the global parked count
  uint64_t refills, flushes;
  int64_t sample_left;  // bytes to request before the next heap-profile sample (profile.h)

  uint32_t Len(uint32_t c) const { return lists[c].max - lists[c].room; }
  const char* check() const;  // the invariants above; "" when they hold (check.h)
};

// The image every thread's cache starts from.
constexpr mcache UnsetCache() {
  mcache c{};
  for (auto& l : c.lists) l.room = 1;
  c.sample_left = INT64_MAX;  // profile.h's kNoSample: never runs out
  return c;
}

extern constinit thread_local mcache tl_mcache __attribute__((tls_model("initial-exec"))) GORT_HIDDEN;

// Slow paths (mcache.cc).
void* CacheRefill(uint32_t cls) GORT_HIDDEN;  // list cls is empty: refill it, return one object
void CacheFlush(uint32_t cls) GORT_HIDDEN;    // list cls has no room left: give back a batch
void CacheReleaseAll(mcache* c) GORT_HIDDEN;  // every list back to mcentral
mspan* CacheTakeLarge(size_t npages) GORT_HIDDEN;  // a parked span of exactly npages, or null
bool CachePutLarge(mspan* s) GORT_HIDDEN;         // parks a freed large span; false: no room
void CacheForkPrepare() GORT_HIDDEN;
void CacheForkParent() GORT_HIDDEN;
void CacheForkChild() GORT_HIDDEN;
uint32_t CacheCount() GORT_HIDDEN;  // registered (live) thread caches
// Bytes of large spans parked in thread caches: exact for the caller's cache and for caches
// flushed or exited, within kParkedSlack for each other live one.
uint64_t CacheParkedBytes() GORT_HIDDEN;

}  // namespace gort::alloc
