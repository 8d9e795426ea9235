// mcache.cc — the thread cache's slow paths, thread set-up and tear-down, fork.
#include "alloc/mcache.h"

#include <atomic>
#include <iterator>

#include "alloc/check.h"
#include "alloc/freelink.h"
#include "alloc/lock.h"
#include "alloc/malloc.h"
#include "alloc/mcentral.h"
#include "alloc/profile.h"
#include "alloc/scavenger.h"
#include "alloc/mheap.h"
#include "alloc/options.h"
#include "alloc/proc.h"
#include "alloc/remote.h"
#include "alloc/thread.h"

namespace gort::alloc {

constinit thread_local mcache tl_mcache __attribute__((tls_model("initial-exec"))) = UnsetCache();

namespace {

// How many caches are live (statistics, tests). There is deliberately no list of caches:
// a thread whose first allocation happens in the last round of pthread key destructors is
// never told it exits, and a list would keep a pointer into its freed TLS.
std::atomic<uint32_t> g_ncaches{0};
uint64_t g_budget = 4 << 20;  // GORT_THREAD_CACHE_KB, set at start-up

// The parked large spans go back to mheap.
void ReleaseLarge(mcache* c) {
  for (uint32_t i = 0; i < c->nlarge; i++) {
    c->large[i]->state = SpanState::kLarge;
    g_mheap.FreeSpan(c->large[i]);
  }
  c->nlarge = 0;
  c->large_bytes = 0;
}

// The thread ends: its lists go back into its proc, which is released whole (warm) for the
// next thread; the cache is dead: no tag, room 1 on every list.
void Kill(mcache* c) {
  if (c->state == kCacheActive) {
    RemoteThreadExit();
    proc* p = c->p;
    for (uint32_t k = 1; k < kNumClasses; k++) p->lists[k] = c->lists[k];
    p->capacity = c->capacity;
    ReleaseLarge(c);
    c->p = nullptr;
    c->tag = kNoTag;
    ProcRelease(p);
    g_ncaches.fetch_sub(1, std::memory_order_relaxed);
  }
  c->state = kCacheDead;
  for (uint32_t k = 1; k < kNumClasses; k++) c->lists[k] = EmptyList(k, 1);
}

// The thread registry's exit hook (thread.h): the lowest layer, so it runs after the
// containers above have freed what the thread held.
void OnThreadExit() { Kill(&tl_mcache); }

constexpr ThreadHooks kHooks = {OnThreadExit, CacheForkPrepare, CacheForkParent, CacheForkChild};

// Sets up this thread's cache around a proc: the lists the proc's previous thread left.
void Activate(mcache* c) {
  GORT_ASSERT(c->state == kCacheUnset, "Activate: the cache is set up already, or dead");
  EnsureInit();
  proc* p = ProcAcquire();
  for (uint32_t k = 1; k < kNumClasses; k++) c->lists[k] = p->lists[k];
  for (size_t i = 0; i < std::size(c->small); i++) c->small[i] = &c->lists[kSizeToClass8[i]];
  for (uint32_t k = 0; k < kNumClasses; k++) c->list_of[k] = &c->lists[k];
  c->capacity = p->capacity;
  c->sample_left = SampleStart();
  c->check_left = ProfileNextSample();
  c->p = p;
  c->tag = p->id << 8 | (g_check ? kCheckedTag : 0);
  c->state = kCacheActive;
  g_ncaches.fetch_add(1, std::memory_order_relaxed);
  ThreadSerial();  // enrolls the thread for its exit hook; may allocate: the cache works by now
}

// Gives the first n objects of list cls back to their spans; returns how many went.
uint32_t ReleaseBatch(proc* p, FreeList& l, uint32_t cls, uint32_t n) {
  GORT_ASSERT(l.head != nullptr && n >= 1, "ReleaseBatch: nothing to release");
  void* head = l.head;
  void* last = head;
  uint32_t k = 1;
  for (; k < n && GetNext(last) != nullptr; k++) last = GetNext(last);
  l.head = GetNext(last);
  SetNext(last, nullptr);  // the batch travels as a chain of its own
  l.room += k;
  ProcReturn(p, cls, head, k);
  return k;
}

// A thread past its exit hooks allocates: it borrows a proc for one object.
void* DeadMalloc(uint32_t cls) {
  proc* p = ProcAcquire();
  FreeList& l = p->lists[cls];
  void* x = l.head;
  if (x != nullptr) {
    l.head = GetNext(x);
    l.room++;
  } else if (ProcRefill(p, cls, &x, 1) == 0) {
    x = nullptr;
  }
  ProcRelease(p);
  if (x != nullptr) ClearFreeKey(x, cls);
  return x;
}

// Slow start: a list that had to be refilled may hold one batch more next time.
void Grow(mcache* c, FreeList& l, uint32_t cls) {
  uint32_t b = ClassBatch(cls);
  uint64_t bytes = uint64_t(b) * kClassSize[cls];
  if (l.max + b > ClassCacheLimit(cls) || c->capacity + bytes > g_budget) return;
  l.max += b;
  l.room += b;
  c->capacity += bytes;
}

}  // namespace

void CacheInitGlobals() {
  g_budget = GetOption(kOptThreadCacheKB) << 10;
  SetThreadHooks(kLayerThreadCache, &kHooks);
}

void CacheActivate() {
  if (tl_mcache.state == kCacheUnset) Activate(&tl_mcache);
}

void* CacheRefill(uint32_t cls) {
  mcache* c = &tl_mcache;
  GORT_ASSERT(cls >= 1 && cls < kNumClasses, "CacheRefill: size class out of range");
  GORT_ASSERT(c->lists[cls].head == nullptr, "CacheRefill: the list is not empty");
  GORT_ASSERT(c->state != kCacheActive || c->lists[cls].room == c->lists[cls].max,
              "CacheRefill: an empty list whose room is not its max");
  GORT_ASSERT(LocksHeld() == 0, "CacheRefill: called with an allocator lock held");
  if (GORT_UNLIKELY(c->state != kCacheActive)) {
    if (c->state == kCacheUnset) {
      Activate(c);
    } else {  // dead thread: one object, nothing cached
      return DeadMalloc(cls);
    }
  }
  FreeList& l = c->lists[cls];
  if (l.head == nullptr) {
    void* chain = nullptr;
    uint32_t n = ProcRefill(c->p, cls, &chain, ClassBatch(cls));
    if (n == 0) return nullptr;
    l.head = chain;
    l.room -= n;
    c->refills++;
    Grow(c, l, cls);
  }
  void* p = l.head;
  l.head = GetNext(p);
  l.room++;
  ClearFreeKey(p, cls);
  return p;
}

void CacheFlush(uint32_t cls) {
  mcache* c = &tl_mcache;
  GORT_ASSERT(cls >= 1 && cls < kNumClasses, "CacheFlush: size class out of range");
  GORT_ASSERT(c->state == kCacheActive, "CacheFlush: only an active cache frees locally");
  FreeList& l = c->lists[cls];
  GORT_ASSERT(l.room == 0, "CacheFlush: the list still has room");
  GORT_ASSERT(l.head != nullptr, "CacheFlush: the list is empty");
  GORT_ASSERT(LocksHeld() == 0, "CacheFlush: called with an allocator lock held");
  ReleaseBatch(c->p, l, cls, ClassBatch(cls));
  c->flushes++;
  MaybeStartScavenger();  // no lock is held here (above)
}

void CacheReleaseAll(mcache* c) {
  GORT_ASSERT(c != nullptr && c->state == kCacheActive, "CacheReleaseAll: the cache is not active");
  RemoteFlush();
  for (uint32_t k = 1; k < kNumClasses; k++) {
    FreeList& l = c->lists[k];
    while (l.head != nullptr) ReleaseBatch(c->p, l, k, ClassBatch(k));
  }
  ProcTrim(c->p);
  ReleaseLarge(c);
}

// Takes parked slot i out, the newer slots moving down one (the order is kept): its span,
// in state kLarge again.
static mspan* UnparkLarge(mcache* c, uint32_t i) {
  mspan* s = c->large[i];
  for (uint32_t j = i + 1; j < c->nlarge; j++) {
    c->large[j - 1] = c->large[j];
    c->large_key[j - 1] = c->large_key[j];
  }
  c->nlarge--;
  c->large_bytes -= s->bytes();
  s->state = SpanState::kLarge;
  return s;
}

// Makes room for a span of bytes: the oldest parked spans go back to the heap.
[[gnu::noinline]] void EvictLarge(mcache* c, size_t bytes) {
  while (c->nlarge > 0 &&
         (c->nlarge == mcache::kLargeSlots || c->large_bytes + bytes > mcache::kLargeBytes))
    g_mheap.FreeSpan(UnparkLarge(c, 0));
}

mspan* CacheTakeLargeScan(size_t npages) {
  mcache* c = &tl_mcache;
  GORT_ASSERT(npages > kMaxSmallSize / kPageSize,
              "CacheTakeLarge: a request a size class would serve reached the large path");
  GORT_ASSERT(c->nlarge <= mcache::kLargeSlots, "CacheTakeLarge: more parked spans than slots");
  for (uint32_t i = c->nlarge; i-- > 0;)
    if (c->large[i]->npages == npages) return UnparkLarge(c, i);
  return nullptr;
}

bool CachePutLargeSlow(mspan* s) {
  mcache* c = &tl_mcache;
  GORT_ASSERT(s != nullptr && s->state == SpanState::kLarge,
              "CachePutLarge: the span is not a large span in use");
  GORT_ASSERT(g_pagemap.Span(s->base) == s,
              "CachePutLarge: the page map does not point at the span");
  const size_t bytes = s->bytes();
  if (GORT_UNLIKELY(c->state != kCacheActive)) {
    if (c->state != kCacheUnset) return false;
    Activate(c);
  }
  if (bytes > mcache::kLargeBytes) return false;
  if (GORT_UNLIKELY(c->nlarge == mcache::kLargeSlots ||
                    c->large_bytes + bytes > mcache::kLargeBytes))
    EvictLarge(c, bytes);
  return CachePutLargeRoom(c, s);  // there is room now
}

uint32_t CacheCount() { return g_ncaches.load(std::memory_order_relaxed); }

// fork(): take every allocator lock so the child gets consistent structures: mcentrals in
// class order, then mheap (the order of lockrank.h, checked at tier >= 2). In the child
// only the forking thread lives; objects cached by the other threads stay with their dead
// caches (a bounded leak: each thread's lists are within its budget).
void CacheForkPrepare() {
  GORT_ASSERT(LocksHeld() == 0, "CacheForkPrepare: the forking thread holds an allocator lock");
  ProcForkPrepare();
  for (int k = 1; k < kNumClasses; k++) g_mcentral[k].lock.lock();
  g_mheap.lock.lock();
  ProfileLock().lock();
}

void CacheForkParent() {
  GORT_ASSERT(g_mheap.lock.owned(), "CacheForkParent: the prepare handler's locks are not held");
  ProfileLock().unlock();
  g_mheap.lock.unlock();
  for (int k = kNumClasses - 1; k >= 1; k--) g_mcentral[k].lock.unlock();
  ProcForkParent();
}

// In the child the forking thread holds every lock it took in prepare; ResetInChild frees
// each and, at tier >= 2, takes it off the thread's held-lock record.
void CacheForkChild() {
  GORT_ASSERT(g_mheap.lock.owned(), "CacheForkChild: the prepare handler's locks are not held");
  ProfileLock().ResetInChild();
  g_mheap.lock.ResetInChild();
  for (int k = 1; k < kNumClasses; k++) g_mcentral[k].lock.ResetInChild();
  ProcForkChild(tl_mcache.state == kCacheActive ? tl_mcache.p : nullptr);
  g_ncaches.store(tl_mcache.state == kCacheActive ? 1 : 0, std::memory_order_relaxed);
  ScavengerForkChild();
}

const char* mcache::check() const {
  if (state != kCacheActive) return "";
  if ((tag & ~kCheckedTag) != p->id << 8) return "mcache: the tag is not the held proc's id << 8";
  if (const char* e = p->check(); *e != '\0') return e;
  uint64_t cap = 0, lb = 0;
  for (uint32_t k = 1; k < kNumClasses; k++) cap += uint64_t(lists[k].max) * kClassSize[k];
  if (cap != capacity) return "mcache: capacity is not the sum of max(c) * size(c)";
  if (capacity > g_budget + 65 * 65536) return "mcache: capacity is over the thread's budget";
  if (nlarge > kLargeSlots) return "mcache: more parked large spans than kLargeSlots";
  for (uint32_t i = 0; i < nlarge; i++) {
    if (large[i]->state != SpanState::kCached) return "mcache: a parked large span is not kCached";
    if (large_key[i] != (large[i]->base | large[i]->npages))
      return "mcache: large_key[i] is not large[i]'s base | npages";
    lb += large[i]->bytes();
  }
  if (lb != large_bytes) return "mcache: large_bytes is not the sum of the parked spans";
  if (large_bytes > kLargeBytes) return "mcache: parked large spans exceed kLargeBytes";
  // The pointers name the thread's own lists; a copy (the tests') keeps the original's.
  if (this == &tl_mcache && list_of[0] != &lists[0]) return "mcache: list_of[0] is not &lists[0]";
  for (uint32_t k = 0; k < kNumClasses; k++)
    if (list_of[k] != list_of[0] + k) return "mcache: list_of[c] is not &lists[c]";
  for (size_t i = 0; i < std::size(small); i++)
    if (small[i] != list_of[kSizeToClass8[i]]) return "mcache: small[i] is not the list of size 8i";
  for (uint32_t k = 1; k < kNumClasses; k++) {
    const FreeList& l = lists[k];
    if (l.keyoff != (k == 1 ? 0 : 8)) return "mcache: keyoff(c) is not where class c keeps its key";
    if (l.room < 1 || l.room > l.max) return "mcache: room(c) is outside 1..max(c)";
    uint32_t n = 0;
    for (void* p = l.head; p != nullptr; p = GetNext(p)) {
      if (g_pagemap.Class(reinterpret_cast<uintptr_t>(p)) != k)
        return "mcache: an object on list c is not of class c";
      if (g_pagemap.Span(reinterpret_cast<uintptr_t>(p))->owner != this->p->id)
        return "mcache: an object on a list is of a span another proc owns";
      if (++n > l.max) return "mcache: list c is longer than max(c) (a cycle?)";
    }
    if (n != Len(k)) return "mcache: len(c) + room(c) != max(c)";
  }
  return "";
}

}  // namespace gort::alloc
