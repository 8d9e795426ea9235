// Hashes: seeded, and both the low bits (bucket) and the top byte (tophash) spread well.
#include "maps/hash.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "maps/bucket.h"

namespace gort {
namespace {

// Chi-square of n values over `cells` cells must stay near its mean (cells - 1).
template <class F>
double chi2(size_t n, size_t cells, F cell_of) {
  std::vector<size_t> c(cells);
  for (size_t i = 0; i < n; i++) c[cell_of(i)]++;
  double e = double(n) / double(cells), x = 0;
  for (size_t v : c) x += (double(v) - e) * (double(v) - e) / e;
  return x;
}

TEST(Hash, SeedChangesEveryHash) {
  gort::hash<uint64_t> h;
  int same = 0;
  for (uint64_t k = 0; k < 1000; k++) same += h(k, 1) == h(k, 2);
  EXPECT_EQ(same, 0);
  gort::hash<std::string> hs;
  EXPECT_NE(hs("gort", 1), hs("gort", 2));
  EXPECT_EQ(hs("gort", 1), hs(std::string("gort"), 1));
}

TEST(Hash, SequentialIntsSpreadOverBucketsAndTophash) {
  gort::hash<uint64_t> h;
  const size_t n = 1 << 20, cells = 1 << 12;
  for (uint64_t seed : {0ull, 0x1234567ull, ~0ull}) {
    double low = chi2(n, cells, [&](size_t i) { return h(i, seed) & (cells - 1); });
    double top = chi2(n, 256, [&](size_t i) { return h(i, seed) >> 56; });
    double strided = 0;
    for (int shift : {4, 12, 20, 32, 40})
      strided = std::max(strided, chi2(n, cells, [&](size_t i) { return h(uint64_t(i) << shift, seed) & (cells - 1); }));
    // Mean cells-1, sd sqrt(2(cells-1)): 6 sd is far beyond chance.
    EXPECT_LT(low, cells + 6 * std::sqrt(2.0 * cells)) << seed;
    EXPECT_LT(strided, cells + 6 * std::sqrt(2.0 * cells)) << seed;
    EXPECT_LT(top, 256 + 6 * std::sqrt(512.0)) << seed;
  }
}

TEST(Hash, StringsSpread) {
  gort::hash<std::string> h;
  const size_t n = 1 << 18, cells = 1 << 10;
  double low = chi2(n, cells, [&](size_t i) { return h("key-" + std::to_string(i), 7) & (cells - 1); });
  EXPECT_LT(low, cells + 6 * std::sqrt(2.0 * cells));
}

TEST(Hash, UnseededHashersAreSeeded) {
  std::hash<uint64_t> identity;  // libstdc++: the identity
  EXPECT_NE(maps::seeded_hash(identity, uint64_t{5}, 1), maps::seeded_hash(identity, uint64_t{5}, 2));
  EXPECT_NE(maps::seeded_hash(identity, uint64_t{5}, 1) >> 56, maps::seeded_hash(identity, uint64_t{6}, 1) >> 56);
}

}  // namespace
}  // namespace gort
