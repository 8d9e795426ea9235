// Go's idioms as a Go programmer writes them (idioms.h), against golden/idioms.txt (Go 1.19's
// output of oracle/idioms.go); go_test.cc repeats the check against a live run.
#include <gtest/gtest.h>

#include "tests/oracle/oracle.h"
#include "tests/slices/idioms.h"
#include "tests/slices/leak_check.h"

namespace gort::slices::testing {
namespace {

using SliceIdioms = gort::test::SliceLeakCheck;

TEST_F(SliceIdioms, AgreeWithGo) {
  EXPECT_SAME_LINES(oracle::Golden("slices/golden/idioms.txt"), GoIdioms());
}

}  // namespace
}  // namespace gort::slices::testing
