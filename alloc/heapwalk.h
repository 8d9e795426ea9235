// heapwalk.h — every span of the heap, in address order: the heap walk (gort_heap_walk), the
// snapshot gort_get_stats sums, and the heap map file that `./gort heapmap` draws.
//
// How a walk goes:
//  1. Take the locks the span fields are guarded by (span.h): every mcentral lock in class
//     order, then the heap lock — lockrank.h's order, the one the fork handler uses. Under
//     them no span changes shape or state, except kLarge <-> kCached, which a thread cache
//     flips on its own span without a lock (mcache.h); the walk reads that byte once and
//     reports whichever it saw.
//  2. Start at a heap address range's base (mheap::Region). Spans tile each range, so the
//     span of the page at a span's limit starts there: read it from the page map, describe
//     it, jump to its limit. Arenas absent from the page map (a gap a full region table had
//     to cover) are skipped whole.
//  3. gort_heap_walk copies up to kBatch descriptions into a stack array, drops the locks,
//     calls the visitor for each, and takes the locks again to continue from the last limit.
//     If the heap changed meanwhile, that address may now lie inside a span: a span that
//     starts before it and covers it (its first page maps back to it) is skipped, so no page
//     is described twice; when the page map entry there is stale, the walk re-reads the range
//     from its base up to the address. gort_get_stats instead gathers every span under one
//     taking of the locks: one consistent snapshot.
//  4. The heap map (GORT_HEAPMAP=path): at exit, the walk is written to path as text, one
//     line per span; with GORT_HEAPMAP_SIGNAL=n each signal n writes path.1, path.2, ...
//     A signal may arrive on a thread that holds an allocator lock, so the handler only tries
//     each lock (try_lock, retrying a bounded number of times while another thread holds it)
//     and reports "busy" on stderr instead of waiting; at tier >= 2 it knows at once from the
//     thread's held-lock record. Nothing on these paths allocates: descriptions live on the
//     stack, the file is written through FdWriter.
//
// Invariants the walk relies on (mheap.h): every page of a region is in exactly one span;
// pagemap.Span(s->base) == s for every live span. Tests check the walk against mheap's own
// counters: spans' bytes sum to reserved, free runs to free_bytes and free_resident.
//
// Lock order: the walk takes mcentral[1..67] then mheap, nothing else; it calls no
// allocator entry point while holding them. The caller must hold no allocator lock.
#pragma once

#include <cstddef>
#include <cstdint>

#include "alloc/config.h"
#include "alloc/gort.h"

namespace gort::alloc {

// Every lock a walk needs, blocking, in lockrank.h's order (RAII).
class HeapLocks {
 public:
  HeapLocks();
  ~HeapLocks();
  HeapLocks(const HeapLocks&) = delete;
  HeapLocks& operator=(const HeapLocks&) = delete;
};

// The same without waiting on a lock this thread may hold (a signal handler); false, with no
// lock held, when one stayed taken.
bool TryLockHeap();
void UnlockHeap();

// REQUIRES: the walk's locks held. Describes up to n spans, the first being the first span
// that starts at or after `from` (point 3); *next is where to continue, 0 when the heap
// has no more spans.
size_t GatherSpans(uintptr_t from, gort_span_info* out, size_t n, uintptr_t* next);

// gort_heap_walk; with try_locks, as a signal handler must (-1 when the locks stayed busy).
int HeapWalk(gort_heap_visitor visit, void* arg, bool try_locks = false);

// Writes the heap map to an open file descriptor; false when a write failed or (try_locks)
// the locks stayed busy.
bool HeapmapWriteFd(int fd, bool try_locks);

// GORT_HEAPMAP and GORT_HEAPMAP_SIGNAL (start-up, under the init lock), and the map at exit.
void HeapmapInit();
void HeapmapAtExit();

}  // namespace gort::alloc
