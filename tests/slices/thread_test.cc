// The biased reference count across threads (slices/array.h): references taken and dropped
// on other threads, arrays whose owner exits, the merge queue, and a stress run with
// element destructors counted. Every test ends by checking that no array leaked.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "slices/slice.h"
#include "tests/slices/leak_check.h"

namespace gort {
namespace {

struct Tracked {
  static inline std::atomic<int> alive{0};
  long v = 0;
  Tracked() { alive++; }
  Tracked(long x) : v(x) { alive++; }
  Tracked(const Tracked& o) : v(o.v) { alive++; }
  Tracked& operator=(const Tracked&) = default;
  ~Tracked() { alive--; }
};

class SliceThreads : public gort::test::SliceLeakCheck {
 protected:
  void TearDown() override {
    SliceLeakCheck::TearDown();
    EXPECT_EQ(Tracked::alive.load(), 0);
  }
};

TEST_F(SliceThreads, CopiesDroppedByOtherThreadsAreQueuedThenFreed) {
  auto s = make<Tracked>(100);
  s[7].v = 7;
  std::vector<std::thread> ts;
  std::atomic<long> seen{0};
  for (int t = 0; t < 4; t++)
    ts.emplace_back([s, &seen] {  // a copy counted on this (the owner) thread
      for (int i = 0; i < 10000; i++) {
        slice<Tracked> c = s;  // counted atomically over there
        seen += c[7].v;
      }
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(seen.load(), 4 * 10000 * 7);
  EXPECT_EQ(live_arrays(), live_ + 1);
  s = slice<Tracked>();  // the owner's local count says 4 more, but they are gone:
  EXPECT_EQ(live_arrays(), live_ + 1);  // ... queued, freed when the owner drains
  slices::flush_thread();
  EXPECT_EQ(live_arrays(), live_);
}

TEST_F(SliceThreads, AllocatingDrainsTheQueue) {
  auto s = make<int>(10);
  std::thread([c = s] { (void)c; }).join();
  s = slice<int>();
  EXPECT_EQ(live_arrays(), live_ + 1);
  auto t = make<int>(1);  // allocating settles the queue first
  EXPECT_EQ(live_arrays(), live_ + 1);
}

TEST_F(SliceThreads, LastReferenceOnAnotherThreadAfterMerge) {
  auto s = make<Tracked>(10);
  slice<Tracked> out;
  std::mutex mu;
  std::thread t([&] {
    std::lock_guard g(mu);
    out = s;  // shared count 1
  });
  t.join();
  s = slice<Tracked>();  // owner's last local reference: merged, out keeps it alive
  EXPECT_EQ(live_arrays(), live_ + 1);
  std::thread([&] { out = slice<Tracked>(); }).join();  // freed there, at zero
  EXPECT_EQ(live_arrays(), live_);
}

TEST_F(SliceThreads, ArraysOutliveTheirOwnerThread) {
  slice<Tracked> kept;
  std::thread([&] {
    auto mine = make<Tracked>(5);
    mine[0].v = 42;
    auto a = mine, b = mine;  // local count 3 at exit: folded into the shared count
    kept = std::move(a);
  }).join();
  EXPECT_EQ(kept[0].v, 42);
  slice<Tracked> again = kept;
  kept = append(kept, Tracked(1));  // grows by copy (not the owner; shared)
  EXPECT_EQ(kept[0].v, 42);
  again = slice<Tracked>();
  kept = slice<Tracked>();
  EXPECT_EQ(live_arrays(), live_);
}

TEST_F(SliceThreads, RvalueGrowthOnANonOwnerThreadCopies) {
  auto s = make<long>(0, 4);
  std::thread([s = std::move(s)]() mutable {
    for (long i = 0; i < 100000; i++) s = append(std::move(s), i);
    long sum = 0;
    for (long v : s) sum += v;
    EXPECT_EQ(sum, 100000L * 99999 / 2);
  }).join();
}

// Slices passed back and forth through a queue; every hop copies, appends, sub-slices.
// Race-free as a Go program must be: the consumer only reads the part of base's array the
// producer handed over (its spare room is cut off, so an append there copies), and it
// appends into the spare room of arrays the producer has stopped writing.
TEST_F(SliceThreads, StressHandOffs) {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<slice<Tracked>> q;
  bool done = false;
  constexpr int kItems = 3000;
  std::thread consumer([&] {
    long total = 0;
    for (;;) {
      std::unique_lock lk(mu);
      cv.wait(lk, [&] { return !q.empty() || done; });
      if (q.empty()) break;
      slice<Tracked> s = std::move(q.front());
      q.pop_front();
      lk.unlock();
      auto t = s.sub(0, s.len());
      t = append(t, Tracked(1));  // into the shared spare room when there is some, else grows
      for (auto& x : s) total += x.v;
    }
    EXPECT_GT(total, 0);
  });
  slice<Tracked> base;
  for (int i = 0; i < kItems; i++) {
    base = append(base, Tracked(i));
    size_t len = base.len();
    auto piece = base.sub(i / 2, len, len);  // shares base's array, which base goes on filling
    auto own = append(base.sub(len - std::min<size_t>(len, 8), len, len), Tracked(i));
    std::lock_guard g(mu);
    q.push_back(std::move(piece));
    q.push_back(own);  // two copies of an array with spare room, only the consumer writes
    q.push_back(std::move(own));
    cv.notify_one();
  }
  {
    std::lock_guard g(mu);
    done = true;
  }
  cv.notify_one();
  consumer.join();
  base = slice<Tracked>();
}

}  // namespace
}  // namespace gort
