// malloc.cc — start-up, the slow paths, large objects and the rest of the C surface.
//
// Policy lives here once: errno values, overflow checks, glibc's corner cases (realloc(p, 0)
// frees, memalign rounds a non-power-of-two alignment up, posix_memalign returns EINVAL),
// and the checks that stop the program on a pointer this heap does not own.
#include "alloc/malloc.h"

#include <errno.h>
#include <pthread.h>
#include <sys/random.h>
#include <unistd.h>

#include <atomic>
#include <cstring>

#include "alloc/check.h"
#include "alloc/checked.h"
#include "alloc/heapwalk.h"
#include "alloc/mcentral.h"
#include "alloc/mheap.h"
#include "alloc/options.h"
#include "alloc/proc.h"
#include "alloc/profile.h"
#include "alloc/remote.h"
#include "alloc/scavenger.h"
#include "alloc/os.h"
#include "alloc/stats.h"

namespace gort::alloc {

namespace {

constinit std::atomic<int> g_init{0};  // 0 not started, 1 running, 2 done
constinit Lock g_init_lock{LockRank::kInit};

// Large blocks at least this big move by remapping their pages instead of copying them.
constexpr size_t kRemapBytes = size_t{1} << 20;

constexpr size_t PagesFor(size_t size) {
  return size == 0 ? 1 : (size + kPageSize - 1) >> kPageShift;
}


// The span of a large object p, or a fatal error naming the caller and the address.
mspan* LargeSpanOf(const void* p, const char* fatal_msg) {
  uintptr_t a = reinterpret_cast<uintptr_t>(p);
  mspan* s = g_pagemap.Span(a);
  if (!g_pagemap.Owns(a)) Fatal(fatal_msg, a);
  if (s == nullptr || s->state != SpanState::kLarge || s->base != a)
    Fatal("invalid pointer: double free, or not the start of a gort allocation:", a);
  return s;
}

// free's answer to a pointer that names no block of ours: nothing for null (which FreeSlow
// meets here, past its tests, so that its large path has no test of its own for it), else
// the fatal error LargeSpanOf names.
[[gnu::cold, gnu::noinline]] void FreeInvalid(void* p) {
  if (p == nullptr) return;
  LargeSpanOf(p, "free(): pointer not allocated by gort:");
  Fatal("invalid pointer: double free, or not the start of a gort allocation:",
        reinterpret_cast<uintptr_t>(p));
}

// Grows a large block by moving its pages to a new span (no copy); falls back to memcpy.
void* MoveLarge(mspan* s, size_t size) {
  GORT_ASSERT(s->state == SpanState::kLarge, "MoveLarge: the span is not a large span in use");
  GORT_ASSERT(size > s->bytes(), "MoveLarge: the block does not grow");
  mspan* t = AllocLarge(size, kPageSize);
  if (t == nullptr) return NoMemory();
  void* from = reinterpret_cast<void*>(s->base);
  void* to = reinterpret_cast<void*>(t->base);
  if (os::MovePages(from, to, s->bytes())) {
    t->remapped = true;
    g_mheap.FreeSpan(s, /*released=*/true);
  } else {
    memcpy(to, from, s->bytes());
    g_mheap.FreeSpan(s);
  }
  return to;
}

}  // namespace

// A large request: a span of its own. align is a power of two.
mspan* AllocLarge(size_t size, size_t align) {
  GORT_ASSERT(align != 0 && (align & (align - 1)) == 0, "AllocLarge: align is not a power of two");
  if (size > kMaxRequest || align > kMaxRequest) return nullptr;
  const size_t ap = align > kPageSize ? align >> kPageShift : 1;
  mspan* s = ap == 1 ? CacheTakeLarge(PagesFor(size)) : nullptr;  // a parked span: heap is up
  if (s == nullptr) {
    EnsureInit();
    s = g_mheap.AllocSpan(PagesFor(size), ap, SpanState::kLarge, 0);
  }
  if (s != nullptr) s->reqsize = size;
  return s;
}

void* NoMemory() {
  errno = ENOMEM;
  return nullptr;
}

uintptr_t g_free_key = 0x9e3779b97f4a7c15;  // replaced by a random odd value at start-up
uintptr_t g_link_key = 0x3c6ef372fe94f82b;  // replaced by a random value at start-up (freelink.h)

void CheckDoubleFree(void* p, uint32_t cls) {
  const uintptr_t a = reinterpret_cast<uintptr_t>(p);
  const FreeList& l = tl_mcache.lists[cls];
  uint32_t n = 0;
  for (void* q = l.head; q != nullptr && n <= l.max; q = GetNext(q), n++)
    if (q == p) Fatal("free(): double free of a small object (in this thread's cache):", a);
  // The span is this thread's proc's (the caller's tag test), so its lists are ours to read.
  const mspan* s = g_pagemap.Span(a);
  for (void* list : {s->freelist, s->xlist}) {
    n = 0;
    for (void* q = list; q != nullptr && n <= s->nelems; q = GetNext(q), n++)
      if (q == p) Fatal("free(): double free of a small object (on its span's free list):", a);
  }
}

void FreeKeyFound(void* p, FreeList& l) {
  // Returns only when p is on none of the lists: the key was user data.
  CheckDoubleFree(p, uint32_t(&l - tl_mcache.lists));
  PushFree(p, l);
}

void EnsureInit() {
  if (GORT_LIKELY(g_init.load(std::memory_order_acquire) == 2)) return;
  LockGuard g(g_init_lock);
  if (g_init.load(std::memory_order_relaxed) == 2) return;
  {
    uint64_t r[2] = {0, 0};
    if (getrandom(r, sizeof r, GRND_NONBLOCK) == ssize_t(sizeof r)) {
      g_free_key ^= r[0];
      g_link_key ^= r[1];
    }
    g_free_key |= 1;
  }
  ReadOptions();
  if (GetOption(kOptCheck) != 0) CheckedInit();
  if (GetOption(kOptVerbose) != 0) PrintOptions();
  StatsInit();
  HeapmapInit();
  g_mheap.set_retain(GetOption(kOptRetainMB) << 20);
  ScavengerInit(GetOption(kOptScavengeDelayMs));
  {
    const char* path = GetOptionText(kOptProfile);
    const bool rate_set = getenv("GORT_PROFILE_RATE") != nullptr;
    if ((path != nullptr && path[0] != '\0') || rate_set)
      ProfileInit(GetOption(kOptProfileRate), path);
    ProfileInitSignal(GetOption(kOptProfileSignal));
  }
  for (int k = 1; k < kNumClasses; k++) g_mcentral[k].Init(uint8_t(k));
  CacheInitGlobals();
  g_init.store(2, std::memory_order_release);
}

// Sets the heap up (and installs its thread and fork hooks) before main, whether or not
// anything allocates before a fork.
__attribute__((constructor)) static void InitAtStartup() {
  EnsureInit();
  ProfileWarmUp();  // outside every allocator call: its first backtrace allocates
}

__attribute__((destructor)) static void MaybePrintStats() {
  if (g_init.load() != 2) return;
  ProfileAtExit();
  StatsAtExit();
  HeapmapAtExit();
}

namespace {

[[gnu::noinline]] void* MallocLarge(size_t size) {
  mspan* s = AllocLarge(size, kPageSize);
  return s == nullptr ? NoMemory() : reinterpret_cast<void*>(s->base);
}

// The first free of a small object on a thread without a cache: the thread is set up (it
// may then hold the object's owner) and the free starts again. Sets up the outbox too, so
// that a thread that only frees (a consumer) sends its frees in blocks.
[[gnu::noinline]] void FreeFirst(void* p) {
  CacheActivate();
  Free(p);
}

}  // namespace

// A span parked by this thread serves the request without a call (mcache.h); the rest goes
// out of line. Only a size a parked span can have is matched (large_key packs the page count
// into 13 bits).
void* MallocSlow(size_t size) {
  GORT_ASSERT(size > kMaxSmallSize,
              "MallocSlow: a size a class would serve reached the large path");
  if (GORT_LIKELY(size <= mcache::kLargeBytes)) {
    mcache* c = &tl_mcache;
    uintptr_t base;
    if (mspan* s = CacheTakeLargeRecent(c, (size + kPageSize - 1) >> kPageShift, &base)) {
      s->reqsize = size;
      return reinterpret_cast<void*>(base);
    }
  }
  return MallocLarge(size);
}

void FreeSlow(void* p, uint32_t x) {
  const uintptr_t a = reinterpret_cast<uintptr_t>(p);
  const uint32_t e = x ^ tl_mcache.tag;
  GORT_ASSERT(e == g_pagemap.FastEntry(a) && x > 0xff,
              "FreeSlow: not the fast path's entry, or a pointer the fast path frees");
  if (GORT_UNLIKELY(g_check)) return CheckedFree(p);
  // A small object in the flat window: its entry names the owner, so a remote free reads
  // nothing its owner writes (neither the span nor, before the owner has it, the object).
  if (e > 0xff) {
    if (GORT_UNLIKELY(tl_mcache.state == kCacheUnset)) return FreeFirst(p);
#if GORT_CHECKS >= 2
    CheckSmallFree(p, e & 0xff);
#endif
    SetFreeKey(p, e & 0xff);
    return RemoteFree(e >> 8, e & 0xff, p);  // proc.h, point 3
  }
  heapArena* ar = g_pagemap.Arena(a);  // one lookup serves the class and the span
  if (GORT_UNLIKELY(ar == nullptr)) return FreeInvalid(p);  // or null: no arena holds page 0
  const size_t i = PageMap::PageIndex(a);
  mspan* s = ar->spans[i];
  if (uint32_t cls = ar->cls[i]; cls != 0) {
    // Local: a small object outside the flat window (the heap could not grow contiguously).
    if (s->owner << 8 == tl_mcache.tag) return FreeClass(p, cls);
    if (GORT_UNLIKELY(tl_mcache.state == kCacheUnset)) return FreeFirst(p);
#if GORT_CHECKS >= 2
    CheckSmallFree(p, cls);
#endif
    SetFreeKey(p, cls);
    return RemoteFree(s->owner, cls, p);  // proc.h, point 3
  }
  if (GORT_UNLIKELY(s == nullptr || s->state != SpanState::kLarge || s->base != a))
    return FreeInvalid(p);
  // Parked without a call (mcache.h); a sampled span and a full cache go out of line.
  mcache* c = &tl_mcache;
  if (GORT_LIKELY(s->profile == 0) && CachePutLargeRoom(c, s)) return;
  FreeLargeSpan(s);
}

void FreeLargeSpan(mspan* s) {
  if (GORT_UNLIKELY(s->profile != 0)) ProfileFree(s);
  if (CachePutLarge(s)) return;
  g_mheap.FreeSpan(s);
  MaybeStartScavenger();
}

#if GORT_CHECKS >= 2
void CheckSmallFree(void* p, uint32_t cls) {
  uintptr_t a = reinterpret_cast<uintptr_t>(p);
  mspan* s = g_pagemap.Span(a);
  if (s == nullptr || s->state != SpanState::kSmall || s->cls != cls ||
      (a - s->base) % kClassSize[cls] != 0 || a >= s->base + uintptr_t(s->nelems) * kClassSize[cls])
    Fatal("free(): pointer is not the start of a gort object:", a);
  // A second free of an object still in this thread's cache.
  const FreeList& l = tl_mcache.lists[cls];
  for (void* q = l.head; q != nullptr; q = GetNext(q))
    if (q == p) Fatal("free(): double free of", a);
}
#endif

void* Calloc(size_t n, size_t size) {
  size_t total;
  if (__builtin_mul_overflow(n, size, &total)) return NoMemory();
  if (total <= kMaxSmallSize || g_check) {
    void* p = Malloc(total);
    if (p != nullptr) memset(p, 0, total);
    return p;
  }
  mspan* s = AllocLarge(total, kPageSize);
  if (s == nullptr) return NoMemory();
  if (!s->zeroed) memset(reinterpret_cast<void*>(s->base), 0, total);
  return reinterpret_cast<void*>(s->base);
}

void* ReallocSlow(void* p, size_t size) {
  if (p == nullptr) return Malloc(size);
  if (size == 0) {  // glibc: realloc(p, 0) frees p and returns NULL
    Free(p);
    return nullptr;
  }
  uint32_t cls = g_pagemap.Class(reinterpret_cast<uintptr_t>(p));
  size_t old;
  if (cls != 0) {
    old = kClassSize[cls];
    if (size <= old && size >= old / 2) return p;  // same block: not worth a copy
  } else {
    mspan* s = LargeSpanOf(p, "realloc(): pointer not allocated by gort:");
    old = s->bytes();
    if (size > kMaxRequest) return NoMemory();
    if (size > kMaxSmallSize) {
      size_t np = PagesFor(size);
      s->reqsize = size;
      if (np == s->npages) return p;  // the span is the caller's: no lock to read it
      if (np < s->npages) {
        g_mheap.ShrinkInPlace(s, np);
        return p;
      }
      if (g_mheap.GrowInPlace(s, np)) return p;
      if (old >= kRemapBytes) return MoveLarge(s, size);
    }
  }
  // A block that must move to grow gets a quarter more room than asked, so that a buffer
  // grown step by step moves O(log n) times, not once per size class or page.
  size_t want = size;
  if (size > old && size - old < old / 4 && old + old / 4 <= kMaxRequest) want = old + old / 4;
  void* q = Malloc(want);
  if (q == nullptr) return nullptr;
  memcpy(q, p, old < size ? old : size);
  Free(p);
  return q;
}

void* ReallocArray(void* p, size_t n, size_t size) {
  size_t total;
  if (__builtin_mul_overflow(n, size, &total)) return NoMemory();
  return Realloc(p, total);
}

void* MallocAligned(size_t align, size_t size) {
  GORT_ASSERT(align != 0 && (align & (align - 1)) == 0,
              "MallocAligned: align is not a power of two");
  if (g_check) return CheckedMallocAligned(align, size);
  if (align <= 8) return Malloc(size);
  if (size <= kMaxSmallSize && align <= kPageSize) {
    uint32_t c = SizeToClass(size);
    while (kClassSize[c] % align != 0) c++;  // ends by class 51 (8192) at the latest
    return MallocClass(c);
  }
  mspan* s = AllocLarge(size, align);
  return s == nullptr ? NoMemory() : reinterpret_cast<void*>(s->base);
}

void* Memalign(size_t align, size_t size) {
  if (align <= 8) return Malloc(size);
  if (align > SIZE_MAX / 2 + 1) {
    errno = EINVAL;
    return nullptr;
  }
  if ((align & (align - 1)) != 0) align = size_t{1} << (64 - __builtin_clzl(align));
  return MallocAligned(align, size);
}

int PosixMemalign(void** out, size_t align, size_t size) {
  if (align == 0 || align % sizeof(void*) != 0 || (align & (align - 1)) != 0) return EINVAL;
  int saved = errno;
  void* p = MallocAligned(align, size);
  if (p == nullptr) {
    errno = saved;
    return ENOMEM;
  }
  *out = p;
  return 0;
}

// glibc 2.36 (Debian 12): aligned_alloc is memalign.
void* AlignedAlloc(size_t align, size_t size) { return Memalign(align, size); }

void* Valloc(size_t size) { return Memalign(size_t(getpagesize()), size); }

void* Pvalloc(size_t size) {
  size_t page = size_t(getpagesize()), rounded;
  if (__builtin_add_overflow(size, page - 1, &rounded)) return NoMemory();
  rounded &= ~(page - 1);
  return Memalign(page, rounded == 0 ? page : rounded);
}

size_t UsableSize(const void* p) {
  if (p == nullptr) return 0;
  if (g_check) return CheckedUsableSize(p);
  uint32_t cls = g_pagemap.Class(reinterpret_cast<uintptr_t>(p));
  if (cls != 0) return kClassSize[cls];
  return LargeSpanOf(p, "malloc_usable_size(): pointer not allocated by gort:")->bytes();
}

}  // namespace gort::alloc
