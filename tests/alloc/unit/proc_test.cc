// proc: remote frees go back to their span's owner exactly once, also across thread exits.
//
// How a lost or doubled remote free shows: after the owner has trimmed its proc (ProcTrim:
// its remote frees collected, every span with no object out given back to mheap), a span
// still owned by it holds an object nobody has (lost), or the span's count went below zero
// and check() or the assertions of the debug tier fail (doubled); and a doubled object would
// be handed out twice, which the uniqueness checks catch.
#include "alloc/proc.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <latch>
#include <set>
#include <thread>
#include <vector>

#include "alloc/freelink.h"
#include "alloc/malloc.h"
#include "alloc/mheap.h"

namespace gort::alloc {
namespace {

constexpr size_t kSizes[] = {8, 24, 64, 200, 1024, 4000, 20000};

// True when every object of objs lives in a span that p no longer owns (freed to the heap,
// or since taken by another proc).
bool NoneOwnedBy(const std::vector<void*>& objs, const proc* p) {
  for (void* x : objs) {
    const mspan* s = g_pagemap.Span(reinterpret_cast<uintptr_t>(x));
    if (s != nullptr && s->state == SpanState::kSmall && s->owner == p->id) return false;
  }
  return true;
}

std::vector<void*> AllocMany(size_t n, uint64_t cookie) {
  std::vector<void*> v(n);
  for (size_t i = 0; i < n; i++) {
    v[i] = Malloc(kSizes[i % std::size(kSizes)]);
    *static_cast<uint64_t*>(v[i]) = cookie + i;
  }
  return v;
}

// Many threads free one owner's objects at once; the owner then collects them all.
TEST(ProcThreads, RemoteFreesReachTheOwnerExactlyOnce) {
  constexpr size_t kN = 40000;
  constexpr int kFreers = 4;
  std::thread owner([] {
    std::vector<void*> objs = AllocMany(kN, 1000);
    proc* p = tl_mcache.p;
    std::vector<std::thread> freers;
    for (int t = 0; t < kFreers; t++) {
      freers.emplace_back([&objs, t] {
        for (size_t i = t; i < kN; i += kFreers) {
          ASSERT_EQ(*static_cast<uint64_t*>(objs[i]), 1000 + i) << "object overwritten";
          Free(objs[i]);
        }
      });
    }
    // Meanwhile the owner keeps allocating and freeing, collecting as the frees come in.
    for (int round = 0; round < 50; round++) {
      std::vector<void*> mine = AllocMany(2000, 0);
      for (void* x : mine) Free(x);
    }
    for (auto& t : freers) t.join();
    EXPECT_STREQ(tl_mcache.check(), "");
    CacheReleaseAll(&tl_mcache);
    EXPECT_TRUE(NoneOwnedBy(objs, p)) << "a remote free did not reach its owner";
    EXPECT_STREQ(tl_mcache.check(), "");
    std::set<void*> seen;
    std::vector<void*> again = AllocMany(kN, 0);
    for (void* x : again) ASSERT_TRUE(seen.insert(x).second) << "handed out twice: " << x;
    for (void* x : again) Free(x);
  });
  owner.join();
}

// A thread allocates and exits; its objects are freed after its exit, remote to a proc no
// thread holds; the next thread to start takes that proc over and collects them.
TEST(ProcThreads, ExitHandsPendingRemoteFreesToTheNextHolder) {
  constexpr size_t kN = 20000;
  std::vector<void*> objs;
  proc* first = nullptr;
  Free(Malloc(64));  // this thread holds a proc of its own before a's is released
  std::thread a([&] {
    objs = AllocMany(kN, 7);
    first = tl_mcache.p;
  });
  a.join();
  ASSERT_NE(tl_mcache.p, first);
  for (void* x : objs) Free(x);  // remote: this thread does not hold first
  RemoteFlush();                 // the last blocks of the outbox go too
  EXPECT_NE(first->inbox.load(), nullptr) << "the frees wait on the released proc";
  std::thread b([&] {
    Free(Malloc(64));  // sets the thread up: the proc released last comes first
    EXPECT_EQ(tl_mcache.p, first);
    CacheReleaseAll(&tl_mcache);
    EXPECT_TRUE(NoneOwnedBy(objs, first)) << "a remote free was lost across the exit";
    EXPECT_STREQ(tl_mcache.check(), "");
  });
  b.join();
}

// Threads that start and end in rounds reuse procs, and with them spans: once the lists have
// grown to what the rounds need, the heap stays as it is. The 4 threads of a round all hold
// their procs at once (a latch), so that the first round makes every proc the rounds need,
// however the threads happen to overlap.
TEST(ProcThreads, ThreadChurnReusesProcs) {
  auto round = [] {
    std::latch all(4);
    std::vector<std::thread> ts;
    for (int t = 0; t < 4; t++) {
      ts.emplace_back([&all] {
        std::vector<void*> v = AllocMany(500, 0);
        all.arrive_and_wait();
        for (void* x : v) Free(x);
      });
    }
    for (auto& t : ts) t.join();
  };
  for (int r = 0; r < 30; r++) round();  // the lists' slow start settles
  const uint32_t procs = ProcCount();
  const uint64_t spans = g_mheap.GetStats().small_spans;
  for (int r = 0; r < 50; r++) round();
  EXPECT_EQ(ProcCount(), procs) << "a starting thread takes a released proc";
  // Each round allocates some 7 MiB; without reuse 50 rounds would take 350 MiB of spans. A
  // little slack: the scavenger may drain a released proc between rounds (its spans come back).
  EXPECT_LE(g_mheap.GetStats().small_spans, spans + (256 << 10)) << "nor does it take new spans";
}

// The objects of a chain, in order; stops after limit + 1 (a cycle).
std::vector<void*> ChainObjects(void* head, size_t limit) {
  std::vector<void*> v;
  for (void* x = head; x != nullptr && v.size() <= limit; x = GetNext(x)) v.push_back(x);
  return v;
}

// A refill takes a span's collected remote frees in part (walking) or whole (through xlast
// and xcount); a collection adds to an xlist that is not empty. Each step keeps the span's
// invariants, and the objects handed out are exactly the ones freed.
TEST(ProcThreads, RefillTakesCollectedRemoteFreesInPartOrWhole) {
  std::thread owner([] {
    const uint32_t cls = SizeToClass(64);
    const uint32_t nelems = ClassObjects(cls);
    std::vector<void*> objs;
    for (uint32_t i = 0; i < 4 * nelems; i++) objs.push_back(Malloc(64));
    std::set<void*> ours(objs.begin(), objs.end());
    // Two spans all of whose objects this thread holds: none is cached, neither is partial.
    std::vector<mspan*> full;
    for (void* x : objs) {
      mspan* s = g_pagemap.Span(reinterpret_cast<uintptr_t>(x));
      if (std::find(full.begin(), full.end(), s) != full.end()) continue;
      bool all = true;
      for (uint32_t i = 0; i < nelems && all; i++)
        all = ours.count(reinterpret_cast<void*>(s->base + i * 64)) != 0;
      if (all) full.push_back(s);
      if (full.size() == 2) break;
    }
    ASSERT_EQ(full.size(), 2u) << "no two spans wholly held";
    mspan* s1 = full[0];
    mspan* s2 = full[1];
    auto obj = [](mspan* s, uint32_t i) { return reinterpret_cast<void*>(s->base + i * 64); };
    auto free_remote = [](std::vector<void*> xs) {
      std::thread([&xs] { for (void* x : xs) Free(x); }).join();
    };
    // Wave 1: 5 objects of s1, then 3 of s2. Collected, s2 then s1 go to the front of the
    // class's partial list, so the refill of 2 takes part of s1's xlist.
    free_remote({obj(s1, 0), obj(s1, 1), obj(s1, 2), obj(s1, 3), obj(s1, 4)});
    free_remote({obj(s2, 7), obj(s2, 8), obj(s2, 9)});
    proc* p = tl_mcache.p;
    void* chain = nullptr;
    ASSERT_EQ(ProcRefill(p, cls, &chain, 2), 2u);
    std::vector<void*> got = ChainObjects(chain, 2);
    ASSERT_EQ(got.size(), 2u);
    std::set<void*> wave1 = {obj(s1, 0), obj(s1, 1), obj(s1, 2), obj(s1, 3), obj(s1, 4)};
    for (void* x : got) EXPECT_EQ(wave1.count(x), 1u) << x << " is not a remote free of s1";
    EXPECT_EQ(s1->xcount, 3u);
    EXPECT_STREQ(s1->check(), "");
    EXPECT_EQ(s2->xcount, 3u);
    EXPECT_STREQ(s2->check(), "");
    // Wave 2: 4 more of s1, collected in front of its 3 left. A refill of 10 then takes s1's
    // 7 whole onto the empty chain and s2's 3 whole onto s1's.
    free_remote({obj(s1, 10), obj(s1, 11), obj(s1, 12), obj(s1, 13)});
    void* chain2 = nullptr;
    ASSERT_EQ(ProcRefill(p, cls, &chain2, 10), 10u);
    std::vector<void*> got2 = ChainObjects(chain2, 10);
    ASSERT_EQ(got2.size(), 10u) << "the chain is not 10 objects long";
    std::set<void*> want = {obj(s1, 10), obj(s1, 11), obj(s1, 12), obj(s1, 13),
                            obj(s2, 7),  obj(s2, 8),  obj(s2, 9)};
    for (void* x : wave1)
      if (std::find(got.begin(), got.end(), x) == got.end()) want.insert(x);
    EXPECT_EQ(std::set<void*>(got2.begin(), got2.end()), want);
    for (mspan* s : {s1, s2}) {
      EXPECT_EQ(s->xcount, 0u);
      EXPECT_EQ(s->xlist, nullptr);
      EXPECT_EQ(s->xlast, nullptr);
      EXPECT_FALSE(s->onlist) << "a span with no free object is on the partial list";
      EXPECT_STREQ(s->check(), "");
    }
    EXPECT_STREQ(p->check(), "");
    // Everything goes back through free: the refilled objects count as out.
    for (void* x : got) Free(x);
    for (void* x : got2) Free(x);
    for (void* x : objs)
      if (wave1.count(x) == 0 && want.count(x) == 0) Free(x);
    EXPECT_STREQ(tl_mcache.check(), "");
  });
  owner.join();
}

// The producer/consumer shape under load: objects cross threads in both directions while
// their owners run; every object keeps its cookie, and nothing is handed out twice.
TEST(ProcThreads, ObjectsCrossingBothWaysKeepTheirContents) {
  constexpr int kThreads = 4;
  constexpr int kRounds = 200;
  constexpr int kPer = 256;
  std::atomic<void*> slots[kThreads * kPer] = {};
  std::vector<std::thread> ts;
  std::atomic<uint64_t> bad{0};
  for (int t = 0; t < kThreads; t++) {
    ts.emplace_back([&, t] {
      uint64_t r = 0x9e3779b97f4a7c15ULL * (t + 1);
      for (int k = 0; k < kRounds * kPer; k++) {
        r ^= r << 13, r ^= r >> 7, r ^= r << 17;
        const size_t size = kSizes[r % std::size(kSizes)];
        auto* x = static_cast<uint64_t*>(Malloc(size));
        x[0] = reinterpret_cast<uintptr_t>(x) ^ size;
        if (size >= 16) x[size / 8 - 1] = ~x[0];
        void* old = slots[(r >> 8) % (kThreads * kPer)].exchange(x);
        if (old != nullptr) {
          auto* o = static_cast<uint64_t*>(old);
          const size_t osize = UsableSize(o);
          const size_t want = o[0] ^ reinterpret_cast<uintptr_t>(o);
          if (want > osize || (want >= 16 && o[want / 8 - 1] != ~o[0])) bad++;
          Free(old);
        }
      }
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(bad.load(), 0u);
  for (auto& s : slots) Free(s.exchange(nullptr));
}

}  // namespace
}  // namespace gort::alloc
