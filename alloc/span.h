// span.h — mspan: a run of pages, and the objects of one size class carved from it.
//
// A span is in exactly one of four states:
//   kFree   a run of free pages owned by mheap, on one of its free lists;
//   kSmall  cut into objects of class cls; owned for its whole life by one proc (proc.h), on
//           that proc's partial list for the class while it has free objects;
//   kLarge  one object over 32 KiB (or an aligned request no class fits);
//   kCached a freed large span parked in a thread cache for reuse (mcache.h).
//
// Objects of a small span come from two places: `freelist`, the objects given back, linked
// through their first word, and the never-used tail [freeindex, nelems), carved lazily so
// fresh pages are not touched before they are needed. Invariant of a small span:
//   allocCount + |freelist| + |xlist| + (nelems - freeindex) == nelems
// Remote frees (objects freed by a thread that does not hold the owning proc) come back to
// the owner in blocks (remote.h) and go on `xlist`, a second free list; until the owner has
// them they count in allocCount. The owner keeps xlist's length and last object, so a refill
// that wants the whole list takes it without walking it: remote frees are lines another core
// wrote, and a walk would miss on each in turn.
// Fields are written by their owner: mheap under its lock for kFree/kLarge, the holder of the
// owning proc for kSmall (no lock: one thread holds a proc at a time). `state`, `cls`, `base`,
// `npages`, `owner` do not change while an object of the span is live, so the free path may
// read them without a lock (a remote free reads the owner from the page map instead).
#pragma once

#include <cstddef>
#include <cstdint>

#include "alloc/sizeclasses.h"

namespace gort::alloc {

enum class SpanState : uint8_t { kFree = 0, kSmall = 1, kLarge = 2, kCached = 3 };

struct mspan {
  uintptr_t base = 0;    // address of the first page
  size_t npages = 0;     // length in pages
  mspan* next = nullptr; // list links: mheap free list or the owning proc's partial list
  mspan* prev = nullptr;
  void* freelist = nullptr;   // small: objects freed back to the span
  void* xlist = nullptr;      // small: remote frees collected by the owner
  void* xlast = nullptr;      // small: the last object of xlist (null when xlist is)
  uint32_t freeindex = 0;     // small: next never-used object
  uint32_t nelems = 0;        // small: objects in the span
  uint32_t allocCount = 0;    // small: objects out (in caches or in use)
  uint32_t xcount = 0;        // small: |xlist|
  uint8_t cls = 0;
  SpanState state = SpanState::kFree;
  bool onlist = false;        // small: on the owning proc's partial list
  uint32_t owner = 0;         // small: the id of the proc that owns the span (proc.h)
  bool zeroed = false;        // every byte is known zero (fresh or released pages)
  bool remapped = false;      // large: holds pages moved by mremap (realloc); released on free
  size_t resident = 0;        // free: bytes not yet returned to the OS (<= bytes())
  // free: a range of the span that holds every resident page, [res_lo, res_hi), with
  // resident <= res_hi - res_lo; empty (0, 0) when resident is 0. Pages are not tracked one
  // by one: the range is exact for a run freed whole, and the hull of the parts for merged
  // runs. mheap::Carve takes an allocation from it, so that a freed run is used again.
  uintptr_t res_lo = 0, res_hi = 0;
  size_t reqsize = 0;         // large: bytes requested (for realloc decisions)
  uint64_t free_ms = 0;       // free with resident pages: when they were last freed (NowMs)
  uint32_t profile = 0;       // large: a sampled allocation's stack record + 1 (profile.h)
  size_t profile_size = 0;    // large, sampled: the bytes the sample was taken for

  uintptr_t limit() const { return base + npages * kPageSize; }
  size_t bytes() const { return npages * kPageSize; }
  uint32_t ObjSize() const { return kClassSize[cls]; }
  bool HasFree() const { return freelist != nullptr || xlist != nullptr || freeindex < nelems; }
  const char* check() const;  // the invariants above; "" when they hold (check.h)
};

// An intrusive doubly linked list of spans.
struct SpanList {
  mspan* first = nullptr;
  size_t n = 0;
  bool empty() const { return first == nullptr; }
  void Push(mspan* s) {
    s->prev = nullptr;
    s->next = first;
    if (first != nullptr) first->prev = s;
    first = s;
    n++;
  }
  void Remove(mspan* s) {
    if (s->prev != nullptr) s->prev->next = s->next; else first = s->next;
    if (s->next != nullptr) s->next->prev = s->prev;
    s->next = s->prev = nullptr;
    n--;
  }
};

}  // namespace gort::alloc
