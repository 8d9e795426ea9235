// calloc_test.cc — calloc returns zeroed memory even where the heap recycles dirty memory.
//
// gort skips the memset of a large calloc when it believes the pages are fresh or released
// (span.h `zeroed`); these tests dirty memory through every path that can hand it back —
// plain free, realloc shrinking a large block in place, memalign'd blocks — then calloc the
// same sizes and check every byte.
#include <malloc.h>

#include <vector>

#include <gtest/gtest.h>

#include "tests/alloc/test_util.h"

namespace gort_test {
namespace {

const size_t kSizes[] = {1,     24,    100,         1000,          4096,          8192,
                         32768, 32769, 100000,      size_t{1} << 20, size_t{3} << 20, size_t{17} << 20};

// Allocates and dirties a few blocks of n bytes, frees them, then callocs n bytes.
void DirtyThenCalloc(size_t n) {
  std::vector<void*> dirty;
  for (int i = 0; i < 4; i++) {
    void* p = API(malloc)(n);
    ASSERT_NE(p, nullptr);
    memset(p, 0xab, n);
    dirty.push_back(p);
  }
  for (void* p : dirty) API(free)(p);
  for (int i = 0; i < 4; i++) {
    unsigned char* q = static_cast<unsigned char*>(API(calloc)(1, n));
    ASSERT_NE(q, nullptr);
    ASSERT_TRUE(AllZero(q, n)) << "calloc(1, " << n << ") returned dirty memory at " << (void*)q;
    dirty[i] = q;
  }
  for (void* p : dirty) API(free)(p);
}

TEST(Calloc, ZeroAfterFree) {
  for (size_t n : kSizes) DirtyThenCalloc(n);
}

TEST(Calloc, ZeroAfterMemalignFree) {
  for (size_t a : {size_t{64}, size_t{4096}, size_t{1} << 16, size_t{1} << 21}) {
    for (size_t n : {size_t{100}, size_t{40000}, size_t{1} << 20}) {
      void* p = API(memalign)(a, n);
      ASSERT_NE(p, nullptr);
      memset(p, 0xcd, n);
      API(free)(p);
      void* q = API(calloc)(n, 1);
      ASSERT_NE(q, nullptr);
      EXPECT_TRUE(AllZero(q, n)) << "after memalign(" << a << ", " << n << ")";
      API(free)(q);
    }
  }
}

// realloc shrinking a large block gives its dirty tail back to the heap at once.
TEST(Calloc, ZeroAfterReallocShrinksInPlace) {
  for (size_t big : {size_t{1} << 20, size_t{8} << 20}) {
    void* p = API(malloc)(big);
    ASSERT_NE(p, nullptr);
    memset(p, 0xef, big);
    p = API(realloc)(p, 40000);
    ASSERT_NE(p, nullptr);
    std::vector<void*> zs;
    for (size_t n = 36000; n < big; n += n / 2 + 8192) {
      void* q = API(calloc)(1, n);
      ASSERT_NE(q, nullptr);
      EXPECT_TRUE(AllZero(q, n)) << "calloc(1, " << n << ") after realloc(" << big << " -> 40000)";
      zs.push_back(q);
    }
    for (void* q : zs) API(free)(q);
    API(free)(p);
  }
}

// Freed neighbours coalesce; a calloc spanning dirty and fresh pages must still be zero.
TEST(Calloc, ZeroAcrossCoalescedRuns) {
  std::vector<void*> ps;
  for (int i = 0; i < 16; i++) {
    void* p = API(malloc)(size_t{64} << 10);
    ASSERT_NE(p, nullptr);
    memset(p, 0x11, size_t{64} << 10);
    ps.push_back(p);
  }
  for (size_t i = 0; i < ps.size(); i += 2) API(free)(ps[i]);
  for (size_t i = 1; i < ps.size(); i += 2) API(free)(ps[i]);
  void* q = API(calloc)(16, size_t{64} << 10);
  ASSERT_NE(q, nullptr);
  EXPECT_TRUE(AllZero(q, size_t{1} << 20));
  API(free)(q);
}

}  // namespace
}  // namespace gort_test
