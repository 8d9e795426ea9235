// gort::map: Go's API, the STL's API, growth, lifetimes, invariants under random operations.
#include "maps/map.h"

#include "alloc/gort.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <iterator>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>

#include "tests/maps/splitmix.h"

namespace gort {
namespace {

using maps::xray_level;

TEST(Map, GoApi) {
  gort::map<uint64_t, uint64_t> m;
  EXPECT_EQ(m.len(), 0u);
  auto [v0, ok0] = m.get(1);
  EXPECT_FALSE(ok0);
  EXPECT_EQ(v0, 0u);
  m.set(1, 10);
  m.set(2, 20);
  m.set(1, 11);
  EXPECT_EQ(m.len(), 2u);
  auto [v1, ok1] = m.get(1);
  EXPECT_TRUE(ok1);
  EXPECT_EQ(v1, 11u);
  m.del(1);
  m.del(3);  // absent: no effect, as Go
  EXPECT_EQ(m.len(), 1u);
  EXPECT_FALSE(m.get(1).second);
  EXPECT_EQ(m.check(), "");
}

TEST(Map, StlApi) {
  gort::map<std::string, int> m;
  EXPECT_TRUE(m.insert({"a", 1}).second);
  EXPECT_FALSE(m.insert({"a", 9}).second);
  EXPECT_TRUE(m.emplace("b", 2).second);
  EXPECT_TRUE(m.try_emplace("c", 3).second);
  EXPECT_FALSE(m.try_emplace("c", 9).second);
  m["d"] = 4;
  m["d"] += 1;
  EXPECT_FALSE(m.insert_or_assign("a", 7).second);
  EXPECT_EQ(m.at("a"), 7);
  EXPECT_THROW(m.at("zz"), std::out_of_range);
  EXPECT_EQ(m.size(), 4u);
  auto it = m.find("b");
  ASSERT_NE(it, m.end());
  EXPECT_EQ(it->first, "b");
  EXPECT_EQ((*it).second, 2);
  it->second = 22;
  EXPECT_EQ(m.at("b"), 22);
  EXPECT_EQ(m.find("zz"), m.end());
  EXPECT_TRUE(m.contains("d"));
  EXPECT_EQ(m.count("d"), 1u);
  EXPECT_EQ(m.erase("d"), 1u);
  EXPECT_EQ(m.erase("d"), 0u);
  const auto& cm = m;
  int sum = 0;
  for (const auto& [k, v] : cm) sum += v;
  EXPECT_EQ(sum, 7 + 22 + 3);
  gort::map<std::string, int>::const_iterator ci = m.begin();
  EXPECT_EQ(ci, m.cbegin());
  std::pair<const std::string, int> kv = *m.find("c");
  EXPECT_EQ(kv.second, 3);
  m.clear();
  EXPECT_TRUE(m.empty());
  EXPECT_EQ(m.begin(), m.end());
  EXPECT_EQ(m.check(), "");
}

// The loops users write for std::unordered_map compile and bind to the map's own entries.
TEST(Map, StructuredBindingsBindToEntries) {
  static_assert(std::forward_iterator<gort::map<uint64_t, int>::iterator>);
  static_assert(std::forward_iterator<gort::map<uint64_t, int>::const_iterator>);
  gort::map<uint64_t, int> m;
  for (uint64_t i = 0; i < 1000; i++) m.set(i, int(i));
  for (auto& [k, v] : m) v = int(k) * 2;  // v is the value in the bucket
  for (auto&& [k, v] : m) v += 1;
  size_t seen = 0;
  for (const auto& [k, v] : m) {
    ASSERT_EQ(v, int(k) * 2 + 1);
    seen++;
  }
  EXPECT_EQ(seen, 1000u);
  auto it = m.find(7);
  auto& r = *it;
  static_assert(std::is_same_v<decltype(r.first), const uint64_t&>);
  EXPECT_EQ(&r.second, m.lookup(7));
  std::pair<const uint64_t, int> copy = *it;  // a real copy
  copy.second = -1;
  EXPECT_EQ(copy.first, 7u);
  EXPECT_EQ(m.get(7).first, 15);
}

// A key that counts its constructions, with a transparent hash and equality.
struct counted_key {
  static inline int made = 0;
  std::string s;
  explicit counted_key(std::string_view v) : s(v) { made++; }
  counted_key(const counted_key& o) : s(o.s) { made++; }
};
struct counted_hash {
  using is_transparent = void;
  uint64_t operator()(std::string_view v, uint64_t seed) const { return maps::hash_bytes(v.data(), v.size(), seed); }
  uint64_t operator()(const counted_key& k, uint64_t seed) const { return (*this)(std::string_view(k.s), seed); }
};
struct counted_eq {
  using is_transparent = void;
  static std::string_view view(const counted_key& k) { return k.s; }
  static std::string_view view(std::string_view v) { return v; }
  template <class A, class B>
  bool operator()(const A& a, const B& b) const { return view(a) == view(b); }
};

TEST(Map, HeterogeneousLookupBuildsNoKey) {
  gort::map<counted_key, int, counted_hash, counted_eq> m;
  for (int i = 0; i < 1000; i++) m.try_emplace(std::to_string(i), i);
  const int made = counted_key::made;
  for (int i = 0; i < 1000; i++) {
    const std::string s = std::to_string(i);
    ASSERT_EQ(m.get(std::string_view(s)), std::make_pair(i, true));
    ASSERT_TRUE(m.contains(std::string_view(s)));
    ASSERT_NE(m.find(std::string_view(s)), m.end());
  }
  EXPECT_FALSE(m.contains(std::string_view("nope")));
  EXPECT_EQ(m.erase(std::string_view("7")), 1u);
  EXPECT_EQ(m.lookup(std::string_view("7")), nullptr);
  EXPECT_EQ(counted_key::made, made);  // no key was built for any lookup or erase
  m.try_emplace(std::string_view("8"), -1);  // present: builds nothing either
  EXPECT_EQ(counted_key::made, made);
  EXPECT_EQ(m.at(std::string_view("8")), 8);
}

// std::string keys take string_view and literals by default (gort::hash and gort::equal_to
// are transparent for them).
TEST(Map, StringKeysTakeViewsAndLiterals) {
  static_assert(maps::transparent<gort::hash<std::string>> && maps::transparent<gort::equal_to<std::string>>);
  gort::map<std::string, int> m;
  m.set("alpha", 1);
  m["beta"] = 2;
  std::string_view v = "alpha";
  EXPECT_EQ(m.at(v), 1);
  EXPECT_TRUE(m.contains("beta"));
  EXPECT_EQ(m.count(std::string_view("gamma")), 0u);
  m.del("alpha");
  EXPECT_EQ(m.len(), 1u);
  EXPECT_EQ(m.check(), "");
}

// lines_per_hit counts the memory a hit reads: a 144-byte uint64 bucket spans 3 lines, so a
// hit in a head bucket reads 2 or 3; with one-byte keys and values a bucket is 32 bytes.
TEST(Map, XrayLinesPerHit) {
  gort::map<uint64_t, uint64_t> m;
  for (uint64_t i = 0; i < 20000; i++) m.set(i * 0x9e3779b97f4a7c15ull, i);
  double l = m.xray(xray_level::counts).lines_per_hit;
  EXPECT_GE(l, 2.0);
  EXPECT_LT(l, 3.0);
  EXPECT_EQ(m.xray(xray_level::header).lines_per_hit, 0.0);  // not computed at header level
  gort::map<uint8_t, uint8_t> small;  // 8 + 8 + 8 + 8 = 32-byte buckets
  for (unsigned i = 0; i < 200; i++) small.set(uint8_t(i), uint8_t(i));
  double s = small.xray(xray_level::counts).lines_per_hit;
  EXPECT_GE(s, 1.0);
  EXPECT_LT(s, l);
}

// The tophash mirror (map.h) follows every write up to B = kMirrorMaxB and is dropped above;
// check() compares it with the buckets (M6).
TEST(Map, TophashMirrorFollowsTheBuckets) {
  constexpr uint64_t K = 0x9e3779b97f4a7c15ull;
  gort::map<uint64_t, uint64_t> m;
  m.reserve(3000000);
  ASSERT_EQ(m.xray(xray_level::header).B, maps::kMirrorMaxB);
  for (uint64_t i = 0; i < 20000; i++) m.set(i * K, i);
  for (uint64_t i = 0; i < 20000; i += 3) m.del(i * K);
  EXPECT_EQ(m.check(), "");
  m.reserve(4000000);  // a grow to B = 20: no mirror there
  ASSERT_EQ(m.xray(xray_level::header).B, maps::kMirrorMaxB + 1);
  EXPECT_EQ(m.check(), "");
  for (uint64_t i = 0; i < 20000; i++) {
    auto [v, ok] = m.get(i * K);
    ASSERT_EQ(ok, i % 3 != 0) << i;
    if (ok) {
      ASSERT_EQ(v, i);
    }
  }
  gort::map<uint64_t, uint64_t> small;  // mirrored through grows, deletes and a clear
  for (uint64_t i = 0; i < 5000; i++) {
    small.set(i * K, i);
    if (i % 7 == 0) small.del((i / 2) * K);
    if (i % 500 == 0) {
      ASSERT_EQ(small.check(), "") << i;
    }
  }
  small.clear();
  EXPECT_EQ(small.check(), "");
  EXPECT_FALSE(small.contains(K));
}

TEST(Map, BAfterEveryInsertIsGosFormula) {
  gort::map<uint64_t, uint64_t> m;
  for (uint64_t i = 1; i <= 100000; i++) {
    m.set(i, i);
    ASSERT_EQ(m.xray(xray_level::header).B, maps::B_for_hint(i)) << i;
  }
  EXPECT_EQ(maps::B_for_hint(8), 0);
  EXPECT_EQ(maps::B_for_hint(9), 1);
  EXPECT_EQ(maps::B_for_hint(13), 1);
  EXPECT_EQ(maps::B_for_hint(14), 2);
}

// An insert tests count_ >= max_count(B) and noverflow_ >= max_overflow(B) before asking
// grow_decision: the thresholds must agree with Go's overLoadFactor and
// tooManyOverflowBuckets at every B, on both sides of the boundary.
TEST(Map, GrowThresholdsAreGosFormulas) {
  for (unsigned b = 0; b <= 40; b++) {
    const auto B = uint8_t(b);
    const size_t c = maps::max_count(B);
    EXPECT_TRUE(maps::over_load_factor(c + 1, B)) << b;
    EXPECT_FALSE(maps::over_load_factor(c, B)) << b;
    const uint16_t o = maps::max_overflow(B);
    EXPECT_TRUE(maps::too_many_overflow_buckets(o, B)) << b;
    EXPECT_FALSE(maps::too_many_overflow_buckets(uint16_t(o - 1), B)) << b;
  }
}

TEST(Map, GrowthIsIncremental) {
  gort::fastrand_seed(1);
  gort::map<uint64_t, uint64_t> m;
  for (uint64_t i = 0; i < 832; i++) m.set(i, i);  // 6.5 * 2^7: full, no grow yet
  EXPECT_FALSE(m.xray().growing);
  m.set(832, 832);  // starts a doubling grow
  auto x = m.xray();
  ASSERT_TRUE(x.growing);
  EXPECT_FALSE(x.same_size);
  EXPECT_EQ(x.B, 8);
  EXPECT_EQ(x.old_buckets, 128u);
  EXPECT_LE(x.evacuated, 2u);  // hashGrow moves nothing; the insert's growWork moves two
  size_t writes = 0;
  for (uint64_t k = 1000; m.xray(xray_level::header).growing; k++, writes++) {
    m.set(k, k);
    ASSERT_EQ(m.check(), "");
    for (uint64_t j = 0; j < 833; j += 37) ASSERT_TRUE(m.contains(j)) << j;
  }
  EXPECT_GT(writes, 10u);   // spread over later writes
  EXPECT_LE(writes, 128u);  // each write evacuates at least one old bucket
  for (uint64_t j = 0; j <= 832; j++) ASSERT_EQ(m.get(j).first, j);
}

TEST(Map, DeletesEvacuateToo) {
  gort::map<uint64_t, uint64_t> m;
  for (uint64_t i = 0; i < 833; i++) m.set(i, i);
  size_t before = m.xray().evacuated;
  m.del(5);
  EXPECT_GT(m.xray().evacuated, before);
  EXPECT_FALSE(m.contains(5));
  EXPECT_EQ(m.check(), "");
}

TEST(Map, SameSizeGrowUnderChurn) {
  gort::fastrand_seed(3);
  gort::map<uint64_t, uint64_t> m;
  maps::test::splitmix r{7};
  std::vector<uint64_t> keys(100);
  for (auto& k : keys) m.set(k = r.next(), 1);
  const uint8_t B = m.xray().B;
  int same = 0;
  bool was = false;
  for (int op = 0; op < 200000; op++) {
    uint64_t& k = keys[r.next() % keys.size()];
    m.del(k);
    m.set(k = r.next(), 1);
    auto x = m.xray(xray_level::header);
    ASSERT_EQ(x.B, B);
    if (x.growing && !was) {
      ASSERT_TRUE(x.same_size);
      same++;
    }
    was = x.growing;
    if (op % 997 == 0) {
      ASSERT_EQ(m.check(), "");
    }
  }
  EXPECT_GT(same, 10);
  EXPECT_EQ(m.len(), 100u);
}

TEST(Map, SeedIsRedrawnWhenEmptied) {
  gort::map<uint64_t, int> m;
  m.set(1, 1);
  uint64_t s = m.xray().seed;
  m.del(1);
  EXPECT_NE(m.xray().seed, s);
  gort::map<uint64_t, int> other;
  EXPECT_NE(other.xray().seed, m.xray().seed);
}

TEST(Map, ReserveIsMakeWithHint) {
  gort::map<uint64_t, uint64_t> m(1000);
  EXPECT_EQ(m.xray().B, maps::B_for_hint(1000));
  for (uint64_t i = 0; i < 1000; i++) m.set(i, i);
  EXPECT_EQ(m.xray().B, maps::B_for_hint(1000));
  m.reserve(100000);
  EXPECT_EQ(m.xray().B, maps::B_for_hint(100000));
  EXPECT_FALSE(m.xray().growing);
  for (uint64_t i = 0; i < 1000; i++) ASSERT_EQ(m.get(i).first, i);
  EXPECT_EQ(m.check(), "");
}

// A size no table can hold is refused with std::length_error, and the map stays as it was.
TEST(Map, ReserveBeyondMaxSizeThrowsAndChangesNothing) {
  using M = gort::map<uint64_t, uint64_t>;
  static_assert(M::max_size() > (size_t{1} << 40) && M::max_size() < (size_t{1} << 48));
  EXPECT_LT((gort::map<uint64_t, std::array<char, 4096>>::max_size()), M::max_size());
  for (size_t n : {M::max_size() + 1, size_t{1} << 62, ~size_t{0}}) {
    M m;
    for (uint64_t i = 0; i < 100; i++) m.set(i, i);
    const uint8_t b = m.xray().B;
    EXPECT_THROW(m.reserve(n), std::length_error) << n;
    EXPECT_EQ(m.len(), 100u);
    EXPECT_EQ(m.xray().B, b);
    EXPECT_EQ(m.check(), "");
    for (uint64_t i = 0; i < 100; i++) ASSERT_EQ(m.get(i).first, i);
    m.set(100, 100);  // the writer flag was released
    EXPECT_EQ(m.len(), 101u);
    M e;
    EXPECT_THROW(e.reserve(n), std::length_error);
    EXPECT_EQ(e.len(), 0u);
    e.set(1, 2);
    EXPECT_EQ(e.get(1).first, 2u);
  }
}

#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)  // they reserve terabytes
size_t address_space_bytes() {
  size_t pages = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%zu", &pages) != 1) pages = 0;
    std::fclose(f);
  }
  return pages * size_t(sysconf(_SC_PAGESIZE));
}

// gort's heap serves a table from address space it reserved earlier (64 MiB arenas), where
// RLIMIT_AS cannot refuse it: take the free page runs first, so that a new table needs a new
// mapping. (The C library's malloc, in the sanitize build, maps each big block on its own.)
void use_up_reserved_heap() {
  if (runtime::uses_libc()) return;
  for (int i = 0; i < 4096; i++) {
    gort_stats st;
    gort_get_stats(&st);
    if (st.free_bytes < (16u << 20)) return;  // no run left for the 19 MiB table
    if (runtime::allocate(1u << 20, 16, false) == nullptr) _exit(11);  // kept: the child exits
  }
}

// Run in a child whose address space is capped just above what it uses: the insert that
// starts a grow, and a reserve, cannot get their new table; they throw std::bad_alloc and
// the maps are as they were. The exit code says which check failed.
void grow_without_memory() {
  gort::map<uint64_t, uint64_t> m;
  const size_t n = maps::max_count(16);  // one more new key starts a grow to B = 17: 19 MiB
  for (uint64_t i = 0; i < n; i++) m.set(i, i);
  if (m.xray().B != 16 || m.xray().growing) _exit(2);
  gort::map<uint64_t, uint64_t> e;
  use_up_reserved_heap();
  rlimit old;
  getrlimit(RLIMIT_AS, &old);
  rlimit low = old;
  low.rlim_cur = address_space_bytes() + (4u << 20);
  if (setrlimit(RLIMIT_AS, &low) != 0) _exit(3);
  bool threw = false;
  try {
    m.set(n, n);
  } catch (const std::bad_alloc&) {
    threw = true;
  }
  if (!threw) _exit(4);
  threw = false;
  try {
    e.reserve(size_t{1} << 24);  // 2^22 buckets: 600 MiB
  } catch (const std::bad_alloc&) {
    threw = true;
  }
  if (!threw) _exit(5);
  if (setrlimit(RLIMIT_AS, &old) != 0) _exit(6);
  if (m.len() != n || m.contains(n) || m.xray().B != 16 || !m.check().empty()) _exit(7);
  for (uint64_t i = 0; i < n; i++)
    if (m.get(i).first != i) _exit(8);
  if (e.len() != 0 || e.xray().B != 0) _exit(9);
  m.set(n, n);  // with the memory back, the grow happens
  e.set(1, 1);
  if (m.len() != n + 1 || m.xray().B != 17 || e.len() != 1 || !m.check().empty()) _exit(10);
  _exit(0);
}

TEST(MapDeathTest, GrowWithoutMemoryThrowsAndChangesNothing) {
  EXPECT_EXIT(grow_without_memory(), ::testing::ExitedWithCode(0), "");
}
#endif

// An unseeded hash that throws when its countdown reaches zero (-1: never).
struct CountdownHash {
  static inline int countdown = -1;
  size_t operator()(uint64_t k) const {
    if (countdown >= 0 && countdown-- == 0) throw std::runtime_error("hash");
    return std::hash<uint64_t>{}(k);
  }
};

// A grow that fails halfway through a bucket cannot be undone: the program stops, with a
// message, instead of going on with entries lost. Each insert's own hash may pass or throw
// (then the insert changed nothing); the first throw inside an evacuation is fatal.
void throw_while_evacuating() {
  gort::map<uint64_t, uint64_t, CountdownHash> m;
  for (uint64_t i = 0; i < 100000; i++) {
    CountdownHash::countdown = 1;
    try {
      m.set(i, i);
    } catch (const std::runtime_error&) {
    }
  }
}

TEST(MapDeathTest, ThrowWhileEvacuatingIsFatal) {
  EXPECT_DEATH(throw_while_evacuating(), "while moving entries to the grown table");
}

TEST(Map, EraseThroughIteratorsWhileGrowing) {
  gort::map<uint64_t, uint64_t> m;
  for (uint64_t i = 0; i < 833; i++) m.set(i, i);
  ASSERT_TRUE(m.xray().growing);
  size_t seen = 0;
  for (auto it = m.begin(); it != m.end();) {
    seen++;
    it = it->first % 3 == 0 ? m.erase(it) : std::next(it);
  }
  EXPECT_EQ(seen, 833u);
  EXPECT_EQ(m.len(), 833u - 278u);
  EXPECT_EQ(m.check(), "");
  for (uint64_t i = 0; i < 833; i++) ASSERT_EQ(m.contains(i), i % 3 != 0) << i;
}

// Counts live objects: every construction is matched by one destruction.
struct Tracked {
  static inline long live = 0;
  std::string s;
  Tracked(std::string v = "") : s(std::move(v)) { live++; }
  Tracked(const Tracked& o) : s(o.s) { live++; }
  Tracked(Tracked&& o) noexcept : s(std::move(o.s)) { live++; }
  Tracked& operator=(const Tracked&) = default;
  Tracked& operator=(Tracked&&) = default;
  ~Tracked() { live--; }
  bool operator==(const Tracked& o) const { return s == o.s; }
};
struct TrackedHash {
  uint64_t operator()(const Tracked& t, uint64_t seed) const { return gort::hash<std::string>{}(t.s, seed); }
};

TEST(Map, LifetimesOfNonTrivialTypes) {
  {
    gort::map<Tracked, Tracked, TrackedHash> m;
    for (int i = 0; i < 5000; i++) m.set(Tracked("k" + std::to_string(i) + std::string(20, 'x')), Tracked("v"));
    int n = 0;
    m.range([&](const Tracked& k, Tracked& v) {  // grows while ranging: old keys are kept
      if (n++ < 3000) m.set(Tracked(k.s + "+"), Tracked("w"));
      if (n % 7 == 0) m.del(k);
    });
    for (int i = 0; i < 5000; i += 3) m.del(Tracked("k" + std::to_string(i) + std::string(20, 'x')));
    EXPECT_EQ(m.check(), "");
    EXPECT_EQ(Tracked::live, long(2 * m.len()));
    gort::map<Tracked, Tracked, TrackedHash> copy = m;
    EXPECT_EQ(copy.len(), m.len());
    m.clear();
    EXPECT_EQ(Tracked::live, long(2 * copy.len()));
  }
  EXPECT_EQ(Tracked::live, 0);
}

struct Throws {
  static inline int countdown = 0;
  int v;
  Throws(int x) : v(x) {
    if (--countdown == 0) throw std::runtime_error("boom");
  }
};

TEST(Map, ThrowingValueLeavesMapUnchanged) {
  gort::map<int, Throws> m;
  Throws::countdown = 1000000;
  for (int i = 0; i < 100; i++) m.try_emplace(i, i);
  Throws::countdown = 1;
  EXPECT_THROW(m.try_emplace(500, 500), std::runtime_error);
  EXPECT_EQ(m.len(), 100u);
  EXPECT_FALSE(m.contains(500));
  EXPECT_EQ(m.check(), "");
  Throws::countdown = 1000000;
  m.try_emplace(500, 1);  // the writer flag was released
  EXPECT_EQ(m.len(), 101u);
}

// Random operations against std::unordered_map, invariants walked as it goes.
template <class K, class MakeKey>
void model_check(MakeKey make_key, int ops, int range) {
  gort::fastrand_seed(11);
  gort::map<K, uint64_t> m;
  std::unordered_map<K, uint64_t> want;
  std::mt19937_64 rng(5);
  for (int op = 0; op < ops; op++) {
    K k = make_key(rng() % range);
    switch (rng() % 8) {
      case 0: case 1: case 2: m.set(k, op); want[k] = op; break;
      case 3: case 4: m.del(k); want.erase(k); break;
      case 5: ASSERT_EQ(m.contains(k), want.count(k) == 1); break;
      case 6: { auto it = m.find(k); if (it != m.end()) { m.erase(it); want.erase(k); } break; }
      case 7: if (rng() % 5000 == 0) { m.clear(); want.clear(); } break;
    }
    ASSERT_EQ(m.len(), want.size());
    if (op % 4999 == 0) {
      ASSERT_EQ(m.check(), "") << op;
      size_t n = 0;
      for (auto [key, v] : m) {
        ASSERT_EQ(want.at(key), v);
        n++;
      }
      ASSERT_EQ(n, want.size());
    }
  }
  for (auto& [k, v] : want) ASSERT_EQ(m.get(k).first, v);
}

TEST(Map, ModelUint64) { model_check<uint64_t>([](uint64_t i) { return i * 0x10001; }, 300000, 20000); }
TEST(Map, ModelString) {
  model_check<std::string>([](uint64_t i) { return "key/" + std::to_string(i) + std::string(i % 40, 'z'); },
                           100000, 5000);
}

TEST(Map, MoveAndSwap) {
  gort::map<uint64_t, uint64_t> a, b;
  for (uint64_t i = 0; i < 1000; i++) a.set(i, i);
  b = std::move(a);
  EXPECT_EQ(b.len(), 1000u);
  EXPECT_EQ(a.len(), 0u);
  a.set(7, 7);
  a.swap(b);
  EXPECT_EQ(a.len(), 1000u);
  EXPECT_EQ(b.get(7).first, 7u);
  EXPECT_EQ(a.check(), "");
}

}  // namespace
}  // namespace gort
