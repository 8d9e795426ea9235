// Tests of gort::sharded_map (maps/sharded_map.h) and its locks, gort::rwlock (maps/rwlock.h)
// and gort::spin_rwlock (maps/spin_rwlock.h).
//
//   ShardedMapTest/*     typed over shard counts and lock types: every operation against
//                        std::unordered_map as a model, compute's atomicity, concurrent
//                        operations on disjoint and on shared keys, range's per-shard
//                        snapshots, the spread of keys over shards and inside each shard,
//                        the lock counters with and without contention
//   ShardedMap.*         the rest: construction, hashing each key once, heterogeneous keys
//   ShardedMapThreads.OptimisticReads*  gets without the lock (integer keys) racing writers
//                        that grow the inner maps and delete: every answer is one the
//                        map held (under ASan, no read of a freed array)
//   ShardedMapDeathTest  a callback that calls into its own map (debug tiers)
//   RwLock*/             each lock alone (typed: rwlock, spin_rwlock): exclusion, sharing,
//                        writer preference, waiting long, misuse
//   ShardedMapStress.*   (label stress) every lock type, threads on shared keys for a while
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "maps/rwlock.h"
#include "maps/sharded_map.h"
#include "splitmix.h"

namespace gort {
namespace {

using maps::lock_stats;
using maps::test::splitmix;
using std::chrono::milliseconds;

std::optional<uint64_t> some(uint64_t v) { return v; }
std::optional<uint64_t> none() { return std::nullopt; }

template <class Map, size_t Shards>
struct variant {
  using map_type = Map;
  static constexpr size_t kShards = Shards;  // 0: the default
};

template <class K, class Lock, lock_stats S = lock_stats::waits>
using smap = sharded_map<K, uint64_t, gort::hash<K>, gort::equal_to<K>, Lock, S>;

using Variants = ::testing::Types<
    variant<sharded_map<uint64_t, uint64_t>, 0>, variant<smap<uint64_t, std::mutex>, 1>,
    variant<smap<uint64_t, std::shared_mutex>, 16>,
    variant<smap<uint64_t, rwlock, lock_stats::all>, 256>,
    variant<smap<std::string, rwlock>, 4>, variant<smap<std::string, spin_rwlock>, 8>,
    variant<smap<uint64_t, slotted_rwlock>, 64>,
    variant<smap<std::string, slotted_rwlock, lock_stats::all>, 2>>;

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
TYPED_TEST_SUITE(ShardedMapTest, Variants);

TYPED_TEST(ShardedMapTest, ShardCount) {
  auto m = this->make();
  const size_t want = TypeParam::kShards ? TypeParam::kShards : m->default_shards();
  EXPECT_EQ(m->shards(), want);
  EXPECT_EQ(m->len(), 0u);
  EXPECT_EQ(m->check(), "");
}

// Random operations of every kind, each compared with std::unordered_map.
TYPED_TEST(ShardedMapTest, MatchesModel) {
  using K = typename TestFixture::K;
  auto m = this->make();
  std::unordered_map<K, uint64_t> model;
  splitmix r{42};
  for (int step = 0; step < 30000; step++) {
    const K k = this->key(r.next() % 600);
    const uint64_t v = r.next() >> 8;
    const auto it = model.find(k);
    const std::optional<uint64_t> cur =
        it == model.end() ? std::nullopt : std::optional<uint64_t>(it->second);
    switch (r.next() % 10) {
      case 0:
      case 1:
        m->set(k, v);
        model[k] = v;
        break;
      case 2:
        ASSERT_EQ(m->del(k), cur.has_value());
        model.erase(k);
        break;
      case 3:
        ASSERT_EQ(m->get(k), cur);
        ASSERT_EQ(m->contains(k), cur.has_value());
        break;
      case 4: {  // increment, insert 1, or delete when the value is odd
        auto fn = [&](const uint64_t* p) -> std::optional<uint64_t> {
          EXPECT_EQ(p != nullptr, cur.has_value());
          if (p == nullptr) return 1;
          if (*p % 2 == 1) return std::nullopt;
          return *p + 1;
        };
        const std::optional<uint64_t> next =
            !cur ? 1 : *cur % 2 ? std::optional<uint64_t>() : *cur + 1;
        ASSERT_EQ(m->compute(k, fn), next);
        if (next) model[k] = *next;
        else model.erase(k);
        break;
      }
      case 5:
        ASSERT_EQ(m->upsert(k, v, [](uint64_t& x) { x = x * 3 + 1; }), !cur);
        model[k] = cur ? *cur * 3 + 1 : v;
        break;
      case 6: {
        const auto [got, loaded] = m->load_or_store(k, v);
        ASSERT_EQ(loaded, cur.has_value());
        ASSERT_EQ(got, cur ? *cur : v);
        model.emplace(k, v);
        break;
      }
      case 7:
        ASSERT_EQ(m->load_and_delete(k), cur);
        model.erase(k);
        break;
      case 8:
        ASSERT_EQ(m->len(), model.size());
        break;
      case 9:
        if (step % 50 == 9) {
          ASSERT_EQ(this->contents(*m, step % 100 < 50), model);
          ASSERT_EQ(m->check(), "");
        }
        break;
    }
  }
  EXPECT_EQ(m->len(), model.size());
  EXPECT_EQ(this->contents(*m, false), model);
  EXPECT_EQ(this->contents(*m, true), model);
  EXPECT_EQ(m->check(), "");
}

TYPED_TEST(ShardedMapTest, RangeStopsWhenFnReturnsFalse) {
  auto m = this->make();
  for (uint64_t i = 0; i < 100; i++) m->set(this->key(i), i);
  int seen = 0;
  m->range([&](const auto&, const uint64_t&) { return ++seen < 10; });
  EXPECT_EQ(seen, 10);
  seen = 0;
  m->range_locked([&](const auto&, const uint64_t&) { return ++seen < 7; });
  EXPECT_EQ(seen, 7);
}

// range's fn runs with no lock held: it may write to the map, even to the shard it visits.
TYPED_TEST(ShardedMapTest, RangeFnMayCallIntoTheMap) {
  auto m = this->make();
  for (uint64_t i = 0; i < 200; i++) m->set(this->key(i), i);
  size_t seen = 0;
  m->range([&](const auto& k, const uint64_t& v) {
    seen++;
    EXPECT_EQ(m->get(k), v);
    m->set(k, v + 1000);
    m->del(this->key(v + 500));  // absent
  });
  EXPECT_EQ(seen, 200u);
  for (uint64_t i = 0; i < 200; i++) EXPECT_EQ(m->get(this->key(i)), i + 1000);
  EXPECT_EQ(m->check(), "");
}

// T threads add 1 to shared counters through compute and upsert: no increment is lost.
TYPED_TEST(ShardedMapTest, ComputeIsAtomic) {
  auto m = this->make();
  constexpr int kThreads = 4, kOps = 20000, kCounters = 64;
  this->run_threads(kThreads, [&](int t) {
    for (int i = 0; i < kOps; i++) {
      const auto k = this->key((i * 7 + t) % kCounters);
      if (i % 2) m->compute(k, [](const uint64_t* p) { return some(p ? *p + 1 : 1); });
      else m->upsert(k, uint64_t{1}, [](uint64_t& x) { x++; });
    }
  });
  uint64_t sum = 0;
  for (int c = 0; c < kCounters; c++) sum += m->get(this->key(c)).value_or(0);
  EXPECT_EQ(sum, uint64_t{kThreads} * kOps);
  EXPECT_EQ(m->len(), size_t{kCounters});
  EXPECT_EQ(m->check(), "");
}

// Each thread owns its keys and keeps a model of them: every read agrees with the model,
// and in the end the map is the union of the models.
TYPED_TEST(ShardedMapTest, ConcurrentDisjointKeys) {
  using K = typename TestFixture::K;
  auto m = this->make();
  constexpr int kThreads = 4, kOps = 15000, kKeys = 300;
  std::vector<std::unordered_map<K, uint64_t>> models(kThreads);
  this->run_threads(kThreads, [&](int t) {
    auto& model = models[t];
    splitmix r{uint64_t(t) + 1};
    for (int i = 0; i < kOps; i++) {
      const K k = this->key((r.next() % kKeys) * kThreads + t);
      const uint64_t v = r.next() >> 1;
      const auto it = model.find(k);
      const bool had = it != model.end();
      switch (r.next() % 6) {
        case 0:
          m->set(k, v);
          model[k] = v;
          break;
        case 1:
          EXPECT_EQ(m->del(k), had);
          model.erase(k);
          break;
        case 2:
          EXPECT_EQ(m->get(k), had ? std::optional<uint64_t>(it->second) : std::nullopt);
          break;
        case 3:
          m->compute(k, [](const uint64_t* p) { return some(p ? *p + 2 : 2); });
          model[k] = had ? it->second + 2 : 2;
          break;
        case 4:
          EXPECT_EQ(m->load_or_store(k, v).second, had);
          model.emplace(k, v);
          break;
        case 5:
          EXPECT_EQ(m->load_and_delete(k).has_value(), had);
          model.erase(k);
          break;
      }
    }
  });
  std::unordered_map<K, uint64_t> all;
  for (auto& model : models) all.insert(model.begin(), model.end());
  EXPECT_EQ(m->len(), all.size());
  EXPECT_EQ(this->contents(*m, false), all);
  EXPECT_EQ(m->check(), "");
}

// All threads on the same keys. Each phase ends in a state that the threads' operations
// determine: one winner per key for load_or_store and for del, exact sums for increments,
// and values that always belong to their key for racing sets.
TYPED_TEST(ShardedMapTest, ConcurrentSharedKeys) {
  auto m = this->make();
  constexpr int kThreads = 4, kKeys = 2000;
  std::vector<std::atomic<int>> wins(kKeys);
  std::vector<std::atomic<int>> winner(kKeys);
  // 1. load_or_store races: one thread stores, the others load its value.
  this->run_threads(kThreads, [&](int t) {
    for (int i = 0; i < kKeys; i++) {
      const int k = (i * 13 + t * 101) % kKeys;
      const auto [v, loaded] = m->load_or_store(this->key(k), uint64_t(t));
      if (!loaded) {
        wins[k]++;
        winner[k] = t;
      }
    }
  });
  for (int k = 0; k < kKeys; k++) {
    ASSERT_EQ(wins[k], 1) << k;
    ASSERT_EQ(m->get(this->key(k)), uint64_t(winner[k]));
  }
  EXPECT_EQ(m->len(), size_t{kKeys});
  // 2. del races: one thread finds each key.
  for (auto& w : wins) w = 0;
  this->run_threads(kThreads, [&](int t) {
    for (int i = 0; i < kKeys; i++) {
      const int k = (i * 7 + t * 333) % kKeys;
      if (m->del(this->key(k))) wins[k]++;
    }
  });
  for (int k = 0; k < kKeys; k++) ASSERT_EQ(wins[k], 1) << k;
  EXPECT_EQ(m->len(), 0u);
  // 3. sets, deletes and reads race; increments on counters race beside them.
  constexpr uint64_t kCounter = 1000000;
  this->run_threads(kThreads, [&](int t) {
    splitmix r{uint64_t(t) + 7};
    for (int i = 0; i < 10000; i++) {
      const uint64_t k = r.next() % 200;
      switch (r.next() % 4) {
        case 0:
          m->set(this->key(k), (k << 32) | uint64_t(t) << 16 | (i & 0xffff));
          break;
        case 1:
          m->del(this->key(k));
          break;
        case 2:
          if (auto v = m->get(this->key(k))) {
            EXPECT_EQ(*v >> 32, k);
          }
          break;
        case 3:
          m->upsert(this->key(kCounter + k % 8), uint64_t{1}, [](uint64_t& x) { x++; });
          break;
      }
    }
  });
  uint64_t sum = 0;
  m->range([&](const auto& key, const uint64_t& v) {
    for (uint64_t c = kCounter; c < kCounter + 8; c++)
      if (key == this->key(c)) {
        sum += v;
        return;
      }
    EXPECT_EQ(key, this->key(v >> 32));
  });
  size_t sets = 0;
  for (int t = 0; t < kThreads; t++) {  // the counters' increments, replayed
    splitmix r{uint64_t(t) + 7};
    for (int i = 0; i < 10000; i++) {
      r.next();
      sets += r.next() % 4 == 3;
    }
  }
  EXPECT_EQ(sum, sets);
  EXPECT_EQ(m->check(), "");
}

// range sees each shard as of one instant. A writer keeps two keys of every shard, a and b,
// with a set before b to the same round number; any view of one shard at one instant has
// a == b or a == b + 1, while a view that read b after a could see b > a.
TYPED_TEST(ShardedMapTest, RangeSeesEachShardAtOneInstant) {
  using K = typename TestFixture::K;
  auto m = this->make();
  const size_t n = m->shards();
  std::vector<std::vector<K>> pair(n);
  for (uint64_t i = 0, found = 0; found < 2 * n; i++) {
    const K k = this->key(i);
    auto& p = pair[m->shard_of(k)];
    if (p.size() < 2) {
      p.push_back(k);
      found++;
      m->set(k, 0);
    }
  }
  for (uint64_t i = 0; i < 500; i++) m->set(this->key(~uint64_t{0} - i), 1);  // other entries
  std::unordered_map<K, size_t> index;  // key -> 2 * shard + (0 for a, 1 for b)
  for (size_t s = 0; s < n; s++)
    for (size_t j = 0; j < 2; j++) index[pair[s][j]] = 2 * s + j;
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (uint64_t round = 1; !stop.load(std::memory_order_relaxed); round++)
      for (size_t s = 0; s < n; s++) {
        m->set(pair[s][0], round);
        m->set(pair[s][1], round);
      }
  });
  int views = 0;
  for (const auto deadline = std::chrono::steady_clock::now() + milliseconds(300);
       std::chrono::steady_clock::now() < deadline || views < 20;) {
    std::vector<uint64_t> seen(2 * n, ~uint64_t{0});
    auto visit = [&](const K& k, const uint64_t& v) {
      if (auto it = index.find(k); it != index.end()) seen[it->second] = v;
    };
    if (views % 2) m->range_locked(visit);
    else m->range(visit);
    for (size_t s = 0; s < n; s++) {
      const uint64_t a = seen[2 * s], b = seen[2 * s + 1];
      ASSERT_NE(a, ~uint64_t{0});
      ASSERT_NE(b, ~uint64_t{0});
      ASSERT_TRUE(a == b || a == b + 1) << "shard " << s << ": a " << a << " b " << b;
    }
    views++;
  }
  stop = true;
  writer.join();
  EXPECT_EQ(m->len(), 2 * n + 500);
}

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

TYPED_TEST(ShardedMapTest, KeysSpreadOverShardsAndBuckets) {
  for (const unsigned shift : {0u, 12u, 32u}) {  // sequential and strided keys
    SCOPED_TRACE(shift);
    check_spread([&] { return this->make(); }, [&](uint64_t i) { return this->key(i << shift); });
  }
}

// The same with an unseeded hasher (std::hash: the identity on integers), which
// maps::seeded_hash folds with the seed in one multiply.
TEST(ShardedMap, KeysSpreadWithAWeakHash) {
  using M = sharded_map<uint64_t, uint64_t, std::hash<uint64_t>>;
  for (const unsigned shift : {0u, 12u, 32u}) {
    SCOPED_TRACE(shift);
    check_spread([] { return std::make_unique<M>(16); }, [&](uint64_t i) { return i << shift; });
  }
}

TYPED_TEST(ShardedMapTest, NoContentionCountsNothing) {
  auto m = this->make();
  // A get that reads without the lock (uncontended, optimistic) acquires nothing.
  constexpr bool kLockFreeGets = std::remove_reference_t<decltype(*m)>::reads_without_locks;
  size_t ops = 0;
  for (uint64_t i = 0; i < 1000; i++, ops += kLockFreeGets ? 2 : 3) {
    m->set(this->key(i), i);
    m->get(this->key(i / 2));
    m->compute(this->key(i), [](const uint64_t* p) { return some(*p + 1); });
  }
  m->range([](const auto&, const uint64_t&) {});
  ops += m->shards();
  const maps::shard_stats st = m->stats();
  EXPECT_EQ(st.contended, 0u);
  EXPECT_EQ(st.wait_ns, 0u);
  EXPECT_EQ(st.acquisitions, this->kCountsAll ? ops : 0u);
}

// One thread holds a shard's lock inside compute; another's get and set on that shard wait.
TYPED_TEST(ShardedMapTest, ContentionIsCounted) {
  auto m = this->make();
  const auto k = this->key(1);
  m->set(k, 1);
  std::atomic<bool> inside{false};
  std::thread holder([&] {
    m->compute(k, [&](const uint64_t* p) {
      inside = true;
      std::this_thread::sleep_for(milliseconds(30));
      return std::optional<uint64_t>(*p + 1);
    });
  });
  while (!inside.load()) std::this_thread::yield();
  EXPECT_EQ(m->get(k), 2u);  // waits for the compute
  holder.join();
  const size_t s = m->shard_of(k);
  const maps::shard_stats st = m->stats(s);
  EXPECT_EQ(st.contended, 1u);
  EXPECT_GE(st.wait_ns, 1000000u);  // the get waited most of the 30 ms
  EXPECT_EQ(m->stats().contended, 1u);
  if (this->kCountsAll) {
    EXPECT_EQ(st.acquisitions, 3u);  // set, compute, get
  }
  m->reset_stats();
  EXPECT_EQ(m->stats().contended, 0u);
}

// A reader counted in the reader slots keeps a writer of its shard out until it leaves, and a
// reader that arrives while the writer holds the shard waits for it (reader_slots.h).
TEST(ShardedMapThreads, SlottedReadersAndWritersExclude) {
  smap<uint64_t, slotted_rwlock> m(1);
  m.set(1, 1);
  std::atomic<bool> written{false};
  std::thread writer;
  m.range_locked([&](const uint64_t&, const uint64_t&) {  // holds the shard shared
    EXPECT_EQ(m.stats().contended, 0u);
    writer = std::thread([&] {
      m.set(1, 2);
      written = true;
    });
    std::this_thread::sleep_for(milliseconds(30));
    EXPECT_FALSE(written.load()) << "a writer ran while a slotted reader held the shard";
    return false;
  });
  writer.join();
  EXPECT_TRUE(written.load());
  EXPECT_EQ(m.get(1), 2u);
  EXPECT_EQ(m.stats(0).contended, 1u);  // the writer's wait for the slots to drain
  EXPECT_GE(m.stats(0).wait_ns, 1000000u);

  m.reset_stats();
  std::atomic<bool> inside{false};
  std::thread holder([&] {
    m.compute(1, [&](const uint64_t* p) {
      inside = true;
      std::this_thread::sleep_for(milliseconds(30));
      return std::optional<uint64_t>(*p + 1);
    });
  });
  while (!inside.load()) std::this_thread::yield();
  EXPECT_EQ(m.get(1), 3u);  // backs out of the slots, waits on the lock word
  holder.join();
  EXPECT_EQ(m.stats(0).contended, 1u);
}

TEST(ShardedMap, ReaderSlotsCountAndDrain) {
  maps::reader_slots slots(5);
  EXPECT_TRUE(std::has_single_bit(slots.rows()));
  EXPECT_LE(slots.rows(), maps::kMaxRows);
  rwlock l;
  auto* c = slots.enter(3, l);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(slots.readers(3), 1u);
  EXPECT_EQ(slots.readers(2), 0u);
  EXPECT_FALSE(slots.drained(3));
  EXPECT_TRUE(slots.drained(4));
  maps::reader_slots::leave(c);
  EXPECT_TRUE(slots.drained(3));
  l.lock();  // a writer holds the lock: enter refuses and leaves no count behind
  EXPECT_EQ(slots.enter(3, l), nullptr);
  EXPECT_EQ(slots.readers(3), 0u);
  l.unlock();
}

TEST(ShardedMap, ShardCountsAreCheckedAndDefaultFollowsTheCpus) {
  using M = sharded_map<int, int>;
  EXPECT_THROW(M(0), std::invalid_argument);
  EXPECT_THROW(M(3), std::invalid_argument);
  EXPECT_THROW(M(2 * maps::kMaxShards), std::invalid_argument);
  EXPECT_EQ(M(1).shards(), 1u);
  EXPECT_EQ(M(maps::kMaxShards).shards(), maps::kMaxShards);
  const size_t d = M::default_shards();
  EXPECT_TRUE(std::has_single_bit(d));
  EXPECT_EQ(d, std::min<size_t>(std::bit_ceil(64 * maps::usable_cpus()), maps::kMaxShards));
}

// A hasher that counts its calls.
std::atomic<int> hash_calls{0};
struct counting_hash {
  uint64_t operator()(uint64_t k, uint64_t seed) const {
    hash_calls++;
    return gort::hash<uint64_t>{}(k, seed);
  }
};

// Each operation hashes its key once: the inner map takes the sharded map's hash. (8 keys
// never make a map grow, so no evacuation hashes keys either.)
// Which maps read without locks (see sharded_map.h, "Optimistic reads").
struct point {
  int x, y;
};
TEST(ShardedMap, OptimisticReadsForIntegerKeysAndPlainValues) {
#if defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "ThreadSanitizer builds read under the lock";
#else
  EXPECT_TRUE((sharded_map<uint64_t, uint64_t>::reads_without_locks));
  EXPECT_TRUE((sharded_map<int32_t, point, gort::hash<int32_t>,
                           gort::equal_to<int32_t>, std::mutex>::reads_without_locks));
  EXPECT_FALSE((sharded_map<std::string, uint64_t>::reads_without_locks));
  EXPECT_FALSE((sharded_map<uint64_t, std::string>::reads_without_locks));
  EXPECT_FALSE((sharded_map<uint64_t, std::pair<int, int>>::reads_without_locks));  // not trivially copyable
#endif
}

// Readers look up keys while a writer inserts (growing the inner maps, which retires their
// arrays), overwrites and deletes. A value is eight words, each the same version (the key
// times 4 plus the round), stored one after the other: a value copied while a write was
// half done, or from a slot another key took over, shows.
struct eight_words {
  uint64_t w[8];
  bool whole() const {
    for (uint64_t x : w)
      if (x != w[0]) return false;
    return true;
  }
};
TEST(ShardedMapThreads, OptimisticReadsSeeOnlyWholeValues) {
  sharded_map<uint64_t, eight_words> m(4);
  constexpr uint64_t kKeys = 20000;
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> bad{0}, hits{0};
  auto reader = [&](uint64_t seed) {
    splitmix r{seed};
    while (!stop.load(std::memory_order_relaxed)) {
      const uint64_t k = r.next() % kKeys;
      const std::optional<eight_words> w = m.get(k);
      if (!w) continue;
      hits.fetch_add(1, std::memory_order_relaxed);
      if (!w->whole() || w->w[0] / 4 != k) bad.fetch_add(1, std::memory_order_relaxed);
    }
  };
  std::thread r1(reader, 1), r2(reader, 2);
  splitmix w{3};
  for (uint64_t round = 0; round < 40; round++) {
    for (uint64_t k = 0; k < kKeys; k++) {
      const uint64_t v = k * 4 + round % 4;
      m.set(k, eight_words{{v, v, v, v, v, v, v, v}});
    }
    for (int i = 0; i < 5000; i++) m.del(w.next() % kKeys);
  }
  stop = true;
  r1.join();
  r2.join();
  EXPECT_EQ(bad.load(), 0u);
  EXPECT_GT(hits.load(), 0u);
  EXPECT_EQ(m.check(), "");
}

TEST(ShardedMap, HashesEachKeyOnce) {
  if (GORT_CHECKS >= 2) GTEST_SKIP() << "the debug tiers hash again to check the hash";
  sharded_map<uint64_t, uint64_t, counting_hash> m(4);
  auto once = [&](auto op) {
    hash_calls = 0;
    op();
    return hash_calls.load();
  };
  for (uint64_t k = 0; k < 6; k++) EXPECT_EQ(once([&] { m.set(k, k); }), 1);
  EXPECT_EQ(once([&] { m.set(uint64_t{3}, uint64_t{9}); }), 1);
  EXPECT_EQ(once([&] { m.get(3); }), 1);
  EXPECT_EQ(once([&] { m.get(30); }), 1);
  EXPECT_EQ(once([&] { m.del(2); }), 1);
  EXPECT_EQ(once([&] { m.compute(uint64_t{7}, [](const uint64_t*) { return some(1); }); }), 1);
  EXPECT_EQ(once([&] { m.compute(uint64_t{7}, [](const uint64_t*) { return none(); }); }), 1);
  EXPECT_EQ(once([&] { m.upsert(uint64_t{1}, uint64_t{1}, [](uint64_t& v) { v++; }); }), 1);
  EXPECT_EQ(once([&] { m.load_or_store(uint64_t{8}, uint64_t{8}); }), 1);
  EXPECT_EQ(once([&] { m.load_and_delete(8); }), 1);
  EXPECT_EQ(m.get(1), 2u);
  EXPECT_EQ(m.len(), 5u);
}

TEST(ShardedMap, StringKeysLookUpByStringView) {
  sharded_map<std::string, int> m(8);
  m.set("alpha", 1);
  m.set(std::string("beta"), 2);
  EXPECT_EQ(m.get(std::string_view("alpha")), 1);
  EXPECT_EQ(m.get("beta"), 2);
  EXPECT_FALSE(m.get(std::string_view("gamma")));
  EXPECT_TRUE(m.del(std::string_view("alpha")));
  EXPECT_EQ(m.load_and_delete("beta"), 2);
  EXPECT_EQ(m.len(), 0u);
}

TEST(ShardedMap, ComputeThatThrowsChangesNothing) {
  sharded_map<int, int> m(2);
  m.set(1, 10);
  EXPECT_THROW(m.compute(1, [](const int*) -> std::optional<int> { throw 1; }), int);
  EXPECT_THROW(m.compute(2, [](const int*) -> std::optional<int> { throw 1; }), int);
  EXPECT_EQ(m.get(1), 10);
  EXPECT_FALSE(m.get(2));
  EXPECT_EQ(m.len(), 1u);
  m.set(2, 2);  // the locks were released
  EXPECT_EQ(m.check(), "");
}

#if GORT_CHECKS >= 2
void reenter() {
  sharded_map<int, int> m(1);
  m.compute(1, [&](const int*) { return m.get(2); });
}
TEST(ShardedMapDeathTest, CallbackCallingIntoItsMapIsFatal) {
  EXPECT_DEATH(reenter(), "callback run under a shard lock called into its map");
}
#endif

// ---- rwlock and spin_rwlock --------------------------------------------------------------

// Both shard locks keep the same word layout for what these tests read: bit 30 is kPending,
// and 0 is free (rwlock may keep a stale kSleepers, bit 29, which spin_rwlock never sets).
template <class L>
class RwLockTest : public ::testing::Test {};
using LockTypes = ::testing::Types<rwlock, spin_rwlock>;
TYPED_TEST_SUITE(RwLockTest, LockTypes);
template <class L>
class RwLockDeathTest : public ::testing::Test {};
TYPED_TEST_SUITE(RwLockDeathTest, LockTypes);

TYPED_TEST(RwLockTest, WritersExcludeEachOther) {
  TypeParam l;
  uint64_t counter = 0;  // not atomic: the lock orders the increments
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; t++)
    ts.emplace_back([&] {
      for (int i = 0; i < 50000; i++) {
        l.lock();
        counter++;
        l.unlock();
      }
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(counter, 200000u);
  EXPECT_EQ(l.state(), 0u);
}

TYPED_TEST(RwLockTest, ReadersShareWritersWait) {
  TypeParam l;
  l.lock_shared();
  EXPECT_TRUE(l.try_lock_shared());  // a second reader
  EXPECT_FALSE(l.try_lock());
  l.unlock_shared();
  l.unlock_shared();
  EXPECT_TRUE(l.try_lock());
  EXPECT_FALSE(l.try_lock_shared());
  EXPECT_FALSE(l.try_lock());
  l.unlock();
  EXPECT_EQ(l.state(), 0u);
}

// A waiting writer keeps new readers out (writer preference), then gets the lock when the
// reader that held it leaves.
TYPED_TEST(RwLockTest, WaitingWriterKeepsNewReadersOut) {
  TypeParam l;
  l.lock_shared();
  std::atomic<bool> got{false};
  std::thread writer([&] {
    l.lock();
    got = true;
    l.unlock();
  });
  while (!(l.state() & (1u << 30))) std::this_thread::yield();  // kPending
  EXPECT_FALSE(l.try_lock_shared());
  EXPECT_FALSE(got.load());
  l.unlock_shared();
  writer.join();
  EXPECT_TRUE(got.load());
  EXPECT_EQ(l.state() & ~(1u << 29), 0u);  // a stale kSleepers bit may stay
  EXPECT_TRUE(l.try_lock_shared());
  l.unlock_shared();
}

// Readers and writers that outlast the spin go to sleep and are woken (rwlock) or yield
// (spin_rwlock); readers always see the two words a writer keeps equal.
TYPED_TEST(RwLockTest, SleepersWakeAndReadersSeeWholeWrites) {
  TypeParam l;
  uint64_t a = 0, b = 0;
  std::atomic<int> done{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < 2; t++)
    ts.emplace_back([&] {
      for (int i = 0; i < 300; i++) {
        l.lock();
        a++;
        std::this_thread::sleep_for(std::chrono::microseconds(50));  // readers sleep
        b++;
        l.unlock();
      }
      done++;
    });
  for (int t = 0; t < 2; t++)
    ts.emplace_back([&] {
      while (done.load() < 2) {
        l.lock_shared();
        EXPECT_EQ(a, b);
        l.unlock_shared();
      }
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(a, 600u);
  EXPECT_EQ(l.state() & ~(1u << 29), 0u);
}

TYPED_TEST(RwLockDeathTest, MisuseIsFatal) {
  EXPECT_DEATH(
      {
        TypeParam l;
        l.unlock();
      },
      "unlock of a lock not held for writing");
  EXPECT_DEATH(
      {
        TypeParam l;
        l.unlock_shared();
      },
      "unlock_shared of a lock no reader holds");
}

// ---- stress -----------------------------------------------------------------------------

// Threads run every operation on shared keys for a while; each value keeps its key in its
// high half (sets write so, increments keep so), and the counters' increments add up.
template <class Map>
void stress(milliseconds run) {
  Map m(8);
  constexpr int kThreads = 4;
  constexpr uint64_t kKeys = 4096, kCounters = 16, kCounterBase = 1ull << 40;
  std::atomic<bool> stop{false};
  std::vector<uint64_t> increments(kThreads, 0);
  std::vector<std::thread> ts;
  for (int t = 0; t < kThreads; t++)
    ts.emplace_back([&, t] {
      splitmix r{uint64_t(t) * 31 + 5};
      uint64_t mine = 0;
      for (int i = 0; !stop.load(std::memory_order_relaxed); i++) {
        const uint64_t k = r.next() % kKeys;
        const uint64_t v = k << 32 | (r.next() & 0xffff);
        switch (r.next() % 10) {
          case 0: m.set(k, v); break;
          case 1: m.del(k); break;
          case 2:
            if (auto g = m.get(k)) {
              ASSERT_EQ(*g >> 32, k);
            }
            break;
          case 3: m.compute(k, [&](const uint64_t* p) -> std::optional<uint64_t> {
                    if (p && *p >> 32 != k) ADD_FAILURE() << k;
                    if (p && (*p & 1)) return std::nullopt;
                    return p ? *p + 1 : v;
                  });
                  break;
          case 4: ASSERT_EQ(m.load_or_store(k, v).first >> 32, k); break;
          case 5:
            if (auto g = m.load_and_delete(k)) {
              ASSERT_EQ(*g >> 32, k);
            }
            break;
          case 6:
          case 7: {
            const uint64_t c = kCounterBase + r.next() % kCounters;
            m.upsert(c, uint64_t{1}, [](uint64_t& x) { x++; });
            mine++;
            break;
          }
          case 8: ASSERT_LE(m.len(), kKeys + kCounters); break;
          case 9:
            if (i % 64 == 0)
              m.range([&](const uint64_t& key, const uint64_t& val) {
                if (key < kKeys) {
                  ASSERT_EQ(val >> 32, key);
                }
              });
            break;
        }
      }
      increments[t] = mine;
    });
  std::this_thread::sleep_for(run);
  stop = true;
  for (auto& t : ts) t.join();
  uint64_t want = 0, got = 0;
  for (uint64_t x : increments) want += x;
  for (uint64_t c = 0; c < kCounters; c++) got += m.get(kCounterBase + c).value_or(0);
  EXPECT_EQ(got, want);
  EXPECT_EQ(m.check(), "");
  const maps::shard_stats st = m.stats();
  std::printf("stress: %lu increments, %lu contended acquisitions, %.1f ms waited\n",
              (unsigned long)want, (unsigned long)st.contended, double(st.wait_ns) / 1e6);
}

TEST(ShardedMapStress, SlottedRwLock) {
  stress<smap<uint64_t, slotted_rwlock>>(milliseconds(1500));
}
TEST(ShardedMapStress, RwLock) { stress<smap<uint64_t, rwlock>>(milliseconds(1500)); }
TEST(ShardedMapStress, SpinRwLock) { stress<smap<uint64_t, spin_rwlock>>(milliseconds(1500)); }
TEST(ShardedMapStress, SharedMutex) {
  stress<smap<uint64_t, std::shared_mutex>>(milliseconds(1500));
}
TEST(ShardedMapStress, Mutex) {
  stress<smap<uint64_t, std::mutex, lock_stats::all>>(milliseconds(1500));
}

}  // namespace
}  // namespace gort
