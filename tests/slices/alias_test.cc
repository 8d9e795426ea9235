// Aliasing and copy-overlap scenarios, replayed against Go's golden output (oracle/alias.go).
#include "tests/slices/fidelity.h"

namespace gort::slices::testing {
namespace {

TEST(SliceAliasing, MatchesGoGolden) {
  std::string want = oracle::Golden("slices/golden/alias.txt");
  ASSERT_FALSE(want.empty()) << "missing golden file";
  EXPECT_SAME_LINES(want, AliasScenarios());
}

TEST(SliceAliasing, ScenariosLeaveNoArrays) {
  int64_t before = live_arrays();
  (void)AliasScenarios();
  EXPECT_EQ(live_arrays(), before);
}

}  // namespace
}  // namespace gort::slices::testing
