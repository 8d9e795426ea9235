// Borrowed results and in-place growth (slice.h, "Results of append on an lvalue"):
// `s = append(s, v)` does no reference counting (but where growth by copy makes a new array,
// whose reference passes through the result slot) and grows s's own array when nobody shares
// it, with Go's capacities; results that go elsewhere keep Go's aliasing; shared arrays and
// other threads' arrays are never grown in place. The counts come from array.h's
// GORT_SLICES_STATS hook (this target defines it).
#include <gtest/gtest.h>

#include <numeric>
#include <string>
#include <thread>
#include <vector>

#include "tests/slices/fidelity.h"
#include "tests/slices/leak_check.h"

static_assert(GORT_SLICES_STATS, "the counts below need the stats hook");

namespace gort::slices::testing {
namespace {

static_assert(std::is_same_v<decltype(append(std::declval<slice<long>&>(), 1L)), const slice<long>&>);
static_assert(std::is_same_v<decltype(slice(append(std::declval<slice<long>&>(), 1L))), slice<long>>);
static_assert(std::is_same_v<decltype(append(std::declval<const slice<long>&>(), 1L)), slice<long>>);

rt::ref_stats Stats() { return rt::tls_stats; }

using SliceBorrow = gort::test::SliceLeakCheck;
using SliceBorrowThreads = gort::test::SliceLeakCheck;  // tests that start threads

// Go's capacity sequence for 8-byte elements: len that grew -> cap (growth.txt).
std::map<size_t, size_t> GoldenGrowth8() {
  std::map<size_t, size_t> g;
  std::istringstream in(oracle::Golden("slices/golden/growth.txt"));
  size_t size, len, cap;
  while (in >> size >> len >> cap)
    if (size == 8) g[len] = cap;
  return g;
}

TEST_F(SliceBorrow, AppendLoopHasGoCapsNoRefOpsAndGrowsInPlace) {
  auto want = GoldenGrowth8();
  ASSERT_FALSE(want.empty());
  constexpr long kN = 1 << 20;
  slice<long> s;
  rt::ref_stats before = Stats();
  size_t prev = 0, growths = 0;
  for (long i = 0; i < kN; i++) {
    s = append(s, i);
    if (s.cap() == prev) continue;
    auto it = want.find(size_t(i + 1));
    ASSERT_NE(it, want.end()) << "grew at len " << i + 1 << ", Go did not";
    ASSERT_EQ(s.cap(), it->second) << "len " << i + 1;
    prev = s.cap(), growths++;
  }
  rt::ref_stats after = Stats();
  // One pair: the growth from nil makes a new array, which s takes from the result slot.
  EXPECT_EQ(after.retains - before.retains, 1) << "s = append(s, v) took references";
  EXPECT_EQ(after.releases - before.releases, 1) << "s = append(s, v) dropped references";
  EXPECT_EQ(after.arrays - before.arrays, 1) << "only the first append (from nil) allocates";
  EXPECT_EQ(after.regrows - before.regrows, int64_t(growths) - 1) << "every later growth is in place";
  ASSERT_STREQ(s.check(), "");
  for (long i = 0; i < kN; i++) ASSERT_EQ(s[i], i);
  for (size_t i = s.len(); i < s.cap(); i++) ASSERT_EQ(s.sub(0, s.cap())[i], 0) << i;
}

TEST_F(SliceBorrow, ResultKeptApartFromAFullSourceGetsItsOwnArray) {
  slice<long> s{1, 2, 3, 4};  // full (len == cap), unique
  long* old_data = s.data();
  slice t = append(s, 5);  // grows s's array in place, then t copies out (Go: new array)
  EXPECT_FALSE(t.shares_array_with(s));
  EXPECT_EQ(t.len(), 5u);
  EXPECT_EQ(t.cap(), 8u);
  t[0] = -1;
  EXPECT_EQ(s[0], 1);
  EXPECT_EQ(s.len(), 4u);
  EXPECT_EQ(s.cap(), 4u);
  (void)old_data;  // (s's address may have changed; its contents may not)
  EXPECT_EQ((std::vector<long>(s.begin(), s.end())), (std::vector<long>{1, 2, 3, 4}));
  for (size_t i = t.len(); i < t.cap(); i++) EXPECT_EQ(t.sub(0, t.cap())[i], 0);
  slice u = append(s, 6);  // the block has room past s's window: grows by copy, as Go
  EXPECT_FALSE(u.shares_array_with(s));
  EXPECT_FALSE(u.shares_array_with(t));
  EXPECT_EQ(t[4], 5);
  EXPECT_EQ(u[4], 6);
  s = append(s, 7);  // and s's own growth still lands on Go's cap
  EXPECT_EQ(s.cap(), 8u);
  EXPECT_EQ(s[4], 7);
  EXPECT_EQ(t[4], 5);
  EXPECT_STREQ(s.check(), "");
  EXPECT_STREQ(t.check(), "");
  EXPECT_STREQ(u.check(), "");
}

// append(s, chunk) on a slice with some room left but not enough grows in place too: the
// chunk overwrites all of [len, cap), so nothing stale can show. Capacities stay Go's
// (growslice for an append of n, which the grid oracle checks against Go).
TEST_F(SliceBorrow, BulkAppendGrowsInPlaceWhenNotFull) {
  slice<long> chunk = make<long>(1000);
  for (long i = 0; i < 1000; i++) chunk[i] = i;
  slice<long> s;
  rt::ref_stats before = Stats();
  size_t prev = 0, growths = 0;
  for (int r = 0; r < 100; r++) {
    s = append(s, chunk);
    ASSERT_EQ(s.len(), size_t(r + 1) * 1000);
    if (s.cap() != prev) {
      ASSERT_EQ(s.cap(), slices::GrowCap(prev, size_t(r + 1) * 1000, sizeof(long))) << "round " << r;
      prev = s.cap(), growths++;
    }
  }
  rt::ref_stats after = Stats();
  EXPECT_EQ(after.arrays - before.arrays, 1) << "only the first append (from nil) allocates";
  EXPECT_EQ(after.regrows - before.regrows, int64_t(growths) - 1);
  for (size_t i = 0; i < s.len(); i++) ASSERT_EQ(s[i], long(i % 1000)) << i;
  slice<long> w = s.sub(0, s.cap());  // the tail past len reads zero
  for (size_t i = s.len(); i < w.len(); i++) ASSERT_EQ(w[i], 0) << i;
  ASSERT_STREQ(s.check(), "");
}

TEST_F(SliceBorrow, ResultWithRoomSharesTheArray) {
  auto s = make<long>(2, 4);
  slice t = append(s, 9);  // fits: same array, Go's aliasing
  EXPECT_TRUE(t.shares_array_with(s));
  t[0] = 5;
  EXPECT_EQ(s[0], 5);
  EXPECT_EQ(s.sub(0, 3)[2], 9);
  rt::ref_stats before = Stats();
  slice u = append(s, 1);  // promotion into another slice: exactly one reference
  EXPECT_EQ(Stats().retains - before.retains, 1);
  EXPECT_EQ(t[2], 1);  // the same element, as in Go
  std::vector<slice<long>> kept;
  kept.push_back(append(s, 2));  // by value into a container: a counted slice
  EXPECT_TRUE(kept[0].shares_array_with(s));
  EXPECT_EQ(append(s, 3).len(), 3u);  // read inside the expression
  EXPECT_EQ(append(s, 4)[2], 4);
}

// Copy assignment recognises a result's source by value (array and data), not by address: a
// slice that already holds the same array at the same data_ takes Go's len and cap without counting,
// exactly what a counted assignment would leave; every other slice is counted.
TEST_F(SliceBorrow, AssignmentToASliceOfTheSameWindow) {
  auto s = make<long>(2, 4);
  slice<long> t = s.sub(0, 1, 3);  // same array and data, other len and cap
  rt::ref_stats before = Stats();
  t = append(s, 7);
  EXPECT_EQ(Stats().retains - before.retains, 0);
  EXPECT_EQ(Stats().releases - before.releases, 0);
  EXPECT_EQ(t.len(), 3u);
  EXPECT_EQ(t.cap(), 4u);  // s's cap, as in Go
  EXPECT_EQ(s.len(), 2u);
  EXPECT_TRUE(t.shares_array_with(s) && t.data() == s.data());
  EXPECT_EQ(t[2], 7);
  slice<long> u = s.sub(1);  // another data_: a counted reference
  before = Stats();
  u = append(s, 8);
  EXPECT_EQ(Stats().retains - before.retains, 1);
  EXPECT_EQ(Stats().releases - before.releases, 1);
  EXPECT_EQ(u.data(), s.data());
  EXPECT_EQ(u.len(), 3u);
  EXPECT_EQ(t[2], 8);  // one element, seen through every slice
  EXPECT_STREQ(s.check(), "");
  EXPECT_STREQ(t.check(), "");
  EXPECT_STREQ(u.check(), "");
}

// A full unique source grows in place; the result assigned to another slice is a copy (Go
// puts t and s on different arrays), and growth by copy hands its new array to whoever is
// assigned, source or not.
TEST_F(SliceBorrow, GrownResultsGoToTheRightSlice) {
  slice<long> s{1, 2};
  slice<long> t;
  t = append(s, 3);  // grew s's array in place; t gets a copy of cap 4
  EXPECT_FALSE(t.shares_array_with(s));
  EXPECT_EQ(t.len(), 3u);
  EXPECT_EQ(t.cap(), 4u);
  EXPECT_EQ(s.len(), 2u);
  EXPECT_EQ(s.cap(), 2u);  // s sees what it saw
  t[0] = 10;
  EXPECT_EQ(s[0], 1);
  slice<long> keep = s;    // s is shared now: the next growth copies
  slice<long> u = s;
  u = append(s, 4);
  EXPECT_FALSE(u.shares_array_with(s));
  EXPECT_EQ((std::vector<long>(u.begin(), u.end())), (std::vector<long>{1, 2, 4}));
  s = append(s, 5);        // the source adopts its new array too
  EXPECT_FALSE(s.shares_array_with(keep));
  EXPECT_EQ((std::vector<long>(s.begin(), s.end())), (std::vector<long>{1, 2, 5}));
  EXPECT_EQ(keep.len(), 2u);
  EXPECT_STREQ(s.check(), "");
  EXPECT_STREQ(t.check(), "");
  EXPECT_STREQ(u.check(), "");
  EXPECT_STREQ(keep.check(), "");
}

TEST_F(SliceBorrow, SharedArrayNeverGrowsInPlace) {
  slice<long> s{1, 2, 3};
  slice<long> s2 = s;
  const long* old = s2.data();
  rt::ref_stats before = Stats();
  s = append(s, 4);
  EXPECT_EQ(Stats().regrows - before.regrows, 0);
  EXPECT_EQ(Stats().arrays - before.arrays, 1);
  EXPECT_EQ(s2.data(), old);
  EXPECT_FALSE(s.shares_array_with(s2));
  s[0] = 100;
  EXPECT_EQ((std::vector<long>(s2.begin(), s2.end())), (std::vector<long>{1, 2, 3}));
  EXPECT_EQ((std::vector<long>(s.begin(), s.end())), (std::vector<long>{100, 2, 3, 4}));
}

TEST_F(SliceBorrow, SubSliceOfALiveArrayIsNotUnique) {
  auto big = make<long>(8);
  std::iota(big.begin(), big.end(), 0);
  auto s = big.sub(0, 2, 2);
  s = append(s, 42);  // big still holds the array: a new one, big unchanged
  EXPECT_EQ(big[2], 2);
  EXPECT_FALSE(s.shares_array_with(big));
  EXPECT_EQ(s[2], 42);
}

TEST_F(SliceBorrow, OffsetWindowGrowsInPlaceKeepingItsOffset) {
  auto s = make<long>(10);
  std::iota(s.begin(), s.end(), 0);
  s = s.sub(4);  // unique, window [4, 10) ends at the block's end
  rt::ref_stats before = Stats();
  s = append(s, 10);
  EXPECT_EQ(Stats().regrows - before.regrows, 1);
  EXPECT_EQ(s.cap(), GrowCap(6, 7, sizeof(long)));
  EXPECT_EQ((std::vector<long>(s.begin(), s.end())), (std::vector<long>{4, 5, 6, 7, 8, 9, 10}));
  for (size_t i = s.len(); i < s.cap(); i++) EXPECT_EQ(s.sub(0, s.cap())[i], 0);
  EXPECT_STREQ(s.check(), "");
}

TEST_F(SliceBorrow, ValueFromTheGrowingArray) {
  slice<long> s{7, 8};
  s = append(s, s[0]);  // v lives in the block that realloc moves
  s = append(s, s[2]);
  EXPECT_EQ((std::vector<long>(s.begin(), s.end())), (std::vector<long>{7, 8, 7, 7}));
  slice<std::string> w{"a long string that is not inline", "b"};
  w = append(w, w[0]);
  EXPECT_EQ(w[2], "a long string that is not inline");
  w = append(w, w);  // spread from itself: grows by copy
  EXPECT_EQ(w.len(), 6u);
  EXPECT_EQ(w[5], "a long string that is not inline");
}

struct Copies {
  static inline int copies = 0, alive = 0;
  long v = 0;
  Copies() { alive++; }
  Copies(long x) : v(x) { alive++; }
  Copies(const Copies& o) : v(o.v) { copies++, alive++; }
  Copies(Copies&& o) noexcept : v(o.v) { alive++; }
  Copies& operator=(const Copies&) = default;
  Copies& operator=(Copies&&) noexcept = default;
  ~Copies() { alive--; }
};

TEST_F(SliceBorrow, NonTrivialElementsMoveWhenGrowingInPlace) {
  {
    slice<Copies> s;
    Copies v(3);
    size_t growths = 0, prev = 0;
    Copies::copies = 0;
    for (int i = 0; i < 5000; i++) {
      s = append(s, v);
      if (s.cap() != prev) growths++, prev = s.cap();
    }
    // Growth in place copies the appended value once (it may live in the moving block);
    // the first growth, from nil, has no block. No element is ever copied.
    EXPECT_EQ(size_t(Copies::copies), growths - 1);
    EXPECT_EQ(s[4999].v, 3);
    Copies::copies = 0;
    slice t = append(s.sub(0, s.len(), s.len()), v);  // kept apart from a shared array: copies
    EXPECT_GE(Copies::copies, 5000);
  }
  EXPECT_EQ(Copies::alive, 0);
}

TEST_F(SliceBorrow, BulkAppendsThroughAnLvalue) {
  slice<long> s;
  for (long i = 0; i < 1000; i++) s = append(s, i, i + 1, i + 2);
  EXPECT_EQ(s.len(), 3000u);
  EXPECT_EQ(s[2999], 1001);
  auto chunk = make<long>(100);
  for (int i = 0; i < 50; i++) s = append(s, chunk);
  EXPECT_EQ(s.len(), 8000u);
  std::vector<long> v{5, 6};
  s = append_range(s, v);
  EXPECT_EQ(s[8001], 6);
  // A bulk append into a full source whose result is kept apart: Go's new array.
  slice<long> f{1, 2};
  slice g = append(f, 3, 4);
  g[0] = 9;
  EXPECT_EQ(f[0], 1);
  EXPECT_EQ(g.cap(), GrowCap(2, 4, sizeof(long)));
}

TEST_F(SliceBorrow, AppendedAsSourceOfAnotherAppend) {
  slice<long> s{1};
  s = append(append(s, 2), 3);
  EXPECT_EQ((std::vector<long>(s.begin(), s.end())), (std::vector<long>{1, 2, 3}));
  slice<long> nil;
  EXPECT_TRUE(append(nil, slice<long>()).is_nil());
}

TEST_F(SliceBorrowThreads, HandOffBetweenThreads) {
  slice<long> s;
  for (long i = 0; i < 100; i++) s = append(s, i);
  slice<long> kept = s;  // the owner keeps a copy: the other thread must not regrow it
  const long* kept_data = kept.data();
  std::thread([&s] {
    rt::ref_stats before = Stats();
    for (long i = 100; i < 100000; i++) s = append(s, i);
    EXPECT_EQ(Stats().retains - before.retains, 1);  // the one growth by copy (kept shares)
    EXPECT_GT(Stats().regrows - before.regrows, 0);  // its own new array grows in place
  }).join();
  EXPECT_EQ(kept.data(), kept_data);
  EXPECT_EQ(kept.len(), 100u);
  for (long i = 0; i < 100; i++) ASSERT_EQ(kept[i], i);
  for (long i = 0; i < 100000; i++) ASSERT_EQ(s[i], i);
  // Back on this thread: the array's owner exited, so it is merged and unique here.
  rt::ref_stats before = Stats();
  for (long i = 100000; i < 400000; i++) s = append(s, i);
  EXPECT_EQ(Stats().retains - before.retains, 0);
  EXPECT_EQ(s[399999], 399999);
  EXPECT_STREQ(s.check(), "");
  s = slice<long>();
  kept = slice<long>();
}

TEST_F(SliceBorrowThreads, UniqueArrayFromAnotherLiveThreadIsNotRegrownLocally) {
  slice<long> s{1, 2};  // owned here, local count 1
  std::thread([&s] {
    rt::ref_stats before = Stats();
    s = append(s, 3);  // not the owner, not merged: must copy
    EXPECT_EQ(Stats().regrows - before.regrows, 0);
    EXPECT_EQ(s[2], 3);
  }).join();
  EXPECT_EQ(s.len(), 3u);
}

}  // namespace
}  // namespace gort::slices::testing
