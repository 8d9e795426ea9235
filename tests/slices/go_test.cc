// Re-runs the Go oracles with the installed toolchain and compares gort with the live
// output (the golden files are checked by slices_test). Skipped without `go`.
#include <cstdlib>
#include <map>

#include "tests/slices/fidelity.h"

namespace gort::slices::testing {
namespace {

bool HaveGo() { return std::system("go version >/dev/null 2>&1") == 0; }

// Each program runs once per process (go run compiles it: seconds).
const std::string& Live(const std::string& name) {
  static std::map<std::string, std::string> cache;
  auto it = cache.find(name);
  if (it == cache.end()) it = cache.emplace(name, RunGo(name)).first;
  return it->second;
}

TEST(SlicesLiveGo, Growth) {
  if (!HaveGo()) GTEST_SKIP() << "go is not installed";
  std::string out = Live("growth.go");
  ASSERT_FALSE(out.empty());
  ExpectSameLines(out, GortGrowth(), "growth.go");
}

TEST(SlicesLiveGo, Grid) {
  if (!HaveGo()) GTEST_SKIP() << "go is not installed";
  std::string out = Live("grid.go");
  ASSERT_FALSE(out.empty());
  ExpectSameLines(out, GortGrid(), "grid.go");
}

TEST(SlicesLiveGo, Aliasing) {
  if (!HaveGo()) GTEST_SKIP() << "go is not installed";
  std::string out = Live("alias.go");
  ASSERT_FALSE(out.empty());
  ExpectSameLines(out, AliasScenarios(), "alias.go");
}

TEST(SlicesLiveGo, GoldenFilesAreCurrent) {
  if (!HaveGo()) GTEST_SKIP() << "go is not installed";
  for (const char* name : {"growth", "grid", "alias"})
    EXPECT_EQ(Live(std::string(name) + ".go"), ReadGolden(std::string(name) + ".txt")) << name;
}

}  // namespace
}  // namespace gort::slices::testing
