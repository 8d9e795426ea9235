// Size classes: the table's properties, and Go's own rounding as the oracle.
#include "alloc/sizeclasses.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <sstream>
#include <string>

#include "tests/oracle/oracle.h"

namespace gort::alloc {
namespace {

TEST(SizeClasses, TableProperties) {
  EXPECT_TRUE(ClassTableIsValid());
  for (int c = 1; c < kNumClasses; c++) {
    SCOPED_TRACE(c);
    size_t span = kClassPages[c] * kPageSize;
    EXPECT_GE(ClassObjects(c), 1u);
    EXPECT_LE(span - ClassObjects(c) * kClassSize[c], span / 8) << "tail waste over 12.5%";
    // Every class is aligned to the largest power of two dividing it (spans start on a page).
    EXPECT_EQ(kClassSize[c] % 8, 0);
    EXPECT_GE(ClassCacheInitial(c), ClassBatch(c) + 1) << "a refill could fill the list";
    EXPECT_GE(ClassCacheLimit(c), ClassCacheInitial(c));
    EXPECT_LE(size_t(ClassCacheLimit(c)) * kClassSize[c], std::max<size_t>(512 << 10, size_t(ClassCacheInitial(c)) * kClassSize[c]));
    EXPECT_GE(ClassBatch(c), 2u);
    EXPECT_LE(ClassBatch(c), 32u);
  }
}

TEST(SizeClasses, ThreadCacheStartsWellUnderItsBudget) {
  size_t bytes = 0;
  for (int c = 1; c < kNumClasses; c++) bytes += size_t(ClassCacheInitial(c)) * kClassSize[c];
  EXPECT_LT(bytes, size_t{3} << 20) << "default budget is 4 MiB; lists must be able to grow";
}

// malloc's class: the smallest that fits and is 16-aligned for requests over 8 bytes.
TEST(SizeClasses, SizeToClassIsSmallestAlignedFit) {
  for (size_t n = 0; n <= kMaxSmallSize; n++) {
    uint32_t c = SizeToClass(n);
    ASSERT_GE(c, 1u) << n;
    ASSERT_GE(kClassSize[c], n) << n;
    ASSERT_TRUE(n <= 8 || kClassSize[c] % 16 == 0) << n;
    for (uint32_t d = 1; d < c; d++)
      ASSERT_TRUE(kClassSize[d] < n || (n > 8 && kClassSize[d] % 16 != 0)) << n << " fits " << d;
  }
}

TEST(SizeClasses, AlignedClass) {
  for (size_t align = 16; align <= kPageSize; align *= 2) {
    for (size_t n = 1; n <= kMaxSmallSize; n += 7) {
      uint32_t c = SizeToClassAligned(n, align);
      ASSERT_NE(c, 0u) << n << " " << align;
      EXPECT_EQ(kClassSize[c] % align, 0u);
      EXPECT_GE(kClassSize[c], n);
    }
  }
  EXPECT_EQ(SizeToClassAligned(kMaxSmallSize + 1, 16), 0u);
  EXPECT_EQ(SizeToClassAligned(64, 2 * kPageSize), 0u);
}

// "n cap" lines where Go 1.19's rounding changes, as printed by oracle/roundupsize.go.
std::map<size_t, size_t> ParseSteps(std::istream& in) {
  std::map<size_t, size_t> steps;
  size_t n, c;
  while (in >> n >> c) steps[n] = c;
  return steps;
}

void ExpectMatchesGo(const std::map<size_t, size_t>& steps) {
  ASSERT_GT(steps.size(), 60u);
  size_t want = 0;
  for (size_t n = 1; n <= 40000; n++) {
    auto it = steps.find(n);
    if (it != steps.end()) want = it->second;
    ASSERT_EQ(RoundUpSize(n), want) << "size " << n;
  }
}

TEST(SizeClasses, MatchesGoldenFromGoRuntime) {
  std::string golden = oracle::Golden("alloc/unit/golden/roundupsize.txt");
  ASSERT_FALSE(golden.empty()) << "missing golden file";
  std::istringstream in(golden);
  ExpectMatchesGo(ParseSteps(in));
}

TEST(SizeClasses, MatchesLiveGoRuntime) {
  GORT_REQUIRE_GO();
  const oracle::Result& go = oracle::Live("alloc/unit/golden/roundupsize.txt");
  ASSERT_TRUE(go.ok()) << go;
  std::istringstream in(go.out);
  ExpectMatchesGo(ParseSteps(in));
}

// The pages per span are not observable from a Go program; read them from Go's own table.
TEST(SizeClasses, PagesMatchGoSource) {
  GORT_REQUIRE_GO();
  std::string src = oracle::ReadFile(oracle::Go().root + "/src/runtime/sizeclasses.go");
  if (src.empty()) GTEST_SKIP() << "Go's sources are not installed";
  // Lines of the header table: "//  class  bytes/obj  bytes/span  objects ..."
  std::istringstream in(src);
  std::string line;
  int seen = 0;
  while (std::getline(in, line)) {
    int c;
    size_t size, span, objects;
    if (std::sscanf(line.c_str(), "// %d %zu %zu %zu", &c, &size, &span, &objects) != 4) continue;
    ASSERT_GT(c, 0);
    ASSERT_LT(c, kNumClasses);
    EXPECT_EQ(kClassSize[c], size) << "class " << c;
    EXPECT_EQ(kClassPages[c] * kPageSize, span) << "class " << c;
    EXPECT_EQ(ClassObjects(c), objects) << "class " << c;
    seen++;
  }
  EXPECT_EQ(seen, kNumClasses - 1);
}

}  // namespace
}  // namespace gort::alloc
