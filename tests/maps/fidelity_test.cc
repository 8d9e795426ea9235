// Fidelity to Go 1.19's map, against the real runtime: golden files recorded by oracle/*.go
// (growth.go reads runtime.hmap through unsafe), and the same programs re-run live when `go`
// is installed.
//   * B after every insert, 10^6 sequential and 10^6 random keys: must match exactly.
//   * Churn (delete one key, insert one, at constant count): the decision each insert takes
//     in each (count, B, noverflow) state Go met must be Go's, exactly; B must stay put; the
//     number of same-size grows depends on the hash, so it is compared as a rate.
//   * Iteration under mutation: the counts of scenarios.h must be Go's.
//   * Bucket arrays: the buckets allocated for 2^B main buckets (makeBucketArray's overflow
//     buckets and size-class slack), read from the runtime by prealloc.go, must be Go's.
#include <gtest/gtest.h>

#include <array>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "maps/map.h"
#include "scenarios.h"
#include "tests/maps/splitmix.h"
#include "tests/oracle/oracle.h"

namespace gort::maps {
namespace {

using test::splitmix;

// "count B" at every change of B, as growth.go prints it.
std::string b_steps(bool random, int n) {
  gort::map<uint64_t, uint64_t> m;
  splitmix r{1};
  std::string out;
  int prev = -1;
  for (int i = 0; i < n; i++) {
    uint64_t k = random ? r.next() : uint64_t(i);
    m.set(k, k);
    auto x = m.xray(xray_level::header);
    if (x.B != prev) {
      out += std::to_string(x.count) + " " + std::to_string(x.B) + "\n";
      prev = x.B;
    }
  }
  return out;
}

TEST(Fidelity, BAfterInsertsSequentialGolden) {
  std::string want = oracle::Golden("maps/golden/growth_seq.txt");
  ASSERT_FALSE(want.empty()) << "missing golden file";
  EXPECT_SAME_LINES(want, b_steps(false, 1000000));
}

TEST(Fidelity, BAfterInsertsRandomGolden) {
  std::string want = oracle::Golden("maps/golden/growth_rand.txt");
  ASSERT_FALSE(want.empty());
  EXPECT_SAME_LINES(want, b_steps(true, 1000000));
}

// "kind bucketsize B nbuckets" for B = 0..20, as prealloc.go prints it: a map made with a
// hint that gives B, then its bucket array's size.
template <class V>
std::string prealloc_lines(const char* kind) {
  std::string out;
  for (unsigned b = 0; b <= 20; b++) {
    gort::map<uint64_t, V> m;
    m.reserve(b == 0 ? 8 : size_t{13} << b >> 1);  // 6.5 * 2^B: the most B holds
    m.set(1, V{});  // a map made with B = 0 allocates its bucket at the first insert
    auto x = m.xray(xray_level::header);
    out += std::string(kind) + " " + std::to_string(x.bucket_bytes) + " " +
           std::to_string(x.B) + " " + std::to_string(x.allocated_buckets) + "\n";
  }
  return out;
}

std::string prealloc_table() {
  return prealloc_lines<uint64_t>("u64_u64") +
         prealloc_lines<std::array<uint64_t, 3>>("u64_3u64");
}

TEST(Fidelity, BucketArraysGolden) {
  std::string want = oracle::Golden("maps/golden/prealloc.txt");
  ASSERT_FALSE(want.empty());
  EXPECT_SAME_LINES(want, prealloc_table());
}

TEST(Fidelity, BucketArraysLive) {
  GORT_REQUIRE_GO();
  const oracle::Result& go = oracle::Live("maps/golden/prealloc.txt");
  EXPECT_TRUE(go.ok()) << go;
  EXPECT_SAME_LINES(go.out, prealloc_table());
}

// growth.go seq 1000000 and rand 1000000, run now.
TEST(Fidelity, BAfterInsertsLive) {
  GORT_REQUIRE_GO();
  const oracle::Result& seq = oracle::Live("maps/golden/growth_seq.txt");
  EXPECT_TRUE(seq.ok()) << seq;
  EXPECT_SAME_LINES(seq.out, b_steps(false, 1000000));
  const oracle::Result& rand = oracle::Live("maps/golden/growth_rand.txt");
  EXPECT_TRUE(rand.ok()) << rand;
  EXPECT_SAME_LINES(rand.out, b_steps(true, 1000000));
}

struct churn_result {
  std::map<std::string, std::string> decisions;  // "count B noverflow" -> none|same|bigger
  int same = 0, bigger = 0, B = 0;
};

churn_result parse_churn(const std::string& text) {
  churn_result c;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("summary", 0) == 0) {
      std::sscanf(line.c_str(), "summary sameSizeGrows=%d doublings=%d B=%d", &c.same, &c.bigger, &c.B);
      continue;
    }
    auto sp = line.rfind(' ');
    c.decisions[line.substr(0, sp)] = line.substr(sp + 1);
  }
  return c;
}

// growth.go churn, on gort::map.
churn_result churn(int n, int ops) {
  gort::fastrand_seed(77);
  gort::map<uint64_t, uint64_t> m;
  splitmix r{7};
  std::vector<uint64_t> keys(n);
  for (auto& k : keys) m.set(k = r.next(), 1);
  churn_result c;
  for (int op = 0; op < ops; op++) {
    uint64_t& k = keys[r.next() % uint64_t(n)];
    m.del(k);
    k = r.next();
    auto before = m.xray(xray_level::header);
    m.set(k, 1);
    if (before.growing) continue;
    auto after = m.xray(xray_level::header);
    const char* d = !after.growing ? "none" : after.same_size ? "same" : "bigger";
    c.same += after.growing && after.same_size;
    c.bigger += after.growing && !after.same_size;
    c.decisions[std::to_string(before.count) + " " + std::to_string(before.B) + " " +
                std::to_string(before.noverflow)] = d;
  }
  c.B = m.xray(xray_level::header).B;
  return c;
}

const char* name(grow_kind g) {
  return g == grow_kind::none ? "none" : g == grow_kind::same_size ? "same" : "bigger";
}

void expect_churn_matches(const churn_result& go, int n, int ops, double tolerance) {
  ASSERT_GT(go.decisions.size(), 10u);
  // 1. Go's decision in every state Go met is the decision gort's rule takes.
  for (const auto& [state, want] : go.decisions) {
    size_t count;
    int B, nov;
    std::sscanf(state.c_str(), "%zu %d %d", &count, &B, &nov);
    EXPECT_EQ(name(grow_decision(count, uint8_t(B), uint16_t(nov), false)), want) << state;
  }
  // 2. gort's map under the same operations: same B, every state it shares with Go decided
  //    alike, same-size grows at Go's rate.
  churn_result me = churn(n, ops);
  EXPECT_EQ(me.B, go.B);
  EXPECT_EQ(me.bigger, 0);
  EXPECT_EQ(go.bigger, 0);
  int shared = 0;
  for (const auto& [state, d] : me.decisions) {
    auto it = go.decisions.find(state);
    if (it == go.decisions.end()) continue;
    shared++;
    EXPECT_EQ(d, it->second) << state;
  }
  EXPECT_GT(shared, 10);
  EXPECT_GT(go.same, 0);
  EXPECT_NEAR(me.same, go.same, tolerance * go.same) << "same-size grows: gort " << me.same
                                                      << ", Go " << go.same;
}

TEST(Fidelity, ChurnSmallGolden) {
  std::string go = oracle::Golden("maps/golden/churn_100.txt");
  expect_churn_matches(parse_churn(go), 100, 1000000, 0.15);
}
TEST(Fidelity, ChurnGolden) {
  std::string go = oracle::Golden("maps/golden/churn_1000.txt");
  expect_churn_matches(parse_churn(go), 1000, 2000000, 0.45);
}
// growth.go churn 100 1000000, run now.
TEST(Fidelity, ChurnLive) {
  GORT_REQUIRE_GO();
  const oracle::Result& go = oracle::Live("maps/golden/churn_100.txt");
  EXPECT_TRUE(go.ok()) << go;
  expect_churn_matches(parse_churn(go.out), 100, 1000000, 0.15);
}

TEST(Fidelity, IterationGolden) {
  std::string want = oracle::Golden("maps/golden/iteration.txt");
  ASSERT_FALSE(want.empty());
  gort::fastrand_seed(5);
  test::scenario_run<uint64_t> s{[](uint64_t k) { return k; }, ""};
  EXPECT_SAME_LINES(want, s.run_all());
  EXPECT_EQ(s.problems, "");
}

TEST(Fidelity, IterationLive) {
  GORT_REQUIRE_GO();
  const oracle::Result& go = oracle::Live("maps/golden/iteration.txt");
  EXPECT_TRUE(go.ok()) << go;
  test::scenario_run<uint64_t> s{[](uint64_t k) { return k; }, ""};
  EXPECT_SAME_LINES(go.out, s.run_all());
}

}  // namespace
}  // namespace gort::maps
