// leak_check.h — the slices tests' fixture: every test must leave as many live arrays as it
// found, once this thread's deferred releases are flushed.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>

#include "slices/slice.h"

namespace gort::test {

class SliceLeakCheck : public ::testing::Test {
 protected:
  void SetUp() override { live_ = live_arrays(); }
  void TearDown() override {
    slices::flush_thread();
    EXPECT_EQ(live_arrays(), live_) << "arrays leaked";
  }
  int64_t live_ = 0;
};

}  // namespace gort::test
