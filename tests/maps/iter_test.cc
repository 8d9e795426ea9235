// range(): Go's randomised order and its guarantees under mutation; STL iteration mid-grow.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "maps/map.h"
#include "scenarios.h"

namespace gort {
namespace {

TEST(Range, VisitsEveryEntryOnce) {
  gort::map<uint64_t, uint64_t> m;
  for (uint64_t i = 0; i < 10000; i++) m.set(i, i);
  std::set<uint64_t> seen;
  m.range([&](uint64_t k, uint64_t& v) {
    EXPECT_EQ(k, v);
    EXPECT_TRUE(seen.insert(k).second);
  });
  EXPECT_EQ(seen.size(), 10000u);
}

TEST(Range, OrderIsRandomised) {
  gort::fastrand_seed(9);
  gort::map<uint64_t, int> m;
  for (uint64_t i = 0; i < 200; i++) m.set(i, 0);
  std::set<std::vector<uint64_t>> orders;
  std::set<uint64_t> firsts;
  for (int r = 0; r < 20; r++) {
    std::vector<uint64_t> order;
    m.range([&](uint64_t k, int&) { order.push_back(k); });
    firsts.insert(order[0]);
    orders.insert(order);
  }
  EXPECT_GE(orders.size(), 15u);
  EXPECT_GE(firsts.size(), 10u);
}

TEST(Range, SmallMapOffsetsToo) {  // one bucket: only the slot offset varies, as in Go
  gort::fastrand_seed(10);
  gort::map<int, int> m;
  for (int i = 0; i < 8; i++) m.set(i, i);
  std::set<int> firsts;
  for (int r = 0; r < 64; r++) {
    int first = -1;
    m.range([&](int k, int&) { first = k; return false; });
    firsts.insert(first);
  }
  EXPECT_EQ(firsts.size(), 8u);
}

TEST(Range, BreakStops) {
  gort::map<int, int> m;
  for (int i = 0; i < 100; i++) m.set(i, i);
  int n = 0;
  m.range([&](int, int&) { return ++n < 10; });
  EXPECT_EQ(n, 10);
}

// What every key type must give in the five scenarios: every kept entry produced once, no
// deleted one produced.
constexpr const char* kScenarioCounts =
    "delete-half kept=2500 kept_produced=2500 dup=0 deleted_after=0\n"
    "delete-step kept=2500 kept_produced=2500 dup=0 deleted_after=0\n"
    "insert-grow kept=1000 kept_produced=1000 dup=0 deleted_after=0\n"
    "mid-grow kept=417 kept_produced=417 dup=0 deleted_after=0\n"
    "same-size kept=50 kept_produced=50 dup=0 deleted_after=0\n";

TEST(Range, GoScenariosUint64) {
  gort::fastrand_seed(12);
  maps::test::scenario_run<uint64_t> s{[](uint64_t k) { return k; }, ""};
  std::string out = s.run_all();
  EXPECT_EQ(s.problems, "");
  EXPECT_EQ(out, kScenarioCounts);
}

TEST(Range, GoScenariosStringKeys) {  // keys that must survive evacuation for the iterator
  gort::fastrand_seed(13);
  maps::test::scenario_run<std::string> s{
      [](uint64_t k) { return std::to_string(k) + "-a-key-longer-than-sso"; }, ""};
  std::string out = s.run_all();
  EXPECT_EQ(s.problems, "");
  EXPECT_EQ(out, kScenarioCounts);
}

TEST(Range, NestedRangesAcrossGrows) {
  gort::map<std::string, int> m;
  for (int i = 0; i < 50; i++) m.set("k" + std::to_string(i), i);
  int outer = 0, added = 0;
  m.range([&](const std::string& k, int&) {
    outer++;
    std::set<std::string> inner;
    m.range([&](const std::string& k2, int&) {
      EXPECT_TRUE(inner.insert(k2).second) << k2;
      if (added < 2000) m.set("n" + std::to_string(added++), 0);
    });
  });
  EXPECT_GE(outer, 50);
  EXPECT_EQ(m.check(), "");
}

TEST(Range, DeleteEverythingThenRefill) {
  gort::map<uint64_t, int> m;
  for (uint64_t i = 0; i < 1000; i++) m.set(i, 1);
  int produced = 0;
  m.range([&](uint64_t, int& v) {
    produced++;
    if (produced == 1) {
      for (uint64_t i = 0; i < 1000; i++) m.del(i);
      EXPECT_EQ(m.len(), 0u);
      for (uint64_t i = 5000; i < 7000; i++) m.set(i, 2);
    }
  });
  EXPECT_GE(produced, 1);
  EXPECT_LE(produced, 1 + 2000);
  EXPECT_EQ(m.check(), "");
}

TEST(StlIteration, MidGrowEachOnce) {
  for (size_t n : {833u, 1665u, 3329u}) {  // each starts a doubling grow
    gort::map<uint64_t, uint64_t> m;
    for (uint64_t i = 0; i < n; i++) m.set(i, i);
    ASSERT_TRUE(m.xray().growing);
    std::set<uint64_t> seen;
    for (auto [k, v] : m) ASSERT_TRUE(seen.insert(k).second);
    EXPECT_EQ(seen.size(), n);
  }
}

}  // namespace
}  // namespace gort
