// malloc.h — the allocator's core entry points, in C++; every ABI (malloc, operator new,
// gort_malloc) is a one-line forward to these.
//
// Small requests (<= 32 KiB) are served by the thread cache (mcache.h); the fast paths below
// are the whole cost of a cache hit. A small object freed by a thread other than its
// owner's goes back to its span's owner in a block of such objects (remote.h). Large
// requests take a span of pages from mheap directly.
// Errors follow glibc: a failed allocation returns nullptr with errno = ENOMEM; a bad alignment
// returns EINVAL (posix_memalign) or nullptr + EINVAL (memalign); a pointer this heap never
// handed out stops the program with a message naming it (check.h).
#pragma once

#include <cstddef>
#include <cstdint>

#include "alloc/checked.h"
#include "alloc/config.h"
#include "alloc/freelink.h"
#include "alloc/mcache.h"
#include "alloc/pagemap.h"
#include "alloc/sizeclasses.h"

namespace gort::alloc {

extern PageMap g_pagemap GORT_HIDDEN;

void* MallocSlow(size_t size) GORT_HIDDEN;
// x: p's flat page-map entry (0 outside the window) XOR this thread's tag, as the fast path
// computed it (passing it, not the entry, lets the fast path keep one register).
void FreeSlow(void* p, uint32_t x) GORT_HIDDEN;
struct mspan;
// A span for a large block of size bytes aligned to align (a power of two); null when out of
// memory or size is too big. Frees a large span in use (a block's, or a sampled object's).
mspan* AllocLarge(size_t size, size_t align) GORT_HIDDEN;
void FreeLargeSpan(mspan* s) GORT_HIDDEN;
void* NoMemory() GORT_HIDDEN;  // errno = ENOMEM, nullptr: a failed allocation, as glibc's
void EnsureInit() GORT_HIDDEN;
void CacheInitGlobals() GORT_HIDDEN;

// Double free, caught by default (glibc's tcache key, made cheap): a small object freed into
// this thread's cache gets the process's free key in its second word; malloc clears that word
// when it hands the object out. A free that finds the key there is either a double free or a
// coincidence of user data, and CheckDoubleFree tells them apart by walking the lists the
// object could be on (this thread's cache list and its span's free lists, both this thread's
// alone). The 8-byte class has no second word and is not checked; nor is a double free whose
// two frees are both remote (the object then sits in a block on its way to its owner).
// The cache paths find the word at the list's keyoff (mcache.h), not by testing the class:
// the 8-byte class's keyoff is 0, the link word, which the push overwrites and which malloc
// hands out as junk anyway, so its key is written and cleared without effect.
// The price is malloc's store of that word: the object's line leaves malloc dirty. A program
// that writes its objects dirties them anyway; one that allocates many it never writes (a
// batch of thousands, larger than the L1 cache) pays a second write-back per line and round.
// Without the store, an object handed out again still holds the key until its owner writes
// word 1, and its free could only be told from a double free by the list walk: a constant-
// time check needs a write on the malloc side (or a bit in span metadata, which costs the
// fast path more instructions).
// g_free_key: random at start-up, odd (so never a pointer, and never 0).
extern uintptr_t g_free_key GORT_HIDDEN;
[[gnu::cold, gnu::noinline]] void CheckDoubleFree(void* p, uint32_t cls) GORT_HIDDEN;
GORT_INLINE uintptr_t& FreeKeyWord(void* p) { return static_cast<uintptr_t*>(p)[1]; }
// Malloc hands p out: no key. A free that does not go through FreeClass (a remote one) puts
// the key in, so that the owner's next free of p is checked.
GORT_INLINE void ClearFreeKey([[maybe_unused]] void* p, [[maybe_unused]] uint32_t cls) {
#if GORT_CHECKS >= 1
  if (cls != 1) FreeKeyWord(p) = 0;
#endif
}
GORT_INLINE void SetFreeKey([[maybe_unused]] void* p, [[maybe_unused]] uint32_t cls) {
#if GORT_CHECKS >= 1
  if (cls != 1) FreeKeyWord(p) = g_free_key;
#endif
}
GORT_INLINE uintptr_t& ListKeyWord(void* p, const FreeList& l) {
  return *reinterpret_cast<uintptr_t*>(static_cast<char*>(p) + l.keyoff);
}

// Pops the head of l, a list of this thread's cache, which is not empty.
GORT_INLINE void* PopList(FreeList& l, void* p) {
  void* next = GetNext(p);
#if GORT_CHECKS >= 1
  ListKeyWord(p, l) = 0;  // after the link is read: the 8-byte class's key word is the link
#endif
  l.head = next;
  l.room++;
  return p;
}

// Pops an object of class cls from this thread's cache.
GORT_INLINE void* MallocClass(uint32_t cls) {
  FreeList& l = *tl_mcache.list_of[cls];
  void* p = l.head;
  if (GORT_UNLIKELY(p == nullptr)) return CacheRefill(cls);
  return PopList(l, p);
}

void* MallocSampled(size_t size) GORT_HIDDEN;  // profile.cc

// malloc without the heap profile's countdown.
GORT_INLINE void* MallocUnsampled(size_t size) {
  if (GORT_LIKELY(size <= 1024)) {
    const size_t i = (size + 7) >> 3;
    FreeList& l = *tl_mcache.small[i];
    void* p = l.head;
    if (GORT_UNLIKELY(p == nullptr)) return CacheRefill(kSizeToClass8[i]);
    return PopList(l, p);
  }
  if (GORT_LIKELY(size <= kMaxSmallSize)) return MallocClass(kSizeToClass128[(size - 897) >> 7]);
  return MallocSlow(size);
}

GORT_INLINE void* Malloc(size_t size) {
  // The heap profile's countdown (profile.h): runs out only when profiling is on, or for a
  // request too large to serve, which MallocSampled then fails.
  const int64_t left = int64_t(uint64_t(tl_mcache.sample_left) - size);
  tl_mcache.sample_left = left;
  if (GORT_UNLIKELY(left < 0)) return MallocSampled(size);
  return MallocUnsampled(size);
}

#if GORT_CHECKS >= 2
void CheckSmallFree(void* p, uint32_t cls) GORT_HIDDEN;
#endif

// Pushes a small object on l, a list of this thread's cache, its free key already set. The
// flush finds the class from the list's place, so that the class need not be kept.
GORT_INLINE void PushFree(void* p, FreeList& l) {
  SetNext(p, l.head);
  l.head = p;
  if (GORT_UNLIKELY(--l.room == 0)) CacheFlush(uint32_t(&l - tl_mcache.lists));
}
GORT_INLINE void PushFree(void* p, uint32_t cls) { PushFree(p, *tl_mcache.list_of[cls]); }

// The free key was found in p: CheckDoubleFree, then the push. Out of line and reached by a
// tail call, so that the fast path below makes no call it returns from (no registers to save).
[[gnu::cold, gnu::noinline]] void FreeKeyFound(void* p, FreeList& l) GORT_HIDDEN;

// Pushes a small object of class cls on this thread's cache.
GORT_INLINE void FreeClass(void* p, uint32_t cls) {
#if GORT_CHECKS >= 2
  CheckSmallFree(p, cls);
#endif
  FreeList& l = *tl_mcache.list_of[cls];
#if GORT_CHECKS >= 1
  uintptr_t& key = ListKeyWord(p, l);
  if (GORT_UNLIKELY(key == g_free_key)) return FreeKeyFound(p, l);
  key = g_free_key;
#endif
  PushFree(p, l);
}

// The page's entry XOR the thread's tag is the class exactly when the object is small and
// this thread holds its owner (pagemap.h); remote, large and foreign pointers go slow.
GORT_INLINE void Free(void* p) {
  const uint32_t e = g_pagemap.FastEntry(reinterpret_cast<uintptr_t>(p));
  const uint32_t cls = e ^ tl_mcache.tag;
  if (GORT_UNLIKELY(cls > 0xff)) return FreeSlow(p, cls);
  FreeClass(p, cls);
}

// The rest of the C surface, with glibc's semantics (malloc.cc).
void* Calloc(size_t n, size_t size) GORT_HIDDEN;
void* ReallocSlow(void* p, size_t size) GORT_HIDDEN;

// realloc: a block that keeps its size class, or its pages, stays where it is without a lock
// (the span of a block in use is its owner's to read); everything else is ReallocSlow.
GORT_INLINE void* Realloc(void* p, size_t size) {
  if (GORT_UNLIKELY(g_check)) return CheckedRealloc(p, size);
  const uintptr_t a = reinterpret_cast<uintptr_t>(p);
  if (const uint32_t cls = g_pagemap.FastClass(a); cls != 0) {
    const size_t old = kClassSize[cls];
    if (GORT_LIKELY(size <= old && size >= old / 2)) return p;  // not worth a copy
  } else if (size > kMaxSmallSize && size <= kMaxRequest) {
    const mspan* s = g_pagemap.Span(a);
    if (s != nullptr && s->state == SpanState::kLarge && s->base == a &&
        (size + kPageSize - 1) >> kPageShift == s->npages) {
      const_cast<mspan*>(s)->reqsize = size;
      return p;
    }
  }
  return ReallocSlow(p, size);
}

void* ReallocArray(void* p, size_t n, size_t size) GORT_HIDDEN;
void* Memalign(size_t align, size_t size) GORT_HIDDEN;      // glibc memalign
int PosixMemalign(void** out, size_t align, size_t size) GORT_HIDDEN;
void* AlignedAlloc(size_t align, size_t size) GORT_HIDDEN;
void* Valloc(size_t size) GORT_HIDDEN;
void* Pvalloc(size_t size) GORT_HIDDEN;
size_t UsableSize(const void* p) GORT_HIDDEN;
// Aligned allocation for a power-of-two alignment (operator new(align_val_t) and friends).
void* MallocAligned(size_t align, size_t size) GORT_HIDDEN;

}  // namespace gort::alloc
