// remote: a thread's remote frees travel to their owner in blocks — sent when full, when
// their bytes reach the bound, and when the thread exits — and drained blocks are reused.
#include "alloc/remote.h"

#include <gtest/gtest.h>

#include <barrier>
#include <thread>
#include <vector>

#include "alloc/malloc.h"
#include "alloc/proc.h"

namespace gort::alloc {
namespace {

// The object counts of the blocks on p's inbox, newest first. Only while p's holder does not
// collect (the tests below keep it waiting in a join).
std::vector<uint32_t> InboxCounts(const proc* p) {
  std::vector<uint32_t> v;
  for (RemoteBlock* b = p->inbox.load(std::memory_order_acquire); b != nullptr;
       b = b->next.load(std::memory_order_relaxed)) {
    EXPECT_EQ(b->owner, p->id) << "a block on the inbox of another proc";
    v.push_back(b->n);
  }
  return v;
}

// Frees objs from a new thread; counts, on owner's inbox, before that thread exits (into
// *before) and after (the return).
std::vector<uint32_t> FreeFromAnotherThread(const std::vector<void*>& objs, const proc* owner,
                                            std::vector<uint32_t>* before) {
  std::thread t([&] {
    Free(Malloc(16));  // set up: holds a proc of its own (the owner's is held)
    for (void* x : objs) Free(x);
    *before = InboxCounts(owner);
  });
  t.join();
  return InboxCounts(owner);
}

TEST(RemoteThreads, BlocksGoWhenFullAndAtExit) {
  Free(Malloc(64));  // this thread holds a proc
  proc* owner = tl_mcache.p;
  const uint32_t k = RemoteBlock::kObjects;
  std::vector<void*> objs;
  for (uint32_t i = 0; i < 3 * k + 5; i++) objs.push_back(Malloc(64));
  std::vector<uint32_t> before;
  std::vector<uint32_t> after = FreeFromAnotherThread(objs, owner, &before);
  EXPECT_EQ(before, (std::vector<uint32_t>{k, k, k})) << "full blocks are sent, the rest waits";
  EXPECT_EQ(after, (std::vector<uint32_t>{5, k, k, k})) << "the exit sends the last block";
  CacheReleaseAll(&tl_mcache);  // collects them all
  EXPECT_EQ(owner->inbox.load(), nullptr);
  EXPECT_STREQ(tl_mcache.check(), "");
}

TEST(RemoteThreads, ABlockGoesWhenItsBytesReachTheBound) {
  Free(Malloc(64));
  proc* owner = tl_mcache.p;
  constexpr size_t kSize = 32 << 10;  // the largest class
  constexpr uint32_t kPerBlock = kRemoteBlockBytes / kSize;
  std::vector<void*> objs;
  for (uint32_t i = 0; i < kPerBlock + 3; i++) objs.push_back(Malloc(kSize));
  std::vector<uint32_t> before;
  std::vector<uint32_t> after = FreeFromAnotherThread(objs, owner, &before);
  EXPECT_EQ(before, (std::vector<uint32_t>{kPerBlock}));
  EXPECT_EQ(after, (std::vector<uint32_t>{3, kPerBlock}));
  CacheReleaseAll(&tl_mcache);
  EXPECT_STREQ(tl_mcache.check(), "");
}

// A producer and a consumer hand objects over in rounds: the consumer's blocks come back to
// it through the producer's collections, so no block is mapped after the first rounds.
TEST(RemoteThreads, DrainedBlocksAreReused) {
  constexpr int kRounds = 200;
  constexpr int kBatch = 1000;
  std::vector<void*> handed(kBatch);
  uint64_t mapped_after_warmup = 0;
  std::barrier sync(2);
  std::thread producer([&] {
    for (int r = 0; r < kRounds; r++) {
      for (auto& x : handed) x = Malloc(48);
      sync.arrive_and_wait();  // the consumer frees them
      sync.arrive_and_wait();
      if (r == 10) mapped_after_warmup = RemoteBlocksMapped();
    }
  });
  std::thread consumer([&] {
    for (int r = 0; r < kRounds; r++) {
      sync.arrive_and_wait();
      for (void* x : handed) Free(x);
      RemoteFlush();
      sync.arrive_and_wait();
    }
  });
  producer.join();
  consumer.join();
  EXPECT_EQ(RemoteBlocksMapped(), mapped_after_warmup) << "blocks are mapped in steady state";
}

}  // namespace
}  // namespace gort::alloc
