// Tests of gort::sharded_map (maps/sharded_map.h) and its locks, gort::rwlock (maps/rwlock.h)
// and gort::spin_rwlock (maps/spin_rwlock.h). They make maps_concurrent_test with
// sharded_map_variants_0_2_test.cc and sharded_map_variants_3_6_test.cc: three files of like
// compile time, so that no one of them holds a core for minutes. This one's tests come last.
//
//   ShardedMapTest/*     typed over shard counts and lock types: every operation against
//                        std::unordered_map as a model, compute's atomicity, concurrent
//                        operations on disjoint and on shared keys, range's per-shard
//                        snapshots, the spread of keys over shards and inside each shard,
//                        the lock counters with and without contention. The tests are in
//                        sharded_map_typed_tests.inc, the variants and the fixture in
//                        sharded_map_test_util.h; this file runs ShardedMapTest/7 (string
//                        keys under slotted_rwlock counting every acquisition), the other two
//                        /0 to /6.
//   ShardedMap.*         the rest: construction, hashing each key once, heterogeneous keys
//   ShardedMapThreads.OptimisticReads*  gets without the lock (integer keys) racing writers
//                        that grow the inner maps and delete: every answer is one the
//                        map held (under ASan, no read of a freed array)
//   ShardedMapDeathTest  a callback that calls into its own map (debug tiers)
//   RwLock*/             each lock alone (typed: rwlock, spin_rwlock): exclusion, sharing,
//                        writer preference, waiting long, misuse
//   ShardedMapStress.*   (label stress) every lock type, threads on shared keys for a while
#include <gtest/gtest.h>

#include <atomic>
#include <bit>
#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "maps/rwlock.h"
#include "maps/sharded_map.h"
#include "tests/maps/sharded_map_test_util.h"

namespace gort {
namespace {

using VariantsHere = VariantsAt<7>;
TYPED_TEST_SUITE(ShardedMapTest, VariantsHere, VariantIndex);

}  // namespace
}  // namespace gort

// Before the tests below, so that the tests keep the order they had in one file
// (ShardedMapTest/7 before ShardedMap.*).
#include "tests/maps/sharded_map_typed_tests.inc"

namespace gort {
namespace {

// KeysSpreadOverShardsAndBuckets with an unseeded hasher (std::hash: the identity on
// integers), which maps::seeded_hash folds with the seed in one multiply.
TEST(ShardedMap, KeysSpreadWithAWeakHash) {
  using M = sharded_map<uint64_t, uint64_t, std::hash<uint64_t>>;
  for (const unsigned shift : {0u, 12u, 32u}) {
    SCOPED_TRACE(shift);
    check_spread([] { return std::make_unique<M>(16); }, [&](uint64_t i) { return i << shift; });
  }
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

// Readers look up keys that stay present while a writer grows every inner map many times
// over (and finishes each grow) with keys of its own: an optimistic reader that located its
// bucket in a table the shard no longer uses (a hint left stale: sharded_map.h, "Hints")
// would find an evacuated bucket and answer "absent", or read a freed array.
TEST(ShardedMapThreads, ReadersFindStableKeysThroughGrows) {
  sharded_map<uint64_t, uint64_t> m(4);
  constexpr uint64_t kStable = 256, kGrowth = 1u << 17;
  for (uint64_t k = 0; k < kStable; k++) m.set(k, k * 3);
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> missed{0}, wrong{0}, reads{0};
  auto reader = [&](uint64_t seed) {
    splitmix r{seed};
    while (!stop.load(std::memory_order_relaxed)) {
      const uint64_t k = r.next() % kStable;
      const std::optional<uint64_t> v = m.get(k);
      reads.fetch_add(1, std::memory_order_relaxed);
      if (!v) missed.fetch_add(1, std::memory_order_relaxed);
      else if (*v != k * 3) wrong.fetch_add(1, std::memory_order_relaxed);
    }
  };
  std::thread r1(reader, 1), r2(reader, 2);
  for (uint64_t k = kStable; k < kStable + kGrowth; k++) m.set(k, k * 3);
  for (uint64_t k = kStable; k < kStable + kGrowth; k++) m.del(k);
  stop = true;
  r1.join();
  r2.join();
  EXPECT_EQ(missed.load(), 0u);
  EXPECT_EQ(wrong.load(), 0u);
  EXPECT_GT(reads.load(), 0u);
  EXPECT_EQ(m.len(), kStable);
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
