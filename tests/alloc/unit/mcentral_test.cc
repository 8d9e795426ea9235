// mcentral: batches out, batches back through the transfer cache, objects back to spans.
#include "alloc/mcentral.h"

#include <gtest/gtest.h>

#include <set>

#include "alloc/malloc.h"
#include "alloc/mheap.h"

namespace gort::alloc {
namespace {

void* Next(void* p) { return *static_cast<void**>(p); }

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
  EXPECT_TRUE(c.IsValid());
  c.InsertRange(head, n);
  EXPECT_TRUE(c.IsValid());
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
  const uint32_t cls = 67;  // 32 KiB, one object per 4-page span
  mcentral& c = g_mcentral[cls];
  void* head = nullptr;
  uint32_t n = c.RemoveRange(&head, 3);
  ASSERT_EQ(n, 3u);
  EXPECT_EQ(c.GetStats().spans, 3u);
  c.InsertRange(head, 3);  // not a batch: straight back to the spans
  EXPECT_TRUE(c.IsValid());
  EXPECT_EQ(c.GetStats().spans, 1u) << "empty spans return to mheap, one is kept";
  EXPECT_TRUE(g_mheap.IsValid());
}

}  // namespace
}  // namespace gort::alloc
