// proc.h — procs: the owners of small spans, held by one thread at a time (Go's P).
//
// Why procs. A small span has exactly one owner for its whole life, a proc, and only the
// thread holding that proc takes objects from the span or puts them back on its free list,
// without a lock. A thread that frees an object of a span it does not own does not keep it:
// it sends it back to the owner (remote.h), in a block with the owner's other objects it
// freed. So an object is reused only by the thread that allocated it — a consumer's frees
// never turn into its own mallocs, and two threads' objects do not end up in one cache line
// (false sharing) by a free passing them from one thread to the other. A proc outlives its
// thread: at thread exit the proc, with its spans, its cached lists and the remote frees
// still to collect, goes on a free stack, and the next thread to start takes it over warm
// (LIFO). Threads that come and go thus neither map nor fault in memory, nor move spans
// around.
//
// How an object travels:
//  1. malloc pops the thread's list for its class (mcache.h). An empty list is refilled by
//     ProcRefill: first the proc's remote frees are collected (point 4), then objects are
//     cut from the proc's partial spans of the class — their xlists, their free lists, then
//     their never-used tails — and when there are none a new span comes from mheap and is
//     given this proc as owner (span.owner and the owner field of its page-map entries).
//  2. A free looks up the page's entry (owner << 8 | class) and XORs it with the thread's
//     tag (its proc's id << 8). Below 256 it is the class of an object this thread owns: the
//     object goes on the thread's list (mcache.h). A list that grows past its bound gives a
//     batch back to the objects' spans (ProcReturn); a span all of whose objects are back
//     goes to mheap, unless it is the last partial span of its class.
//  3. Otherwise the free is remote: the object goes into the thread's outbox block for its
//     owner, and full blocks go onto the owner's inbox (remote.h, points 1 and 2).
//  4. The owner collects in its slow paths (ProcRefill, ProcTrim): one exchange takes the
//     whole inbox; each object goes in front of its span's xlist, whose length and last
//     object the span keeps (a refill that wants the whole list takes it without reading
//     it), allocCount drops by one, and a span with no object out goes back to mheap at
//     once — its pages are then carved afresh in address order, which keeps a producer's
//     objects, and the remote frees of its consumers, packed in few spans and cache lines.
// Invariants, per small span s owned by proc p:
//   s.allocCount == objects in use + objects on thread lists of p + objects of s in outbox
//                   blocks and in p's inbox;
//   s.allocCount + |s.freelist| + |s.xlist| + (s.nelems - s.freeindex) == s.nelems;
//   s is on p.partial[s.cls] iff s.HasFree().
// Synchronisation: the inbox's pushes release, its exchange acquires (remote.h). A proc's
// other fields belong to its holder; holding is handed over under the registry's lock (rank
// kProcs: below every mcentral and mheap, since a holder draining a free proc gives spans
// back to mheap under it). Procs are never freed.
// Limitation: a thread that lives on but stops allocating keeps the remote frees sent to it
// uncollected until it allocates again or exits (mimalloc's too).
#pragma once

#include <atomic>
#include <cstdint>

#include "alloc/config.h"
#include "alloc/mcache.h"
#include "alloc/remote.h"
#include "alloc/span.h"

namespace gort::alloc {

struct proc {
  static constexpr uint32_t kMaxProcs = 1 << 16;  // ids 1..kMaxProcs-1; owner fits 24 bits

  uint32_t id = 0;
  std::atomic<RemoteBlock*> inbox{nullptr};  // remote frees to collect (remote.h)
  // The holder's (no lock):
  SpanList partial[kNumClasses];  // owned spans with a free object (freelist, xlist or tail)
  FreeList lists[kNumClasses];    // the thread cache's lists while no thread holds the proc
  uint64_t capacity = 0;          // mcache.capacity of those lists
  // The registry's (under its lock):
  proc* next_free = nullptr;
  uint64_t freed_pass = 0;  // the registry's trim pass in which the proc was last released
  bool held = false;

  const char* check() const;  // the invariants above; "" when they hold (check.h)
};

// The proc with this id (1..ids handed out so far).
proc* ProcById(uint32_t id) GORT_HIDDEN;
// Takes a free proc (the last released first) or makes a new one; then held by the caller.
proc* ProcAcquire() GORT_HIDDEN;
void ProcRelease(proc* p) GORT_HIDDEN;

// Up to n objects of class cls as a null-terminated chain in *head; how many (0: OOM).
// REQUIRES: the caller holds p; 1 <= n <= ClassBatch(cls); no allocator lock held.
uint32_t ProcRefill(proc* p, uint32_t cls, void** head, uint32_t n) GORT_HIDDEN;
// Gives back a null-terminated chain of n objects of class cls, all of spans p owns.
// REQUIRES: the caller holds p; no allocator lock held.
void ProcReturn(proc* p, uint32_t cls, void* head, uint32_t n) GORT_HIDDEN;
// Collects p's remote frees and gives every span with no object out back to mheap.
// REQUIRES: the caller holds p and has put its lists back (p->lists and its own are empty).
void ProcTrim(proc* p) GORT_HIDDEN;

// Drains the procs no thread holds (their lists, remote frees and empty spans); with
// idle_only, only those released before the previous such call.
void ProcTrimFree(bool idle_only) GORT_HIDDEN;

uint32_t ProcCount() GORT_HIDDEN;  // procs made so far
void ProcForkPrepare() GORT_HIDDEN;
void ProcForkParent() GORT_HIDDEN;
void ProcForkChild(proc* mine) GORT_HIDDEN;

}  // namespace gort::alloc
