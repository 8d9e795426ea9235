// Page map: every page of a small span maps to its class and span; anything else maps to 0.
#include "alloc/pagemap.h"

#include <gtest/gtest.h>

#include "alloc/malloc.h"
#include "alloc/mheap.h"

namespace gort::alloc {
namespace {

TEST(PageMap, SmallSpanPagesMapToClassAndSpan) {
  EnsureInit();
  const uint8_t cls = 61;  // 7 pages per span
  mspan* s = g_mheap.AllocSpan(kClassPages[cls], 1, SpanState::kSmall, cls);
  ASSERT_NE(s, nullptr);
  for (uintptr_t a = s->base; a < s->limit(); a += 512) {
    ASSERT_EQ(g_pagemap.Class(a), cls);
    ASSERT_EQ(g_pagemap.FastClass(a), cls) << "the heap's first arena is in the flat window";
    ASSERT_EQ(g_pagemap.Span(a), s);
  }
  g_mheap.FreeSpan(s);
  EXPECT_EQ(g_pagemap.Class(s->base), 0u) << "freed pages must not look like small objects";
  EXPECT_EQ(g_pagemap.FastClass(s->base), 0u);
}

TEST(PageMap, ForeignAddressesMapToNothing) {
  int local = 0;
  static int global_var;
  for (uintptr_t a : {uintptr_t{0}, uintptr_t(&local), uintptr_t(&global_var),
                      uintptr_t{1} << 47, ~uintptr_t{0}, uintptr_t{0xdeadbeefdeadbeef}}) {
    EXPECT_EQ(g_pagemap.Class(a), 0u) << std::hex << a;
    EXPECT_EQ(g_pagemap.FastClass(a), 0u) << std::hex << a;
    EXPECT_EQ(g_pagemap.Span(a), nullptr) << std::hex << a;
  }
}

TEST(PageMap, LargeSpanFirstAndLastPage) {
  EnsureInit();
  mspan* s = g_mheap.AllocSpan(300, 1, SpanState::kLarge, 0);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(g_pagemap.Span(s->base), s);
  EXPECT_EQ(g_pagemap.Span(s->limit() - 1), s);
  EXPECT_EQ(g_pagemap.Class(s->base + 5 * kPageSize), 0u);
  g_mheap.FreeSpan(s);
}

}  // namespace
}  // namespace gort::alloc
