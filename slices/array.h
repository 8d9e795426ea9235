// array.h — the backing array of gort::slice: its header, its memory and its reference count.
//
// Go's garbage collector keeps a slice's array alive while any slice points into it. gort
// counts references instead, and the count must be cheap: `s = gort::append(s, v)` copies a
// slice and destroys one, so every append pays an increment and a decrement. With one
// atomic count that pair costs two locked read-modify-write instructions on an append
// that is otherwise a store. The count here is biased towards the thread that made the
// array (biased reference counting, Choi et al., PACT 2018; the scheme of free-threaded
// CPython, PEP 703):
//
//   - owner:  the serial of the thread that allocated the array (immutable).
//   - local:  references counted by the owner thread, plain loads and stores — only the
//             owner thread ever touches it. Inlined, an increment followed by a decrement of
//             the same array folds away in the compiler.
//   - word:   references counted by every other thread, atomic: (count << 2) | flags. The
//             count may go negative: a reference counted in local can be dropped by
//             another thread (a slice copied on the owner thread, then handed over).
//
// Invariant: live references = local + count(word) while the array is not MERGED, and
// count(word) once it is. MERGED means the owner has folded local into word and will not
// use local again (local == 0); from then on every thread counts atomically.
//
// How a reference is dropped:
//   1. Owner thread, local > 1: local-- (the fast path, inline).
//   2. Owner thread, local == 1: local = 0, set MERGED; if count(word) was 0 the array is
//      dead and is freed. Otherwise the other threads free it when count reaches 0.
//   3. Another thread: count-- (CAS). If the array is MERGED and the count reaches 0, free it.
//      If it is not MERGED and the count goes negative, only the owner can tell whether the
//      total is 0: the array is marked QUEUED and pushed on the merge queue.
//   4. The merge queue is drained by its owners: a thread drains whenever it allocates an
//      array, drops its last local reference, or exits. Draining an own entry folds local
//      into word (MERGED, QUEUED cleared) and frees the array if that makes 0. An entry that
//      is already MERGED (its owner exited) is settled by whichever thread drains it.
//   5. A thread's exit merges every array it still owns (each thread keeps its arrays on
//      an intrusive list), so no array ever waits for a thread that is gone. The runtime's
//      thread registry (alloc/thread.h) gives the serials and runs this at exit (layer
//      kLayerSlices, above the thread cache, which then takes back what was freed).
// Cost of the scheme: an array whose last reference is dropped by a non-owner thread, while
// the owner still counts references that went elsewhere, is freed when the owner next
// allocates, drops a last reference or exits — not at once. QUEUED guarantees at most one
// queue entry per array and that nothing frees an array while an entry points to it.
//
// Synchronisation contract:
//   owner, cap               written once before the array is published; read by all
//                            (cap is rewritten by growth in place, on a unique array).
//   tail                     atomic; see "Lazy zeroing" below.
//   local, prev, next        the owner thread only, and only while the array is not MERGED.
//   word                     atomic; decrements are acq_rel so element writes made before
//                            dropping a reference happen before the free (or a realloc).
//   qnext                    written by the pusher before the release-CAS that publishes
//                            the entry; read by the drainer after its acquire-exchange.
//
// Unique ownership (for growth in place with realloc): the owner thread with local == 1 and
// word == 0, or any thread when word == one reference | MERGED. Nobody else can then hold
// or take a reference, so moving the block is invisible.
//
// Lazy zeroing (elements whose zero value is all-zero bytes, slice.h's kTrivial): growth
// leaves the new tail of a block unwritten instead of zeroing it, and marks the array DIRTY
// in tail. Only a unique array is marked, so exactly one slice (the holder) refers to it,
// and while it stays marked nothing past the holder's data + len has been written since
// the growth that the holder can ever see: appends write at len and raise it; everything
// that could lower len, move the window, show an element past len or make a second
// reference first settles the tail (slice.h, ops::SettleTail, lists the points):
// SettleTail zeroes [holder's data + len, block end) and clears the mark. DIRTY therefore
// implies unique. Several threads may settle at once (copies of one const slice): one
// wins DIRTY -> BUSY, zeroes and releases CLEAN; the others wait for CLEAN (acquire), so
// no copy can see the tail before its zeros.
//   tail: kTailClean / kTailDirty / kTailBusy, or for elements that are not trivially
//   destructible (never marked) the address of the function that destroys them.
//   kTailPending marks no real array: only the stand-in header that a pending append
//   result points to (slice.h), so that the test every copy already makes finds it.
//
// Memory: one block, the 64-byte header then the elements, from the runtime's allocator
// (alloc/runtime.h: gort's heap, where large blocks grow by remapping pages; the C library's
// in the sanitize build, so ASan sees every access).
//
// Where the state lives: the merge queue, the count of live arrays and each thread's list of
// owned arrays are in array.cc, compiled once, and serials come from the runtime's registry,
// so every shared object of a process that links the same runtime sees one of each. Only
// what the inline paths need is here: the array header, the owner test, the tail marks.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <type_traits>

#include "alloc/runtime.h"

// GORT_SLICES_STATS=1 (the tests) counts this thread's reference operations, arrays made
// and blocks regrown, so a test can prove that a code path does none of them.
#ifndef GORT_SLICES_STATS
#define GORT_SLICES_STATS 0
#endif

namespace gort::slices::rt {

struct ref_stats {
  int64_t retains = 0, releases = 0, arrays = 0, regrows = 0;
};
inline constinit thread_local ref_stats tls_stats{};
#define GORT_SLICES_COUNT(field)                       \
  do {                                                 \
    if constexpr (GORT_SLICES_STATS) ::gort::slices::rt::tls_stats.field++; \
  } while (0)

struct array {
  uint64_t owner;               // thread serial of the owner; kNoOwner if born shared
  int64_t local;                // owner-thread references (owner thread only)
  std::atomic<int64_t> word;    // (other-thread count << 2) | kMerged | kQueued
  array* prev;                  // the owner's list of its arrays (owner thread only)
  array* next;
  array* qnext;                 // next entry on the merge queue
  size_t cap;                   // elements in the block, all constructed (but a DIRTY tail)
  std::atomic<uintptr_t> tail;  // kTail* (lazy zeroing), or the destroy function (> kTailBusy)
};
static_assert(sizeof(array) == 64);

inline constexpr uint64_t kNoOwner = ~uint64_t{0};
inline constexpr int64_t kMerged = 1, kQueued = 2, kOne = 4;
inline constexpr uintptr_t kTailClean = 0, kTailDirty = 1, kTailBusy = 2;
// Never on a real array: the mark of the stand-in header of a pending append result
// (slice.h, "Results of append on an lvalue").
inline constexpr uintptr_t kTailPending = 3;

constexpr int64_t Count(int64_t word) { return word >> 2; }

// Where the elements start: after the header, at T's alignment.
constexpr size_t ElementOffset(size_t align) { return align > sizeof(array) ? align : sizeof(array); }

// (Computed on the address: the elements lie past the header object, inside the block.)
template <class T>
GORT_INLINE T* Elements(array* a) {
  return reinterpret_cast<T*>(reinterpret_cast<uintptr_t>(a) + ElementOffset(alignof(T)));
}

// ---- the owner test ------------------------------------------------------------------------

// The calling thread's serial, for the owner tests below. It reads 0 on a thread that never
// made an array (it owns none) and on one that has exited; owners are >= 1 or kNoOwner, so
// 0 matches no array.
GORT_INLINE uint64_t Tid() { return ::gort::alloc::tl_serial; }

inline bool Linked(const array* a) { return a->owner == Tid() && a->local > 0; }

// ---- out of line (array.cc) ----------------------------------------------------------------

// A block for cap elements of elem_size bytes, with one reference held by the caller, linked
// on this thread's list (or born shared on an exiting thread). The elements are not
// constructed (zeroed when zero is set); the caller sets the destroy function (SetDestroy)
// once they are. Drains the merge queue first. Throws std::bad_alloc.
GORT_RUNTIME_API array* AllocArray(size_t cap, size_t elem_size, size_t align, bool zero);
// Gives up a block from AllocArray whose elements could not be constructed.
GORT_RUNTIME_API void AbandonArray(array* a);
// Grows a uniquely owned block of trivially copyable elements to cap, moving it if it must.
// The new elements are not initialised. Throws std::bad_alloc.
GORT_RUNTIME_API array* ReallocArray(array* a, size_t cap, size_t elem_size, size_t align);
// Drops a reference that the fast path of Release could not (steps 2 and 3).
GORT_RUNTIME_API void ReleaseSlow(array* a);
// Settles the merge queue now (step 4).
GORT_RUNTIME_API void Drain();
// Arrays allocated and not freed, in the whole process.
GORT_RUNTIME_API int64_t LiveArrays();

// ---- the count -----------------------------------------------------------------------------

GORT_INLINE void Retain(array* a) {
  GORT_SLICES_COUNT(retains);
  if (a->owner == Tid() && a->local > 0) [[likely]] {
    a->local++;
    return;
  }
  a->word.fetch_add(kOne, std::memory_order_relaxed);  // any other thread (or after a merge)
}

GORT_INLINE void Release(array* a) {
  GORT_SLICES_COUNT(releases);
  if (a->owner == Tid() && a->local > 1) [[likely]] {
    a->local--;
    return;
  }
  ReleaseSlow(a);
}

// True when a is counted in this thread's local count (the owner, before a merge).
GORT_INLINE bool OwnedHere(const array* a) { return a->owner == Tid() && a->local > 0; }

// True when the caller's reference is the only one (see "Unique ownership" above).
GORT_INLINE bool Unique(array* a) {
  if (a->owner == Tid() && a->local == 1) return a->word.load(std::memory_order_acquire) == 0;
  return a->word.load(std::memory_order_acquire) == (kOne | kMerged);
}

// ---- allocation ----------------------------------------------------------------------------

[[gnu::noinline]] inline array* NewArray(size_t cap, size_t elem_size, size_t align, bool zero) {
  GORT_SLICES_COUNT(arrays);
  return AllocArray(cap, elem_size, align, zero);
}

[[gnu::noinline]] inline array* Regrow(array* a, size_t cap, size_t elem_size, size_t align) {
  GORT_SLICES_COUNT(regrows);
  return ReallocArray(a, cap, elem_size, align);
}

template <class T>
void DestroyElements(array* a) {
  std::destroy_n(Elements<T>(a), a->cap);
}

inline void SetDestroy(array* a, void (*destroy)(array*)) {
  a->tail.store(reinterpret_cast<uintptr_t>(destroy), std::memory_order_relaxed);
}

// The stand-in header of a pending append result (slice.h): counted by nobody (local 0 and
// word 0: no thread's owner test or uniqueness test passes), marked kTailPending; qnext names the array whose block the
// result reads, and prev holds that array's one reference when append made it (growth by
// copy: the result owns it until something takes it). One per growth of an lvalue append,
// dropped with the result slot at the end of the same expression, on the same thread: each
// thread keeps a few in thread-local storage (array.cc) and takes the heap only when more
// results than that are pending at once.
GORT_RUNTIME_API array* NewStandIn(array* real, bool owned);
GORT_RUNTIME_API void DropStandIn(array* h);

// ---- lazy zeroing --------------------------------------------------------------------------

// Growth left the tail unwritten (the caller holds the only reference to a).
GORT_INLINE void MarkDirty(array* a) { a->tail.store(kTailDirty, std::memory_order_relaxed); }

// Acquire: a thread that finds the tail CLEAN sees the zeros of the thread that settled it.
GORT_INLINE bool Dirty(const array* a) {
  return a->tail.load(std::memory_order_acquire) == kTailDirty;
}

// Zeroes [from, end) — the holder's data + len to the block's end — once, and clears the mark;
// a thread that loses the race waits until the winner is done.
[[gnu::noinline]] inline void SettleTail(array* a, void* from, void* end) {
  uintptr_t t = kTailDirty;
  if (a->tail.compare_exchange_strong(t, kTailBusy, std::memory_order_acquire,
                                      std::memory_order_acquire)) {
    std::memset(from, 0, static_cast<char*>(end) - static_cast<char*>(from));
    a->tail.store(kTailClean, std::memory_order_release);
    return;
  }
  while (a->tail.load(std::memory_order_acquire) == kTailBusy) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }
}

}  // namespace gort::slices::rt
