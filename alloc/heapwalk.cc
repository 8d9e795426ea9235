// heapwalk.cc — see heapwalk.h for the design.
#include "alloc/heapwalk.h"

#include <errno.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>

#include "alloc/check.h"
#include "alloc/fdwriter.h"
#include "alloc/mcentral.h"
#include "alloc/mheap.h"
#include "alloc/options.h"

namespace gort::alloc {

namespace {

constexpr size_t kBatch = 32;        // span descriptions per taking of the locks (point 3)

OutputPath g_heapmap_path;           // GORT_HEAPMAP, set at start-up
std::atomic<uint32_t> g_signal_dumps{0};

constexpr uintptr_t ArenaLimit(uintptr_t a) { return (a | (kArenaSize - 1)) + 1; }

// The one field the walk reads that a thread cache writes without a lock (heapwalk.h,
// point 1): kLarge and kCached flip on a live span. Either reading is a true state of it.
[[gnu::no_sanitize("thread")]] SpanState StateOf(const mspan* s) {
  return SpanState(__atomic_load_n(reinterpret_cast<const uint8_t*>(&s->state), __ATOMIC_RELAXED));
}

void Describe(const mspan* s, gort_span_info* out) {
  *out = gort_span_info{};
  out->base = s->base;
  out->pages = s->npages;
  out->resident = s->bytes();
  switch (StateOf(s)) {
    case SpanState::kFree:
      out->kind = GORT_SPAN_FREE;
      out->resident = s->resident;
      break;
    case SpanState::kSmall:
      out->kind = GORT_SPAN_SMALL;
      out->size_class = s->cls;
      out->object_size = s->ObjSize();
      // A proc sets a new span's fields up after the heap made it small, without a lock
      // (proc.cc, NewSpan), and counts its objects the same way: the count of objects is the
      // class's, and the count handed out, read as it stands, is at most that.
      out->objects = s->cls > 0 && s->cls < kNumClasses ? ClassObjects(s->cls) : 0;
      out->objects_out = std::min<uint64_t>(s->allocCount, out->objects);
      break;
    case SpanState::kLarge:
    case SpanState::kCached:
      out->kind = StateOf(s) == SpanState::kCached ? GORT_SPAN_PARKED : GORT_SPAN_LARGE;
      out->object_size = s->bytes();
      out->objects = out->objects_out = out->kind == GORT_SPAN_LARGE ? 1 : 0;
      break;
  }
}

// The live span that starts at a, or a fatal error: the tiling of mheap.h is broken.
const mspan* SpanAt(uintptr_t a) {
  const mspan* s = g_pagemap.Span(a);
  if (s == nullptr || s->base != a || s->npages == 0)
    Fatal("heap walk: no span starts at the end of the previous one:", a);
  return s;
}

// The first span start at or after `from`, inside region r (point 3).
uintptr_t FirstStartFrom(const mheap::Region& r, uintptr_t from) {
  if (from <= r.base) return r.base;
  if (g_pagemap.Arena(from) != nullptr) {
    const mspan* s = g_pagemap.Span(from);
    if (s != nullptr && s->base == from) return from;
    if (s != nullptr && s->base < from && from < s->limit() && g_pagemap.Span(s->base) == s)
      return s->limit();
  }
  uintptr_t a = r.base;  // a stale entry: re-read the range up to `from`
  while (a < from) {
    if (g_pagemap.Arena(a) == nullptr) a = ArenaLimit(a);
    else a = SpanAt(a)->limit();
  }
  return a;
}

}  // namespace

HeapLocks::HeapLocks() {
  GORT_ASSERT(LocksHeld() == 0, "HeapLocks: the caller holds an allocator lock");
  for (int k = 1; k < kNumClasses; k++) g_mcentral[k].lock.lock();
  g_mheap.lock.lock();
}

HeapLocks::~HeapLocks() { UnlockHeap(); }

bool TryLockHeap() {
#if GORT_CHECKS >= 2
  if (LocksHeld() != 0) return false;
#endif
  int k = 1;
  for (; k < kNumClasses; k++)
    if (!g_mcentral[k].lock.try_lock_for(Lock::kSignalTries)) break;
  if (k == kNumClasses && g_mheap.lock.try_lock_for(Lock::kSignalTries)) return true;
  while (--k >= 1) g_mcentral[k].lock.unlock();
  return false;
}

void UnlockHeap() {
  g_mheap.lock.unlock();
  for (int k = kNumClasses - 1; k >= 1; k--) g_mcentral[k].lock.unlock();
}

size_t GatherSpans(uintptr_t from, gort_span_info* out, size_t n, uintptr_t* next) {
  GORT_ASSERT(g_mheap.lock.owned(), "GatherSpans: the heap lock is not held");
  size_t k = 0;
  for (uint32_t i = 0; i < g_mheap.NumRegionsLocked(); i++) {
    const mheap::Region& r = g_mheap.RegionLocked(i);
    if (r.limit <= from) continue;
    uintptr_t a = FirstStartFrom(r, from);
    while (a < r.limit) {
      if (k == n) {
        *next = a;
        return k;
      }
      if (g_pagemap.Arena(a) == nullptr) {
        a = ArenaLimit(a);
        continue;
      }
      const mspan* s = SpanAt(a);
      Describe(s, &out[k++]);
      a = s->limit();
    }
  }
  *next = 0;
  return k;
}

int HeapWalk(gort_heap_visitor visit, void* arg, bool try_locks) {
  gort_span_info batch[kBatch];
  uintptr_t from = 0;
  for (;;) {
    uintptr_t next;
    size_t k;
    if (try_locks) {
      if (!TryLockHeap()) return -1;
      k = GatherSpans(from, batch, kBatch, &next);
      UnlockHeap();
    } else {
      HeapLocks locks;
      k = GatherSpans(from, batch, kBatch, &next);
    }
    for (size_t i = 0; i < k; i++)
      if (int r = visit(&batch[i], arg); r != 0) return r;
    if (next == 0) return 0;
    from = next;
  }
}

bool HeapmapWriteFd(int fd, bool try_locks) {
  static const char* const kKind[] = {"free", "small", "large", "parked"};
  FdWriter w(fd);
  w.Str("# gort heapmap 1: one line per span, in address order (alloc/heapwalk.h)\n");
  w.Str("pid ").Dec(uint64_t(getpid())).Str("\npagesize ").Dec(kPageSize).Str("\n");
  for (int c = 1; c < kNumClasses; c++)
    w.Str("class ").Dec(uint64_t(c)).Str(" ").Dec(kClassSize[c]).Str(" ").Dec(kClassPages[c]).Str("\n");
  w.Str("# span base pages kind class object_size objects objects_out resident\n");
  struct Ctx {
    FdWriter* w;
    uint64_t n;
  } ctx{&w, 0};
  auto line = [](const gort_span_info* s, void* arg) -> int {
    auto* c = static_cast<Ctx*>(arg);
    c->w->Str("span ").Hex(s->base).Str(" ").Dec(s->pages).Str(" ").Str(kKind[s->kind]);
    c->w->Str(" ").Dec(s->size_class).Str(" ").Dec(s->object_size).Str(" ").Dec(s->objects);
    c->w->Str(" ").Dec(s->objects_out).Str(" ").Dec(s->resident).Str("\n");
    c->n++;
    return c->w->ok() ? 0 : 1;
  };
  const int r = HeapWalk(line, &ctx, try_locks);
  if (r == 0) w.Str("end ").Dec(ctx.n).Str("\n");
  w.Flush();
  return r == 0 && w.ok();
}

namespace {

// GORT_HEAPMAP_SIGNAL's handler: path.1, path.2, ... (point 4).
void OnSignal(int) {
  const int saved = errno;
  char suffix[16] = ".";
  OutputPath::PutDec(suffix, 1, g_signal_dumps.fetch_add(1) + 1);
  char name[OutputPath::kMax + 32];
  const int fd = g_heapmap_path.Open(suffix, name);
  if (fd >= 0) {
    if (!HeapmapWriteFd(fd, /*try_locks=*/true)) {
      Print("gort: heap map not written to ");
      Print(name);
      Print(": the heap was busy (an allocator lock is held), or a write failed\n");
    }
    close(fd);
  }
  errno = saved;
}

}  // namespace

void HeapmapInit() {
  const char* spec = GetOptionText(kOptHeapmap);
  const uint64_t sig = GetOption(kOptHeapmapSignal);
  if (spec == nullptr || spec[0] == '\0') {
    if (sig != 0) Print("gort: GORT_HEAPMAP_SIGNAL needs GORT_HEAPMAP=path; ignoring it\n");
    return;
  }
  if (!g_heapmap_path.Init(spec)) {
    Print("gort: ignoring GORT_HEAPMAP: the path is too long, or the working directory unknown\n");
    return;
  }
  if (sig != 0) os::HandleSignal(int(sig), OnSignal, "GORT_HEAPMAP_SIGNAL");
}

void HeapmapAtExit() {
  if (!g_heapmap_path.set()) return;
  char name[OutputPath::kMax + 32];
  const int fd = g_heapmap_path.Open("", name);
  const bool ok = fd >= 0 && HeapmapWriteFd(fd, /*try_locks=*/false);
  if (fd >= 0) close(fd);
  if (!ok) {
    Print("gort: cannot write the heap map to ");
    Print(name);
    Print("\n");
  }
}

}  // namespace gort::alloc
