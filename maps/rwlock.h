// rwlock.h — gort::rwlock: a reader-writer lock in one 32-bit word that spins briefly, then
// sleeps on a futex. A shard lock of sharded_map.h (spin_rwlock.h, the default, says when
// each fits).
//
// Why our own, when std::shared_mutex exists (sharded_map takes either, and std::mutex):
//   * glibc's pthread_rwlock, under std::shared_mutex, is an out-of-line call whose exclusive
//     path costs several times a mutex's (the figures are in the commit that added this
//     file); a shard lock is taken once per operation, so its cost is a fixed share of every
//     operation. Here each uncontended path is one inline atomic read-modify-write.
//   * try_lock and try_lock_shared are as cheap as lock and lock_shared, so sharded_map can
//     try first and count a failed try as a contended acquisition at no cost to the
//     uncontended path (std::mutex's trylock costs more than its lock).
//   * absl::Mutex, the well-kept library lock that fits (it has reader mode), is installed
//     but its packaged build is slower still; nothing else reachable fits.
//   It is no general-purpose lock: no timed waits, no recursion, no fairness beyond writer
//   preference, wake-all release. A shard's critical section is one map operation, and the
//   threads that can wait on one shard are few, so these suffice.
//
// The word:
//   bit 31    kWriter    a writer holds the lock
//   bit 30    kPending   a writer waits: arriving readers stay out (writer preference, so that
//                        a stream of overlapping readers cannot starve writers)
//   bit 29    kSleepers  a thread may be asleep in futex_wait on the word: the release that
//                        frees the lock clears the bit and wakes every sleeper
//   bits 0-28            readers holding the lock, plus readers that are backing out
//
// How a request walks through it:
//   lock_shared   1. fetch_add 1; if neither kWriter nor kPending was set, the read lock is
//                    held (try_lock_shared stops here, false after step 2);
//                 2. else back out through unlock_shared (the backing-out reader may be the
//                    last one a pending writer waits for), then, out of line: wait until
//                    neither bit is set (spin kSpin times, then sleep), CAS readers + 1.
//   unlock_shared fetch_sub 1; the last reader out, if kSleepers is set, wakes the sleepers.
//   lock          1. CAS 0 -> kWriter (try_lock also takes a free word that has kPending or
//                    kSleepers set);
//                 2. else, out of line: set kPending, wait (spin, then sleep) until no writer
//                    and no reader holds it, CAS in kWriter clearing kPending.
//   unlock        fetch_sub kWriter; if kSleepers was set, clear it and wake the sleepers.
//
// Invariants:
//   R1. kWriter set => no reader holds the lock (the reader count then holds only readers
//       backing out, who hold nothing)
//   R2. a thread asleep in futex_wait set kSleepers with a CAS to the exact value it waits
//       on: a release that changes the word after that CAS makes futex_wait return at once,
//       one that clears kSleepers wakes every thread already asleep — no wake-up is lost
//   R3. kPending is set only by a waiting writer and cleared by the writer that acquires;
//       other writers still waiting set it again when they next look
// Misuse caught (GORT_CHECKS >= 1, one test folded into the release's existing branch):
// unlock of a lock not held for writing, unlock_shared of one no reader holds.
//
// Synchronisation: acquire on every successful lock path, release on every unlock, so the
// holder sees everything the previous holders wrote. Not recursive: lock_shared by a thread
// that holds it shared may deadlock when a writer waits, as std::shared_mutex may. A child
// of fork() must not use a lock that another thread of the parent held.
#pragma once

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <climits>
#include <cstdint>

#include "alloc/runtime.h"

namespace gort {

class rwlock {
 public:
  rwlock() = default;
  rwlock(const rwlock&) = delete;
  rwlock& operator=(const rwlock&) = delete;

  bool try_lock() {
    uint32_t s = 0;
    return word_.compare_exchange_strong(s, kWriter, std::memory_order_seq_cst) ||
           try_lock_flagged(s);
  }
  void lock() {
    if (!try_lock()) [[unlikely]] lock_slow();
  }
  void unlock() {
    const uint32_t s = word_.fetch_sub(kWriter, std::memory_order_release);
    if ((s & (kWriter | kSleepers)) != kWriter) [[unlikely]] unlock_slow(s);
  }

  bool try_lock_shared() {
    const uint32_t s = word_.fetch_add(1, std::memory_order_acquire);
    if (!(s & (kWriter | kPending))) [[likely]] return true;
    unlock_shared();  // back out
    return false;
  }
  void lock_shared() {
    if (!try_lock_shared()) [[unlikely]] lock_shared_slow();
  }
  void unlock_shared() {
    const uint32_t s = word_.fetch_sub(1, std::memory_order_release);
    if ((s & kSleepers) || (s & kReaders) == 0) [[unlikely]] unlock_shared_slow(s);
  }

  // Whether a writer holds the lock or waits for it (a seq_cst load): readers that count
  // themselves outside the word (reader_slots.h) check it after announcing themselves.
  bool excludes_readers() const {
    return word_.load(std::memory_order_seq_cst) & (kWriter | kPending);
  }

  // The word, for tests: no writer, no reader, no waiter is 0.
  uint32_t state() const { return word_.load(std::memory_order_relaxed); }

 private:
  static constexpr uint32_t kWriter = 1u << 31;
  static constexpr uint32_t kPending = 1u << 30;
  static constexpr uint32_t kSleepers = 1u << 29;
  static constexpr uint32_t kReaders = kSleepers - 1;
  static constexpr int kSpin = 64;  // pauses before sleeping: a shard's critical section is short

  // try_lock when the word is not 0: free, but with kPending or kSleepers set.
  bool try_lock_flagged(uint32_t s) {
    while (!(s & (kWriter | kReaders)))
      if (word_.compare_exchange_weak(s, (s | kWriter) & ~kPending, std::memory_order_seq_cst))
        return true;
    return false;
  }

  [[gnu::noinline, gnu::cold]] void lock_slow() {
    for (int spins = 0;; spins++) {
      uint32_t s = word_.load(std::memory_order_relaxed);
      if (!(s & (kWriter | kReaders))) {
        if (try_lock_flagged(s)) return;
        continue;
      }
      if (!(s & kPending)) {
        word_.fetch_or(kPending, std::memory_order_relaxed);
        continue;
      }
      wait(s, spins);
    }
  }

  [[gnu::noinline, gnu::cold]] void lock_shared_slow() {
    for (int spins = 0;; spins++) {
      uint32_t s = word_.load(std::memory_order_relaxed);
      if (!(s & (kWriter | kPending))) {
        if (word_.compare_exchange_weak(s, s + 1, std::memory_order_acquire)) return;
        continue;
      }
      wait(s, spins);
    }
  }

  // One round of waiting while the word reads s: a pause while spins < kSpin, then sleep
  // until the word changes (R2).
  void wait(uint32_t s, int spins) {
    if (spins < kSpin) {
      __builtin_ia32_pause();
      return;
    }
    if (!(s & kSleepers) &&
        !word_.compare_exchange_weak(s, s | kSleepers, std::memory_order_relaxed))
      return;  // the word changed: look again
    syscall(SYS_futex, &word_, FUTEX_WAIT_PRIVATE, s | kSleepers, nullptr, nullptr, 0);
  }

  [[gnu::noinline, gnu::cold]] void unlock_slow(uint32_t s) {
    if (!(s & kWriter)) runtime::fatal("rwlock: unlock of a lock not held for writing");
    wake();
  }
  [[gnu::noinline, gnu::cold]] void unlock_shared_slow(uint32_t s) {
    if ((s & kReaders) == 0) runtime::fatal("rwlock: unlock_shared of a lock no reader holds");
    if ((s & kReaders) == 1) wake();  // the last reader out; others leave the sleepers be
  }
  void wake() {
    if (word_.fetch_and(~kSleepers, std::memory_order_relaxed) & kSleepers)
      syscall(SYS_futex, &word_, FUTEX_WAKE_PRIVATE, INT_MAX, nullptr, nullptr, 0);
  }

  std::atomic<uint32_t> word_{0};
};

}  // namespace gort
