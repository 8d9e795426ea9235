// Semantics of gort::slice: make, indexing and Go's bounds messages, slicing, append and
// aliasing, copy, zero values, clone and clip, element lifetimes, ranges and algorithms.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <ranges>
#include <span>
#include <string>
#include <vector>

#include "slices/slice.h"

namespace gort {
namespace {

static_assert(std::ranges::contiguous_range<slice<int>>);
static_assert(std::ranges::sized_range<slice<int>>);
static_assert(std::is_nothrow_move_constructible_v<slice<std::string>>);
static_assert(sizeof(slice<int>) == 32);

// The exception's message, or "" when f did not throw gort::bounds_error.
template <class F>
std::string BoundsMessage(F f) {
  try {
    f();
  } catch (const bounds_error& e) {
    return e.what();
  }
  return "";
}

class SliceTest : public ::testing::Test {
 protected:
  void SetUp() override { live_ = live_arrays(); }
  void TearDown() override { EXPECT_EQ(live_arrays(), live_) << "arrays leaked"; }
  int64_t live_ = 0;
};

TEST_F(SliceTest, NilAndMake) {
  slice<int> nil;
  EXPECT_TRUE(nil.is_nil());
  EXPECT_TRUE(nil == nullptr);
  EXPECT_EQ(nil.len(), 0u);
  EXPECT_EQ(nil.cap(), 0u);
  EXPECT_EQ(nil.begin(), nil.end());
  auto empty = make<int>(0);
  EXPECT_FALSE(empty.is_nil());  // make([]int, 0) != nil
  EXPECT_EQ(empty.array_bytes(), 0u);
  auto s = make<long>(3, 10);
  EXPECT_EQ(s.len(), 3u);
  EXPECT_EQ(s.cap(), 10u);  // make's capacity is exact, not rounded
  for (long v : s.sub(0, 10)) EXPECT_EQ(v, 0);
  EXPECT_STREQ(s.check(), "");
}

TEST_F(SliceTest, IndexOutOfRangeHasGoMessage) {
  auto s = make<int>(3, 5);
  EXPECT_EQ(BoundsMessage([&] { (void)s[5]; }), "index out of range [5] with length 3");
  EXPECT_EQ(BoundsMessage([&] { (void)s[3]; }), "index out of range [3] with length 3");
  EXPECT_EQ(BoundsMessage([&] { (void)s[size_t(-1)]; }), "index out of range [-1]");
  EXPECT_EQ(BoundsMessage([&] { (void)s[2]; }), "");
  slice<int> nil;
  EXPECT_EQ(BoundsMessage([&] { (void)nil[0]; }), "index out of range [0] with length 0");
  try {
    (void)s[7];
  } catch (const bounds_error& e) {
    EXPECT_EQ(e.code(), bounds_code::index);
    EXPECT_EQ(e.x(), 7u);
    EXPECT_EQ(e.y(), 3u);
    const std::out_of_range& base = e;  // catchable as the standard type too
    EXPECT_NE(std::string(base.what()).find("out of range"), std::string::npos);
  }
  EXPECT_EQ(s.at_unchecked(4), 0);  // unchecked: within cap is memory, and zero
}

TEST_F(SliceTest, SliceBoundsHaveGoMessages) {
  auto s = make<int>(3, 5);
  EXPECT_EQ(BoundsMessage([&] { (void)s.sub(0, 7); }),
            "slice bounds out of range [:7] with capacity 5");
  EXPECT_EQ(BoundsMessage([&] { (void)s.sub(4, 2); }), "slice bounds out of range [4:2]");
  EXPECT_EQ(BoundsMessage([&] { (void)s.sub(4); }), "slice bounds out of range [4:3]");
  EXPECT_EQ(BoundsMessage([&] { (void)s.sub(0, 1, 6); }),
            "slice bounds out of range [::6] with capacity 5");
  EXPECT_EQ(BoundsMessage([&] { (void)s.sub(0, 4, 3); }), "slice bounds out of range [:4:3]");
  EXPECT_EQ(BoundsMessage([&] { (void)s.sub(3, 2, 4); }), "slice bounds out of range [3:2:]");
  EXPECT_EQ(BoundsMessage([&] { (void)s.sub(size_t(-1), 2); }), "slice bounds out of range [-1:]");
  EXPECT_EQ(BoundsMessage([&] { (void)s.sub(0, 5); }), "");  // up to cap is fine
  EXPECT_EQ(BoundsMessage([&] { (void)s.sub(5, 5, 5); }), "");
  EXPECT_EQ(BoundsMessage([&] { (void)slice<int>().sub(0, 1); }),
            "slice bounds out of range [:1] with capacity 0");
}

TEST_F(SliceTest, ResliceUpToCapSeesZeroValues) {
  auto s = make<int>(2, 6);
  s[0] = 1, s[1] = 2;
  auto t = s.sub(1, 6);
  EXPECT_EQ(t.len(), 5u);
  EXPECT_EQ(t.cap(), 5u);
  EXPECT_EQ(t[0], 2);
  for (size_t i = 1; i < t.len(); i++) EXPECT_EQ(t[i], 0);
  t[4] = 9;
  EXPECT_EQ(s.sub(0, 6)[5], 9);  // same array
  auto u = s.sub(1, 2, 3);
  EXPECT_EQ(u.cap(), 2u);  // max - lo
  EXPECT_TRUE(u.shares_array_with(s));
}

TEST_F(SliceTest, AppendsWithSpareCapacityAlias) {
  auto s = make<int>(3, 10);
  slice t = append(s, 4);
  slice u = append(s, 5);  // writes the same element t wrote
  EXPECT_EQ(t[3], 5);
  EXPECT_EQ(u[3], 5);
  EXPECT_EQ(s.len(), 3u);  // s itself is unchanged
  EXPECT_TRUE(t.shares_array_with(s));
}

TEST_F(SliceTest, AppendThatGrowsCopies) {
  slice<int> a{1, 2, 3};
  EXPECT_EQ(a.cap(), 3u);  // a literal's capacity is its length
  slice b = append(a, 4);
  b[0] = 99;
  EXPECT_EQ(a[0], 1);
  EXPECT_EQ(b.cap(), 6u);  // double of 3, rounded: 24 bytes -> 24 -> 6 ints
  EXPECT_FALSE(b.shares_array_with(a));
  auto c = append(std::move(a), 4);  // rvalue: may grow in place; same values and cap
  EXPECT_TRUE(a.is_nil());
  EXPECT_EQ(c.cap(), 6u);
  EXPECT_EQ((std::vector<int>(c.begin(), c.end())), (std::vector<int>{1, 2, 3, 4}));
  for (int v : c.sub(4, 6)) EXPECT_EQ(v, 0);  // past len: zero values
}

TEST_F(SliceTest, RvalueGrowthDoesNotStealASharedArray) {
  slice<int> a{1, 2, 3};
  slice<int> keep = a;
  auto b = append(std::move(a), 4);  // keep still sees the old array
  b[0] = 50;
  EXPECT_EQ(keep[0], 1);
  EXPECT_EQ(keep.len(), 3u);
  auto c = append(std::move(keep), keep[1]);  // v lives in the array that may move
  EXPECT_EQ(c[3], 2);
}

TEST_F(SliceTest, RvalueGrowthZeroesStaleTail) {
  auto s = make<int>(8);
  std::iota(s.begin(), s.end(), 1);
  s = s.sub(0, 2);                                 // elements 2..7 still hold 3..8
  auto t = append(std::move(s), 0).sub(0, 3);      // fits: writes element 2
  t = append(std::move(t).sub(0, 3, 3), 7);        // must grow; Go's new array is zero past len
  for (size_t i = 4; i < t.cap(); i++) EXPECT_EQ(t.sub(0, t.cap())[i], 0) << i;
  EXPECT_EQ(t[3], 7);
}

TEST_F(SliceTest, AppendManyAndSlices) {
  slice<int> s;
  s = append(s, 1, 2, 3);
  EXPECT_EQ(s.len(), 3u);
  s = append(s, s);  // append(s, s...)
  EXPECT_EQ((std::vector<int>(s.begin(), s.end())), (std::vector<int>{1, 2, 3, 1, 2, 3}));
  s = append(std::move(s), s.sub(0, 2));
  EXPECT_EQ(s.len(), 8u);
  EXPECT_EQ(s[7], 2);
  EXPECT_EQ(append(s).len(), 8u);
  std::vector<int> v{7, 8};
  s = append_range(s, v);
  EXPECT_EQ(s[9], 8);
  slice<int> nil;
  EXPECT_TRUE(append(nil, slice<int>()).is_nil());  // append(nil, nothing...) is nil
  slice lv = append(s, short(4));                    // converts like Go's untyped constants
  EXPECT_EQ(lv.back(), 4);
}

TEST_F(SliceTest, CopyIsMemmoveAndReturnsCount) {
  slice<int> c{0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  EXPECT_EQ(copy(c.sub(2), c), 8u);
  EXPECT_EQ((std::vector<int>(c.begin(), c.end())),
            (std::vector<int>{0, 1, 0, 1, 2, 3, 4, 5, 6, 7}));
  slice<std::string> s{"a", "b", "c", "d"};  // non-trivial elements, both directions
  EXPECT_EQ(copy(s.sub(1), s), 3u);
  EXPECT_EQ((std::vector<std::string>(s.begin(), s.end())),
            (std::vector<std::string>{"a", "a", "b", "c"}));
  EXPECT_EQ(copy(s, s.sub(2)), 2u);
  EXPECT_EQ(s[0], "b");
  EXPECT_EQ(s[1], "c");
  std::vector<int> v{5, 6};
  EXPECT_EQ(copy(c, v), 2u);  // from any contiguous range
  EXPECT_EQ(c[1], 6);
  EXPECT_EQ(copy(slice<int>(), c), 0u);
}

TEST_F(SliceTest, CloneAndClip) {
  auto big = make<int>(100);
  big[10] = 5;
  auto small = big.sub(10, 12);
  auto cl = clone(small);
  EXPECT_FALSE(cl.shares_array_with(big));
  EXPECT_EQ(cl.len(), 2u);
  EXPECT_EQ(cl.cap(), 2u);  // append(nil, 2 ints...): 8 bytes -> 2
  EXPECT_EQ(cl[0], 5);
  EXPECT_LT(cl.array_bytes(), big.array_bytes());
  EXPECT_TRUE(clone(slice<int>()).is_nil());
  EXPECT_FALSE(clone(make<int>(0)).is_nil());
  auto clipped = clip(small);
  EXPECT_EQ(clipped.cap(), 2u);
  slice grown = append(clipped, 1);  // cannot write into big any more
  EXPECT_EQ(big[12], 0);
  EXPECT_EQ(append(small, 1)[2], 1);
  EXPECT_EQ(big[12], 1);  // ... while small could
  (void)grown;
}

// Element lifetimes: every constructed element is destroyed exactly once.
struct Counted {
  static inline int alive = 0, made = 0;
  int v = 0;
  Counted() : v(0) { alive++, made++; }
  Counted(int x) : v(x) { alive++, made++; }
  Counted(const Counted& o) : v(o.v) { alive++, made++; }
  Counted(Counted&& o) noexcept : v(o.v) { alive++, made++; }
  Counted& operator=(const Counted&) = default;
  Counted& operator=(Counted&&) = default;
  ~Counted() { alive--; }
};

TEST_F(SliceTest, NonTrivialElementsLiveAndDieOnce) {
  {
    auto s = make<Counted>(2, 5);
    EXPECT_EQ(Counted::alive, 5);  // all cap elements are constructed: zero values
    slice<Counted> t;
    for (int i = 0; i < 100; i++) t = append(t, Counted(i));
    for (int i = 0; i < 100; i++) s = append(std::move(s), Counted(i));
    EXPECT_EQ(t[99].v, 99);
    EXPECT_EQ(s[101].v, 99);
    auto u = s.sub(3, 4);
    s = slice<Counted>();
    EXPECT_EQ(u[0].v, 1);  // the array lives while u does
  }
  EXPECT_EQ(Counted::alive, 0);
  slice<std::string> words;
  for (int i = 0; i < 300; i++) words = append(words, std::to_string(i) + " a longer string");
  EXPECT_EQ(words[299], "299 a longer string");
}

struct Throws {
  static inline int budget = 1 << 30;
  Throws() {
    if (--budget < 0) throw std::runtime_error("no");
  }
};

TEST_F(SliceTest, ThrowingConstructorLeavesNothing) {
  Throws::budget = 3;
  EXPECT_THROW(make<Throws>(10), std::runtime_error);
  Throws::budget = 1 << 30;
}

struct alignas(64) Wide {
  double x[3];
};

TEST_F(SliceTest, OveralignedElements) {
  slice<Wide> s;
  for (int i = 0; i < 50; i++) s = append(std::move(s), Wide{{double(i), 0, 0}});
  EXPECT_EQ(reinterpret_cast<uintptr_t>(s.data()) % 64, 0u);
  EXPECT_EQ(s[49].x[0], 49.0);
}

TEST_F(SliceTest, RangesAlgorithmsAndSpan) {
  slice<int> s{5, 3, 9, 1};
  std::ranges::sort(s);
  EXPECT_EQ((std::vector<int>(s.begin(), s.end())), (std::vector<int>{1, 3, 5, 9}));
  EXPECT_EQ(std::accumulate(s.begin(), s.end(), 0), 18);
  std::span<int> sp = s;
  sp[0] = 100;
  EXPECT_EQ(s[0], 100);
  std::span<const int> csp = s;
  EXPECT_EQ(csp.size(), 4u);
  int sum = 0;
  for (int& v : s) sum += v;
  EXPECT_EQ(sum, 117);
  auto evens = s | std::views::filter([](int v) { return v % 2 == 0; });
  EXPECT_EQ(std::ranges::distance(evens), 1);
  EXPECT_EQ(s.front(), 100);
  EXPECT_EQ(s.back(), 9);
}

TEST_F(SliceTest, SlicesOfSlices) {
  slice<slice<int>> grid;
  for (int r = 0; r < 3; r++) grid = append(grid, make<int>(r + 1));  // element, not spread
  grid[2][2] = 7;
  slice more = append(grid, grid);  // spread
  EXPECT_EQ(more.len(), 6u);
  EXPECT_EQ(more[5][2], 7);
  EXPECT_TRUE(more[5].shares_array_with(grid[2]));
}

TEST_F(SliceTest, ValidityAcrossOperations) {
  auto s = make<int>(0, 3);
  for (int i = 0; i < 1000; i++) {
    s = append(s, i);
    ASSERT_STREQ(s.check(), "");
  }
  auto t = s.sub(500, 600, 700);
  EXPECT_STREQ(t.check(), "");
  EXPECT_STREQ(std::move(t).sub(10).check(), "");
  EXPECT_TRUE(t.is_nil());  // an rvalue sub-slice takes the reference over
}

}  // namespace
}  // namespace gort
