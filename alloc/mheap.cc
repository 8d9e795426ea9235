// mheap.cc — see mheap.h for the design.
#include "alloc/mheap.h"

#include <algorithm>

#include "alloc/check.h"
#include "alloc/freelink.h"
#include "alloc/os.h"
#include "alloc/scavenger.h"

namespace gort::alloc {

constinit PageMap g_pagemap;
constinit mheap g_mheap;

namespace {
constexpr size_t PagesOf(size_t bytes) { return bytes >> kPageShift; }
constexpr uintptr_t AlignUp(uintptr_t x, size_t a) { return (x + a - 1) & ~(uintptr_t(a) - 1); }
constexpr uintptr_t AlignDown(uintptr_t x, size_t a) { return x & ~(uintptr_t(a) - 1); }

// The bytes of [lo, hi) that lie in [a, b).
size_t Overlap(uintptr_t lo, uintptr_t hi, uintptr_t a, uintptr_t b) {
  lo = std::max(lo, a);
  hi = std::min(hi, b);
  return hi > lo ? hi - lo : 0;
}

// Sets free span s's resident range to [lo, hi) clipped to s, or empty when s has no
// resident bytes.
void SetResidentRange(mspan* s, uintptr_t lo, uintptr_t hi) {
  if (s->resident == 0) {
    s->res_lo = s->res_hi = 0;
    return;
  }
  s->res_lo = std::max(lo, s->base);
  s->res_hi = std::min(hi, s->limit());
}
}  // namespace

mspan* mheap::AllocSpan(size_t npages, size_t align_pages, SpanState state, uint8_t cls) {
  if (align_pages == 0) align_pages = 1;
  GORT_ASSERT(npages >= 1 && npages <= kMaxRequest / kPageSize,
              "mheap::AllocSpan: npages is not in 1..kMaxRequest/kPageSize");
  GORT_ASSERT((align_pages & (align_pages - 1)) == 0,
              "mheap::AllocSpan: align_pages is not a power of two");
  GORT_ASSERT((state == SpanState::kSmall && cls >= 1 && cls < kNumClasses &&
               npages == kClassPages[cls]) ||
                  (state == SpanState::kLarge && cls == 0),
              "mheap::AllocSpan: state and class disagree (kSmall: a class and its pages; "
              "kLarge: class 0)");
  GORT_ASSERT(!lock.owned(), "mheap::AllocSpan: the caller holds the heap lock");
  LockGuard g(lock);
  mspan* s = FindFree(npages, align_pages);
  if (s == nullptr) {
    if (!Grow(npages + align_pages - 1)) return nullptr;
    s = FindFree(npages, align_pages);
    if (s == nullptr) Fatal("mheap: grown heap has no fitting run");
  }
  s = Carve(s, npages, align_pages);
  s->state = state;
  s->cls = cls;
  s->next = s->prev = nullptr;
  MapSpan(s);
  if (state == SpanState::kSmall) stats_.small_spans += s->bytes();
  else stats_.large_inuse += s->bytes();
#if GORT_CHECKS >= 3
  if (const char* e = check(); *e != '\0') Fatal(e);
#endif
  return s;
}

// First fitting run: exact lists from npages up, then, among the long runs, the best for the
// request (below).
mspan* mheap::FindFree(size_t npages, size_t align_pages) {
  GORT_ASSERT(lock.owned(), "mheap::FindFree: the heap lock is not held");
  size_t align = align_pages * kPageSize;
  auto fits = [&](mspan* s) {
    return AlignUp(s->base, align) + npages * kPageSize <= s->limit();
  };
  for (size_t n = NextNonEmpty(npages); n != 0; n = NextNonEmpty(n + 1)) {
    for (mspan* s = free_[n].first; s != nullptr; s = s->next) {
      if (fits(s)) return s;
      if (align_pages == 1) break;
    }
  }
  // Long runs: for a long request, the one whose resident pages cover most of it (a fresh
  // page costs a fault and the kernel's zeroing; point 4), then the shortest, then the lowest.
  // A short request that found no exact run keeps to best fit: it takes the run's lowest
  // pages, leaving long runs whole.
  const size_t need = npages < kMaxPages ? 0 : npages * kPageSize;
  auto better = [&](const mspan* a, const mspan* b) {
    const size_t ra = std::min(a->resident, need), rb = std::min(b->resident, need);
    if (ra != rb) return ra > rb;
    return a->npages < b->npages || (a->npages == b->npages && a->base < b->base);
  };
  mspan* best = nullptr;
  for (mspan* s = free_[0].first; s != nullptr; s = s->next)
    if (fits(s) && (best == nullptr || better(s, best))) best = s;
  return best;
}

// Takes [aligned start, +npages) out of free span s; head and tail go back as free spans.
mspan* mheap::Carve(mspan* s, size_t npages, size_t align_pages) {
  GORT_ASSERT(lock.owned(), "mheap::Carve: the heap lock is not held");
  GORT_ASSERT(s->state == SpanState::kFree, "mheap::Carve: the span is not free");
  UnlistFree(s);
  const size_t align = align_pages * kPageSize, bytes = npages * kPageSize;
  uintptr_t start = AlignUp(s->base, align);
  if (s->resident > 0 && npages >= kMaxPages) {  // start where the resident pages do
    uintptr_t at = AlignUp(s->res_lo, align);
    if (at + bytes > s->limit()) at = AlignDown(s->limit() - bytes, align);
    if (at > start) start = at;
  }
  const uintptr_t end = start + bytes;
  size_t head = PagesOf(start - s->base);
  size_t tail = s->npages - head - npages;
  // Residency is known by range, not page by page (span.h): the taken part counts first,
  // as far as it overlaps the resident range, then the head, then the tail. Each part's
  // share stays within its overlap, as resident <= the range's length.
  size_t taken = std::min(s->resident, Overlap(s->res_lo, s->res_hi, start, end));
  size_t rest = s->resident - taken;
  size_t head_res = std::min(rest, Overlap(s->res_lo, s->res_hi, s->base, start));
  if (head > 0) {
    mspan* h = NewFreeSpan(s->base, head, head_res);
    SetResidentRange(h, s->res_lo, s->res_hi);
    h->zeroed = s->zeroed;
    h->free_ms = s->free_ms;
    ListFree(h);
  }
  if (tail > 0) {
    mspan* t = NewFreeSpan(end, tail, rest - head_res);
    SetResidentRange(t, s->res_lo, s->res_hi);
    t->zeroed = s->zeroed;
    t->free_ms = s->free_ms;
    ListFree(t);
  }
  s->base = start;
  s->npages = npages;
  stats_.free_resident -= taken;
  stats_.free_bytes -= npages * kPageSize;
  s->resident = 0;
  s->res_lo = s->res_hi = 0;
  return s;
}

void mheap::FreeSpan(mspan* s, bool released) {
  GORT_ASSERT(s != nullptr && (s->state == SpanState::kSmall || s->state == SpanState::kLarge),
              "mheap::FreeSpan: the span is not in an allocated state (kSmall or kLarge)");
  GORT_ASSERT(g_pagemap.Span(s->base) == s && g_pagemap.Span(s->limit() - kPageSize) == s,
              "mheap::FreeSpan: the page map does not point at the span");
  GORT_ASSERT(s->state != SpanState::kSmall || (s->allocCount == 0 && !s->onlist),
              "mheap::FreeSpan: a small span with objects out, or still on mcentral's list");
  GORT_ASSERT(!lock.owned(), "mheap::FreeSpan: the caller holds the heap lock");
  LockGuard g(lock);
  if (s->state == SpanState::kSmall) {
    for (size_t i = 0; i < s->npages; i++) g_pagemap.SetClass(s->base + i * kPageSize, 0);
    stats_.small_spans -= s->bytes();
  } else {
    stats_.large_inuse -= s->bytes();
  }
  s->state = SpanState::kFree;
  s->cls = 0;
  s->zeroed = released;
  s->resident = released ? 0 : s->bytes();
  SetResidentRange(s, s->base, s->limit());
  s->free_ms = NowMs();
  s->freelist = nullptr;
  s->xlist = s->xlast = nullptr;
  s->xcount = 0;
  stats_.free_bytes += s->bytes();
  stats_.free_resident += s->resident;
  if (s->remapped) Release(s);
  s->remapped = false;
  InsertFree(s);
#if GORT_CHECKS >= 3
  if (const char* e = check(); *e != '\0') Fatal(e);
#endif
}

bool mheap::GrowInPlace(mspan* s, size_t npages) {
  GORT_ASSERT(s->state == SpanState::kLarge && g_pagemap.Span(s->base) == s,
              "mheap::GrowInPlace: the span is not a large span in use");
  GORT_ASSERT(npages > s->npages, "mheap::GrowInPlace: npages does not grow the span");
  GORT_ASSERT(!lock.owned(), "mheap::GrowInPlace: the caller holds the heap lock");
  LockGuard g(lock);
  mspan* r = g_pagemap.Span(s->limit());
  if (r == nullptr || r->state != SpanState::kFree || r->base != s->limit() ||
      s->npages + r->npages < npages)
    return false;
  size_t take = npages - s->npages;
  UnlistFree(r);
  stats_.free_bytes -= take * kPageSize;
  const uintptr_t cut = r->base + take * kPageSize;
  size_t taken = std::min(r->resident, Overlap(r->res_lo, r->res_hi, r->base, cut));
  stats_.free_resident -= taken;
  if (r->npages > take) {
    mspan* t = NewFreeSpan(cut, r->npages - take, r->resident - taken);
    SetResidentRange(t, r->res_lo, r->res_hi);
    t->zeroed = r->zeroed;
    t->free_ms = r->free_ms;
    ListFree(t);
  }
  spanalloc_.Delete(r);
  stats_.spans--;
  stats_.large_inuse += take * kPageSize;
  s->npages = npages;
  MapSpan(s);
  return true;
}

void mheap::ShrinkInPlace(mspan* s, size_t npages) {
  GORT_ASSERT(s->state == SpanState::kLarge && g_pagemap.Span(s->base) == s,
              "mheap::ShrinkInPlace: the span is not a large span in use");
  GORT_ASSERT(npages >= 1 && npages <= s->npages,
              "mheap::ShrinkInPlace: npages is not in 1..npages");
  GORT_ASSERT(!lock.owned(), "mheap::ShrinkInPlace: the caller holds the heap lock");
  LockGuard g(lock);
  size_t cut = s->npages - npages;
  if (cut == 0) return;
  s->npages = npages;
  MapSpan(s);
  mspan* t = NewFreeSpan(s->limit(), cut, cut * kPageSize);
  t->free_ms = NowMs();
  stats_.large_inuse -= cut * kPageSize;
  stats_.free_bytes += cut * kPageSize;
  stats_.free_resident += cut * kPageSize;
  if (s->remapped) Release(t);
  InsertFree(t);
}

// Reserves a new region of whole arenas holding at least npages pages.
bool mheap::Grow(size_t npages) {
  GORT_ASSERT(lock.owned(), "mheap::Grow: the heap lock is not held");
  size_t bytes = AlignUp(npages * kPageSize, kArenaSize);
  if (bytes < npages * kPageSize) return false;
  void* mem = os::Reserve(bytes, kArenaSize, hint_);
  if (mem == nullptr) return false;
  uintptr_t base = reinterpret_cast<uintptr_t>(mem);
  if (base + bytes > (uintptr_t{1} << kAddrBits)) {
    os::Unmap(mem, bytes);
    return false;
  }
  for (uintptr_t a = base; a < base + bytes; a += kArenaSize) {
    auto* ha = static_cast<heapArena*>(os::MapMeta(sizeof(heapArena)));
    if (ha == nullptr) Fatal("out of memory mapping page map metadata");
    g_pagemap.AddArena(a, ha);
  }
  hint_ = base + bytes;
  AddRegion(base, base + bytes);
  stats_.reserved += bytes;
  stats_.free_bytes += bytes;
  mspan* s = NewFreeSpan(base, PagesOf(bytes), 0);
  s->zeroed = true;
  InsertFree(s);
  return true;
}

// Keeps regions_ sorted and merged (see Region). Grow's hint makes a new region usually
// continue the previous one.
void mheap::AddRegion(uintptr_t base, uintptr_t limit) {
  GORT_ASSERT(lock.owned(), "mheap::AddRegion: the heap lock is not held");
  uint32_t i = 0;
  while (i < nregions_ && regions_[i].limit < base) i++;
  if (i < nregions_ && (regions_[i].limit == base || regions_[i].base == limit)) {
    if (regions_[i].limit == base) regions_[i].limit = limit;
    else regions_[i].base = base;
    if (i + 1 < nregions_ && regions_[i].limit == regions_[i + 1].base) {
      regions_[i].limit = regions_[i + 1].limit;
      for (uint32_t j = i + 1; j + 1 < nregions_; j++) regions_[j] = regions_[j + 1];
      nregions_--;
    }
    return;
  }
  if (nregions_ == kMaxRegions) {  // cover the gap (see Region)
    Region& r = i < nregions_ ? regions_[i] : regions_[nregions_ - 1];
    if (base < r.base) r.base = base;
    if (limit > r.limit) r.limit = limit;
    return;
  }
  for (uint32_t j = nregions_; j > i; j--) regions_[j] = regions_[j - 1];
  regions_[i] = {base, limit};
  nregions_++;
}

mspan* mheap::NewFreeSpan(uintptr_t base, size_t npages, size_t resident) {
  GORT_ASSERT(lock.owned(), "mheap::NewFreeSpan: the heap lock is not held");
  GORT_ASSERT(npages >= 1 && base % kPageSize == 0 && resident <= npages * kPageSize,
              "mheap::NewFreeSpan: not a page-aligned run with resident <= its bytes");
  mspan* s = spanalloc_.New();
  stats_.spans++;
  s->base = base;
  s->npages = npages;
  s->state = SpanState::kFree;
  s->resident = resident;
  SetResidentRange(s, base, s->limit());
  return s;
}

// Returns s's pages to the OS; s is free and not yet merged.
void mheap::Release(mspan* s) {
  GORT_ASSERT(lock.owned(), "mheap::Release: the heap lock is not held");
  GORT_ASSERT(s->state == SpanState::kFree, "mheap::Release: the span is not free");
  os::Release(reinterpret_cast<void*>(s->base), s->bytes(), s->resident);
  stats_.free_resident -= s->resident;
  s->resident = 0;
  s->res_lo = s->res_hi = 0;
  s->zeroed = true;
}

// Releases s if too much is resident (point 4), then merges it with free neighbours and
// lists it.
void mheap::InsertFree(mspan* s) {
  GORT_ASSERT(lock.owned(), "mheap::InsertFree: the heap lock is not held");
  GORT_ASSERT(s->state == SpanState::kFree, "mheap::InsertFree: the span is not free");
  const uint64_t keep =
      retain_ == 0 ? 0 : std::max<uint64_t>(retain_, stats_.small_spans + stats_.large_inuse);
  if (s->resident > 0 && stats_.free_resident > keep) {
    if (stats_.free_resident > s->resident) ReleaseIdle(s, keep);  // others hold some
    if (stats_.free_resident > keep) Release(s);
  }
  // A merged run's resident pages are as old as the newest of them.
  auto absorb = [&](mspan* n) {
    if (n->resident > 0 && (s->resident == 0 || n->free_ms > s->free_ms)) s->free_ms = n->free_ms;
    UnlistFree(n);
    s->zeroed = s->zeroed && n->zeroed;
    if (n->resident > 0) {  // the hull of the two ranges holds every resident page
      s->res_lo = s->resident == 0 ? n->res_lo : std::min(s->res_lo, n->res_lo);
      s->res_hi = s->resident == 0 ? n->res_hi : std::max(s->res_hi, n->res_hi);
    }
    s->resident += n->resident;
    spanalloc_.Delete(n);
    stats_.spans--;
  };
  mspan* l = s->base > 0 ? g_pagemap.Span(s->base - kPageSize) : nullptr;
  if (l != nullptr && l->state == SpanState::kFree && l->limit() == s->base) {
    const uintptr_t base = l->base;
    const size_t n = l->npages;
    absorb(l);
    s->base = base;
    s->npages += n;
  }
  mspan* r = g_pagemap.Span(s->limit());
  if (r != nullptr && r->state == SpanState::kFree && r->base == s->limit()) {
    const size_t n = r->npages;
    absorb(r);
    s->npages += n;
  }
  ListFree(s);
  if (s->resident > 0) ScavengerNotify();
}

// Releases resident pages of listed free runs other than keep_resident until the free
// resident bytes are at most limit: the runs longer than kMaxPages pages first, then the
// exact lists from the longest down (long runs hold the most idle pages per release call).
void mheap::ReleaseIdle(const mspan* keep_resident, uint64_t limit) {
  GORT_ASSERT(lock.owned(), "mheap::ReleaseIdle: the heap lock is not held");
  auto release_list = [&](size_t n) {
    for (mspan* r = free_[n].first; r != nullptr && stats_.free_resident > limit; r = r->next)
      if (r != keep_resident && r->resident > 0) Release(r);
  };
  release_list(0);
  for (size_t n = kMaxPages - 1; n > 0 && stats_.free_resident > limit; n--)
    if (nonempty_[n / 64] >> (n % 64) & 1) release_list(n);
}

uint64_t mheap::Scavenge(uint64_t freed_before_ms) {
  GORT_ASSERT(!lock.owned(), "mheap::Scavenge: the caller holds the heap lock");
  LockGuard g(lock);
  uint64_t released = 0;
  for (size_t n = 0; n < kMaxPages; n++) {
    for (mspan* s = free_[n].first; s != nullptr; s = s->next) {
      if (s->resident == 0 || s->free_ms > freed_before_ms) continue;
      released += s->resident;
      Release(s);
    }
  }
  return released;
}

void mheap::ListFree(mspan* s) {
  GORT_ASSERT(lock.owned(), "mheap::ListFree: the heap lock is not held");
  GORT_ASSERT(s->state == SpanState::kFree, "mheap::ListFree: the span is not free");
  g_pagemap.SetSpan(s->base, s);
  g_pagemap.SetSpan(s->limit() - kPageSize, s);
  size_t i = ListIndex(s->npages);
  free_[i].Push(s);
  nonempty_[i / 64] |= uint64_t{1} << (i % 64);
}

void mheap::UnlistFree(mspan* s) {
  GORT_ASSERT(lock.owned(), "mheap::UnlistFree: the heap lock is not held");
  GORT_ASSERT(s->state == SpanState::kFree, "mheap::UnlistFree: the span is not free");
  size_t i = ListIndex(s->npages);
  free_[i].Remove(s);
  if (free_[i].empty()) nonempty_[i / 64] &= ~(uint64_t{1} << (i % 64));
}

size_t mheap::NextNonEmpty(size_t n) const {
  GORT_ASSERT(lock.owned(), "mheap::NextNonEmpty: the heap lock is not held");
  for (size_t w = n / 64; w < kMaxPages / 64; w++) {
    uint64_t bits = nonempty_[w];
    if (w == n / 64) bits &= ~uint64_t{0} << (n % 64);
    if (bits != 0) return w * 64 + size_t(__builtin_ctzll(bits));
  }
  return 0;
}

void mheap::MapSpan(mspan* s) {
  GORT_ASSERT(lock.owned(), "mheap::MapSpan: the heap lock is not held");
  GORT_ASSERT(s->state == SpanState::kSmall || s->state == SpanState::kLarge,
              "mheap::MapSpan: the span is not in an allocated state");
  if (s->state == SpanState::kSmall) {
    for (size_t i = 0; i < s->npages; i++) {
      g_pagemap.SetSpan(s->base + i * kPageSize, s);
      g_pagemap.SetClass(s->base + i * kPageSize, s->cls);
    }
  } else {
    g_pagemap.SetSpan(s->base, s);
    g_pagemap.SetSpan(s->limit() - kPageSize, s);
  }
}

mheap::Stats mheap::GetStats() {
  GORT_ASSERT(!lock.owned(), "mheap::GetStats: the caller holds the heap lock");
  LockGuard g(lock);
  return stats_;
}

const char* mspan::check() const {
  if (npages == 0 || base % kPageSize != 0) return "mspan: no pages, or base not page-aligned";
  if (g_pagemap.Span(base) != this || g_pagemap.Span(limit() - kPageSize) != this)
    return "mspan: the page map does not point at the span from its first and last page";
  if (state != SpanState::kSmall)
    return g_pagemap.Class(base) == 0 ? "" : "mspan: a page of a free or large span has a class";
  if (nelems != ClassObjects(cls)) return "mspan: nelems is not the class's object count";
  if (freeindex > nelems) return "mspan: freeindex is past nelems";
  // The length of a list of the span's objects; ~0 when an entry is not one of them (err
  // then names it) or the list is longer than nelems (a cycle).
  auto length = [&](void* list, const char* stranger, const char* cycle, const char** err) {
    size_t n = 0;
    for (void* p = list; p != nullptr; p = GetNext(p)) {
      uintptr_t a = reinterpret_cast<uintptr_t>(p);
      if (a < base || a >= base + nelems * ObjSize() || (a - base) % ObjSize() != 0)
        return *err = stranger, ~size_t{0};
      if (++n > nelems) return *err = cycle, ~size_t{0};
    }
    return n;
  };
  const char* err = "";
  const size_t nfree = length(freelist, "mspan: a freelist object is not an object of the span",
                              "mspan: the freelist is longer than nelems (a cycle?)", &err);
  if (*err != '\0') return err;
  const size_t nx = length(xlist, "mspan: an xlist object is not an object of the span",
                           "mspan: the xlist is longer than nelems (a cycle?)", &err);
  if (*err != '\0') return err;
  if (nx != xcount) return "mspan: xcount is not the length of the xlist";
  void* last = nullptr;
  for (void* p = xlist; p != nullptr; p = GetNext(p)) last = p;
  if (xlast != last) return "mspan: xlast is not the last object of the xlist";
  if (allocCount + nfree + nx + (nelems - freeindex) != nelems)
    return "mspan: allocCount + |freelist| + |xlist| + (nelems - freeindex) != nelems";
  return "";
}

const char* mheap::check() const {
  size_t total = 0, resident = 0;
  for (size_t n = 0; n < kMaxPages; n++) {
    if (((nonempty_[n / 64] >> (n % 64)) & 1) != !free_[n].empty())
      return "mheap: the nonempty bitmap disagrees with a free list";
    for (mspan* s = free_[n].first; s != nullptr; s = s->next) {
      if (s->state != SpanState::kFree) return "mheap: a span on a free list is not free";
      if (const char* e = s->check(); *e != '\0') return e;
      if ((n == 0) != (s->npages >= kMaxPages) || (n != 0 && s->npages != n))
        return "mheap: a free span is not on the list for its length";
      mspan* r = g_pagemap.Span(s->limit());
      if (r != nullptr && r->state == SpanState::kFree && r->base == s->limit())
        return "mheap: two free spans are adjacent";
      if (s->resident > s->bytes()) return "mheap: a free span has more resident bytes than bytes";
      if (s->resident == 0 ? (s->res_lo | s->res_hi) != 0
                           : s->res_lo < s->base || s->res_hi > s->limit() ||
                                 s->resident > s->res_hi - s->res_lo)
        return "mheap: a free span's resident range is not within it or is shorter than its "
               "resident bytes";
      total += s->bytes();
      resident += s->resident;
    }
  }
  if (total != stats_.free_bytes) return "mheap: free_bytes is not the sum of the free spans";
  if (resident != stats_.free_resident)
    return "mheap: free_resident is not the sum of the free spans' resident bytes";
  return "";
}

}  // namespace gort::alloc
