// mcache: bounded lists, batch flushes, thread set-up and tear-down.
#include "alloc/mcache.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>
#include <vector>

#include "alloc/malloc.h"
#include "alloc/mcentral.h"
#include "alloc/proc.h"

namespace gort::alloc {
namespace {

TEST(MCacheThreads, ListsStayBoundedAndValid) {
  std::thread t([] {
    const uint32_t cls = SizeToClass(64);
    const uint32_t n = ClassCacheLimit(cls) + 1000;
    std::vector<void*> v;
    for (uint32_t i = 0; i < n; i++) v.push_back(Malloc(64));
    EXPECT_STREQ(tl_mcache.check(), "");
    EXPECT_GE(tl_mcache.refills, n / ClassBatch(cls) - 1);
    for (void* p : v) Free(p);
    EXPECT_STREQ(tl_mcache.check(), "");
    EXPECT_LE(tl_mcache.Len(cls), tl_mcache.lists[cls].max);
    EXPECT_LE(tl_mcache.lists[cls].max, ClassCacheLimit(cls));
    EXPECT_GE(tl_mcache.flushes, (n - ClassCacheLimit(cls)) / ClassBatch(cls));
  });
  t.join();
}

// A thread whose first act is a free does not keep the object: it is another thread's, and
// goes back to its owner (remote.h). The free sets the thread up (with an outbox, so that a
// thread that only frees sends its frees in blocks), around a proc of its own: the owner's
// is held by this thread's creator.
TEST(MCacheThreads, FirstFreeOnAThreadIsRemote) {
  void* p = Malloc(100);
  proc* owner = tl_mcache.p;
  std::thread t([p, owner] {
    EXPECT_EQ(tl_mcache.state, kCacheUnset);
    Free(p);
    EXPECT_EQ(tl_mcache.state, kCacheActive);
    EXPECT_NE(tl_mcache.p, owner);
    void* q = Malloc(100);
    EXPECT_EQ(tl_mcache.state, kCacheActive);
    EXPECT_NE(q, p) << "a remote object is reused by its owner only";
    EXPECT_STREQ(tl_mcache.check(), "");
    Free(q);
  });
  t.join();
  EXPECT_STREQ(tl_mcache.check(), "");
}

TEST(MCacheThreads, ThreadExitDrainsTheCache) {
  void* warm = Malloc(8);  // this thread's cache exists
  uint32_t before = CacheCount();
  std::vector<void*> handed;
  std::thread t([&] {
    for (int i = 0; i < 100; i++) handed.push_back(Malloc(48));
    for (int i = 0; i < 50; i++) Free(handed[i]);
    EXPECT_EQ(CacheCount(), before + 1);
  });
  t.join();
  EXPECT_EQ(CacheCount(), before) << "the exiting thread's cache left the registry";
  for (int i = 50; i < 100; i++) Free(handed[i]);  // objects of a dead thread, freed here
  EXPECT_STREQ(tl_mcache.check(), "");
  Free(warm);
}

// One thread frees what another allocated: the objects go back to the allocating thread's
// spans (proc.h) and must never be handed out twice.
TEST(MCacheThreads, CrossThreadBatchesStayWhole) {
  constexpr int kN = 20000;
  std::vector<void*> first(kN);
  for (auto& p : first) p = Malloc(64);
  std::thread consumer([&] {
    for (void* p : first) Free(p);
    EXPECT_STREQ(tl_mcache.check(), "");
  });
  consumer.join();
  std::set<void*> seen;
  std::vector<void*> second(kN);
  for (auto& p : second) {
    p = Malloc(64);
    ASSERT_TRUE(seen.insert(p).second) << "object handed out twice: " << p;
  }
  EXPECT_STREQ(tl_mcache.check(), "");
  EXPECT_STREQ(g_mcentral[SizeToClass(64)].check(), "");
  for (void* p : second) Free(p);
}

// Slow start: a thread that allocates 1000 objects in a row earns a list that holds them, so
// the next round needs no refill; the lists never outgrow the thread's budget.
TEST(MCache, ListsGrowWithUseWithinTheBudget) {
  std::thread t([] {
    const uint32_t cls = SizeToClass(64);
    std::vector<void*> v(1000);
    for (int round = 0; round < 3; round++) {
      for (auto& p : v) p = Malloc(64);
      for (void* p : v) Free(p);
    }
    uint64_t refills = tl_mcache.refills;
    for (auto& p : v) p = Malloc(64);
    for (void* p : v) Free(p);
    EXPECT_EQ(tl_mcache.refills, refills) << "the list should hold a whole round by now";
    EXPECT_GE(tl_mcache.lists[cls].max, 1000u);
    EXPECT_LE(tl_mcache.lists[cls].max, ClassCacheLimit(cls));
    // Every class at once cannot exceed the budget.
    for (uint32_t c = 1; c < kNumClasses; c++) {
      std::vector<void*> w(ClassCacheLimit(c));
      for (auto& p : w) p = Malloc(kClassSize[c]);
      for (void* p : w) Free(p);
    }
    EXPECT_STREQ(tl_mcache.check(), "");
    EXPECT_LE(tl_mcache.capacity, uint64_t{4} << 20) << "default GORT_THREAD_CACHE_KB is 4096";
  });
  t.join();
}

TEST(MCache, LargeSpansAreParkedAndReused) {
  std::thread t([] {
    void* a = Malloc(100000);
    Free(a);
    EXPECT_EQ(tl_mcache.nlarge, 1u);
    EXPECT_EQ(Malloc(100000), a) << "same page count: the parked span comes back";
    void* b = Malloc(200000);  // another page count: not served by the parked span
    EXPECT_NE(b, a);
    Free(b);
    Free(a);
    EXPECT_STREQ(tl_mcache.check(), "");
    void* huge = Malloc(8 << 20);  // larger than the park: straight back to the heap
    Free(huge);
    EXPECT_LE(tl_mcache.large_bytes, mcache::kLargeBytes);
  });
  t.join();
}

// Two sizes in turn are both served by their parked spans; a request whose page count
// differs from a parked span's by a multiple of 8192 pages (the span's key packs its page
// count into the base's low 13 bits) is not taken for it.
TEST(MCache, ParkedSpansServeTheirPageCountOnly) {
  std::thread t([] {
    void* a = Malloc(64 << 10);
    void* b = Malloc(256 << 10);
    Free(a);
    Free(b);
    for (int i = 0; i < 6; i++) {
      void* x = Malloc(i % 2 == 0 ? 64 << 10 : 256 << 10);
      EXPECT_EQ(x, i % 2 == 0 ? a : b) << "round " << i;
      Free(x);
      EXPECT_STREQ(tl_mcache.check(), "");
    }
    const size_t pages = (64 << 10) / kPageSize;
    void* far = Malloc((pages + kPageSize) * kPageSize);  // page count + 8192
    ASSERT_NE(far, nullptr);
    EXPECT_NE(far, a);
    EXPECT_NE(far, b);
    EXPECT_EQ(tl_mcache.nlarge, 2u) << "neither parked span was taken";
    Free(far);
    EXPECT_STREQ(tl_mcache.check(), "");
  });
  t.join();
}

// check() names the first broken invariant. A copy of this thread's cache is corrupted, so
// the cache itself stays whole (the copy's lists alias the real objects; check() only reads).
TEST(MCache, CheckNamesTheBrokenInvariant) {
  const uint32_t cls = SizeToClass(64);
  Free(Malloc(64));  // an active cache whose list for cls holds objects
  ASSERT_EQ(tl_mcache.state, kCacheActive);
  ASSERT_GT(tl_mcache.Len(cls), 1u);
  mcache c = tl_mcache;
  ASSERT_STREQ(c.check(), "");
  c.capacity += 8;
  EXPECT_STREQ(c.check(), "mcache: capacity is not the sum of max(c) * size(c)");
  c = tl_mcache;
  c.lists[cls].room = 0;
  EXPECT_STREQ(c.check(), "mcache: room(c) is outside 1..max(c)");
  c = tl_mcache;
  c.lists[cls].room++;  // the list holds one object more than len(c) says
  EXPECT_STREQ(c.check(), "mcache: len(c) + room(c) != max(c)");
  c = tl_mcache;
  c.lists[cls].keyoff = 0;
  EXPECT_STREQ(c.check(), "mcache: keyoff(c) is not where class c keeps its key");
  c = tl_mcache;
  c.small[64 / 8] = c.list_of[cls + 1];
  EXPECT_STREQ(c.check(), "mcache: small[i] is not the list of size 8i");
  c = tl_mcache;
  c.list_of[cls] = c.list_of[cls + 1];
  EXPECT_STREQ(c.check(), "mcache: list_of[c] is not &lists[c]");
  c = tl_mcache;
  void* big = Malloc(100000);
  Free(big);  // parked
  c = tl_mcache;
  ASSERT_EQ(c.nlarge, 1u);
  ASSERT_STREQ(c.check(), "");
  c.large_key[0] += 1;  // one page more than the span has
  EXPECT_STREQ(c.check(), "mcache: large_key[i] is not large[i]'s base | npages");
  EXPECT_EQ(Malloc(100000), big);
  Free(big);
  c = tl_mcache;
  void* other = Malloc(1000);
  c.lists[cls].head = other;
  EXPECT_STREQ(c.check(), "mcache: an object on list c is not of class c");
  Free(other);
  EXPECT_STREQ(tl_mcache.check(), "");
}

// The 8-byte class keeps its free key in its link word (keyoff 0): a malloc or free of one
// object writes nothing past its 8 bytes, where its neighbour lives. Every other object is
// freed and taken back, through the cache and its flushes and refills; the kept ones must
// read what was written.
TEST(MCache, EightByteObjectsLeaveTheirNeighboursAlone) {
  constexpr int kN = 20000;
  std::vector<uint64_t*> v(kN);
  for (int i = 0; i < kN; i++) {
    v[i] = static_cast<uint64_t*>(Malloc(1 + i % 8));  // sizes 1..8: the 8-byte class
    *v[i] = 0x5a5a000000000000u + i;
  }
  for (int round = 0; round < 3; round++) {
    for (int i = round % 2; i < kN; i += 2) Free(v[i]);
    for (int i = round % 2; i < kN; i += 2) {
      v[i] = static_cast<uint64_t*>(Malloc(8));
      *v[i] = 0x5a5a000000000000u + i;
    }
    for (int i = 0; i < kN; i++) ASSERT_EQ(*v[i], 0x5a5a000000000000u + i) << "object " << i;
  }
  EXPECT_STREQ(tl_mcache.check(), "");
  for (uint64_t* p : v) Free(p);
}

// free's answers to pointers that name no block (FreeInvalid): null is nothing; an address
// outside the heap, and one inside a large block but not its start, stop the program.
TEST(MCacheDeathTest, FreeOfNoBlockIsNothingForNullAndFatalOtherwise) {
  Free(nullptr);
  Free(nullptr);
  static char not_ours[64];
  EXPECT_DEATH(Free(not_ours), "fatal error: free\\(\\): pointer not allocated by gort");
  char* big = static_cast<char*>(Malloc(100000));
  EXPECT_DEATH(Free(big + 8192), "fatal error: invalid pointer: double free, or not the start");
  Free(big);
}

TEST(MCacheDeathTest, FreeOfAParkedLargeSpanIsADoubleFree) {
  void* a = Malloc(100000);
  Free(a);
  EXPECT_DEATH(Free(a), "fatal error: invalid pointer: double free");
}

#if GORT_CHECKS >= 2
TEST(MCacheDeathTest, InteriorPointerIsCaught) {
  char* p = static_cast<char*>(Malloc(64));
  EXPECT_DEATH(Free(p + 8), "fatal error: free\\(\\): pointer is not the start");
  Free(p);
}

TEST(MCacheDeathTest, ImmediateDoubleFreeIsCaught) {
  void* p = Malloc(64);
  Free(p);
  EXPECT_DEATH(Free(p), "double free");
}

// The slow paths' entry preconditions: what only the fast paths may hand them.
TEST(MCacheDeathTest, SlowPathPreconditionsNameTheFunction) {
  const uint32_t cls = SizeToClass(64);
  Free(Malloc(64));  // the list for cls holds objects and has room
  EXPECT_DEATH(CacheFlush(cls), "CacheFlush: the list still has room");
  EXPECT_DEATH(CacheRefill(cls), "CacheRefill: the list is not empty");
  EXPECT_DEATH(CacheRefill(kNumClasses), "CacheRefill: size class out of range");
}
#endif

}  // namespace
}  // namespace gort::alloc
