// realloc_test.cc — realloc keeps the contents while blocks grow and shrink.
//
// Random walks over sizes 0..4 MiB that keep crossing the small/large boundary (32 KiB):
// after each step the surviving prefix must hold the previous pattern; then the whole new
// block is refilled with a fresh one. Several walks interleave so the heap's neighbours
// change under each block (realloc in place, by moving, by shrinking a large block).
#include <malloc.h>

#include <algorithm>
#include <vector>

#include <gtest/gtest.h>

#include "tests/alloc/test_util.h"

namespace gort_test {
namespace {

constexpr size_t kSmallMax = 32768;
constexpr size_t kMaxSize = size_t{4} << 20;

// A size from one of four bands, so that steps often cross 32 KiB.
size_t NextSize(Rng& r) {
  switch (r.Below(5)) {
    case 0: return r.Below(1025);                                    // tiny, including 0
    case 1: return r.Range(1024, kSmallMax);                         // small
    case 2: return r.Range(kSmallMax - 512, kSmallMax + 512);        // at the boundary
    case 3: return r.Range(kSmallMax + 1, size_t{256} << 10);        // modest large
    default: return r.Range(size_t{256} << 10, kMaxSize);            // big large
  }
}

struct Walker {
  char* p = nullptr;
  size_t n = 0;
  uint64_t seed = 0;
};

// One realloc step of w to size n; checks the kept prefix, refills. Returns false on failure.
::testing::AssertionResult Step(Walker& w, size_t n, uint64_t seed) {
  char* q = static_cast<char*>(API(realloc)(w.p, n));
  if (n == 0 && w.p != nullptr) {  // glibc: realloc(p, 0) frees p, returns NULL
    if (q != nullptr) return ::testing::AssertionFailure() << "realloc(p, 0) returned " << (void*)q;
    w = Walker{};
    return ::testing::AssertionSuccess();
  }
  if (q == nullptr) return ::testing::AssertionFailure() << "realloc to " << n << " failed";
  size_t keep = std::min(w.n, n);
  size_t bad = FirstBad(q, keep, w.seed);
  if (bad != SIZE_MAX)
    return ::testing::AssertionFailure() << "realloc " << (void*)w.p << " (" << w.n << " B) -> "
                                         << (void*)q << " (" << n << " B) lost byte " << bad;
  if (API(malloc_usable_size)(q) < n)
    return ::testing::AssertionFailure() << "usable size " << API(malloc_usable_size)(q) << " < " << n;
  Fill(q, n, seed);
  w = Walker{q, n, seed};
  return ::testing::AssertionSuccess();
}

TEST(Realloc, RandomWalksKeepContents) {
  const uint64_t base = LargeInUse();
  Rng r(20240601);
  std::vector<Walker> ws(6);
  for (int i = 0; i < 1500; i++) {
    Walker& w = ws[r.Below(ws.size())];
    ASSERT_TRUE(Step(w, NextSize(r), r.Next())) << "step " << i;
  }
  for (Walker& w : ws) {
    ASSERT_TRUE(Intact(w.p, w.n, w.seed));
    API(free)(w.p);
  }
  EXPECT_EQ(LargeInUse(), base) << "large blocks not given back";
}

// The exact edges: one byte either side of 32 KiB, of a page, and of the same size.
TEST(Realloc, BoundaryEdges) {
  const size_t sizes[] = {0,     1,     8,     16,    1024,  8191,  8192,  8193,  kSmallMax - 1,
                          kSmallMax, kSmallMax + 1, 40960, 65535, 65536, 65537, kMaxSize, 24};
  Rng r(7);
  for (size_t from : sizes) {
    for (size_t to : sizes) {
      Walker w;
      ASSERT_TRUE(Step(w, from == 0 ? 1 : from, r.Next()));
      ASSERT_TRUE(Step(w, to, r.Next())) << from << " -> " << to;
      ASSERT_TRUE(Step(w, to, r.Next())) << to << " -> " << to;  // same size again
      API(free)(w.p);
    }
  }
}

// A large block grown step by step (in place when its neighbour is free) and shrunk back.
TEST(Realloc, GrowAndShrinkLargeStepwise) {
  Walker w;
  Rng r(99);
  ASSERT_TRUE(Step(w, kSmallMax + 1, r.Next()));
  for (size_t n = kSmallMax + 1; n <= kMaxSize; n = n * 5 / 4 + 4097) ASSERT_TRUE(Step(w, n, r.Next()));
  for (size_t n = kMaxSize; n > 16; n = n * 3 / 5) ASSERT_TRUE(Step(w, n, r.Next()));
  API(free)(w.p);
}

}  // namespace
}  // namespace gort_test
