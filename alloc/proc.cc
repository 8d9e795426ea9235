// proc.cc — see proc.h for the design.
#include "alloc/proc.h"

#include "alloc/check.h"
#include "alloc/fixalloc.h"
#include "alloc/freelink.h"
#include "alloc/lock.h"
#include "alloc/mheap.h"

namespace gort::alloc {

namespace {

// The registry. g_all[id] is written once, under g_lock, before the proc's id can appear in
// any span; readers of an id found in a span or a page-map entry need no lock.
constinit Lock g_lock{LockRank::kProcs};
constinit proc* g_all[proc::kMaxProcs] = {};
constinit uint32_t g_nprocs = 0;  // ids 1..g_nprocs handed out
constinit proc* g_free = nullptr;  // procs no thread holds, the last released on top
constinit uint64_t g_pass = 0;     // ProcTrimFree(idle_only) calls so far
FixAlloc<proc> g_records;

proc* NewProc() {
  GORT_ASSERT(g_lock.owned(), "NewProc: the registry lock is not held");
  if (g_nprocs + 1 >= proc::kMaxProcs) Fatal("more threads at once than gort has procs for");
  proc* p = g_records.New();
  p->id = ++g_nprocs;
  for (uint32_t k = 1; k < kNumClasses; k++) {
    p->lists[k] = EmptyList(k, ClassCacheInitial(k));
    p->capacity += uint64_t(ClassCacheInitial(k)) * kClassSize[k];
  }
  __atomic_store_n(&g_all[p->id], p, __ATOMIC_RELEASE);
  return p;
}

// A span s of p all of whose objects are back goes to mheap unless keep_one and it is the
// last partial span of its class.
void MaybeFreeSpan(proc* p, mspan* s, bool keep_one) {
  SpanList& l = p->partial[s->cls];
  if (s->allocCount != 0 || (keep_one && l.n <= 1)) return;
  l.Remove(s);
  s->onlist = false;
  s->owner = 0;
  g_mheap.FreeSpan(s);
}

inline void List(proc* p, mspan* s) {
  if (!s->onlist) {
    p->partial[s->cls].Push(s);
    s->onlist = true;
  }
}

// Point 4: every object on p's inbox goes back to its span. Objects are prefetched for
// writing kAhead places ahead of their link writes (remote.h, point 3).
void Collect(proc* p) {
  constexpr uint32_t kAhead = 8;
  RemoteBlock* b = p->inbox.exchange(nullptr, std::memory_order_acquire);
  while (b != nullptr) {
    RemoteBlock* next = b->next.load(std::memory_order_relaxed);
    const uint32_t n = b->n;
    GORT_ASSERT(b->owner == p->id && n >= 1 && n <= RemoteBlock::kObjects,
                "Collect: a block on the inbox is for another proc, or empty, or overfull");
    for (uint32_t i = 0; i < n && i < kAhead; i++) __builtin_prefetch(b->objs[i], 1);
    for (uint32_t i = 0; i < n; i++) {
      if (i + kAhead < n) __builtin_prefetch(b->objs[i + kAhead], 1);
      void* x = b->objs[i];
      mspan* s = g_pagemap.Span(reinterpret_cast<uintptr_t>(x));
      GORT_ASSERT(s != nullptr && s->owner == p->id && s->state == SpanState::kSmall &&
                      s->allocCount >= 1,
                  "Collect: a remote free is not of a small span of this proc with objects out");
      if (s->xlist == nullptr) {
        SetNext(x, nullptr);
        s->xlast = x;
      } else {
        SetNext(x, s->xlist);
      }
      s->xlist = x;
      s->xcount++;
      s->allocCount--;
      List(p, s);
      if (s->allocCount == 0) MaybeFreeSpan(p, s, /*keep_one=*/true);
    }
    RemoteDrop(b);
    b = next;
  }
}

// Moves up to want objects from the front of *list onto *chain; how many moved. Only the
// last object moved is written.
inline uint32_t TakePrefix(void** list, void** chain, uint32_t want) {
  void* first = *list;
  if (first == nullptr || want == 0) return 0;
  void* last = first;
  uint32_t k = 1;
  for (; k < want && GetNext(last) != nullptr; k++) last = GetNext(last);
  *list = GetNext(last);
  SetNext(last, *chain);
  *chain = first;
  return k;
}

// Moves up to want objects of s's xlist onto *chain; how many moved. A list that fits moves
// whole, through xlast and xcount: its objects are not read, and at most xlast is written.
inline uint32_t TakeXList(mspan* s, void** chain, uint32_t want) {
  const uint32_t n = s->xcount;
  if (n == 0 || want == 0) return 0;
  if (n > want) {
    s->xcount = n - want;
    return TakePrefix(&s->xlist, chain, want);
  }
  if (*chain != nullptr) SetNext(s->xlast, *chain);
  *chain = s->xlist;
  s->xlist = s->xlast = nullptr;
  s->xcount = 0;
  return n;
}

mspan* NewSpan(proc* p, uint32_t cls) {
  mspan* s = g_mheap.AllocSpan(kClassPages[cls], 1, SpanState::kSmall, uint8_t(cls));
  if (s == nullptr) return nullptr;
  s->nelems = ClassObjects(cls);
  s->freeindex = 0;
  s->freelist = nullptr;
  s->allocCount = 0;
  s->owner = p->id;
  s->xlist = s->xlast = nullptr;
  s->xcount = 0;
  for (size_t i = 0; i < s->npages; i++) g_pagemap.SetOwner(s->base + i * kPageSize, p->id);
  p->partial[cls].Push(s);
  s->onlist = true;
  return s;
}

}  // namespace

proc* ProcById(uint32_t id) {
  GORT_ASSERT(id >= 1 && id < proc::kMaxProcs, "ProcById: id out of range");
  return __atomic_load_n(&g_all[id], __ATOMIC_ACQUIRE);
}

proc* ProcAcquire() {
  GORT_ASSERT(!g_lock.owned(), "ProcAcquire: the caller holds the registry lock");
  LockGuard g(g_lock);
  proc* p = g_free;
  if (p != nullptr) {
    g_free = p->next_free;
    p->next_free = nullptr;
  } else {
    p = NewProc();
  }
  GORT_ASSERT(!p->held, "ProcAcquire: a proc on the free stack is held");
  p->held = true;
  return p;
}

void ProcRelease(proc* p) {
  GORT_ASSERT(p != nullptr && p->held, "ProcRelease: the proc is not held");
  GORT_ASSERT(!g_lock.owned(), "ProcRelease: the caller holds the registry lock");
  LockGuard g(g_lock);
  p->held = false;
  p->freed_pass = g_pass;
  p->next_free = g_free;
  g_free = p;
}

uint32_t ProcRefill(proc* p, uint32_t cls, void** head, uint32_t n) {
  GORT_ASSERT(p != nullptr && cls >= 1 && cls < kNumClasses && n >= 1 && n <= ClassBatch(cls),
              "ProcRefill: no proc, or class or count out of range");
  if (p->inbox.load(std::memory_order_relaxed) != nullptr) Collect(p);
  void* chain = nullptr;
  uint32_t got = 0;
  const uint32_t size = kClassSize[cls];
  SpanList& l = p->partial[cls];
  while (got < n) {
    mspan* s = l.first;
    if (s == nullptr && (s = NewSpan(p, cls)) == nullptr) break;
    uint32_t k = TakeXList(s, &chain, n - got);
    k += TakePrefix(&s->freelist, &chain, n - got - k);
    while (got + k < n && s->freeindex < s->nelems) {
      void* x = reinterpret_cast<void*>(s->base + uintptr_t(s->freeindex++) * size);
      SetNext(x, chain);
      chain = x;
      k++;
    }
    s->allocCount += k;
    got += k;
    if (!s->HasFree()) {
      l.Remove(s);
      s->onlist = false;
    }
  }
  *head = chain;
  return got;
}

void ProcReturn(proc* p, uint32_t cls, void* head, uint32_t n) {
  GORT_ASSERT(p != nullptr && head != nullptr && n >= 1, "ProcReturn: no proc or no objects");
  for (uint32_t i = 0; i < n; i++) {
    void* x = head;
    head = GetNext(x);
    mspan* s = g_pagemap.Span(reinterpret_cast<uintptr_t>(x));
    GORT_ASSERT(s != nullptr && s->state == SpanState::kSmall && s->cls == cls &&
                    s->owner == p->id,
                "ProcReturn: an object of another class, or of a span another proc owns");
    SetNext(x, s->freelist);
    s->freelist = x;
    s->allocCount--;
    List(p, s);
    if (s->allocCount == 0) MaybeFreeSpan(p, s, /*keep_one=*/true);
  }
}

void ProcTrim(proc* p) {
  if (p->inbox.load(std::memory_order_relaxed) != nullptr) Collect(p);
  for (uint32_t k = 1; k < kNumClasses; k++) {
    for (mspan* s = p->partial[k].first; s != nullptr;) {
      mspan* next = s->next;
      MaybeFreeSpan(p, s, /*keep_one=*/false);
      s = next;
    }
  }
}

void ProcTrimFree(bool idle_only) {
  GORT_ASSERT(!g_lock.owned(), "ProcTrimFree: the caller holds the registry lock");
  LockGuard g(g_lock);
  for (proc* p = g_free; p != nullptr; p = p->next_free) {
    if (idle_only && p->freed_pass == g_pass) continue;
    for (uint32_t k = 1; k < kNumClasses; k++) {
      FreeList& l = p->lists[k];
      const uint32_t n = l.max - l.room;
      if (n == 0) continue;
      ProcReturn(p, k, l.head, n);
      l.head = nullptr;
      l.room = l.max;
    }
    ProcTrim(p);
  }
  if (idle_only) g_pass++;
}

uint32_t ProcCount() {
  LockGuard g(g_lock);
  return g_nprocs;
}

void ProcForkPrepare() { g_lock.lock(); }
void ProcForkParent() { g_lock.unlock(); }

// In the child only the forking thread lives. A proc another thread held may have been in
// the middle of an update: it is abandoned, with its spans (a bounded leak, like the objects
// in those threads' caches). Free procs and the forking thread's stay.
void ProcForkChild(proc* mine) {
  g_lock.ResetInChild();
  for (uint32_t id = 1; id <= g_nprocs; id++) {
    proc* p = g_all[id];
    if (p->held && p != mine) p->next_free = nullptr;  // stays held: never handed out again
  }
}

const char* proc::check() const {
  for (uint32_t k = 1; k < kNumClasses; k++) {
    for (mspan* s = partial[k].first; s != nullptr; s = s->next) {
      if (s->state != SpanState::kSmall || s->cls != k || s->owner != id)
        return "proc: a span on partial[c] is not a small span of class c this proc owns";
      if (!s->onlist || !s->HasFree()) return "proc: a span on partial is not onlist or has no free object";
      if (const char* e = s->check(); *e != '\0') return e;
    }
  }
  return "";
}

}  // namespace gort::alloc
