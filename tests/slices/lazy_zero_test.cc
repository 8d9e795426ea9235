// Lazy zeroing of growth tails (array.h, "Lazy zeroing"; slice.h, ops::Settle): growth of a
// trivially copyable slice leaves the new tail unwritten and marks the array dirty; every
// way to see past len or to share the array settles it first. This target poisons dirty
// tails with 0xA5 bytes (GORT_SLICES_POISON_TAILS), so a missing or misplaced settle reads
// as kPoison, not as lucky zeros from fresh pages. Each test grows a unique slice, appends
// some more, then reaches [len, cap) one way and checks it reads zero while every written
// element is kept — Go's rule that s[:cap(s)] shows zeros past what was written. Where a
// second view appears, the view with the shorter len is read first after the other wrote
// past it: had the second view not settled the tail, that read would settle from the
// shorter len and wipe the other's writes.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "slices/slice.h"
#include "tests/slices/leak_check.h"

static_assert(GORT_SLICES_POISON_TAILS, "the checks below need poisoned tails");

namespace gort {
namespace {

using L = int64_t;
constexpr L kPoison = static_cast<L>(0xA5A5A5A5A5A5A5A5ull);

// s = {1, ..., n} by s = append(s, v): unique, grown in place, its tail past n dirty.
slice<L> Grown(L n) {
  slice<L> s;
  for (L i = 1; i <= n; i++) s = append(s, i);
  return s;
}

// {1, ..., n} then zeros up to cap.
std::vector<L> Seq(L n, size_t cap) {
  std::vector<L> v(cap, 0);
  for (L i = 0; i < n; i++) v[i] = i + 1;
  return v;
}

// Every element up to cap: s[:cap(s)].
std::vector<L> All(const slice<L>& s) {
  slice<L> w = s.sub(0, s.cap());
  EXPECT_STREQ(w.check(), "");
  return {w.begin(), w.end()};
}

// The element just past len, read raw (inside the block): kPoison while the tail is dirty.
L RawPastLen(const slice<L>& s) { return s.data()[s.len()]; }

using SliceLazyZero = gort::test::SliceLeakCheck;
using SliceLazyZeroThreads = gort::test::SliceLeakCheck;  // tests that start threads

TEST_F(SliceLazyZero, GrowthLeavesTheTailDirty) {
  slice<L> s = Grown(5);
  ASSERT_EQ(s.cap(), 8u);
  EXPECT_STREQ(s.check(), "");
  EXPECT_EQ(RawPastLen(s), kPoison);  // the tests below do exercise the lazy path
  for (L i = 0; i < 5; i++) EXPECT_EQ(s[i], i + 1);
}

TEST_F(SliceLazyZero, SubToCapSettles) {
  slice<L> s = Grown(5);
  EXPECT_EQ(All(s), Seq(5, 8));
  EXPECT_EQ(RawPastLen(s), 0);
  s = append(s, 6);  // settled, then appended: still Go's view
  EXPECT_EQ(All(s), Seq(6, 8));
}

TEST_F(SliceLazyZero, CopySettles) {
  slice<L> s = Grown(5);
  slice<L> t = s;
  t = append(t, 6);  // through the alias: s sees them within its cap
  t = append(t, 7);
  EXPECT_EQ(All(s), Seq(7, 8));
  EXPECT_EQ(All(t), Seq(7, 8));
  EXPECT_EQ(s.len(), 5u);
}

TEST_F(SliceLazyZero, CopyAssignmentSettles) {
  slice<L> s = Grown(13);
  slice<L> t = make<L>(1);
  t = s;
  EXPECT_EQ(t.cap(), 16u);
  t = append(t, 14);
  EXPECT_EQ(All(s), Seq(14, 16));
  EXPECT_EQ(All(t), Seq(14, 16));
}

TEST_F(SliceLazyZero, RvalueSubKeepsWrittenElements) {
  slice<L> s = Grown(5);
  s = std::move(s).sub(0, 2);  // Go: s = s[:2]; s[:cap] still shows 1..5
  EXPECT_EQ(s.len(), 2u);
  EXPECT_EQ(All(s), Seq(5, 8));
  slice<L> u = Grown(6);
  u = std::move(u).sub(1);  // s[1:]: window moves, tail settled from the old end
  EXPECT_EQ(All(u), std::vector<L>({2, 3, 4, 5, 6, 0, 0}));
}

TEST_F(SliceLazyZero, ShorterLenThenAppendsThenReslice) {
  slice<L> s = Grown(7);
  s = std::move(s).sub(0, 3);
  s = append(s, 40);  // overwrites 4 in place
  EXPECT_EQ(All(s), std::vector<L>({1, 2, 3, 40, 5, 6, 7, 0}));
}

TEST_F(SliceLazyZero, ThreeIndexSubSettles) {
  slice<L> s = Grown(5);
  slice<L> t = s.sub(1, 3, 8);
  EXPECT_EQ(All(t), std::vector<L>({2, 3, 4, 5, 0, 0, 0}));
  slice<L> u = Grown(5);
  u = std::move(u).sub(0, 5, 6);
  EXPECT_EQ(All(u), Seq(5, 6));
}

TEST_F(SliceLazyZero, CloneAndClip) {
  slice<L> s = Grown(9);
  slice<L> c = clone(s);  // cap GrowCap(0, 9) = 10: its own tail is dirty too
  ASSERT_EQ(c.cap(), 10u);
  EXPECT_EQ(All(c), Seq(9, 10));
  slice<L> k = clip(s);
  EXPECT_EQ(k.cap(), 9u);
  EXPECT_EQ(All(s), Seq(9, 16));
  k = append(k, 10);  // a new array: s keeps zeros past 9
  EXPECT_EQ(All(k), Seq(10, 18));
  EXPECT_EQ(All(s), Seq(9, 16));
  slice<L> r = Grown(5);
  r = clip(std::move(r));
  EXPECT_EQ(r.cap(), 5u);
  r = append(r, 6);
  EXPECT_EQ(All(r), Seq(6, 10));
}

TEST_F(SliceLazyZero, AppendedBecomingAnotherSliceSettlesFromItsLen) {
  slice<L> s = Grown(5);
  slice<L> t = append(s, 6);  // room: t shares s's array, one element further
  EXPECT_EQ(t.len(), 6u);
  EXPECT_EQ(All(s), Seq(6, 8));  // s's array holds the 6 (Go's aliasing)
  EXPECT_EQ(All(t), Seq(6, 8));
  slice<L> u = Grown(5), v;
  v = append(u, 6);  // the same through assignment
  EXPECT_EQ(All(u), Seq(6, 8));
  EXPECT_EQ(All(v), Seq(6, 8));
  slice<L> w = Grown(5);
  slice<L> x = append(append(w, 6), 7);  // appended as the source of another append
  EXPECT_EQ(All(w), Seq(7, 8));
  EXPECT_EQ(All(x), Seq(7, 8));
}

TEST_F(SliceLazyZero, GrownResultGoingElsewhere) {
  slice<L> s = Grown(8);  // full: the append grows s's array in place
  slice<L> t = append(s, 9);  // ... and t gets a copy of Go's new array
  ASSERT_EQ(t.cap(), 16u);
  EXPECT_EQ(All(t), Seq(9, 16));
  EXPECT_EQ(All(s), Seq(8, 8));
  s = append(s, 10);  // room past s's window in the block: grows by copy
  EXPECT_EQ(All(s), std::vector<L>({1, 2, 3, 4, 5, 6, 7, 8, 10, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(All(t), Seq(9, 16));
}

TEST_F(SliceLazyZero, AppendOnAConstSliceSettles) {
  slice<L> s = Grown(5);
  slice<L> t = append(std::as_const(s), L{6});  // the counted form: not the fast path
  EXPECT_EQ(All(s), Seq(6, 8));
  EXPECT_EQ(All(t), Seq(6, 8));
  slice<L> u = Grown(5);
  slice<L> v = append(std::as_const(u), L{6}, L{7});
  EXPECT_EQ(All(u), Seq(7, 8));
  EXPECT_EQ(All(v), Seq(7, 8));
  slice<L> w = Grown(5), x = Grown(2);
  slice<L> y = append(std::as_const(w), x);
  EXPECT_EQ(All(w), std::vector<L>({1, 2, 3, 4, 5, 1, 2, 0}));
  EXPECT_EQ(All(y), std::vector<L>({1, 2, 3, 4, 5, 1, 2, 0}));
}

TEST_F(SliceLazyZero, RvalueGrowth) {
  slice<L> s;
  for (L i = 1; i <= 100; i++) s = append(std::move(s), i);
  ASSERT_EQ(s.cap(), 128u);
  EXPECT_EQ(RawPastLen(s), kPoison);
  EXPECT_EQ(All(s), Seq(100, 128));
  slice<L> t = Grown(5), u = Grown(3);
  t = append(std::move(t), u);
  EXPECT_EQ(All(t), std::vector<L>({1, 2, 3, 4, 5, 1, 2, 3}));
}

TEST_F(SliceLazyZero, ShrunkWindowRegrownThroughAnRvalue) {
  slice<L> s = Grown(100);
  s = std::move(s).sub(0, 3, 3);  // the block keeps 4..100 past the window
  s = append(std::move(s), 7);    // unique: realloc to Go's cap 6, old values inside
  ASSERT_EQ(s.cap(), 6u);
  EXPECT_EQ(All(s), std::vector<L>({1, 2, 3, 7, 0, 0}));
}

TEST_F(SliceLazyZero, OffsetWindowGrowsInPlace) {
  slice<L> s = Grown(8);
  s = std::move(s).sub(2);  // [3..8], cap 6, ends where the block ends
  s = append(s, 9);
  EXPECT_EQ(s.len(), 7u);
  std::vector<L> want(s.cap(), 0);
  for (L i = 0; i < 7; i++) want[i] = i + 3;
  EXPECT_EQ(All(s), want);
}

TEST_F(SliceLazyZero, BulkAppendsThroughAnLvalue) {
  slice<L> s = Grown(4);
  L more[] = {5, 6, 7};
  s = append_range(s, more);  // grows in place by 3
  EXPECT_EQ(All(s), Seq(7, s.cap()));
  s = append(s, L{8}, L{9});
  EXPECT_EQ(All(s), Seq(9, s.cap()));
}

TEST_F(SliceLazyZero, SwapAndMoveCarryTheMark) {
  slice<L> s = Grown(5), t;
  swap(s, t);
  slice<L> u = std::move(t);
  EXPECT_EQ(RawPastLen(u), kPoison);
  EXPECT_STREQ(u.check(), "");
  EXPECT_EQ(All(u), Seq(5, 8));
}

TEST_F(SliceLazyZero, OverAlignedElementsGrowByCopy) {  // trivial, not realloc'd
  struct alignas(32) W {
    L x;
  };
  slice<W> s;
  for (L i = 1; i <= 5; i++) s = append(s, W{i});
  slice<W> w = s.sub(0, s.cap());
  ASSERT_EQ(w.len(), 8u);
  for (L i = 0; i < 8; i++) EXPECT_EQ(w[i].x, i < 5 ? i + 1 : 0);
}

TEST_F(SliceLazyZero, NonTrivialElementsStayValueInitialised) {
  slice<std::string> s;
  for (int i = 0; i < 5; i++) s = append(s, std::string(40, 'a' + i));
  slice<std::string> w = s.sub(0, s.cap());
  for (size_t i = 5; i < w.len(); i++) EXPECT_EQ(w[i], "");
  EXPECT_EQ(w[4], std::string(40, 'e'));
}

TEST_F(SliceLazyZeroThreads, ConcurrentCopiesOfOneDirtySlice) {
  for (int round = 0; round < 200; round++) {
    const slice<L> s = Grown(300 + round);  // tails of 212..
    std::vector<std::vector<L>> seen(2);
    std::thread a([&] { seen[0] = All(slice<L>(s)); });
    std::thread b([&] { seen[1] = All(slice<L>(s)); });
    a.join();
    b.join();
    std::vector<L> want = Seq(300 + round, s.cap());
    ASSERT_EQ(seen[0], want) << round;
    ASSERT_EQ(seen[1], want) << round;
  }
}

TEST_F(SliceLazyZeroThreads, AppendOnAConstSliceOfAnotherThreadSettles) {  // AppendSlow
  slice<L> s = Grown(5);
  slice<L> t;
  std::thread([&] { t = append(std::as_const(s), L{6}); }).join();
  EXPECT_EQ(All(s), Seq(6, 8));
  EXPECT_EQ(All(t), Seq(6, 8));
}

TEST_F(SliceLazyZeroThreads, HandedToAnotherThreadAndSettledThere) {
  slice<L> s = Grown(100);
  std::vector<L> seen;
  std::thread t([&, m = std::move(s)]() mutable {
    m = append(m, 101);
    seen = All(m);
  });
  t.join();
  EXPECT_EQ(seen, Seq(101, 128));
}

}  // namespace
}  // namespace gort
