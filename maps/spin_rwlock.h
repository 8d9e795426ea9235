// spin_rwlock.h — gort::spin_rwlock: a reader-writer lock in one 32-bit word whose writer
// releases with a plain store. A shard lock of sharded_map.h, for shards whose reads are
// optimistic (they take no lock unless a writer is in), where nearly every acquisition is a
// write's.
//
// Why a second lock beside gort::rwlock. rwlock lets readers announce themselves with a
// fetch_add even while a writer holds the word (they back out), and lets waiters set a
// sleeper bit on it; so its writer must release with a read-modify-write. On x86 a locked
// instruction waits until every earlier store of the thread has reached the cache: a write's
// release then waits for the misses of the bucket lines it has just stored to, and the
// thread cannot go on to its next operation while they complete. Here nothing but the
// holder changes the word while a writer holds it, so the release is a store, the bucket
// stores drain in the background, and a write costs one locked instruction instead of two.
// The price: waiters spin and then yield instead of sleeping on a futex (a sleeper would
// need a flag the plain-store release could not see without a fence), so a long wait costs
// CPU time, as boost::concurrent_flat_map's spinlocks do. A shard's critical section is one
// map operation, so waits are short; where threads outnumber CPUs, the yield lets a
// preempted holder run.
//
// The word:
//   bit 31    kWriter    a writer holds the lock
//   bit 30    kPending   a writer waits: arriving readers stay out (writer preference, so that
//                        a stream of overlapping readers cannot starve writers)
//   bits 0-29            readers holding the lock
//
// How a request walks through it:
//   lock_shared   CAS readers + 1, from a word with neither kWriter nor kPending
//                 (try_lock_shared: false as soon as it sees either); else, out of line,
//                 wait until neither is set (spin kSpin times, then yield each round).
//   unlock_shared fetch_sub 1.
//   lock          CAS 0 (or kPending alone) -> kWriter; else, out of line: set kPending
//                 while readers hold it, wait until no writer and no reader does, CAS in
//                 kWriter clearing kPending.
//   unlock        store 0.
//
// Invariants:
//   P1. kWriter set => no reader holds the lock, and no thread but the holder changes the
//       word: every CAS starts from a word without kWriter, and fetch_sub is a reader's
//       (so the release may store 0, dropping nothing)
//   P2. kPending is set only by a waiting writer, only while readers hold the word, and is
//       cleared by the writer that acquires; other writers still waiting set it again
// Misuse caught (GORT_CHECKS >= 1): unlock of a lock not held for writing (a load of the
// word, which the holder has in its cache), unlock_shared of one no reader holds.
//
// Synchronisation: acquire on every successful lock path, release on every unlock. Not
// recursive. A child of fork() must not use a lock that another thread of the parent held.
#pragma once

#include <sched.h>

#include <atomic>
#include <cstdint>

#include "alloc/runtime.h"

namespace gort {

class spin_rwlock {
 public:
  spin_rwlock() = default;
  spin_rwlock(const spin_rwlock&) = delete;
  spin_rwlock& operator=(const spin_rwlock&) = delete;

  bool try_lock() {
    uint32_t s = 0;
    if (word_.compare_exchange_strong(s, kWriter, std::memory_order_acquire)) [[likely]]
      return true;
    return s == kPending &&
           word_.compare_exchange_strong(s, kWriter, std::memory_order_acquire);
  }
  void lock() {
    if (!try_lock()) [[unlikely]] lock_slow();
  }
  void unlock() {
#if GORT_CHECKS >= 1
    if (!(word_.load(std::memory_order_relaxed) & kWriter)) [[unlikely]] misuse(false);
#endif
    word_.store(0, std::memory_order_release);  // P1
  }

  bool try_lock_shared() {
    uint32_t s = word_.load(std::memory_order_relaxed);
    while (!(s & (kWriter | kPending)))
      if (word_.compare_exchange_weak(s, s + 1, std::memory_order_acquire)) return true;
    return false;
  }
  void lock_shared() {
    if (!try_lock_shared()) [[unlikely]] lock_shared_slow();
  }
  void unlock_shared() {
    const uint32_t s = word_.fetch_sub(1, std::memory_order_release);
#if GORT_CHECKS >= 1
    if ((s & kReaders) == 0) [[unlikely]] misuse(true);
#else
    (void)s;
#endif
  }

  // The word, for tests: no writer, no reader, no waiter is 0.
  uint32_t state() const { return word_.load(std::memory_order_relaxed); }

 private:
  static constexpr uint32_t kWriter = 1u << 31;
  static constexpr uint32_t kPending = 1u << 30;
  static constexpr uint32_t kReaders = kPending - 1;
  static constexpr int kSpin = 128;  // pauses before yielding: a shard's critical section is short

  [[gnu::noinline, gnu::cold]] void lock_slow() {
    for (int spins = 0;; spins++) {
      uint32_t s = word_.load(std::memory_order_relaxed);
      if (!(s & (kWriter | kReaders))) {
        if (word_.compare_exchange_weak(s, kWriter, std::memory_order_acquire)) return;
        continue;
      }
      if (!(s & (kWriter | kPending)) &&  // readers hold it: keep new ones out (P2)
          !word_.compare_exchange_weak(s, s | kPending, std::memory_order_relaxed))
        continue;
      pause(spins);
    }
  }
  [[gnu::noinline, gnu::cold]] void lock_shared_slow() {
    for (int spins = 0;; spins++) {
      if (try_lock_shared()) return;
      pause(spins);
    }
  }
  static void pause(int spins) {
    if (spins < kSpin) __builtin_ia32_pause();
    else sched_yield();
  }
  [[gnu::noinline, gnu::cold]] static void misuse(bool shared) {
    runtime::fatal(shared ? "spin_rwlock: unlock_shared of a lock no reader holds"
                          : "spin_rwlock: unlock of a lock not held for writing");
  }

  std::atomic<uint32_t> word_{0};
};

}  // namespace gort
