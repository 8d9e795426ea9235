// array.h — the backing array of gort::slice: its header, its memory and its reference count.
//
// Go's garbage collector keeps a slice's array alive while any slice points into it. gort
// counts references instead, and the count must be cheap: `s = gort::append(s, v)` copies a
// slice and destroys one, so every append pays an increment and a decrement. With one
// atomic count that pair costs several nanoseconds (two locked instructions) on an append
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
//      an intrusive list), so no array ever waits for a thread that is gone.
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
//
// Memory: one block, the 64-byte header then the elements; gort's allocator (gort_malloc,
// gort_realloc — large blocks move by remapping pages), or the C library's when
// GORT_SLICES_SYSTEM_MALLOC is 1 (always in the sanitize build, so ASan sees every access).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <type_traits>

#include "alloc/config.h"

#if defined(GORT_SANITIZE) && GORT_SANITIZE
#undef GORT_SLICES_SYSTEM_MALLOC
#define GORT_SLICES_SYSTEM_MALLOC 1
#endif
#ifndef GORT_SLICES_SYSTEM_MALLOC
#define GORT_SLICES_SYSTEM_MALLOC 0
#endif
#if !GORT_SLICES_SYSTEM_MALLOC
#include "alloc/gort.h"
#endif

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

constexpr int64_t Count(int64_t word) { return word >> 2; }

// Where the elements start: after the header, at T's alignment.
constexpr size_t ElementOffset(size_t align) { return align > sizeof(array) ? align : sizeof(array); }

// (Computed on the address: the elements lie past the header object, inside the block.)
template <class T>
GORT_INLINE T* Elements(array* a) {
  return reinterpret_cast<T*>(reinterpret_cast<uintptr_t>(a) + ElementOffset(alignof(T)));
}

// ---- per-thread state ----------------------------------------------------------------------

// This thread's serial (0 until it allocates its first array, and again once it exited).
// Serials are never reused, so a stale owner can never match a live thread.
inline constinit thread_local uint64_t tls_tid __attribute__((tls_model("initial-exec"))) = 0;
inline constinit thread_local bool tls_exited __attribute__((tls_model("initial-exec"))) = false;
inline constinit std::atomic<uint64_t> g_next_tid{1};
inline constinit std::atomic<array*> g_queue{nullptr};  // the merge queue (a Treiber stack)
inline constinit std::atomic<int64_t> g_live{0};        // arrays allocated and not freed

inline void ThreadExit();

struct registry {  // the arrays this thread owns and has not merged
  array* head = nullptr;
  ~registry() { ThreadExit(); }
};

inline registry& Registry() {
  thread_local registry r;
  return r;
}

// ---- memory --------------------------------------------------------------------------------

inline void* RawAlloc(size_t bytes, size_t align, bool zero) {
#if GORT_SLICES_SYSTEM_MALLOC
  if (align <= 16) return zero ? std::calloc(1, bytes) : std::malloc(bytes);
  void* p = nullptr;
  if (posix_memalign(&p, align, bytes) != 0) return nullptr;
#else
  if (align <= 16) return zero ? gort_calloc(1, bytes) : gort_malloc(bytes);
  void* p = gort_memalign(align, bytes);
#endif
  if (p && zero) std::memset(p, 0, bytes);
  return p;
}

inline void* RawRealloc(void* p, size_t bytes) {
#if GORT_SLICES_SYSTEM_MALLOC
  return std::realloc(p, bytes);
#else
  return gort_realloc(p, bytes);
#endif
}

inline void RawFree(void* p) {
#if GORT_SLICES_SYSTEM_MALLOC
  std::free(p);
#else
  gort_free(p);
#endif
}

// ---- the owner's list ----------------------------------------------------------------------

inline bool Linked(const array* a) { return a->owner == tls_tid && a->local > 0; }

inline void Link(array* a) {
  registry& r = Registry();
  a->prev = nullptr;
  a->next = r.head;
  if (r.head) r.head->prev = a;
  r.head = a;
}

inline void Unlink(array* a) {
  if (a->prev) a->prev->next = a->next;
  else Registry().head = a->next;
  if (a->next) a->next->prev = a->prev;
}

// After realloc moved a linked block: point the neighbours at the new address.
inline void Relink(array* a) {
  if (a->prev) a->prev->next = a;
  else Registry().head = a;
  if (a->next) a->next->prev = a;
}

// ---- freeing and merging -------------------------------------------------------------------

[[gnu::noinline]] inline void FreeArray(array* a) {
  uintptr_t t = a->tail.load(std::memory_order_relaxed);
  if (t > kTailBusy) reinterpret_cast<void (*)(array*)>(t)(a);
  g_live.fetch_sub(1, std::memory_order_relaxed);
  RawFree(a);
}

// The owner folds its local references into word (steps 4 and 5). With clear_queued the
// caller holds the queue entry, which dies here.
inline void MergeOwned(array* a, bool clear_queued) {
  int64_t l = a->local;
  a->local = 0;
  Unlink(a);
  int64_t old = a->word.load(std::memory_order_relaxed), nw;
  do {
    nw = (old + l * kOne) | kMerged;
    if (clear_queued) nw &= ~kQueued;
  } while (!a->word.compare_exchange_weak(old, nw, std::memory_order_acq_rel,
                                          std::memory_order_relaxed));
  if (Count(nw) == 0 && !(nw & kQueued)) FreeArray(a);
}

// One queue entry: true when it was handled (and is off the queue), false to keep it.
inline bool Settle(array* a) {
  int64_t old = a->word.load(std::memory_order_acquire);
  if (!(old & kMerged)) {
    if (a->owner != tls_tid) return false;  // another live thread's: only it can merge
    MergeOwned(a, true);
    return true;
  }
  for (;;) {  // merged by its owner (its exit or last release) while queued: settle here
    if (Count(old) == 0) {
      FreeArray(a);
      return true;
    }
    if (a->word.compare_exchange_weak(old, old & ~kQueued, std::memory_order_acq_rel,
                                      std::memory_order_acquire))
      return true;
  }
}

inline void Enqueue(array* a) {
  array* head = g_queue.load(std::memory_order_relaxed);
  do a->qnext = head;
  while (!g_queue.compare_exchange_weak(head, a, std::memory_order_release,
                                        std::memory_order_relaxed));
}

[[gnu::noinline]] inline void Drain() {
  array* list = g_queue.exchange(nullptr, std::memory_order_acquire);
  array* keep = nullptr;
  while (list) {
    array* a = list;
    list = a->qnext;
    if (!Settle(a)) {
      a->qnext = keep;
      keep = a;
    }
  }
  while (keep) {
    array* a = keep;
    keep = a->qnext;
    Enqueue(a);
  }
}

GORT_INLINE void DrainIfPending() {
  if (g_queue.load(std::memory_order_relaxed) != nullptr) [[unlikely]] Drain();
}

inline void ThreadExit() {
  tls_exited = true;
  Drain();
  registry& r = Registry();
  while (r.head) MergeOwned(r.head, false);
  tls_tid = 0;
}

// ---- the count -----------------------------------------------------------------------------

// Step 2: the owner drops its last local reference.
inline void OwnerLastRelease(array* a) {
  a->local = 0;
  Unlink(a);
  int64_t old = a->word.fetch_or(kMerged, std::memory_order_acq_rel);
  if (Count(old) == 0 && !(old & kQueued)) FreeArray(a);
  DrainIfPending();
}

// Step 3: any other thread (or the owner after a merge).
inline void SharedRelease(array* a) {
  int64_t old = a->word.load(std::memory_order_relaxed);
  for (;;) {
    int64_t nw = old - kOne;
    bool queue = !(old & (kMerged | kQueued)) && Count(nw) < 0;
    if (queue) nw |= kQueued;
    if (a->word.compare_exchange_weak(old, nw, std::memory_order_acq_rel,
                                      std::memory_order_relaxed)) {
      if (queue) Enqueue(a);
      else if ((old & kMerged) && !(old & kQueued) && Count(nw) == 0) FreeArray(a);
      return;
    }
  }
}

[[gnu::noinline]] inline void ReleaseSlow(array* a) {
  if (a->owner == tls_tid && a->local == 1) OwnerLastRelease(a);
  else SharedRelease(a);
}

GORT_INLINE void Retain(array* a) {
  GORT_SLICES_COUNT(retains);
  if (a->owner == tls_tid && a->local > 0) [[likely]] {
    a->local++;
    return;
  }
  a->word.fetch_add(kOne, std::memory_order_relaxed);  // any other thread (or after a merge)
}

GORT_INLINE void Release(array* a) {
  GORT_SLICES_COUNT(releases);
  if (a->owner == tls_tid && a->local > 1) [[likely]] {
    a->local--;
    return;
  }
  ReleaseSlow(a);
}

// True when a is counted in this thread's local count (the owner, before a merge).
GORT_INLINE bool OwnedHere(const array* a) { return a->owner == tls_tid && a->local > 0; }

// True when the caller's reference is the only one (see "Unique ownership" above).
GORT_INLINE bool Unique(array* a) {
  if (a->owner == tls_tid && a->local == 1) return a->word.load(std::memory_order_acquire) == 0;
  return a->word.load(std::memory_order_acquire) == (kOne | kMerged);
}

// ---- allocation ----------------------------------------------------------------------------

[[gnu::noinline]] inline uint64_t AssignTid() {
  if (tls_exited) return 0;
  Registry();  // constructed now, so its destructor runs at this thread's exit
  tls_tid = g_next_tid.fetch_add(1, std::memory_order_relaxed);
  return tls_tid;
}

// A block for cap elements of elem_size bytes, with one reference held by the caller. The
// elements are not constructed (zeroed when zero is set); the caller sets the destroy
// function (SetDestroy) once they are. Throws std::bad_alloc.
[[gnu::noinline]] inline array* NewArray(size_t cap, size_t elem_size, size_t align, bool zero) {
  DrainIfPending();
  GORT_SLICES_COUNT(arrays);
  void* p = RawAlloc(ElementOffset(align) + cap * elem_size, align, zero);
  if (!p) throw std::bad_alloc();
  array* a = ::new (p) array{0, 0, {0}, nullptr, nullptr, nullptr, cap, {kTailClean}};
  uint64_t tid = tls_tid ? tls_tid : AssignTid();
  if (tid != 0) {
    a->owner = tid;
    a->local = 1;
    Link(a);
  } else {  // the thread is exiting: born shared, counted atomically
    a->owner = kNoOwner;
    a->word.store(kOne | kMerged, std::memory_order_relaxed);
  }
  g_live.fetch_add(1, std::memory_order_relaxed);
  return a;
}

// Gives up a block from NewArray whose elements could not be constructed.
inline void AbandonArray(array* a) {
  if (Linked(a)) Unlink(a);
  g_live.fetch_sub(1, std::memory_order_relaxed);
  RawFree(a);
}

// Grows a uniquely owned block of trivially copyable elements to cap, moving it if it must
// (gort_realloc remaps the pages of large blocks). The new elements are not initialised.
[[gnu::noinline]] inline array* Regrow(array* a, size_t cap, size_t elem_size, size_t align) {
  GORT_SLICES_COUNT(regrows);
  bool linked = Linked(a);
  auto* b = static_cast<array*>(RawRealloc(a, ElementOffset(align) + cap * elem_size));
  if (!b) throw std::bad_alloc();
  b->cap = cap;
  if (linked && b != a) Relink(b);
  return b;
}

template <class T>
void DestroyElements(array* a) {
  std::destroy_n(Elements<T>(a), a->cap);
}

inline void SetDestroy(array* a, void (*destroy)(array*)) {
  a->tail.store(reinterpret_cast<uintptr_t>(destroy), std::memory_order_relaxed);
}

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
