// GORT_* option parsing.
#include "alloc/options.h"

#include <gtest/gtest.h>

namespace gort::alloc {
namespace {

TEST(Options, ParsesWholeNumbers) {
  uint64_t v = 7;
  EXPECT_TRUE(ParseOption("0", &v));
  EXPECT_EQ(v, 0u);
  EXPECT_TRUE(ParseOption("1024", &v));
  EXPECT_EQ(v, 1024u);
  EXPECT_TRUE(ParseOption("18446744073709551615", &v));
  EXPECT_EQ(v, UINT64_MAX);
}

TEST(Options, RejectsGarbage) {
  uint64_t v = 7;
  for (const char* bad : {"", "abc", "12x", "-1", " 5", "1.5", "18446744073709551616"}) {
    EXPECT_FALSE(ParseOption(bad, &v)) << bad;
    EXPECT_EQ(v, 7u) << "a rejected value must not change the output";
  }
  EXPECT_FALSE(ParseOption(nullptr, &v));
}

}  // namespace
}  // namespace gort::alloc
