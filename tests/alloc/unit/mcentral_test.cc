// mcentral: batches out, batches back through the transfer cache, objects back to spans.
#include "alloc/mcentral.h"

#include <gtest/gtest.h>

#include <set>

#include "alloc/freelink.h"
#include "alloc/malloc.h"
#include "alloc/mheap.h"

namespace gort::alloc {
namespace {

void* Next(void* p) { return GetNext(p); }  // links are encoded (freelink.h)

std::set<void*> Collect(void* head, uint32_t n) {
  std::set<void*> s;
  for (uint32_t i = 0; i < n; i++, head = Next(head)) s.insert(head);
  return s;
}

TEST(MCentral, RemoveRangeGivesDistinctObjectsOfTheClass) {
  EnsureInit();
  const uint32_t cls = 6;  // 64 B
  mcentral& c = g_mcentral[cls];
  void* head = nullptr;
  uint32_t n = c.RemoveRange(&head, ClassBatch(cls));
  ASSERT_EQ(n, ClassBatch(cls));
  std::set<void*> objs = Collect(head, n);
  EXPECT_EQ(objs.size(), n);
  for (void* p : objs) {
    EXPECT_EQ(g_pagemap.Class(reinterpret_cast<uintptr_t>(p)), cls);
    mspan* s = g_pagemap.Span(reinterpret_cast<uintptr_t>(p));
    EXPECT_EQ((reinterpret_cast<uintptr_t>(p) - s->base) % kClassSize[cls], 0u);
  }
  EXPECT_STREQ(c.check(), "");
  c.InsertRange(head, n);
  EXPECT_STREQ(c.check(), "");
}

TEST(MCentral, FullBatchesTravelThroughTheTransferCache) {
  EnsureInit();
  const uint32_t cls = 10;
  mcentral& c = g_mcentral[cls];
  void* head = nullptr;
  uint32_t n = c.RemoveRange(&head, ClassBatch(cls));
  c.InsertRange(head, n);
  mcentral::Stats before = c.GetStats();
  EXPECT_EQ(before.slots, 1u);
  void* again = nullptr;
  ASSERT_EQ(c.RemoveRange(&again, n), n);
  EXPECT_EQ(again, head) << "the batch given back is the next one handed out";
  EXPECT_EQ(c.GetStats().transfer_hits, before.transfer_hits + 1);
  c.InsertRange(again, n);
}

TEST(MCentral, PartialBatchesGoBackToSpansAndEmptySpansToTheHeap) {
  EnsureInit();
  const uint32_t cls = 67;  // 32 KiB, one object per 4-page span; a batch is 2
  mcentral& c = g_mcentral[cls];
  void* objs[3];
  for (void*& p : objs) ASSERT_EQ(c.RemoveRange(&p, 1), 1u);
  EXPECT_EQ(c.GetStats().spans, 3u);
  for (void* p : objs) c.InsertRange(p, 1);  // not a batch: straight back to the spans
  EXPECT_STREQ(c.check(), "");
  EXPECT_EQ(c.GetStats().spans, 1u) << "empty spans return to mheap, one is kept";
  EXPECT_STREQ(g_mheap.check(), "");
}

// check() names the first broken invariant. The mcentral is the test's own (its spans come
// from g_mheap, but nothing else sees them), so corrupting it disturbs nothing.
TEST(MCentral, CheckNamesTheBrokenInvariant) {
  EnsureInit();
  const uint8_t cls = 6;
  mcentral c;
  c.Init(cls);
  void* one = nullptr;
  ASSERT_EQ(c.RemoveRange(&one, 1), 1u);
  ASSERT_STREQ(c.check(), "");
  mspan* s = g_pagemap.Span(reinterpret_cast<uintptr_t>(one));
  s->onlist = false;
  EXPECT_STREQ(c.check(), "mcentral: a span on partial is not marked onlist");
  s->onlist = true;
  s->cls = cls + 1;
  EXPECT_STREQ(c.check(), "mcentral: a span on partial is not a small span of this class");
  s->cls = cls;
  s->allocCount++;  // a span's own invariant comes through with the span's name
  EXPECT_STREQ(c.check(), "mspan: allocCount + |freelist| + |xlist| + (nelems - freeindex) != nelems");
  s->allocCount--;

  void* batch = nullptr;
  const uint32_t n = c.RemoveRange(&batch, ClassBatch(cls));
  ASSERT_EQ(n, ClassBatch(cls));
  c.InsertRange(batch, n);  // a whole batch: into the transfer cache
  ASSERT_EQ(c.GetStats().slots, 1u);
  ASSERT_STREQ(c.check(), "");
  void* last = batch;
  for (uint32_t k = 1; k < n; k++) last = Next(last);
  SetNext(last, one);
  EXPECT_STREQ(c.check(), "mcentral: a transfer-cache batch is longer than a batch");
  SetNext(last, nullptr);
  EXPECT_STREQ(c.check(), "");
  c.InsertRange(one, 1);
  EXPECT_STREQ(c.check(), "");
}

// At tier >= 2 RemoveRange and InsertRange check their preconditions at entry.
TEST(MCentralDeathTest, PreconditionsNameTheFunction) {
#if GORT_CHECKS < 2
  GTEST_SKIP() << "preconditions are asserted at GORT_CHECKS >= 2; this build has " << GORT_CHECKS;
#else
  EnsureInit();
  void* head = nullptr;
  EXPECT_DEATH(g_mcentral[67].RemoveRange(&head, 3), "mcentral::RemoveRange: n is not in 1..batch");
  EXPECT_DEATH(g_mcentral[6].RemoveRange(&head, 0), "mcentral::RemoveRange: n is not in 1..batch");
  EXPECT_DEATH(g_mcentral[6].InsertRange(nullptr, 1), "mcentral::InsertRange: head is null");
  EXPECT_DEATH(
      {
        LockGuard g(g_mcentral[6].lock);
        g_mcentral[6].RemoveRange(&head, 1);
      },
      "mcentral::RemoveRange: the caller holds the lock");
#endif
}

}  // namespace
}  // namespace gort::alloc
