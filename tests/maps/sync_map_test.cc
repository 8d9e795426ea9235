// gort::sync_map (Go's sync.Map) one operation at a time. With sync_map_reclaim_test.cc it
// makes maps_sync_test: two files, so that neither holds a core for long in the sanitize
// build. What they share is in sync_map_test_util.h.
//   SyncMap.*            each operation's semantics (Go 1.19; Swap/CompareAndSwap/
//                        CompareAndDelete as Go 1.20), promotion, expunged entries; the last
//                        of them, random sequences against a model, is in
//                        sync_map_reclaim_test.cc, with the executable's main.
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

#include "tests/maps/sync_map_test_util.h"
#include "maps/sync_map.h"

namespace gort {
namespace {

using maps::test::U64Map;

// ---- semantics, one operation at a time -----------------------------------------------------

TEST(SyncMap, EmptyMap) {
  U64Map m;
  EXPECT_EQ(m.load(1), std::nullopt);
  EXPECT_EQ(m.load_and_delete(1), std::nullopt);
  m.del(1);
  EXPECT_FALSE(m.compare_and_swap(1, 0, 5));  // Go 1.20: no value, no swap
  EXPECT_FALSE(m.compare_and_delete(1, 0));   // ... and no delete, even of the zero value
  EXPECT_EQ(m.len(), 0u);
  int visits = 0;
  m.range([&](uint64_t, uint64_t) { return ++visits > 0; });
  EXPECT_EQ(visits, 0);
  EXPECT_EQ(m.check(), "");
}

TEST(SyncMap, StoreLoadDelete) {
  U64Map m;
  m.store(1, 10);
  EXPECT_EQ(m.load(1), 10u);
  m.store(1, 11);
  EXPECT_EQ(m.load(1), 11u);
  EXPECT_EQ(m.load(2), std::nullopt);
  m.del(1);
  EXPECT_EQ(m.load(1), std::nullopt);
  m.del(1);  // deleting a missing key is a no-op
  EXPECT_EQ(m.check(), "");
}

TEST(SyncMap, LoadOrStore) {
  U64Map m;
  EXPECT_EQ(m.load_or_store(1, 10), std::make_pair(uint64_t{10}, false));
  EXPECT_EQ(m.load_or_store(1, 20), std::make_pair(uint64_t{10}, true));
  m.range([](uint64_t, uint64_t) {});  // promote: the entry is in the read table now
  EXPECT_EQ(m.load_or_store(1, 30), std::make_pair(uint64_t{10}, true));
  m.del(1);  // nullptr in the read table: load_or_store fills it without the lock
  EXPECT_EQ(m.load_or_store(1, 40), std::make_pair(uint64_t{40}, false));
  EXPECT_EQ(m.load(1), 40u);
  EXPECT_EQ(m.check(), "");
}

TEST(SyncMap, LoadAndDelete) {
  U64Map m;
  m.store(1, 10);
  EXPECT_EQ(m.load_and_delete(1), 10u);  // from the dirty table
  EXPECT_EQ(m.load_and_delete(1), std::nullopt);
  m.store(2, 20);
  m.range([](uint64_t, uint64_t) {});
  EXPECT_EQ(m.load_and_delete(2), 20u);  // from the read table
  EXPECT_EQ(m.load_and_delete(2), std::nullopt);
  EXPECT_EQ(m.check(), "");
}

TEST(SyncMap, Swap) {
  U64Map m;
  EXPECT_EQ(m.swap(1, 10), std::nullopt);  // Go 1.20: previous, loaded = nil, false
  EXPECT_EQ(m.swap(1, 11), 10u);
  m.range([](uint64_t, uint64_t) {});
  EXPECT_EQ(m.swap(1, 12), 11u);  // in the read table, without the lock
  m.del(1);
  EXPECT_EQ(m.swap(1, 13), std::nullopt);  // a deleted key has no previous value
  EXPECT_EQ(m.load(1), 13u);
  EXPECT_EQ(m.check(), "");
}

TEST(SyncMap, CompareAndSwap) {
  U64Map m;
  EXPECT_FALSE(m.compare_and_swap(1, 0, 10));
  EXPECT_EQ(m.load(1), std::nullopt);  // a failed CAS stores nothing
  m.store(1, 10);
  EXPECT_FALSE(m.compare_and_swap(1, 9, 20));  // dirty table, wrong value
  EXPECT_TRUE(m.compare_and_swap(1, 10, 20));  // dirty table
  EXPECT_EQ(m.load(1), 20u);
  m.range([](uint64_t, uint64_t) {});
  EXPECT_FALSE(m.compare_and_swap(1, 10, 30));  // read table
  EXPECT_TRUE(m.compare_and_swap(1, 20, 30));
  EXPECT_EQ(m.load(1), 30u);
  m.del(1);
  EXPECT_FALSE(m.compare_and_swap(1, 30, 40));  // deleted: no value to compare
  EXPECT_EQ(m.load(1), std::nullopt);
  EXPECT_EQ(m.check(), "");
}

TEST(SyncMap, CompareAndDelete) {
  U64Map m;
  m.store(1, 10);
  EXPECT_FALSE(m.compare_and_delete(1, 11));
  EXPECT_TRUE(m.compare_and_delete(1, 10));  // dirty table: the entry stays there, nullptr
  EXPECT_EQ(m.load(1), std::nullopt);
  EXPECT_FALSE(m.compare_and_delete(1, 10));
  m.store(2, 20);
  m.range([](uint64_t, uint64_t) {});
  EXPECT_FALSE(m.compare_and_delete(2, 21));
  EXPECT_TRUE(m.compare_and_delete(2, 20));  // read table
  EXPECT_EQ(m.load(2), std::nullopt);
  EXPECT_EQ(m.check(), "");
}

TEST(SyncMap, RangeStopsAndVisitsOnce) {
  U64Map m;
  for (uint64_t k = 0; k < 100; k++) m.store(k, k * 2);
  std::unordered_map<uint64_t, uint64_t> seen;
  m.range([&](uint64_t k, uint64_t v) {
    EXPECT_TRUE(seen.emplace(k, v).second) << "key " << k << " visited twice";
    return true;
  });
  EXPECT_EQ(seen.size(), 100u);
  for (auto [k, v] : seen) EXPECT_EQ(v, k * 2);
  int visits = 0;
  m.range([&](uint64_t, uint64_t) { return ++visits < 10; });
  EXPECT_EQ(visits, 10);
  EXPECT_EQ(m.len(), 100u);
}

// A callback may use the map (nested read sections) and change it.
TEST(SyncMap, RangeCallbackMayWrite) {
  U64Map m;
  for (uint64_t k = 0; k < 64; k++) m.store(k, k);
  size_t visits = 0;
  m.range([&](uint64_t k, uint64_t v) {
    visits++;
    EXPECT_EQ(m.load(k), v);
    m.store(k, v + 1000);        // a present key: changes the value in place
    m.store(k + 1000, v);        // a new key: may or may not be visited
    if (k % 2 == 0) m.del(k);    // deleted after its visit
    return true;
  });
  EXPECT_GE(visits, 64u);
  EXPECT_EQ(m.check(), "");
  for (uint64_t k = 0; k < 64; k++) {
    if (k % 2 == 0) EXPECT_EQ(m.load(k), std::nullopt);
    else EXPECT_EQ(m.load(k), k + 1000);
    EXPECT_EQ(m.load(k + 1000), k);
  }
}

TEST(SyncMap, StringKeysAndValues) {
  sync_map<std::string, std::string> m;
  m.store("a", std::string(100, 'x'));  // heap-allocated values
  m.store("b", "short");
  EXPECT_EQ(m.load("a"), std::string(100, 'x'));
  EXPECT_EQ(m.swap("b", "other"), "short");
  EXPECT_TRUE(m.compare_and_swap("b", "other", "third"));
  EXPECT_EQ(m.load_or_store("c", "new"), std::make_pair(std::string("new"), false));
  EXPECT_EQ(m.len(), 3u);
  EXPECT_EQ(m.check(), "");
}

// ---- promotion and expunged entries ---------------------------------------------------------

// New keys go to the dirty table; each lookup that must go there is a miss; at
// misses == len(dirty) the dirty table becomes the read table (Go's missLocked).
TEST(SyncMap, PromotionAfterMisses) {
  U64Map m;
  for (uint64_t k = 0; k < 4; k++) m.store(k, k);
  auto st = m.state();
  EXPECT_EQ(st.read_keys, 0u);
  EXPECT_TRUE(st.amended);
  EXPECT_EQ(st.dirty_keys, 4u);
  for (int i = 1; i <= 3; i++) {
    EXPECT_EQ(m.load(0), 0u);
    st = m.state();
    EXPECT_EQ(st.misses, size_t(i));
    EXPECT_EQ(st.read_keys, 0u) << "promoted after " << i << " misses, before len(dirty)";
  }
  EXPECT_EQ(m.load(9), std::nullopt);  // a miss too: the 4th
  st = m.state();
  EXPECT_EQ(st.read_keys, 4u);
  EXPECT_FALSE(st.amended);
  EXPECT_FALSE(st.has_dirty);
  EXPECT_EQ(st.misses, 0u);
  for (uint64_t k = 0; k < 4; k++) EXPECT_EQ(m.load(k), k);  // hits: no more misses
  EXPECT_EQ(m.state().misses, 0u);
  EXPECT_EQ(m.load(9), std::nullopt);  // not amended: a miss without the lock
  EXPECT_EQ(m.state().misses, 0u);
  EXPECT_EQ(m.check(), "");
}

// A dirty table promoted in the middle of an incremental grow (833..864 keys inserted into
// a fresh table are such counts) has the grow finished first: a read table is never written
// again, and its lookups would read the old buckets for as long as it lives.
TEST(SyncMap, PromotedTableIsNotGrowing) {
  for (uint64_t n : {840u, 850u, 860u, 1700u}) {
    for (bool by_range : {false, true}) {
      U64Map m;
      for (uint64_t k = 0; k < n; k++) m.store(k, k);
      if (by_range) {
        m.range([](uint64_t, uint64_t) {});
      } else {
        for (uint64_t i = 0; i < n; i++) m.load(n + i);  // misses
      }
      const auto st = m.state();
      EXPECT_EQ(st.read_keys, n);
      EXPECT_FALSE(st.has_dirty);
      EXPECT_FALSE(st.read_growing) << n << " keys";
      for (uint64_t k = 0; k < n; k++) ASSERT_EQ(m.load(k), k);
    }
  }
}

// Which operations count a miss on the dirty table (Go 1.19 and 1.20).
TEST(SyncMap, MissCounting) {
  auto misses_after = [](auto&& op) {
    U64Map m;
    for (uint64_t k = 0; k < 8; k++) m.store(k, k);
    op(m);
    return m.state().misses;
  };
  EXPECT_EQ(misses_after([](U64Map& m) { m.load(1); }), 1u);
  EXPECT_EQ(misses_after([](U64Map& m) { m.load(100); }), 1u);
  EXPECT_EQ(misses_after([](U64Map& m) { m.load_or_store(1, 5); }), 1u);
  EXPECT_EQ(misses_after([](U64Map& m) { m.load_or_store(100, 5); }), 0u);  // new key
  EXPECT_EQ(misses_after([](U64Map& m) { m.load_and_delete(1); }), 1u);
  EXPECT_EQ(misses_after([](U64Map& m) { m.compare_and_swap(1, 1, 2); }), 1u);
  EXPECT_EQ(misses_after([](U64Map& m) { m.compare_and_swap(100, 1, 2); }), 0u);
  EXPECT_EQ(misses_after([](U64Map& m) { m.compare_and_delete(1, 1); }), 1u);
  EXPECT_EQ(misses_after([](U64Map& m) { m.compare_and_delete(100, 1); }), 1u);
  EXPECT_EQ(misses_after([](U64Map& m) { m.store(1, 9); }), 0u);
  EXPECT_EQ(misses_after([](U64Map& m) { m.swap(1, 9); }), 0u);
}

// A key deleted from the read table, then the dirty table rebuilt (the key is expunged and
// left out), then stored again: the entry goes back into the dirty table (unexpunge).
TEST(SyncMap, ExpungedKeyStoredAgain) {
  U64Map m;
  m.store(1, 10);
  m.store(2, 20);
  m.range([](uint64_t, uint64_t) {});  // read = {1, 2}
  m.del(1);                            // read[1] = nullptr
  m.store(3, 30);                      // a new key: dirty = {2, 3}, read[1] expunged
  auto st = m.state();
  EXPECT_EQ(st.read_keys, 2u);
  EXPECT_EQ(st.read_expunged, 1u);
  EXPECT_EQ(st.dirty_keys, 2u);
  EXPECT_EQ(m.check(), "");
  EXPECT_EQ(m.load(1), std::nullopt);
  EXPECT_FALSE(m.compare_and_swap(1, 10, 11));
  EXPECT_FALSE(m.compare_and_delete(1, 10));
  EXPECT_EQ(m.load_and_delete(1), std::nullopt);
  m.store(1, 11);  // unexpunged into dirty
  st = m.state();
  EXPECT_EQ(st.read_expunged, 0u);
  EXPECT_EQ(st.dirty_keys, 3u);
  EXPECT_EQ(m.check(), "");
  EXPECT_EQ(m.load(1), 11u);
  m.range([](uint64_t, uint64_t) {});
  st = m.state();
  EXPECT_EQ(st.read_keys, 3u);
  EXPECT_FALSE(st.has_dirty);
  EXPECT_EQ(m.load(1), 11u);
  EXPECT_EQ(m.check(), "");
}

// The other ways back from expunged: load_or_store and swap; and an expunged key that stays
// deleted is dropped (with its entry) at the next promotion.
TEST(SyncMap, ExpungedThenLoadOrStoreSwapOrDropped) {
  U64Map m;
  for (uint64_t k = 1; k <= 3; k++) m.store(k, k * 10);
  m.range([](uint64_t, uint64_t) {});
  m.del(1);
  m.del(2);
  m.del(3);
  m.store(4, 40);  // expunges 1, 2, 3
  EXPECT_EQ(m.state().read_expunged, 3u);
  EXPECT_EQ(m.load_or_store(1, 11), std::make_pair(uint64_t{11}, false));
  EXPECT_EQ(m.swap(2, 21), std::nullopt);
  EXPECT_EQ(m.state().read_expunged, 1u);
  EXPECT_EQ(m.check(), "");
  m.range([](uint64_t, uint64_t) {});
  const auto st = m.state();
  EXPECT_EQ(st.read_keys, 3u);  // 1, 2, 4: key 3 is gone with the old read table
  EXPECT_EQ(m.load(1), 11u);
  EXPECT_EQ(m.load(2), 21u);
  EXPECT_EQ(m.load(3), std::nullopt);
  EXPECT_EQ(m.load(4), 40u);
  EXPECT_EQ(m.check(), "");
}

}  // namespace
}  // namespace gort
