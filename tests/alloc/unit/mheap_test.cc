// mheap: carving, coalescing, alignment, in-place resize, release to the OS.
#include "alloc/mheap.h"

#include <gtest/gtest.h>

#include <cstring>

#include "alloc/malloc.h"
#include "alloc/os.h"

namespace gort::alloc {
namespace {

mspan* Large(size_t npages, size_t align = 1) {
  mspan* s = g_mheap.AllocSpan(npages, align, SpanState::kLarge, 0);
  EXPECT_NE(s, nullptr);
  return s;
}

TEST(MHeap, FreedNeighboursCoalesce) {
  EnsureInit();
  mspan* a = Large(200);
  mspan* b = Large(200);
  mspan* c = Large(200);
  ASSERT_EQ(b->base, a->limit()) << "fresh heap carves consecutively";
  ASSERT_EQ(c->base, b->limit());
  uintptr_t base = a->base;
  g_mheap.FreeSpan(a);
  g_mheap.FreeSpan(c);
  EXPECT_STREQ(g_mheap.check(), "");
  mspan* hole = g_pagemap.Span(base);
  ASSERT_NE(hole, nullptr);
  EXPECT_EQ(hole->state, SpanState::kFree);
  EXPECT_EQ(hole->npages, 200u) << "a is bounded by b, which is still in use";
  g_mheap.FreeSpan(b);
  EXPECT_STREQ(g_mheap.check(), "");
  mspan* merged = g_pagemap.Span(base);
  EXPECT_EQ(merged->state, SpanState::kFree);
  EXPECT_EQ(merged->base, base);
  EXPECT_GE(merged->npages, 600u) << "a, b, c and the free tail are one run";
  mspan* again = Large(600);
  EXPECT_EQ(again->base, base);
  g_mheap.FreeSpan(again);
}

// A long request takes pages still resident (freed, not released) before pages that would
// fault: it prefers the run with resident pages over a shorter one without, and inside a
// run that merged released and resident pages it starts at the resident ones.
TEST(MHeap, LongRequestsReuseResidentPages) {
  EnsureInit();
  // [x 300][a 300][y 1][d 250][e 1]: x and d are freed as released pages, a as resident ones.
  mspan* x = Large(300);
  mspan* a = Large(300);
  mspan* y = Large(1);
  mspan* d = Large(250);
  mspan* e = Large(1);
  ASSERT_EQ(a->base, x->limit());
  ASSERT_EQ(d->base, y->limit());
  const uintptr_t abase = a->base, dbase = d->base;
  g_mheap.FreeSpan(x, /*released=*/true);
  g_mheap.FreeSpan(d, /*released=*/true);
  g_mheap.FreeSpan(a);
  EXPECT_STREQ(g_mheap.check(), "");
  mspan* run = g_pagemap.Span(abase);
  ASSERT_EQ(run->state, SpanState::kFree);
  if (run->resident < 300 * kPageSize) GTEST_SKIP() << "the heap released a (retain limit)";
  EXPECT_EQ(run->res_lo, abase);
  EXPECT_EQ(run->res_hi, abase + 300 * kPageSize);
  mspan* c = Large(200);  // d's run (250 pages, none resident) fits more tightly
  EXPECT_EQ(c->base, abase) << "c took fresh pages at " << c->base << "; d is at " << dbase;
  EXPECT_STREQ(g_mheap.check(), "");
  g_mheap.FreeSpan(c);
  g_mheap.FreeSpan(e);
  g_mheap.FreeSpan(y);
  EXPECT_STREQ(g_mheap.check(), "");
}

TEST(MHeap, AlignedSpans) {
  EnsureInit();
  mspan* pad = Large(3);  // make the next free page unaligned
  for (size_t align : {2, 8, 64, 1024, 8192}) {
    mspan* s = Large(5, align);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->base % (align * kPageSize), 0u) << align;
    EXPECT_EQ(s->npages, 5u);
    g_mheap.FreeSpan(s);
    EXPECT_STREQ(g_mheap.check(), "");
  }
  g_mheap.FreeSpan(pad);
}

TEST(MHeap, HugeAlignmentGrowsTheHeap) {
  EnsureInit();
  mspan* s = Large(1, (size_t{1} << 30) / kPageSize);  // 1 GiB alignment
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->base % (size_t{1} << 30), 0u);
  g_mheap.FreeSpan(s);
  EXPECT_STREQ(g_mheap.check(), "");
}

TEST(MHeap, GrowAndShrinkInPlace) {
  EnsureInit();
  mspan* s = Large(200);
  mspan* after = Large(10);
  g_mheap.FreeSpan(after);
  EXPECT_TRUE(g_mheap.GrowInPlace(s, 300)) << "the run after s is free";
  EXPECT_EQ(s->npages, 300u);
  EXPECT_EQ(g_pagemap.Span(s->limit() - 1), s);
  mspan* wall = Large(1);
  ASSERT_EQ(wall->base, s->limit());
  EXPECT_FALSE(g_mheap.GrowInPlace(s, 301)) << "blocked by an allocated page";
  g_mheap.ShrinkInPlace(s, 100);
  EXPECT_EQ(s->npages, 100u);
  mspan* freed = g_pagemap.Span(s->limit());
  EXPECT_EQ(freed->state, SpanState::kFree);
  EXPECT_EQ(freed->npages, 200u);
  EXPECT_STREQ(g_mheap.check(), "");
  g_mheap.FreeSpan(wall);
  g_mheap.FreeSpan(s);
  EXPECT_STREQ(g_mheap.check(), "");
}

TEST(MHeap, ReleasedPagesReadZero) {
  EnsureInit();
  g_mheap.set_retain(0);
  mspan* s = Large(256);
  memset(reinterpret_cast<void*>(s->base), 0xab, s->bytes());
  uint64_t before = os::GetCounters().released;
  uintptr_t base = s->base;
  size_t bytes = s->bytes();
  g_mheap.FreeSpan(s);
  EXPECT_EQ(os::GetCounters().released - before, bytes)
      << "retain 0: the freed pages, and only they, go back to the OS";
  g_mheap.FreeSpan(Large(256));  // freed again: released again, once
  EXPECT_EQ(os::GetCounters().released - before, 2 * bytes);
  mspan* t = Large(256);
  ASSERT_EQ(t->base, base);
  const unsigned char* p = reinterpret_cast<const unsigned char*>(t->base);
  for (size_t i = 0; i < t->bytes(); i += 4096) ASSERT_EQ(p[i], 0) << i;
  g_mheap.FreeSpan(t);
  g_mheap.set_retain(64 << 20);
}

TEST(MHeap, StatsAddUp) {
  EnsureInit();
  mspan* s = Large(40);
  mheap::Stats st = g_mheap.GetStats();
  EXPECT_GE(st.large_inuse, 40 * kPageSize);
  EXPECT_EQ(st.reserved, st.free_bytes + st.large_inuse + st.small_spans);
  g_mheap.FreeSpan(s);
  st = g_mheap.GetStats();
  EXPECT_EQ(st.reserved, st.free_bytes + st.large_inuse + st.small_spans);
}

// check() names the first broken invariant: first a span's own, on a small span the test
// owns (no mcentral lists it), then the heap's. Each corruption is undone before the heap is
// used again.
TEST(MHeap, CheckNamesTheBrokenInvariant) {
  EnsureInit();
  const uint8_t cls = 5;
  mspan* s = g_mheap.AllocSpan(kClassPages[cls], 1, SpanState::kSmall, cls);
  ASSERT_NE(s, nullptr);
  s->nelems = ClassObjects(cls);  // as mcentral::NewSpan sets a span up
  ASSERT_STREQ(s->check(), "");
  s->allocCount = 1;
  EXPECT_STREQ(s->check(), "mspan: allocCount + |freelist| + |xlist| + (nelems - freeindex) != nelems");
  s->allocCount = 0;
  s->freeindex = s->nelems + 1;
  EXPECT_STREQ(s->check(), "mspan: freeindex is past nelems");
  s->freeindex = 0;
  s->freelist = reinterpret_cast<void*>(s->base + 1);
  EXPECT_STREQ(s->check(), "mspan: a freelist object is not an object of the span");
  s->freelist = nullptr;
  const mspan copy = *s;  // the page map leads to s, not to a copy of it
  EXPECT_STREQ(copy.check(),
               "mspan: the page map does not point at the span from its first and last page");
  g_mheap.FreeSpan(s);

  mspan* a = Large(200);
  mspan* b = Large(200);
  ASSERT_EQ(b->base, a->limit());
  g_mheap.FreeSpan(a);
  ASSERT_STREQ(g_mheap.check(), "");
  b->state = SpanState::kFree;  // as if b had been freed without merging
  EXPECT_STREQ(g_mheap.check(), "mheap: two free spans are adjacent");
  b->state = SpanState::kLarge;
  EXPECT_STREQ(g_mheap.check(), "");
  g_mheap.FreeSpan(b);
}

// At tier 3 the heap walks itself after each AllocSpan and FreeSpan, and dies naming what broke.
TEST(MHeapDeathTest, TheTier3WalkNamesTheBrokenInvariant) {
#if GORT_CHECKS < 3
  GTEST_SKIP() << "the walks run at GORT_CHECKS >= 3; this build has " << GORT_CHECKS;
#else
  EnsureInit();
  mspan* a = Large(200);
  mspan* b = Large(200);
  g_mheap.FreeSpan(a);
  EXPECT_DEATH(
      {
        b->state = SpanState::kFree;
        g_mheap.AllocSpan(1, 1, SpanState::kLarge, 0);
      },
      "fatal error: mheap: two free spans are adjacent");
  g_mheap.FreeSpan(b);
#endif
}

// At tier >= 2 the entry of each heap function checks its preconditions and dies naming the
// function and what the caller got wrong.
TEST(MHeapDeathTest, PreconditionsNameTheFunction) {
#if GORT_CHECKS < 2
  GTEST_SKIP() << "preconditions are asserted at GORT_CHECKS >= 2; this build has " << GORT_CHECKS;
#else
  EnsureInit();
  EXPECT_DEATH(g_mheap.AllocSpan(0, 1, SpanState::kLarge, 0),
               "mheap::AllocSpan: npages is not in 1..kMaxRequest/kPageSize");
  EXPECT_DEATH(g_mheap.AllocSpan(4, 3, SpanState::kLarge, 0),
               "mheap::AllocSpan: align_pages is not a power of two");
  EXPECT_DEATH(g_mheap.AllocSpan(4, 1, SpanState::kSmall, 0),
               "mheap::AllocSpan: state and class disagree");
  mspan* s = Large(10);
  uintptr_t base = s->base;
  g_mheap.FreeSpan(s);
  mspan* free_run = g_pagemap.Span(base);
  EXPECT_DEATH(g_mheap.FreeSpan(free_run),
               "internal invariant broken: mheap::FreeSpan: the span is not in an allocated state");
  mspan* t = Large(10);
  mspan copy = *t;
  EXPECT_DEATH(g_mheap.FreeSpan(&copy), "mheap::FreeSpan: the page map does not point at the span");
  EXPECT_DEATH(g_mheap.GrowInPlace(t, 5), "mheap::GrowInPlace: npages does not grow the span");
  g_mheap.FreeSpan(t);
#endif
}

}  // namespace
}  // namespace gort::alloc
