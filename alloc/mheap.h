// mheap.h — the page heap: arenas from the OS, runs of pages as spans, coalescing.
//
// Design (Go's mheap.go, tcmalloc's page_heap):
//  1. Address space comes from the OS in arenas of 64 MiB (or a multiple, for a huge request),
//     reserved read-write but lazily committed, at increasing hint addresses so the heap grows
//     in one piece. Each arena gets a heapArena record in the page map.
//  2. Free pages form free spans. Runs shorter than kMaxPages pages sit on an exact-length
//     list, from which allocation takes the first fitting run. Longer runs sit on one list,
//     from which a long request (kMaxPages pages or more) takes the run whose resident pages
//     (point 4) cover most of it, then the shortest, then the lowest: a page still resident
//     costs nothing to use again, a fresh or released one a fault and the kernel's zeroing.
//     Inside the run it starts where the resident pages do (mspan::res_lo), as far as the run
//     and an alignment in pages allow. A short request takes the shortest fitting run from
//     its start, which keeps long runs whole. The unused head and tail go back as free spans.
//  3. Freeing a span merges it with free neighbours found through the page map (the page
//     before its first and after its last page), so free runs never touch each other.
//  4. Freed pages stay resident (scavenger.h says why) while the free resident bytes stay
//     within max(retain, bytes in use) (retain 0: none, so every freed page goes back at once,
//     which tests use to make stale accesses fault). Past that limit the heap gives back idle
//     pages of other free runs first, the longest runs first, and the pages just freed only if
//     that is not enough (before they merge, so no page is released twice): the pages just
//     freed are the ones the next allocation of that size takes again, and releasing them
//     would make a loop that frees and allocates at the limit fault on every page, every
//     round. Each free run records when its
//     resident pages were last freed (free_ms; a merge keeps the newest), and the background
//     scavenger (scavenger.h) releases the runs that stayed free longer than its delay;
//     malloc_trim releases them all. Released pages read as zero again, which calloc uses.
//     Pages moved by mremap (realloc) are released as soon as they are freed, so the kernel
//     can merge their mappings back into the arena's.
// Invariants (walked by check()):
//   - no two free spans are adjacent; every free span is on the list for its length;
//   - pagemap.Span(first page) == pagemap.Span(last page) == s for every free or large span,
//     and for every page of a small span; pagemap.Class(page) == s->cls for small spans, else 0.
// Everything is guarded by `lock`. Lock order: lockrank.h (mheap ranks above every mcentral).
#pragma once

#include <cstddef>
#include <cstdint>

#include "alloc/fixalloc.h"
#include "alloc/lock.h"
#include "alloc/pagemap.h"
#include "alloc/span.h"

namespace gort::alloc {

// Go's first arena hint on linux/amd64. ThreadSanitizer keeps its shadow memory there and
// stops a program that maps it, so its builds let the kernel choose the first arena.
#if defined(__SANITIZE_THREAD__)
inline constexpr uintptr_t kFirstArenaHint = 0;
#else
inline constexpr uintptr_t kFirstArenaHint = 0x00c000000000;
#endif

class mheap {
 public:
  static constexpr size_t kMaxPages = 128;  // runs shorter than this have exact lists

  // REQUIRES of the functions that take `lock` (AllocSpan, FreeSpan, GrowInPlace,
  // ShrinkInPlace, GetStats): the caller does not hold it; a span passed in is in use
  // (kSmall or kLarge) and the page map points at it.

  // Allocates npages pages aligned to align_pages pages (a power of two) as a span in
  // `state` (kSmall with class cls, or kLarge). nullptr when the OS refuses memory.
  mspan* AllocSpan(size_t npages, size_t align_pages, SpanState state, uint8_t cls);
  // released: the span's pages are known not resident and zero (after os::MovePages).
  void FreeSpan(mspan* s, bool released = false);
  // Large spans: extend over the free run that follows, or give back the tail.
  bool GrowInPlace(mspan* s, size_t npages);
  void ShrinkInPlace(mspan* s, size_t npages);

  void set_retain(size_t bytes) { retain_ = bytes; }
  // Releases every free run whose resident pages were last freed at or before freed_before_ms
  // (NowMs); the resident bytes released. Holds the lock for one pass over the free lists.
  uint64_t Scavenge(uint64_t freed_before_ms);
  const char* check() const;  // the invariants above; "" when they hold (check.h)

  struct Stats {
    uint64_t reserved;       // bytes of address space taken from the OS
    uint64_t free_bytes;     // bytes in free spans
    uint64_t free_resident;  // of those, not released
    uint64_t large_inuse;    // bytes in large spans
    uint64_t small_spans;    // bytes in small spans
    uint64_t spans;          // span records in use
  };
  Stats GetStats();

  // For walking the heap (heapwalk.h). REQUIRES: `lock` held.
  // The address ranges taken from the OS, rising and disjoint; spans tile each of them, so
  // the span at a range's base starts there and every span ends where the next begins.
  // Ranges that touch are one range. Past kMaxRegions separate ranges the last one grows
  // over the gap, whose arenas the page map then reports absent.
  struct Region {
    uintptr_t base, limit;
  };
  static constexpr uint32_t kMaxRegions = 64;
  uint32_t NumRegionsLocked() const { return nregions_; }
  const Region& RegionLocked(uint32_t i) const { return regions_[i]; }
  const Stats& StatsLocked() const { return stats_; }

  Lock lock{LockRank::kMHeap};

 private:
  // REQUIRES (every private function): `lock` held.
  mspan* FindFree(size_t npages, size_t align_pages);
  mspan* Carve(mspan* s, size_t npages, size_t align_pages);
  bool Grow(size_t npages);
  mspan* NewFreeSpan(uintptr_t base, size_t npages, size_t resident);
  void Release(mspan* s);
  void ReleaseIdle(const mspan* keep_resident, uint64_t limit);  // point 4
  void InsertFree(mspan* s);  // coalesces, then lists
  void ListFree(mspan* s);
  void UnlistFree(mspan* s);
  void MapSpan(mspan* s);

  static size_t ListIndex(size_t npages) { return npages < kMaxPages ? npages : 0; }
  // Next non-empty exact list at or above n (0 if none), from the bitmap.
  size_t NextNonEmpty(size_t n) const;

  SpanList free_[kMaxPages];  // free_[n]: runs of exactly n pages; free_[0]: longer runs
  uint64_t nonempty_[kMaxPages / 64] = {};  // bit n: free_[n] is not empty
  FixAlloc<mspan> spanalloc_;
  uintptr_t hint_ = kFirstArenaHint;
  size_t retain_ = 16 << 20;
  Stats stats_{};
  Region regions_[kMaxRegions] = {};
  uint32_t nregions_ = 0;
  void AddRegion(uintptr_t base, uintptr_t limit);
};

extern PageMap g_pagemap GORT_HIDDEN;
extern mheap g_mheap GORT_HIDDEN;

}  // namespace gort::alloc
