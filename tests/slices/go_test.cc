// Re-runs the Go oracles with the installed toolchain and compares gort with the live
// output (the golden files are checked by slices_test). Skipped without `go`.
#include "tests/slices/fidelity.h"
#include "tests/slices/idioms.h"

namespace gort::slices::testing {
namespace {

TEST(SlicesLiveGo, Growth) {
  GORT_REQUIRE_GO();
  const oracle::Result& go = oracle::Live("slices/golden/growth.txt");
  ASSERT_TRUE(go.ok()) << go;
  EXPECT_SAME_LINES(go.out, GortGrowth());
}

TEST(SlicesLiveGo, Grid) {
  GORT_REQUIRE_GO();
  const oracle::Result& go = oracle::Live("slices/golden/grid.txt");
  ASSERT_TRUE(go.ok()) << go;
  EXPECT_SAME_LINES(go.out, GortGrid());
}

TEST(SlicesLiveGo, Aliasing) {
  GORT_REQUIRE_GO();
  const oracle::Result& go = oracle::Live("slices/golden/alias.txt");
  ASSERT_TRUE(go.ok()) << go;
  EXPECT_SAME_LINES(go.out, AliasScenarios());
}

TEST(SlicesLiveGo, Idioms) {
  GORT_REQUIRE_GO();
  const oracle::Result& go = oracle::Live("slices/golden/idioms.txt");
  ASSERT_TRUE(go.ok()) << go;
  EXPECT_SAME_LINES(go.out, GoIdioms());
}

// Each program runs once per process (oracle::Live keeps its output): this reuses the runs
// of the tests above.
TEST(SlicesLiveGo, GoldenFilesAreCurrent) {
  GORT_REQUIRE_GO();
  for (const char* golden : {"slices/golden/growth.txt", "slices/golden/grid.txt",
                             "slices/golden/alias.txt", "slices/golden/idioms.txt"}) {
    const oracle::Result& go = oracle::Live(golden);
    EXPECT_TRUE(go.ok()) << go;
    EXPECT_SAME_LINES(go.out, oracle::Golden(golden)) << golden;
  }
}

}  // namespace
}  // namespace gort::slices::testing
