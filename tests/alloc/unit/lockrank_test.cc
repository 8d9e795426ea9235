// The lock order of lockrank.h: taken in rising rank it passes (the fork handler's 68 locks
// included); out of order, at GORT_CHECKS >= 2, the program dies naming both locks.
#include "alloc/lockrank.h"
#include "alloc/profile.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "alloc/lock.h"
#include "alloc/malloc.h"
#include "alloc/mcache.h"
#include "alloc/mcentral.h"
#include "alloc/mheap.h"

namespace gort::alloc {
namespace {

#define SKIP_BELOW_TIER_2() \
  if (GORT_CHECKS < 2) GTEST_SKIP() << "the lock order is checked at GORT_CHECKS >= 2"

TEST(LockRank, TheOrderIsInitThenMCentralByClassThenMHeap) {
  EXPECT_LT(LockRank::kInit, MCentralRank(1));
  for (uint32_t c = 1; c + 1 < kNumClasses; c++) EXPECT_LT(MCentralRank(c), MCentralRank(c + 1));
  EXPECT_LT(MCentralRank(kNumClasses - 1), LockRank::kMHeap);
}

// The test asserts only after releasing: a failed EXPECT allocates, and the allocator must not
// be entered with a lock of rank mheap held.
TEST(LockRank, RisingOrderPassesAndReleaseMayComeFromTheMiddle) {
  Lock init(LockRank::kInit), c3(MCentralRank(3)), c40(MCentralRank(40)), heap(LockRank::kMHeap);
  init.lock();
  c3.lock();
  c40.lock();
  heap.lock();
  [[maybe_unused]] bool all_four = true, middle_gone = true;
#if GORT_CHECKS >= 2
  all_four = LocksHeld() == 4 && init.owned() && c3.owned() && c40.owned() && heap.owned();
#endif
  c3.unlock();  // not the top
  init.unlock();
#if GORT_CHECKS >= 2
  middle_gone = LocksHeld() == 2 && !c3.owned() && c40.owned() && heap.owned();
#endif
  heap.unlock();
  c40.unlock();
  c3.lock();  // nothing is held above it any more
  c3.unlock();
  EXPECT_TRUE(all_four);
  EXPECT_TRUE(middle_gone);
  EXPECT_FALSE(heap.held() || c3.held());
#if GORT_CHECKS >= 2
  EXPECT_EQ(LocksHeld(), 0u);
#endif
}

TEST(LockRank, TheGlobalLocksCarryTheirRanks) {
  EnsureInit();
#if GORT_CHECKS >= 2
  EXPECT_EQ(g_mheap.lock.rank(), LockRank::kMHeap);
  for (uint32_t c = 1; c < kNumClasses; c++) EXPECT_EQ(g_mcentral[c].lock.rank(), MCentralRank(c));
#else
  EXPECT_EQ(sizeof(Lock), sizeof(uint32_t)) << "below tier 2 a Lock is its word alone";
#endif
}

TEST(LockRankDeathTest, TakingALowerRankDiesNamingBothLocks) {
  SKIP_BELOW_TIER_2();
  Lock heap(LockRank::kMHeap), c12(MCentralRank(12)), c20(MCentralRank(20));
  Lock init(LockRank::kInit);
  EXPECT_DEATH(
      {
        LockGuard h(heap);
        LockGuard c(c12);
      },
      "^fatal error: lock order: taking mcentral\\[12\\] while holding mheap\n$");
  EXPECT_DEATH(
      {
        LockGuard a(c20);
        LockGuard b(c12);
      },
      "fatal error: lock order: taking mcentral\\[12\\] while holding mcentral\\[20\\]");
  EXPECT_DEATH(
      {
        LockGuard c(c12);
        LockGuard i(init);
      },
      "fatal error: lock order: taking init while holding mcentral\\[12\\]");
}

TEST(LockRankDeathTest, TakingAHeldLockAgainDiesInsteadOfDeadlocking) {
  SKIP_BELOW_TIER_2();
  Lock heap(LockRank::kMHeap);
  EXPECT_DEATH(
      {
        LockGuard h(heap);
        LockGuard again(heap);
      },
      "fatal error: lock order: taking mheap while holding mheap");
}

// Code that calls into the heap with its lock held dies at the entry precondition, which
// names the function, before the lock order would.
TEST(LockRankDeathTest, EnteringTheHeapWithItsLockHeldDies) {
  SKIP_BELOW_TIER_2();
  EnsureInit();
  EXPECT_DEATH(
      {
        LockGuard h(g_mheap.lock);
        g_mheap.GetStats();
      },
      "fatal error: internal invariant broken: mheap::GetStats: the caller holds the heap lock");
}

TEST(LockRankDeathTest, ReleasingALockNotHeldDies) {
  SKIP_BELOW_TIER_2();
  Lock c7(MCentralRank(7));
  EXPECT_DEATH(c7.unlock(), "fatal error: lock order: releasing mcentral\\[7\\], which this "
                            "thread does not hold");
}

// The fork handler takes all 67 mcentral locks and mheap's in one go. It must pass the
// checker, leave nothing held in the parent, and leave nothing held in the child either,
// where the locks are reset rather than released.
TEST(LockRank, ForkTakesEveryAllocatorLockInOrder) {
  EnsureInit();
  void* warm = Malloc(64);  // this thread's cache is set up, so fork has real state to copy
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    bool ok = !g_mheap.lock.held() && !g_mcentral[1].lock.held();
#if GORT_CHECKS >= 2
    ok = ok && LocksHeld() == 0;
#endif
    // Every lock is usable again, in order: a large span (mheap) and a refill (mcentral).
    void* big = Malloc(1 << 20);
    void* small = Malloc(3000);
    ok = ok && big != nullptr && small != nullptr;
    Free(big);
    Free(small);
#if GORT_CHECKS >= 2
    ok = ok && LocksHeld() == 0;
#endif
    _exit(ok ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status)) << "the child died: " << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_FALSE(g_mheap.lock.held());
#if GORT_CHECKS >= 2
  EXPECT_EQ(LocksHeld(), 0u);
#endif
  Free(warm);
}

#if GORT_CHECKS >= 2
// The prepare and parent handlers on their own: prepare holds the proc registry's lock, one
// lock per mcentral and the heap's, the deepest the held-lock record ever gets. (Checked after the parent handler has
// released them: a failing EXPECT would allocate.)
TEST(LockRank, ForkPrepareHoldsEveryLockAndParentReleasesThem) {
  EnsureInit();
  CacheForkPrepare();
  const uint32_t held = LocksHeld();
  bool all = g_mheap.lock.owned() && ProfileLock().owned();
  for (uint32_t c = 1; c < kNumClasses; c++) all = all && g_mcentral[c].lock.owned();
  CacheForkParent();
  EXPECT_EQ(held, uint32_t(kNumClasses - 1) + 3);  // procs, the mcentrals, mheap, the profile's
  EXPECT_TRUE(all);
  EXPECT_EQ(LocksHeld(), 0u);
  EXPECT_FALSE(g_mheap.lock.held());
  EXPECT_FALSE(ProfileLock().held());
}
#endif

}  // namespace
}  // namespace gort::alloc
