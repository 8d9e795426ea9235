// scavenger.cc — see scavenger.h for the design.
#include "alloc/scavenger.h"

#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "alloc/check.h"
#include "alloc/mcache.h"
#include "alloc/mcentral.h"
#include "alloc/proc.h"
#include "alloc/mheap.h"

namespace gort::alloc {

constinit std::atomic<uint32_t> g_scavenger_state{kScavengerIdle};

namespace {
constinit uint64_t g_delay_ms = 1000;
// 1 while the thread sleeps with nothing to release, waiting for ScavengerNotify.
constinit std::atomic<uint32_t> g_parked{0};

void SleepMs(uint64_t ms) {
  timespec ts{static_cast<time_t>(ms / 1000), static_cast<long>(ms % 1000) * 1000000};
  while (nanosleep(&ts, &ts) != 0) {
  }
}

void* Loop(void*) {
  prctl(PR_SET_NAME, "gort-scavenger");
  const uint64_t nap = g_delay_ms / 2 > 0 ? g_delay_ms / 2 : 1;
  for (;;) {
    for (int k = 1; k < kNumClasses; k++) g_mcentral[k].Trim(/*idle_only=*/true);
    ProcTrimFree(/*idle_only=*/true);
    const uint64_t now = NowMs();
    g_mheap.Scavenge(now > g_delay_ms ? now - g_delay_ms : 0);
    // Park when nothing is left to age. parked is set before the heap is looked at under its
    // lock, and ScavengerNotify reads it under the same lock after adding resident pages:
    // either this look sees the pages or the notifier sees parked and wakes us.
    g_parked.store(1, std::memory_order_relaxed);
    if (g_mheap.GetStats().free_resident == 0) {
      while (g_parked.load(std::memory_order_acquire) == 1)
        syscall(SYS_futex, &g_parked, FUTEX_WAIT_PRIVATE, 1, nullptr, nullptr, 0);
      continue;  // woken: pages were freed just now; their delay starts now
    }
    g_parked.store(0, std::memory_order_relaxed);
    SleepMs(nap);
  }
  return nullptr;
}
}  // namespace

uint64_t NowMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return uint64_t(ts.tv_sec) * 1000 + uint64_t(ts.tv_nsec) / 1000000;
}

void ScavengerInit(uint64_t delay_ms) {
  g_delay_ms = delay_ms;
  if (delay_ms == 0) g_scavenger_state.store(kScavengerDisabled, std::memory_order_relaxed);
}

void StartScavenger() {
  GORT_ASSERT(LocksHeld() == 0, "StartScavenger: called with an allocator lock held");
  uint32_t want = kScavengerWanted;
  if (!g_scavenger_state.compare_exchange_strong(want, kScavengerRunning)) return;
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&attr, 64 << 10);
  pthread_t t;
  const int rc = pthread_create(&t, &attr, Loop, nullptr);
  pthread_attr_destroy(&attr);
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (rc != 0) {
    g_scavenger_state.store(kScavengerDisabled, std::memory_order_relaxed);
    Print("gort: cannot start the scavenger thread; free pages go back to the OS only past "
          "the retain limit and through malloc_trim\n");
  }
}

void ScavengerNotify() {
  const uint32_t s = g_scavenger_state.load(std::memory_order_relaxed);
  if (s == kScavengerIdle) {
    g_scavenger_state.store(kScavengerWanted, std::memory_order_relaxed);
  } else if (s == kScavengerRunning && g_parked.load(std::memory_order_relaxed) == 1) {
    g_parked.store(0, std::memory_order_release);
    syscall(SYS_futex, &g_parked, FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
  }
}

uint64_t Trim() {
  if (tl_mcache.state == kCacheActive) CacheReleaseAll(&tl_mcache);
  for (int k = 1; k < kNumClasses; k++) g_mcentral[k].Trim(/*idle_only=*/false);
  ProcTrimFree(/*idle_only=*/false);
  return g_mheap.Scavenge(UINT64_MAX);
}

void ScavengerForkChild() {
  g_parked.store(0, std::memory_order_relaxed);
  if (g_scavenger_state.load(std::memory_order_relaxed) == kScavengerRunning)
    g_scavenger_state.store(kScavengerWanted, std::memory_order_relaxed);
}

}  // namespace gort::alloc
