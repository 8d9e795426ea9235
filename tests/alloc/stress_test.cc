// stress_test.cc — many threads allocating, handing objects to each other and freeing them.
//
// Every object is filled with a pattern derived from its address and size and checked just
// before it is freed, by whichever thread frees it, so an object handed out twice, a list
// corrupted by a cross-thread free or a cache lost at thread exit shows as a broken pattern
// (or a crash). Sizes run 0..4 MiB, skewed to small (mimalloc's test-stress idea).
//
// Built twice: linked with gort::override (ctest alloc.stress.*), and without any gort for
// the run under LD_PRELOAD=libgort.so (alloc.stress_preload), where statistics come from
// the preloaded library and GORT_EXPECT_PRELOAD=1 demands that it is there.
#include <malloc.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/alloc/test_util.h"

namespace gort_test {
namespace {

constexpr int kThreads = 6;
constexpr int kOps = 10000;  // per thread and round

struct Obj {
  char* p;
  size_t n;
};

// 0..4 MiB: mostly tiny, some small, a few large (log-uniform up to 4 MiB).
size_t StressSize(Rng& r) {
  uint64_t k = r.Below(1000);
  if (k < 750) return r.Below(257);
  if (k < 970) return r.Range(257, 32768);
  if (k < 995) return r.Range(32769, 262144);
  return size_t(262144.0 * double(1 << r.Below(4)) * (1.0 + double(r.Below(1000)) / 1000.0));
}

// The thread storm is about thread caches: small objects only.
size_t StormSize(Rng& r) { return r.Chance(90) ? r.Below(513) : r.Range(513, 32768); }

// Objects allocated and not yet freed, by the test's own count.
std::atomic<int64_t> g_live{0};

// Allocates n bytes with one of the C entry points; the block is pattern-filled.
Obj NewObj(Rng& r, size_t n) {
  char* p;
  switch (r.Below(10)) {
    case 0: p = static_cast<char*>(calloc(1, n)); break;
    case 1: p = static_cast<char*>(memalign(size_t{16} << r.Below(6), n)); break;
    default: p = static_cast<char*>(malloc(n)); break;
  }
  if (p != nullptr) {
    Fill(p, n, SeedOf(p, n));
    g_live++;
  }
  return {p, n};
}

// Shared failure record: the first few are reported, the rest counted.
std::atomic<int> g_failures{0};
void Fail(const std::string& what) {
  if (g_failures.fetch_add(1) < 5) ADD_FAILURE() << what;
}

void CheckAndFree(const Obj& o, const char* who) {
  size_t bad = FirstBad(o.p, o.n, SeedOf(o.p, o.n));
  if (bad != SIZE_MAX) {
    char msg[160];
    snprintf(msg, sizeof msg, "%s: object %p of %zu bytes corrupted at offset %zu", who,
             static_cast<void*>(o.p), o.n, bad);
    Fail(msg);
  }
  free(o.p);
  g_live--;
}

class Inbox {
 public:
  void Put(Obj o) {
    std::lock_guard<std::mutex> g(mu_);
    q_.push_back(o);
  }
  std::vector<Obj> TakeAll() {
    std::lock_guard<std::mutex> g(mu_);
    std::vector<Obj> v(q_.begin(), q_.end());
    q_.clear();
    return v;
  }

 private:
  std::mutex mu_;
  std::deque<Obj> q_;
};

// One worker: keeps up to 300 objects, frees some, hands some to other threads, adopts or
// frees what others sent, and sometimes reallocs one (the pattern must survive the move).
void Worker(int id, uint64_t seed, int ops, std::vector<Inbox>& inboxes, std::atomic<int>& done) {
  Rng r(seed);
  std::vector<Obj> mine;
  for (int i = 0; i < ops; i++) {
    uint64_t k = r.Below(100);
    if ((k < 45 || mine.empty()) && mine.size() < 300) {
      Obj o = NewObj(r, StressSize(r));
      if (o.p == nullptr) {
        Fail("allocation failed");
        break;
      }
      mine.push_back(o);
    } else if (k < 70) {
      size_t j = r.Below(mine.size());
      CheckAndFree(mine[j], "local free");
      mine[j] = mine.back();
      mine.pop_back();
    } else if (k < 85) {
      size_t j = r.Below(mine.size());
      inboxes[(id + 1 + r.Below(kThreads - 1)) % kThreads].Put(mine[j]);
      mine[j] = mine.back();
      mine.pop_back();
    } else if (k < 95) {
      for (const Obj& o : inboxes[id].TakeAll()) {
        if (r.Chance(50) && mine.size() < 300) mine.push_back(o);
        else CheckAndFree(o, "cross-thread free");
      }
    } else {
      Obj& o = mine[r.Below(mine.size())];
      size_t n = StressSize(r);
      if (FirstBad(o.p, o.n, SeedOf(o.p, o.n)) != SIZE_MAX) Fail("corrupted before realloc");
      char* q = static_cast<char*>(realloc(o.p, n == 0 ? 1 : n));
      if (q == nullptr) {
        Fail("realloc failed");
        break;
      }
      size_t keep = std::min(o.n, n == 0 ? 1 : n);
      if (FirstBad(q, keep, SeedOf(o.p, o.n)) != SIZE_MAX) Fail("realloc lost contents");
      o = {q, n == 0 ? 1 : n};
      Fill(o.p, o.n, SeedOf(o.p, o.n));
    }
  }
  // Nobody sends after arriving here; once all have, drain the inbox and free everything.
  done.fetch_add(1);
  while (done.load() < kThreads) std::this_thread::yield();
  for (const Obj& o : inboxes[id].TakeAll()) CheckAndFree(o, "final cross-thread free");
  for (const Obj& o : mine) CheckAndFree(o, "final free");
}

TEST(Stress, CrossThreadQueues) {
  g_failures = 0;
  gort_stats before{};
  bool have = Stats(&before);
  for (int round = 0; round < 2; round++) {
    std::vector<Inbox> inboxes(kThreads);
    std::atomic<int> done{0};
    std::vector<std::thread> ts;
    for (int i = 0; i < kThreads; i++)
      ts.emplace_back(Worker, i, 1000 + i + round * kThreads, kOps, std::ref(inboxes), std::ref(done));
    for (auto& t : ts) t.join();
  }
  EXPECT_EQ(g_failures.load(), 0);
  EXPECT_EQ(g_live.load(), 0) << "the test lost track of objects";
  if (have) {
    gort_stats after{};
    Stats(&after);
    EXPECT_EQ(after.thread_caches, before.thread_caches) << "caches of exited threads still registered";
    EXPECT_EQ(after.large_inuse, before.large_inuse) << "large blocks not given back";
    EXPECT_EQ(after.large_parked, before.large_parked) << "exited threads still park large spans";
  }
}

// Short-lived threads: each allocates, frees objects other threads left in a shared pool,
// leaves some of its own there, and exits (its cache is flushed at exit). Three storms of the
// same shape: after the first, the heap must not keep growing — nothing may be stranded.
struct Pool {
  std::mutex mu;
  std::vector<Obj> objs;
};

void StormThread(int id, Pool& pool) {
  Rng r(5000 + id);
  std::vector<Obj> mine;
  for (int i = 0; i < 400; i++) {
    Obj o = NewObj(r, StormSize(r));
    if (o.p == nullptr) return Fail("allocation failed");
    mine.push_back(o);
  }
  std::vector<Obj> theirs;
  {
    std::lock_guard<std::mutex> g(pool.mu);
    theirs.swap(pool.objs);
    for (size_t i = 0; i < mine.size(); i += 2) pool.objs.push_back(mine[i]);
  }
  for (const Obj& o : theirs) CheckAndFree(o, "storm cross-thread free");
  for (size_t i = 1; i < mine.size(); i += 2) CheckAndFree(mine[i], "storm free");
}

uint64_t Storm(int round, Pool& pool) {
  constexpr int kWaves = 25, kWidth = 8;
  for (int w = 0; w < kWaves; w++) {
    std::vector<std::thread> ts;
    for (int i = 0; i < kWidth; i++) ts.emplace_back(StormThread, (round * kWaves + w) * kWidth + i, std::ref(pool));
    for (auto& t : ts) t.join();
  }
  gort_stats s{};
  Stats(&s);
  return s.small_spans;
}

TEST(Stress, ThreadStorm) {
  g_failures = 0;
  gort_stats before{};
  bool have = Stats(&before);
  Pool pool;
  uint64_t spans[3];
  for (int round = 0; round < 3; round++) {
    spans[round] = Storm(round, pool);
    if (have) {
      gort_stats s{};
      Stats(&s);
      EXPECT_EQ(s.thread_caches, before.thread_caches) << "round " << round << ": thread caches not released";
    }
  }
  for (const Obj& o : pool.objs) CheckAndFree(o, "pool drain");
  EXPECT_EQ(g_failures.load(), 0);
  EXPECT_EQ(g_live.load(), 0) << "the test lost track of objects";
  if (have) {
    // 200 threads per storm each cache up to ~128 KiB per class: stranded caches would add
    // tens of MiB per storm. Allow one arena's worth of variation between storms.
    EXPECT_LE(spans[2], spans[1] + (uint64_t{64} << 20)) << "small spans keep growing";
  }
}

// More than 128 GiB of address space in use (reserved, not touched): small objects then come
// from far above the heap's start (past gort's flat class window), and must work as well.
TEST(Stress, HeapSpanningOver128GiB) {
  g_failures = 0;
  std::vector<void*> huge;
  for (int i = 0; i < 140; i++) {
    void* p = malloc(size_t{1} << 30);
    ASSERT_NE(p, nullptr) << "1 GiB block " << i;
    huge.push_back(p);
  }
  Rng r(3);
  for (int round = 0; round < 2; round++) {
    std::vector<Obj> v;
    for (int i = 0; i < 100000; i++) v.push_back(NewObj(r, r.Below(2000)));
    for (const Obj& o : v) CheckAndFree(o, "small free in a huge heap");
  }
  for (void* p : huge) free(p);
  EXPECT_EQ(g_failures.load(), 0);
}

TEST(Stress, GortIsInThisProcess) {
  gort_stats s{};
  bool have = Stats(&s);
#if GORT_TEST_LINKED
  EXPECT_TRUE(have);
#else
  const char* want = getenv("GORT_EXPECT_PRELOAD");
  if (want != nullptr && strcmp(want, "1") == 0) {
    EXPECT_TRUE(have) << "libgort.so is not preloaded";
  }
#endif
  if (have) {
    void* p = malloc(size_t{4} << 20);
    Escape(p);
    EXPECT_GE(LargeInUse(), s.large_inuse + (size_t{4} << 20)) << "malloc does not reach gort";
    free(p);
    char* a = new char[size_t{4} << 20];
    Escape(a);
    EXPECT_GE(LargeInUse(), s.large_inuse + (size_t{4} << 20)) << "operator new does not reach gort";
    delete[] a;
  }
}

}  // namespace
}  // namespace gort_test
