// lock.h — the allocator's mutex: a word, a short spin, then a futex.
//
// Why our own and not pthread_mutex_t: the uncontended path must inline to one CAS and one
// store (it runs once per batch on the cache refill/flush path), and the lock must be usable
// before libc has finished starting (LD_PRELOAD). States: 0 free, 1 held, 2 held with
// waiters (Drepper, "Futexes are tricky", mutex 3).
#pragma once

#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>

#include "alloc/config.h"

namespace gort::alloc {

class Lock {
 public:
  GORT_INLINE void lock() {
    uint32_t free = 0;
    if (GORT_LIKELY(word_.compare_exchange_strong(free, 1, std::memory_order_acquire))) return;
    LockSlow();
  }
  GORT_INLINE void unlock() {
    if (GORT_UNLIKELY(word_.exchange(0, std::memory_order_release) == 2)) Wake();
  }
  bool held() const { return word_.load(std::memory_order_relaxed) != 0; }
  // After fork() the child owns every lock its parent took in the prepare handler.
  void ResetInChild() { word_.store(0, std::memory_order_relaxed); }

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
};

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
