// mcache.h — the per-thread cache: one free list per size class, no lock, no atomics.
//
// A request walks (Go's mallocgc, tcmalloc's fast path):
//  1. malloc: size -> list (for <= 1024 bytes one load from the cache's small[] table, else
//     size -> class -> list_of[class]); pop the list's head. That is the whole fast path:
//     the list's load, the head's load and test, the link's load, and stores of the new
//     head, the room count and the free key (malloc.h).
//  2. free: the page map gives (owner << 8 | class) from the pointer; XORed with this
//     thread's tag it is the class when this thread holds the object's owner (proc.h), and
//     the object is pushed on the list; if the list has reached its maximum, the slow path
//     gives one batch back to the objects' spans. Any other result (a remote free, a large
//     object) takes the slow path: a remote object goes back to its owner (remote.h).
//  3. An empty list is refilled with one batch from the thread's proc (the slow path).
// Every object on a thread's lists belongs to a span of the proc the thread holds.
// The cache lives in initial-exec TLS and starts as UnsetCache(): every list empty with
// room 1 and a tag no page-map entry matches, so the first malloc and every free on a new
// thread fall into the slow path, and the first refill sets the thread up (the sentinel
// idea of Go's emptymspan) — the fast path has no "initialised?" test.
// Invariants of an active cache, per class c:  len(c) + room(c) == max(c),  1 <= room(c),
// every object on list c is a free object of class c of a span the cache's proc owns,
//   capacity == sum over c of max(c) * size(c) <= budget (GORT_THREAD_CACHE_KB),
//   list_of[c] == &lists[c],  small[i] == &lists[class of size 8i],
//   keyoff(c) == 8, and 0 for the 8-byte class (malloc.h's free key)
// max(c) starts at ClassCacheInitial(c) and grows by a batch at each refill (slow start).
//
// Large objects: a thread also keeps up to kLargeSlots freed large spans (kLargeBytes in all)
// in state kCached, and hands one back when a request needs exactly that many pages — the
// malloc/free of a 64 KiB buffer in a loop then never takes the heap lock, nor any atomic
// (statistics count parked spans by walking the heap: gort_stats, heapwalk.h). Each slot
// keeps its span's base | npages beside it, so that malloc matches a request and returns
// the address from the cache alone: it only writes to the span it takes.
//   Invariant: large_key[i] == large[i]->base | large[i]->npages for i < nlarge.
// Setting a thread up takes a proc (the one released last, warm) and enrolls the thread in
// the thread registry (thread.h); at its exit the registry's lowest layer, this cache, runs
// last: the lists go back into the proc, which is released whole for the next thread, the
// parked large spans go to mheap, and the cache is dead — the unset tag and room 1 again, so
// every later free on the thread is remote and a later malloc borrows a proc for one object.
// Only the owning thread touches a cache. Limitation (the registry's): a thread whose first
// allocation happens in the last round of pthread key destructors is not told that it exits;
// its proc stays held and it stays counted in gort_stats.thread_caches.
#pragma once

#include <cstdint>

#include "alloc/config.h"
#include "alloc/sizeclasses.h"
#include "alloc/span.h"

namespace gort::alloc {

struct FreeList {
  void* head;
  uint32_t room;    // free slots left; the free that takes it to 0 calls the slow path
  uint16_t max;     // <= ClassCacheLimit (8192)
  uint16_t keyoff;  // where an object of the list keeps its free key (malloc.h): 8, or 0
                    // for the 8-byte class, whose word 1 is its neighbour's and whose word
                    // 0 the link overwrites (so that class goes unchecked at no test)
};

// The list a class starts with: empty, with room for max objects.
constexpr FreeList EmptyList(uint32_t cls, uint32_t max) {
  return FreeList{nullptr, max, uint16_t(max), uint16_t(cls == 1 ? 0 : 8)};
}
static_assert(ClassCacheLimit(1) <= UINT16_MAX, "FreeList::max is 16 bits");

// Where a thread with no cache (unset) finds every request of <= 1024 bytes: an empty list,
// so the first malloc takes the slow path, which sets the cache up. Never written: the
// fast path writes a list only after it has found an object on it.
inline constinit FreeList g_no_list GORT_HIDDEN = EmptyList(2, 1);

enum : uint8_t { kCacheUnset = 0, kCacheActive = 1, kCacheDead = 2 };

// The tag of a thread that holds no proc: no page-map entry XORs with it to below 256.
inline constexpr uint32_t kNoTag = 0xffffff00u;

struct mspan;
struct proc;

struct mcache {
  static constexpr uint32_t kLargeSlots = 4;
  static constexpr size_t kLargeBytes = 2 << 20;
  static_assert(kLargeBytes / kPageSize < kPageSize, "large_key packs npages below the base");

  uint32_t tag;  // the held proc's id << 8 (| kCheckedTag in checked mode), or kNoTag
  FreeList lists[kNumClasses];
  // The list of each request size <= 1024 in steps of 8 (index (size + 7) >> 3): malloc's
  // size-to-list lookup in one load, as mimalloc's pages_free_direct. &lists[class] once
  // the cache is set up, &g_no_list before.
  FreeList* small[kSizeToClass8.size()];
  // &lists[c] once the cache is set up, &g_no_list before (a malloc then finds it empty;
  // no free reaches a list of an unset cache: its tag matches no owner). The fast paths
  // address a class's list with one load from TLS instead of computing &lists[c].
  FreeList* list_of[kNumClasses];
  uint8_t state;
  proc* p;  // the proc this thread holds (active caches)
  uint64_t capacity;  // bytes the lists may hold, summed over classes
  mspan* large[kLargeSlots];  // parked large spans, oldest first
  // large[i]'s base | npages (npages < kPageSize: a parked span is at most kLargeBytes):
  // malloc matches a request and finds its address here, reading nothing from the span.
  uintptr_t large_key[kLargeSlots];
  uint32_t nlarge;
  uint64_t large_bytes;
  uint64_t refills, flushes;
  int64_t sample_left;  // bytes to request before the next heap-profile sample (profile.h)
  int64_t check_left;   // the same in checked mode, where sample_left stays below 0 (checked.h)

  uint32_t Len(uint32_t c) const { return lists[c].max - lists[c].room; }
  const char* check() const;  // the invariants above; "" when they hold (check.h)
};

// The image every thread's cache starts from.
constexpr mcache UnsetCache() {
  mcache c{};
  for (uint32_t k = 0; k < kNumClasses; k++) c.lists[k] = EmptyList(k, 1);
  for (auto& l : c.small) l = &g_no_list;
  for (auto& l : c.list_of) l = &g_no_list;
  c.tag = kNoTag;
  // Below 0, so that the thread's first malloc takes the slow path, which reads the options
  // and sets the countdown (checked.h); SampleStart() replaces it when the cache starts.
  c.sample_left = -1;
  c.check_left = INT64_MAX;  // profile.h's kNoSample
  return c;
}

extern constinit thread_local mcache tl_mcache __attribute__((tls_model("initial-exec"))) GORT_HIDDEN;

// Slow paths (mcache.cc).
void CacheActivate() GORT_HIDDEN;  // sets an unset cache up (a thread's first free)
void* CacheRefill(uint32_t cls) GORT_HIDDEN;  // list cls is empty: refill it, return one object
void CacheFlush(uint32_t cls) GORT_HIDDEN;    // list cls has no room left: give back a batch
void CacheReleaseAll(mcache* c) GORT_HIDDEN;  // every list back to its spans, empty spans to mheap
// Parked large spans: the inline paths below serve the two slots parked last and a cache
// with room; the out-of-line ones the rest.
mspan* CacheTakeLargeScan(size_t npages) GORT_HIDDEN;  // every slot, newest first
bool CachePutLargeSlow(mspan* s) GORT_HIDDEN;  // an unset cache (set up), or no room (evicts)

// The inline halves below make no call, so that the large paths of malloc and free built on
// them need no registers saved: a miss goes to the out-of-line forms.

// A span of exactly npages (at most kLargeBytes / kPageSize) among the last two parked, now
// in state kLarge, with its base in *base; or null. Two, so that a program using two sizes
// in turn stays on this path.
GORT_INLINE mspan* CacheTakeLargeRecent(mcache* c, size_t npages, uintptr_t* base) {
  const uint32_t n = c->nlarge;
  if (n == 0) return nullptr;
  // key - npages is the base, page-aligned, exactly when the key's npages is npages.
  uintptr_t b = c->large_key[n - 1] - npages;
  mspan* s;
  if (GORT_LIKELY((b & (kPageSize - 1)) == 0)) {
    s = c->large[n - 1];
  } else {
    if (n < 2) return nullptr;
    b = c->large_key[n - 2] - npages;
    if ((b & (kPageSize - 1)) != 0) return nullptr;
    s = c->large[n - 2];  // the newer one moves down a slot: the order is kept
    c->large[n - 2] = c->large[n - 1];
    c->large_key[n - 2] = c->large_key[n - 1];
  }
  c->nlarge = n - 1;
  c->large_bytes -= npages << kPageShift;
  s->state = SpanState::kLarge;
  *base = b;
  return s;
}

// Parks a freed large span (state kLarge) when the cache is active and has room; false
// otherwise (then CachePutLargeSlow).
GORT_INLINE bool CachePutLargeRoom(mcache* c, mspan* s) {
  const size_t bytes = s->bytes();
  if (GORT_UNLIKELY(c->state != kCacheActive || c->nlarge == mcache::kLargeSlots ||
                    c->large_bytes + bytes > mcache::kLargeBytes))
    return false;
  s->state = SpanState::kCached;
  s->zeroed = false;
  const uint32_t n = c->nlarge;
  c->large[n] = s;
  c->large_key[n] = s->base | s->npages;
  c->nlarge = n + 1;
  c->large_bytes += bytes;
  return true;
}

// A parked span of exactly npages, in state kLarge, or null.
GORT_INLINE mspan* CacheTakeLarge(size_t npages) {
  mcache* c = &tl_mcache;
  if (npages > mcache::kLargeBytes / kPageSize) return nullptr;
  uintptr_t base;
  mspan* s = CacheTakeLargeRecent(c, npages, &base);
  if (s == nullptr && c->nlarge != 0) return CacheTakeLargeScan(npages);
  return s;
}

// Parks a freed large span (state kLarge); false when the cache has no room for it.
GORT_INLINE bool CachePutLarge(mspan* s) {
  mcache* c = &tl_mcache;
  return GORT_LIKELY(CachePutLargeRoom(c, s)) || CachePutLargeSlow(s);
}
void CacheForkPrepare() GORT_HIDDEN;
void CacheForkParent() GORT_HIDDEN;
void CacheForkChild() GORT_HIDDEN;
uint32_t CacheCount() GORT_HIDDEN;  // registered (live) thread caches

}  // namespace gort::alloc
