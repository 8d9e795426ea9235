// Growth: GrowCap against Go's golden tables, and real appends (lvalue and rvalue forms,
// one at a time and in bulk) landing on the same capacities for every element size.
#include <map>
#include <utility>

#include "tests/slices/fidelity.h"

namespace gort::slices::testing {
namespace {

template <size_t N>
struct Bytes {  // an element of N bytes, like Go's [N]byte
  unsigned char b[N];
};

TEST(SliceGrowth, GrowCapMatchesGoldenSequences) {
  std::string want = oracle::Golden("slices/golden/growth.txt");
  ASSERT_FALSE(want.empty()) << "missing golden file";
  EXPECT_SAME_LINES(want, GortGrowth());
}

TEST(SliceGrowth, GrowCapMatchesGoldenGrid) {
  std::string want = oracle::Golden("slices/golden/grid.txt");
  ASSERT_FALSE(want.empty()) << "missing golden file";
  EXPECT_SAME_LINES(want, GortGrid());
}

// size -> (len that grew -> cap), from the golden file.
std::map<size_t, std::map<size_t, size_t>> GoldenGrowth() {
  std::map<size_t, std::map<size_t, size_t>> g;
  std::istringstream in(oracle::Golden("slices/golden/growth.txt"));
  size_t size, len, cap;
  while (in >> size >> len >> cap) g[size][len] = cap;
  return g;
}

constexpr size_t kRealMax = 1 << 17;

// Appends one at a time, as users write it; every capacity change must be Go's.
template <size_t N, bool Rvalue>
void CheckRealGrowth(const std::map<size_t, size_t>& want) {
  slice<Bytes<N>> s;
  size_t prev = 0, changes = 0;
  Bytes<N> v{};
  for (size_t i = 1; i <= kRealMax; i++) {
    v.b[0] = static_cast<unsigned char>(i);
    if constexpr (Rvalue) s = append(std::move(s), v);
    else s = append(s, v);
    if (s.cap() == prev) continue;
    auto it = want.find(i);
    ASSERT_NE(it, want.end()) << "size " << N << ": grew at len " << i << ", Go did not";
    ASSERT_EQ(s.cap(), it->second) << "size " << N << " len " << i;
    prev = s.cap();
    changes++;
  }
  size_t go_changes = 0;
  for (auto& [len, cap] : want) go_changes += len <= kRealMax;
  EXPECT_EQ(changes, go_changes) << "size " << N;
  ASSERT_STREQ(s.check(), "");
  for (size_t i = 0; i < s.len(); i += 997)
    ASSERT_EQ(s[i].b[0], static_cast<unsigned char>(i + 1)) << "element " << i << " lost";
}

TEST(SliceGrowth, RealAppendsMatchGo) {
  auto g = GoldenGrowth();
  ASSERT_EQ(g.size(), 7u);
  CheckRealGrowth<1, false>(g[1]);
  CheckRealGrowth<8, false>(g[8]);
  CheckRealGrowth<16, false>(g[16]);
  CheckRealGrowth<24, false>(g[24]);
  CheckRealGrowth<40, false>(g[40]);
  CheckRealGrowth<64, false>(g[64]);
  CheckRealGrowth<100, false>(g[100]);
}

TEST(SliceGrowth, RealAppendsThroughRvaluesMatchGo) {  // the in-place (realloc) growth
  auto g = GoldenGrowth();
  CheckRealGrowth<1, true>(g[1]);
  CheckRealGrowth<8, true>(g[8]);
  CheckRealGrowth<24, true>(g[24]);
  CheckRealGrowth<100, true>(g[100]);
}

// Bulk appends: append(make(c), src[:n]...) over part of the grid, both forms.
template <size_t N>
void CheckRealGrid(const std::map<std::pair<size_t, size_t>, size_t>& want) {
  auto src = make<Bytes<N>>(5000);
  size_t checked = 0;
  for (size_t c : GridCaps()) {
    if (c > 4097) continue;
    for (size_t n : GridNs()) {
      if (n > 5000) continue;
      size_t cap = want.at({c, n});
      auto s = make<Bytes<N>>(c);
      EXPECT_EQ(append(s, src.sub(0, n)).cap(), cap) << "size " << N << " c " << c << " n " << n;
      EXPECT_EQ(append(make<Bytes<N>>(c), src.sub(0, n)).cap(), cap);
      checked++;
    }
  }
  EXPECT_GT(checked, 500u);
}

TEST(SliceGrowth, RealBulkAppendsMatchGoGrid) {
  std::map<size_t, std::map<std::pair<size_t, size_t>, size_t>> g;
  std::istringstream in(oracle::Golden("slices/golden/grid.txt"));
  size_t size, c, n, cap;
  while (in >> size >> c >> n >> cap) g[size][{c, n}] = cap;
  ASSERT_EQ(g.size(), 7u);
  CheckRealGrid<1>(g[1]);
  CheckRealGrid<8>(g[8]);
  CheckRealGrid<24>(g[24]);
  CheckRealGrid<40>(g[40]);
  CheckRealGrid<100>(g[100]);
}

TEST(SliceGrowth, RuleSteps) {
  EXPECT_EQ(NextCap(0, 1), 1u);
  EXPECT_EQ(NextCap(10, 11), 20u);     // doubles below 256
  EXPECT_EQ(NextCap(10, 25), 25u);     // more than double asked: exactly that
  EXPECT_EQ(NextCap(256, 257), 512u);  // 256 + (256 + 768) / 4
  EXPECT_EQ(NextCap(1000, 1001), 1442u);
  EXPECT_EQ(GrowCap(0, 1, kMaxAlloc), 1u);
  EXPECT_EQ(GrowCap(0, 2, kMaxAlloc), 0u);  // past maxAlloc: Go panics
}

TEST(SliceGrowth, PastMaxAllocPanicsAsGo) {
  EXPECT_THROW(make<Bytes<64>>(kMaxAlloc), gort::length_error);
  try {
    make<int>(5, 3);
    FAIL();
  } catch (const gort::length_error& e) {
    EXPECT_STREQ(e.what(), "makeslice: cap out of range");
  }
  try {
    make<Bytes<64>>(kMaxAlloc / 64 + 1);
    FAIL();
  } catch (const gort::length_error& e) {
    EXPECT_STREQ(e.what(), "makeslice: len out of range");
  }
}

}  // namespace
}  // namespace gort::slices::testing
