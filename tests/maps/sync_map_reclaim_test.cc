// gort::sync_map under many operations, and its reclamation domain (maps/reclaim.h); part of
// maps_sync_test (sync_map_test.cc holds the semantics, one operation at a time):
//   SyncMap.RandomSequencesMatchModel  random sequences against a std::unordered_map model
//                        with check() after every step (the last of SyncMap.*);
//   SyncMapReclaim.*     every value box, read table and entry freed (counted values and
//                        keys; LSan in the sanitize build), threads that exit inside or
//                        after a section, a section held open, use after the exit hook, fork;
//   SyncMapStress.*      (label stress) every operation from several threads at once, final
//                        contents checked against what the operations imply.
// maps_sync_test's custom main is here: it reads GORT_TEST_RECLAIM=fence and then runs
// everything (the tests of both files) with readers that fence (the mode of kernels without
// membarrier), before any thread has registered.
#include <gtest/gtest.h>
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "tests/maps/splitmix.h"
#include "tests/maps/sync_map_test_util.h"
#include "maps/sync_map.h"

namespace gort {
namespace {

namespace reclaim = maps::reclaim;
using maps::test::U64Map;

// A value or key that counts its live instances: after a map is destroyed and the domain
// drained, every box (values) and every table (keys) must be gone.
struct Counted {
  static inline std::atomic<int64_t> live{0};
  uint64_t v = 0;
  Counted(uint64_t x = 0) : v(x) { live.fetch_add(1, std::memory_order_relaxed); }
  Counted(const Counted& o) : v(o.v) { live.fetch_add(1, std::memory_order_relaxed); }
  Counted& operator=(const Counted& o) = default;
  ~Counted() { live.fetch_sub(1, std::memory_order_relaxed); }
  bool operator==(const Counted& o) const { return v == o.v; }
};
struct CountedHash {
  uint64_t operator()(const Counted& k, uint64_t seed) const {
    return gort::hash<uint64_t>{}(k.v, seed);
  }
};
using CountedMap = sync_map<Counted, Counted, CountedHash>;

// Waits until flag == want: false after 10 s, so that a broken map fails a test instead of
// hanging it (a range that never calls back, say).
bool wait_for(const std::atomic<int>& flag, int want) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (flag.load() != want) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

// Drains and checks that the domain holds nothing: R2 with nothing pending.
void expect_drained() {
  reclaim::drain();
  const reclaim::stats_t s = reclaim::stats();
  EXPECT_EQ(s.pending, 0u);
  EXPECT_EQ(s.retired, s.freed);
}

// ---- random sequences against a model -------------------------------------------------------

// One random operation on m and on the model, with the result Go's semantics give.
void random_step(U64Map& m, std::unordered_map<uint64_t, uint64_t>& model,
                 maps::test::splitmix& rng, uint64_t keys) {
  const uint64_t k = rng.next() % keys;
  const uint64_t v = rng.next() % 8;  // few values: compares succeed often
  auto it = model.find(k);
  const std::optional<uint64_t> want =
      it == model.end() ? std::nullopt : std::optional<uint64_t>(it->second);
  switch (rng.next() % 11) {
    case 0:
    case 1:
      ASSERT_EQ(m.load(k), want) << "load " << k;
      break;
    case 2:
      m.store(k, v);
      model[k] = v;
      break;
    case 3: {
      auto got = m.load_or_store(k, v);
      ASSERT_EQ(got, std::make_pair(want.value_or(v), want.has_value())) << "load_or_store " << k;
      model.emplace(k, v);
      break;
    }
    case 4:
      ASSERT_EQ(m.load_and_delete(k), want) << "load_and_delete " << k;
      model.erase(k);
      break;
    case 5:
      m.del(k);
      model.erase(k);
      break;
    case 6:
      ASSERT_EQ(m.swap(k, v), want) << "swap " << k;
      model[k] = v;
      break;
    case 7: {
      const uint64_t old = rng.next() % 8;
      const bool ok = want.has_value() && *want == old;
      ASSERT_EQ(m.compare_and_swap(k, old, v), ok) << "compare_and_swap " << k;
      if (ok) model[k] = v;
      break;
    }
    case 8: {
      const uint64_t old = rng.next() % 8;
      const bool ok = want.has_value() && *want == old;
      ASSERT_EQ(m.compare_and_delete(k, old), ok) << "compare_and_delete " << k;
      if (ok) model.erase(k);
      break;
    }
    case 9: {
      std::unordered_map<uint64_t, uint64_t> seen;
      m.range([&](uint64_t rk, uint64_t rv) { return seen.emplace(rk, rv).second; });
      ASSERT_EQ(seen, model) << "range";
      break;
    }
    case 10:
      ASSERT_EQ(m.len(), model.size());
      break;
  }
}

TEST(SyncMap, RandomSequencesMatchModel) {
  for (uint64_t seed = 1; seed <= 12; seed++) {
    const uint64_t keys = seed % 3 == 0 ? 4 : seed % 3 == 1 ? 32 : 200;
    maps::test::splitmix rng{seed};
    U64Map m;
    std::unordered_map<uint64_t, uint64_t> model;
    for (int step = 0; step < 4000; step++) {
      random_step(m, model, rng, keys);
      if (HasFatalFailure()) {
        ADD_FAILURE() << "seed " << seed << " step " << step;
        return;
      }
      ASSERT_EQ(m.check(), "") << "seed " << seed << " step " << step;
    }
    for (uint64_t k = 0; k < keys; k++) {
      auto it = model.find(k);
      EXPECT_EQ(m.load(k), it == model.end() ? std::nullopt : std::optional(it->second));
    }
  }
}

// ---- reclamation ----------------------------------------------------------------------------

TEST(SyncMapReclaim, EverythingFreed) {
  const int64_t before = Counted::live.load();
  {
    CountedMap m;
    maps::test::splitmix rng{7};
    for (int i = 0; i < 20000; i++) {
      const Counted k(rng.next() % 300), v(rng.next() % 5);
      switch (rng.next() % 7) {
        case 0: m.store(k, v); break;
        case 1: m.load_or_store(k, v); break;
        case 2: m.del(k); break;
        case 3: m.swap(k, v); break;
        case 4: m.compare_and_swap(k, v, Counted(v.v + 1)); break;
        case 5: m.compare_and_delete(k, v); break;
        case 6: m.load(k); break;
      }
    }
    ASSERT_EQ(m.check(), "");
    m.range([](const Counted&, const Counted&) {});
  }
  expect_drained();
  EXPECT_EQ(Counted::live.load(), before) << "boxes or tables (keys) leaked";
  EXPECT_GT(reclaim::stats().advances, 0u);
}

// Replaced read tables are retired and freed: their keys die with them.
TEST(SyncMapReclaim, ReadTablesFreed) {
  const int64_t before = Counted::live.load();
  {
    CountedMap m;
    for (uint64_t round = 0; round < 50; round++) {
      m.store(Counted(1000 + round), Counted(round));  // new key: a new dirty table
      m.range([](const Counted&, const Counted&) {});  // promote: the old read is retired
      m.del(Counted(1000 + round));                    // expunged at the next build
    }
    expect_drained();
    // One table (the read table) of live entries and expunged ones, plus a value: the
    // 49 retired tables with their keys are gone.
    const auto st = m.state();
    EXPECT_FALSE(st.has_dirty);
    EXPECT_EQ(Counted::live.load() - before, int64_t(st.read_keys));
  }
  expect_drained();
  EXPECT_EQ(Counted::live.load(), before);
}

// Threads that used maps and ended: their records are gone, their bags freed, and nothing
// they did holds reclamation back.
TEST(SyncMapReclaim, ExitedThreadsDoNotBlock) {
  const int64_t before = Counted::live.load();
  {
    CountedMap m;
    std::vector<std::thread> ts;
    for (int t = 0; t < 4; t++) {
      ts.emplace_back([&m, t] {
        for (uint64_t i = 0; i < 500; i++) {
          m.store(Counted(i % 50), Counted(i * 4 + t));
          m.load(Counted((i + 7) % 50));
        }
      });
    }
    for (auto& t : ts) t.join();
  }
  expect_drained();
  EXPECT_EQ(Counted::live.load(), before);
}

// A thread that ends with a section still open (no destructor ran for it) must not hold an
// epoch back forever: its exit hook closes it.
TEST(SyncMapReclaim, ThreadExitingInsideSection) {
  alignas(reclaim::read_section) static unsigned char storage[sizeof(reclaim::read_section)];
  std::thread([] { ::new (storage) reclaim::read_section; }).join();  // never destroyed
  U64Map m;
  for (uint64_t i = 0; i < 1000; i++) m.store(i % 10, i);  // retire boxes
  const auto t0 = std::chrono::steady_clock::now();
  expect_drained();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
}

// A section held open blocks the freeing of what is retired meanwhile, and only that.
TEST(SyncMapReclaim, OpenSectionHoldsBackUntilClosed) {
  const int64_t before = Counted::live.load();
  CountedMap m;
  m.store(Counted(1), Counted(1));
  std::atomic<int> phase{0};
  bool intact = false;
  std::thread reader([&] {
    m.range([&](const Counted&, const Counted& v) {  // v lies in the box, replaced below
      phase.store(1);
      wait_for(phase, 2);
      intact = v.v == 1;  // under ASan, a freed box is a heap-use-after-free here
    });
  });
  if (!wait_for(phase, 1)) {
    phase.store(2);
    reader.join();
    FAIL() << "range never called back";
  }
  for (uint64_t i = 0; i < 2000; i++) m.store(Counted(1), Counted(i + 2));  // 2000 boxes out
  {
    // drain() would wait for the reader; a collection from retire cannot free these.
    const reclaim::stats_t s = reclaim::stats();
    EXPECT_GT(s.pending, 1000u) << "boxes freed while a section that could hold them is open";
  }
  phase.store(2);
  reader.join();
  EXPECT_TRUE(intact) << "the box a section held was freed or reused";
  expect_drained();
  EXPECT_EQ(Counted::live.load() - before, 2) << "one key and one value left";
}

// A pthread key destructor that runs after the runtime's exit hooks uses a map: the thread
// gets a transient record, and its retired boxes are freed.
pthread_key_t g_late_key;
U64Map* g_late_map = nullptr;
std::atomic<int> g_late_ok{0};
void late_use(void*) {
  g_late_map->store(7, 70);
  if (g_late_map->load(7) == std::optional<uint64_t>(70)) g_late_ok.fetch_add(1);
  g_late_map->store(7, 71);
}

TEST(SyncMapReclaim, UseAfterExitHook) {
  U64Map m;
  g_late_map = &m;
  m.store(1, 1);  // the main thread is enrolled, so the runtime's key exists (a lower index)
  ASSERT_EQ(pthread_key_create(&g_late_key, late_use), 0);
  std::thread([] {
    g_late_map->store(2, 2);  // registered, enrolled: its exit hook will run first
    pthread_setspecific(g_late_key, reinterpret_cast<void*>(1));
  }).join();
  pthread_key_delete(g_late_key);
  EXPECT_EQ(g_late_ok.load(), 1);
  EXPECT_EQ(m.load(7), 71u);
  expect_drained();
  EXPECT_EQ(reclaim::stats().threads, 1u) << "a transient record was not reaped";
}

// fork() while another thread is inside a section: in the child only the forking thread
// lives, and reclamation must not wait for the vanished one.
TEST(SyncMapReclaim, ForkChildDrains) {
  U64Map m;
  m.store(1, 1);
  std::atomic<int> phase{0};
  std::thread holder([&] {
    m.range([&](uint64_t, uint64_t) {
      phase.store(1);
      wait_for(phase, 2);
    });
  });
  if (!wait_for(phase, 1)) {
    phase.store(2);
    holder.join();
    FAIL() << "range never called back";
  }
  const pid_t pid = fork();
  if (pid == 0) {
    for (uint64_t i = 0; i < 500; i++) m.store(1, i);
    reclaim::drain();  // would spin forever if the holder's record survived the fork
    const reclaim::stats_t s = reclaim::stats();
    _exit(s.pending == 0 && s.threads == 1 && m.load(1) == std::optional<uint64_t>(499) ? 0 : 1);
  }
  phase.store(2);
  holder.join();
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
}

TEST(SyncMapReclaim, BarrierMode) {
  U64Map m;
  m.store(1, 1);
  const char* want = std::getenv("GORT_TEST_RECLAIM");
  if (want != nullptr && std::strcmp(want, "fence") == 0)
    EXPECT_EQ(reclaim::barrier(), reclaim::barrier_kind::reader_fence);
  else
    EXPECT_NE(reclaim::barrier(), reclaim::barrier_kind::undecided);
  std::printf("reclaim barrier: %s\n",
              reclaim::barrier() == reclaim::barrier_kind::membarrier ? "membarrier"
                                                                     : "reader fence");
}

// ---- stress ---------------------------------------------------------------------------------

// Sizes per build: release (optimised, no sanitizer), sanitize (ASan + UBSan, optimised),
// debug (-O0, the allocator's tier-3 walks).
#if defined(GORT_SANITIZE)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#if defined(NDEBUG)
constexpr bool kOptimised = !kSanitized;
#else
constexpr bool kOptimised = false;
#endif

// Several threads run every operation at once. Each owns a range of keys that only it
// writes, kept in an exact model (its own range() calls must see exactly that model, its
// keys being still while it ranges); everyone reads a set of shared keys whose values
// encode their key, and bumps their version with compare_and_swap. At the end: every owned
// key matches its owner's model, every shared key's version equals the CAS successes on it,
// len() adds up, the invariants hold, and (after the map is gone) nothing is left to free.
constexpr uint64_t kShared = 64;
constexpr uint64_t kSharedBase = uint64_t{1} << 40;
constexpr uint64_t kOwned = 256;

uint64_t encode(uint64_t k, uint64_t version) { return (k << 20) | (version & 0xfffff); }

struct StressResult {
  std::vector<uint64_t> cas_wins = std::vector<uint64_t>(kShared, 0);
  std::unordered_map<uint64_t, uint64_t> model;
  std::string error;
};

void stress_worker(U64Map& m, int t, uint64_t ops, StressResult& res) {
  maps::test::splitmix rng{uint64_t(t) * 7919 + 1};
  auto fail = [&](std::string what) {
    if (res.error.empty()) res.error = "thread " + std::to_string(t) + ": " + what;
  };
  const uint64_t base = uint64_t(t + 1) << 32;
  uint64_t ver = 0;
  for (uint64_t i = 0; i < ops && res.error.empty(); i++) {
    const uint64_t r = rng.next();
    const uint64_t dice = r % 1000;
    if (dice < 450) {  // read a shared key
      const uint64_t s = kSharedBase + (r >> 8) % kShared;
      std::optional<uint64_t> v = m.load(s);
      if (!v || (*v >> 20) != s) fail("shared key " + std::to_string(s) + " lost or garbled");
      continue;
    }
    if (dice < 500) {  // bump a shared key's version
      const uint64_t s = kSharedBase + (r >> 8) % kShared;
      std::optional<uint64_t> v = m.load(s);
      if (v && m.compare_and_swap(s, *v, encode(s, (*v & 0xfffff) + 1)))
        res.cas_wins[s - kSharedBase]++;
      continue;
    }
    if (dice < 502) {  // range everything: own keys exact, all pairs well-formed
      std::unordered_set<uint64_t> seen;
      std::unordered_map<uint64_t, uint64_t> mine;
      m.range([&](uint64_t k, uint64_t v) {
        if (!seen.insert(k).second) fail("range visited a key twice");
        if ((v >> 20) != k) fail("range saw a garbled value");
        if (k >= base && k < base + kOwned) mine.emplace(k, v);
        return true;
      });
      if (mine != res.model) fail("range disagrees with the owner's model");
      continue;
    }
    const uint64_t k = base + (r >> 8) % kOwned;
    const uint64_t v = encode(k, ++ver);
    auto it = res.model.find(k);
    const std::optional<uint64_t> want =
        it == res.model.end() ? std::nullopt : std::optional<uint64_t>(it->second);
    switch ((r >> 40) % 8) {
      case 0:
        if (m.load(k) != want) fail("load");
        break;
      case 1:
        m.store(k, v);
        res.model[k] = v;
        break;
      case 2:
        if (m.load_or_store(k, v) != std::make_pair(want.value_or(v), want.has_value()))
          fail("load_or_store");
        res.model.emplace(k, v);
        break;
      case 3:
        if (m.load_and_delete(k) != want) fail("load_and_delete");
        res.model.erase(k);
        break;
      case 4:
        m.del(k);
        res.model.erase(k);
        break;
      case 5:
        if (m.swap(k, v) != want) fail("swap");
        res.model[k] = v;
        break;
      case 6: {
        const uint64_t old = (r & 1) && want ? *want : encode(k, 0);
        const bool ok = want.has_value() && *want == old;
        if (m.compare_and_swap(k, old, v) != ok) fail("compare_and_swap");
        if (ok) res.model[k] = v;
        break;
      }
      case 7: {
        const uint64_t old = (r & 1) && want ? *want : encode(k, 0);
        const bool ok = want.has_value() && *want == old;
        if (m.compare_and_delete(k, old) != ok) fail("compare_and_delete");
        if (ok) res.model.erase(k);
        break;
      }
    }
  }
}

TEST(SyncMapStress, AllOperationsFromSeveralThreads) {
  constexpr int kThreads = 4;
  constexpr uint64_t kOps = kOptimised ? 500000 : kSanitized ? 100000 : 30000;
  {
    U64Map m;
    for (uint64_t s = kSharedBase; s < kSharedBase + kShared; s++) m.store(s, encode(s, 0));
    std::vector<StressResult> res(kThreads);
    std::vector<std::thread> ts;
    for (int t = 0; t < kThreads; t++)
      ts.emplace_back([&, t] { stress_worker(m, t, kOps, res[t]); });
    for (auto& t : ts) t.join();
    size_t live = kShared;
    for (int t = 0; t < kThreads; t++) {
      ASSERT_EQ(res[t].error, "");
      const uint64_t base = uint64_t(t + 1) << 32;
      for (uint64_t k = base; k < base + kOwned; k++) {
        auto it = res[t].model.find(k);
        ASSERT_EQ(m.load(k), it == res[t].model.end() ? std::nullopt : std::optional(it->second))
            << "key " << k;
      }
      live += res[t].model.size();
    }
    for (uint64_t s = 0; s < kShared; s++) {
      uint64_t wins = 0;
      for (auto& r : res) wins += r.cas_wins[s];
      EXPECT_EQ(m.load(kSharedBase + s), encode(kSharedBase + s, wins)) << "shared key " << s;
    }
    EXPECT_EQ(m.len(), live);
    EXPECT_EQ(m.check(), "");
  }
  expect_drained();
}

// Readers hammer stable keys while a writer churns new keys through promotions and
// deletes: read tables are replaced under the readers all the time.
TEST(SyncMapStress, ReadersDuringPromotions) {
  const int64_t before = Counted::live.load();
  constexpr uint64_t kRounds = kOptimised ? 20000 : kSanitized ? 5000 : 3000;
  {
    CountedMap m;
    for (uint64_t k = 0; k < 32; k++) m.store(Counted(k), Counted(k * 3));
    std::atomic<bool> stop{false};
    std::atomic<uint64_t> bad{0}, reads{0};
    std::vector<std::thread> readers;
    for (int t = 0; t < 2; t++) {
      readers.emplace_back([&, t] {
        uint64_t n = 0;
        for (uint64_t i = t; !stop.load(std::memory_order_relaxed); i++, n++) {
          std::optional<Counted> v = m.load(Counted(i % 32));
          if (!v || v->v != (i % 32) * 3) bad.fetch_add(1);
        }
        reads.fetch_add(n);
      });
    }
    for (uint64_t r = 0; r < kRounds; r++) {
      m.store(Counted(1000 + r), Counted(r));
      m.load(Counted(1000 + r));  // misses promote
      if (r % 3 == 0) m.del(Counted(1000 + r));
      if (r % 64 == 0) m.range([](const Counted&, const Counted&) {});
    }
    stop.store(true);
    for (auto& t : readers) t.join();
    EXPECT_EQ(bad.load(), 0u);
    EXPECT_GT(reads.load(), 0u);
    EXPECT_EQ(m.check(), "");
  }
  expect_drained();
  EXPECT_EQ(Counted::live.load(), before);
}

}  // namespace
}  // namespace gort

int main(int argc, char** argv) {
  // Before any thread registers: the mode of kernels without membarrier, on purpose.
  const char* mode = std::getenv("GORT_TEST_RECLAIM");
  if (mode != nullptr && std::strcmp(mode, "fence") == 0 &&
      !gort::maps::reclaim::use_reader_fence()) {
    std::fprintf(stderr, "cannot select reader fences: a thread registered already\n");
    return 2;
  }
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
