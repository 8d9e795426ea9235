// array.cc — the slices' shared state and slow paths: the merge queue, each thread's list of
// owned arrays, the count of live arrays, and the thread-exit hook (array.h, steps 2-5).
#include "slices/array.h"

namespace gort::slices::rt {

namespace {

constinit std::atomic<array*> g_queue{nullptr};  // the merge queue (a Treiber stack)
constinit std::atomic<int64_t> g_live{0};        // arrays allocated and not freed
// The arrays this thread owns and has not merged (an intrusive list through prev/next).
constinit thread_local array* tl_owned __attribute__((tls_model("initial-exec"))) = nullptr;

// Stand-ins of pending append results (array.h): kStandIns per thread, a bit each in use.
constexpr int kStandIns = 8;
constinit thread_local array tl_stand_ins[kStandIns] __attribute__((tls_model("initial-exec"))) = {};
constinit thread_local uint32_t tl_stand_ins_used __attribute__((tls_model("initial-exec"))) = 0;

// ---- the owner's list ----------------------------------------------------------------------

void Link(array* a) {
  a->prev = nullptr;
  a->next = tl_owned;
  if (tl_owned) tl_owned->prev = a;
  tl_owned = a;
}

void Unlink(array* a) {
  if (a->prev) a->prev->next = a->next;
  else tl_owned = a->next;
  if (a->next) a->next->prev = a->prev;
}

// After realloc moved a linked block: point the neighbours at the new address.
void Relink(array* a) {
  if (a->prev) a->prev->next = a;
  else tl_owned = a;
  if (a->next) a->next->prev = a;
}

// ---- freeing and merging -------------------------------------------------------------------

void FreeArray(array* a) {
  uintptr_t t = a->tail.load(std::memory_order_relaxed);
  if (t > kTailBusy) reinterpret_cast<void (*)(array*)>(t)(a);
  g_live.fetch_sub(1, std::memory_order_relaxed);
  runtime::deallocate(a);
}

// The owner folds its local references into word (steps 4 and 5). With clear_queued the
// caller holds the queue entry, which dies here.
void MergeOwned(array* a, bool clear_queued) {
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
bool Settle(array* a) {
  int64_t old = a->word.load(std::memory_order_acquire);
  if (!(old & kMerged)) {
    if (a->owner != Tid()) return false;  // another live thread's: only it can merge
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

void Enqueue(array* a) {
  array* head = g_queue.load(std::memory_order_relaxed);
  do a->qnext = head;
  while (!g_queue.compare_exchange_weak(head, a, std::memory_order_release,
                                        std::memory_order_relaxed));
}

GORT_INLINE void DrainIfPending() {
  if (g_queue.load(std::memory_order_relaxed) != nullptr) [[unlikely]] Drain();
}

// Step 2: the owner drops its last local reference.
void OwnerLastRelease(array* a) {
  a->local = 0;
  Unlink(a);
  int64_t old = a->word.fetch_or(kMerged, std::memory_order_acq_rel);
  if (Count(old) == 0 && !(old & kQueued)) FreeArray(a);
  DrainIfPending();
}

// Step 3: any other thread (or the owner after a merge).
void SharedRelease(array* a) {
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

// Step 5, the registry's exit hook: the thread's serial is still readable here.
void OnThreadExit() {
  Drain();
  while (tl_owned) MergeOwned(tl_owned, false);
}

// The child of a fork keeps the forking thread's arrays; arrays owned by the parent's other
// threads are never merged there (a bounded leak, as the thread caches' objects).
constexpr alloc::ThreadHooks kHooks = {OnThreadExit, nullptr, nullptr, nullptr};

__attribute__((constructor)) void InstallHooks() {
  alloc::SetThreadHooks(alloc::kLayerSlices, &kHooks);
}

}  // namespace

void Drain() {
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

void ReleaseSlow(array* a) {
  if (a->owner == Tid() && a->local == 1) OwnerLastRelease(a);
  else SharedRelease(a);
}

array* AllocArray(size_t cap, size_t elem_size, size_t align, bool zero) {
  DrainIfPending();
  void* p = runtime::allocate(ElementOffset(align) + cap * elem_size, align, zero);
  if (!p) throw std::bad_alloc();
  array* a = ::new (p) array{0, 0, {0}, nullptr, nullptr, nullptr, cap, {kTailClean}};
  uint64_t tid = alloc::ThreadSerial();  // enrolls the thread, so its exit merges (step 5)
  if (tid != 0) {
    a->owner = tid;
    a->local = 1;
    Link(a);
  } else {  // the thread has exited: born shared, counted atomically
    a->owner = kNoOwner;
    a->word.store(kOne | kMerged, std::memory_order_relaxed);
  }
  g_live.fetch_add(1, std::memory_order_relaxed);
  return a;
}

void AbandonArray(array* a) {
  if (Linked(a)) Unlink(a);
  g_live.fetch_sub(1, std::memory_order_relaxed);
  runtime::deallocate(a);
}

array* ReallocArray(array* a, size_t cap, size_t elem_size, size_t align) {
  bool linked = Linked(a);
  auto* b = static_cast<array*>(runtime::reallocate(a, ElementOffset(align) + cap * elem_size));
  if (!b) throw std::bad_alloc();
  b->cap = cap;
  if (linked && b != a) Relink(b);
  return b;
}

int64_t LiveArrays() { return g_live.load(std::memory_order_relaxed); }

array* NewStandIn(array* real, bool owned) {
  uint32_t free = ~tl_stand_ins_used & ((1u << kStandIns) - 1);
  if (free != 0) [[likely]] {  // owner, local and word stay 0 (zero-initialised): uncounted
    int i = __builtin_ctz(free);
    tl_stand_ins_used |= 1u << i;
    array* h = &tl_stand_ins[i];
    h->prev = owned ? real : nullptr, h->qnext = real;
    h->tail.store(kTailPending, std::memory_order_relaxed);
    return h;
  }
  void* p = runtime::allocate(sizeof(array), alignof(array), false);
  if (!p) throw std::bad_alloc();
  return ::new (p) array{0, 0, {0}, owned ? real : nullptr, nullptr, real, real->cap,
                         {kTailPending}};
}

void DropStandIn(array* h) {
  if (h->prev) Release(h->prev);  // growth by copy whose result nobody took
  auto at = reinterpret_cast<uintptr_t>(h), first = reinterpret_cast<uintptr_t>(tl_stand_ins);
  if (at - first < sizeof(tl_stand_ins)) {
    tl_stand_ins_used &= ~(1u << ((at - first) / sizeof(array)));
    return;
  }
  runtime::deallocate(h);
}

}  // namespace gort::slices::rt
