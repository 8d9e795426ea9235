// sharded_map_test_util.h — what the files of maps_concurrent_test share: the variants of
// gort::sharded_map its typed tests run over (shard counts, key types, lock types, what the
// locks count), their fixture ShardedMapTest, and the tests' helpers. The typed tests
// themselves are in sharded_map_typed_tests.inc, which each file instantiates over some of the
// variants; a variant's suite keeps its number, ShardedMapTest/N, whichever file runs it.
//
// All of it is in an anonymous namespace, a copy per file, on purpose: a variant's type name
// is part of its tests' names in ctest ("ShardedMapTest.ShardCount<gort::(anonymous
// namespace)::variant<...>>"), and each ShardedMapTest/N suite lives in one file, so gtest's
// rule that the tests of a suite share one fixture class holds.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <thread>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "maps/rwlock.h"
#include "maps/sharded_map.h"
#include "tests/maps/splitmix.h"

namespace gort {
namespace {

using maps::lock_stats;
using maps::test::splitmix;
using std::chrono::milliseconds;

inline std::optional<uint64_t> some(uint64_t v) { return v; }
inline std::optional<uint64_t> none() { return std::nullopt; }

template <class Map, size_t Shards>
struct variant {
  using map_type = Map;
  static constexpr size_t kShards = Shards;  // 0: the default
};

template <class K, class Lock, lock_stats S = lock_stats::waits>
using smap = sharded_map<K, uint64_t, gort::hash<K>, gort::equal_to<K>, Lock, S>;

// The variants, in the order of their suites' numbers: the first is ShardedMapTest/0.
using Variants = std::tuple<
    variant<sharded_map<uint64_t, uint64_t>, 0>, variant<smap<uint64_t, std::mutex>, 1>,
    variant<smap<uint64_t, std::shared_mutex>, 16>,
    variant<smap<uint64_t, rwlock, lock_stats::all>, 256>,
    variant<smap<std::string, rwlock>, 4>, variant<smap<std::string, spin_rwlock>, 8>,
    variant<smap<uint64_t, slotted_rwlock>, 64>,
    variant<smap<std::string, slotted_rwlock, lock_stats::all>, 2>>;

// Some of the variants, as TYPED_TEST_SUITE takes them: VariantsAt<0, 1> for the first two.
template <size_t... I>
using VariantsAt = ::testing::Types<std::tuple_element_t<I, Variants>...>;

// TYPED_TEST_SUITE's name generator: a variant's suite is numbered by the variant's place in
// Variants, whichever of them the file instantiates.
struct VariantIndex {
  template <class V>
  static std::string GetName(int) {
    return std::to_string(index<V>(static_cast<Variants*>(nullptr)));
  }

 private:
  template <class V, class... Vs>
  static constexpr size_t index(std::tuple<Vs...>*) {
    constexpr bool same[] = {std::is_same_v<V, Vs>...};
    size_t i = 0;
    while (!same[i]) i++;
    return i;
  }
};

template <class V>
class ShardedMapTest : public ::testing::Test {
 protected:
  using Map = typename V::map_type;
  using K = typename Map::key_type;
  static constexpr bool kCountsAll =
      std::is_same_v<V, variant<smap<uint64_t, rwlock, lock_stats::all>, 256>> ||
      std::is_same_v<V, variant<smap<std::string, slotted_rwlock, lock_stats::all>, 2>>;

  static std::unique_ptr<Map> make() {
    return V::kShards ? std::make_unique<Map>(V::kShards) : std::make_unique<Map>();
  }
  static K key(uint64_t i) {
    if constexpr (std::is_same_v<K, std::string>) return "key" + std::to_string(i);
    else return i;
  }
  // Every entry, through range (copies) or range_locked.
  static std::unordered_map<K, uint64_t> contents(const Map& m, bool locked) {
    std::unordered_map<K, uint64_t> out;
    auto add = [&](const K& k, const uint64_t& v) { EXPECT_TRUE(out.emplace(k, v).second); };
    if (locked) m.range_locked(add);
    else m.range(add);
    return out;
  }
  // Runs fn(t) on n threads at once.
  template <class F>
  static void run_threads(int n, F fn) {
    std::atomic<bool> go{false};
    std::vector<std::thread> ts;
    for (int t = 0; t < n; t++)
      ts.emplace_back([&, t] {
        while (!go.load()) std::this_thread::yield();
        fn(t);
      });
    go = true;
    for (auto& t : ts) t.join();
  }
};

// Keys spread over the shards as a uniform hash spreads them, and each shard's map spreads
// its keys over its buckets as a map of its own would: the shard index does not line up with
// bucket bits. Were it made of bucket bits, every key of shard s would sit in buckets j with
// j mod N == s, leaving 1 - 1/N of each shard's buckets empty; bits that merely correlate
// with bucket bits on patterned keys leave several times the empty buckets of a map of its
// own. The yardstick is a plain gort::map holding the same keys as each shard. A map's
// empty buckets on strided keys vary with its seed (the hash's own unevenness), and the
// shards share one seed, so the counts are summed over kRounds sharded maps, each with its
// own seed. make() makes a sharded map; key(i) the i-th key.
template <class Make, class Key>
void check_spread(Make make, Key key) {
  constexpr uint64_t kKeys = 1 << 14;
  constexpr int kRounds = 4;
  auto empty_buckets = [](const maps::xray_t& x) {  // main buckets with an empty chain
    const auto& per = x.per_bucket_entries;
    return size_t(std::count(per.begin(), per.end(), 0));
  };
  size_t empty = 0, buckets = 0, plain_empty = 0, plain_buckets = 0;
  for (int round = 0; round < kRounds; round++) {
    auto m = make();
    using K = typename std::remove_reference_t<decltype(*m)>::key_type;
    const size_t n = m->shards();
    if (n == 1) return;  // one shard: nothing to line up
    std::vector<gort::map<K, uint64_t>> plain(n);
    // Twice: the second pass of writes evacuates every old bucket a grow left (map.h: each
    // write moves its own and one more), so that each current table holds all its keys.
    for (int pass = 0; pass < 2; pass++)
      for (uint64_t i = 0; i < kKeys; i++) {
        const K k = key(i);
        m->set(k, i);
        plain[m->shard_of(k)].set(k, i);
      }
    const double mean = double(kKeys) / n;
    const double sigma = std::sqrt(mean * (1 - 1.0 / n));
    for (size_t s = 0; s < n; s++) {
      const maps::xray_t x = m->xray(s, maps::xray_level::per_bucket);
      const maps::xray_t px = plain[s].xray(maps::xray_level::per_bucket);
      ASSERT_FALSE(x.growing || px.growing) << "shard " << s;
      EXPECT_LE(std::abs(double(x.count) - mean), 6 * sigma + 1) << "shard " << s;
      empty += empty_buckets(x);
      buckets += x.buckets;
      plain_empty += empty_buckets(px);
      plain_buckets += px.buckets;
    }
  }
  EXPECT_LT(double(empty), 1.5 * double(plain_empty) * double(buckets) / double(plain_buckets) +
                               0.01 * double(buckets))
      << empty << " of " << buckets << " buckets empty, plain maps " << plain_empty << " of "
      << plain_buckets;
}

}  // namespace
}  // namespace gort
