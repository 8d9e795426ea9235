// lock.h — the allocator's mutex: a word, a short spin, then a futex.
//
// Why our own and not pthread_mutex_t: the uncontended path must inline to one CAS and one
// store (it runs once per batch on the cache refill/flush path), and the lock must be usable
// before libc has finished starting (LD_PRELOAD). States: 0 free, 1 held, 2 held with
// waiters (Drepper, "Futexes are tricky", mutex 3).
//
// Every Lock has a rank, and locks are taken in rising rank order: lockrank.h holds the order
// and why each step of it exists. At GORT_CHECKS >= 2 lock() checks the order and unlock()
// that the thread holds the lock; below tier 2 the rank is not stored and lock()/unlock() are
// the bare word operations.
#pragma once

#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>

#include "alloc/config.h"
#include "alloc/lockrank.h"

namespace gort::alloc {

class Lock {
 public:
  constexpr explicit Lock([[maybe_unused]] LockRank rank)
#if GORT_CHECKS >= 2
      : rank_(rank)
#endif
  {
  }

  GORT_INLINE void lock() {
#if GORT_CHECKS >= 2
    LockRankAcquire(this, rank_);
#endif
    uint32_t free = 0;
    if (GORT_LIKELY(word_.compare_exchange_strong(free, 1, std::memory_order_acquire))) return;
    LockSlow();
  }
  GORT_INLINE void unlock() {
#if GORT_CHECKS >= 2
    LockRankRelease(this, rank_);
#endif
    if (GORT_UNLIKELY(word_.exchange(0, std::memory_order_release) == 2)) Wake();
  }
  // One attempt, never waiting: for a signal handler, which must not wait for a lock its own
  // thread may hold (heapwalk.h). At tier >= 2 the rank is checked and recorded as lock()
  // does, on success only.
  bool try_lock() {
    uint32_t free = 0;
    if (!word_.compare_exchange_strong(free, 1, std::memory_order_acquire)) return false;
#if GORT_CHECKS >= 2
    LockRankAcquire(this, rank_);
#endif
    return true;
  }
  // try_lock, retried (yielding between tries) a bounded number of times: for a signal
  // handler, which may wait for another thread's holding but not for its own thread's.
  static constexpr int kSignalTries = 4096;
  bool try_lock_for(int tries) {
    for (int i = 0; i < tries; i++) {
      if (try_lock()) return true;
      sched_yield();
    }
    return false;
  }
  bool held() const { return word_.load(std::memory_order_relaxed) != 0; }
  // After fork() the child owns every lock its parent took in the prepare handler.
  void ResetInChild() {
    word_.store(0, std::memory_order_relaxed);
#if GORT_CHECKS >= 2
    LockRankRelease(this, rank_);  // the forking thread took it in the prepare handler
#endif
  }
  // For a lock whose rank is known only at run time (mcentral's: its class); while unheld.
  void set_rank([[maybe_unused]] LockRank rank) {
#if GORT_CHECKS >= 2
    rank_ = rank;
#endif
  }
#if GORT_CHECKS >= 2
  // The calling thread holds this lock (preconditions: "REQUIRES: lock held").
  bool owned() const { return LockRankHeld(this); }
  LockRank rank() const { return rank_; }
#endif

 private:
  GORT_NOINLINE void LockSlow() {
    for (int i = 0; i < 100; i++) {
      uint32_t free = 0;
      if (word_.load(std::memory_order_relaxed) == 0 &&
          word_.compare_exchange_weak(free, 1, std::memory_order_acquire))
        return;
      __builtin_ia32_pause();
    }
    while (word_.exchange(2, std::memory_order_acquire) != 0)
      syscall(SYS_futex, &word_, FUTEX_WAIT_PRIVATE, 2, nullptr, nullptr, 0);
  }
  GORT_NOINLINE void Wake() {
    syscall(SYS_futex, &word_, FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
  }
  std::atomic<uint32_t> word_{0};
#if GORT_CHECKS >= 2
  LockRank rank_;
#endif
};

#if GORT_CHECKS < 2
static_assert(sizeof(Lock) == sizeof(uint32_t), "below tier 2 a Lock is its word and nothing else");
#endif

class LockGuard {
 public:
  explicit LockGuard(Lock& l) : l_(l) { l_.lock(); }
  ~LockGuard() { l_.unlock(); }
  LockGuard(const LockGuard&) = delete;
  LockGuard& operator=(const LockGuard&) = delete;

 private:
  Lock& l_;
};

}  // namespace gort::alloc
