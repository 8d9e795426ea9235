// reader_slots.h — per-CPU reader counts for the shard locks of a sharded_map, so that a read
// writes no cache line another CPU uses. The lock gort::slotted_rwlock, which sharded_map takes
// when asked to (its Lock parameter).
//
// Why. A reader-writer lock in one word (rwlock.h) makes every reader write that word: two
// CPUs reading keys of one shard take turns owning the shard's lock line, and with keys
// spread uniformly over the shards, about every other read of a shard comes from a different
// CPU than the previous one, whatever the shard count. The line moves between caches on
// about half of all reads, and a read of a large map costs little more than two such moves.
// Concurrent tables that scale on reads avoid writing shared lines on them
// (boost::concurrent_flat_map locks one of many per-thread mutexes at table level; the
// "big-reader" locks of Linux and the BRAVO design keep per-CPU or per-thread reader marks).
//
// The design. A table of counters, one row per slot, one column per shard: counter [r][i]
// counts the readers of shard i that announced themselves in row r. A thread reads in the row
// of the CPU it runs on (the kernel's rseq cpu_id, which glibc registers; where rseq is not
// registered, as under Valgrind, the row of its thread serial). Rows are padded to 128 bytes
// (an adjacent-line pair), so the counters of one row are written only by the threads that
// run on that row's CPUs — in the usual case one thread at a time, from one cache.
//
//   read of shard i      1. c = &counter[row][i]; c += 1           (seq_cst read-modify-write)
//                        2. if shard i's rwlock word shows a writer holding or waiting
//                           (seq_cst load): c -= 1 and take the rwlock shared the classic way
//                           (rwlock.h: sleeps while the writer works), released through it;
//                        3. else the read holds shard i; done: c -= 1 (release).
//   write of shard i     1. take shard i's rwlock exclusive (a seq_cst CAS; waits for
//                           classic readers and writers);
//                        2. then look at counter[r][i] for every row r (seq_cst loads,
//                           drained); while one is not 0, wait for it (wait_drained:
//                           acquire loads, spinning, then yielding to a preempted reader).
//
// Why a read and a write never overlap: both sides write their own mark then read the other's,
// all seq_cst (store-buffering, as in Dekker's algorithm). In the single total order of those
// operations either the reader's increment comes first — then the writer's scan sees it and
// waits for the release decrement — or the writer's lock acquisition comes first — then the
// reader's load sees the writer bit and backs out. A writer does not wait for readers that
// arrive after its acquisition: they see the bit and leave at once, so writers cannot starve.
// Happens-before: a reader that proceeds read the word a previous writer's release unlock
// wrote (acquire); a writer's scan read the 0 that the readers' release decrements wrote.
//
// Cost. A read: two read-modify-writes on a line its CPU owns, one load of the shard's lock
// word (shared with other readers, written only by writers). A write: the rwlock as before,
// plus one load per row — the lines of other CPUs' rows move once per write, not per read.
// Memory: rows x round_up(4 x shards, 128) bytes; rows is the number of CPUs the system
// may have, rounded up to a power of two, at most kMaxRows (CPUs beyond share rows: a counter
// counts every reader of its row, so sharing costs speed, never correctness).
//
// Invariants:
//   RS1. counter[r][i] is the number of readers that incremented it and have not yet
//        decremented it; it is 0 whenever shard i's write lock is held and its writer has
//        finished step 2
//   RS2. a reader holds shard i through the slots only while counter[r][i] > 0 and after it
//        read the rwlock word free of writers
#pragma once

#include <sched.h>
#include <sys/rseq.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <new>

#include "alloc/runtime.h"
#include "maps/rwlock.h"

namespace gort {

// A shard lock of sharded_map (its Lock parameter): a gort::rwlock whose readers are counted in
// the sharded map's per-CPU reader slots (reader_slots.h). Only sharded_map uses it as such;
// anywhere else it is a plain gort::rwlock.
struct slotted_rwlock : rwlock {};

namespace maps {

inline constexpr size_t kMaxRows = 64;
inline constexpr size_t kRowAlign = 128;

class reader_slots {
 public:
  using counter = std::atomic<uint32_t>;

  explicit reader_slots(size_t shards)
      : rows_(std::min(std::bit_ceil(static_cast<size_t>(
                           std::max(sysconf(_SC_NPROCESSORS_CONF), 1L))),
                       kMaxRows)),
        stride_((shards * sizeof(counter) + kRowAlign - 1) / kRowAlign * kRowAlign /
                sizeof(counter)) {
    void* p = runtime::allocate(rows_ * stride_ * sizeof(counter), kRowAlign, true);
    if (p == nullptr) throw std::bad_alloc();
    slots_ = static_cast<counter*>(p);
  }
  ~reader_slots() { runtime::deallocate(slots_); }
  reader_slots(const reader_slots&) = delete;
  reader_slots& operator=(const reader_slots&) = delete;

  // Read-locks shard i through the slots: the counter to pass to leave(), or nullptr when a
  // writer holds or waits for lock, which the caller must then take shared itself.
  counter* enter(size_t i, const rwlock& lock) const {
    counter* c = slots_ + row() * stride_ + i;
    c->fetch_add(1, std::memory_order_seq_cst);
    if (!lock.excludes_readers()) [[likely]] return c;
    c->fetch_sub(1, std::memory_order_relaxed);  // nothing was read
    return nullptr;
  }
  static void leave(counter* c) { c->fetch_sub(1, std::memory_order_release); }

  // After the write lock of shard i is taken: whether no reader holds shard i through the
  // slots (one look at every row; seq_cst loads, ordered after the lock's seq_cst
  // acquisition, so no fence is needed).
  bool drained(size_t i) const {
    for (size_t r = 0; r < rows_; r++)
      if (slots_[r * stride_ + i].load(std::memory_order_seq_cst) != 0) return false;
    return true;
  }
  // Waits until drained(i): readers inside finish; new ones see the writer and stay out.
  [[gnu::noinline, gnu::cold]] void wait_drained(size_t i) const {
    for (size_t r = 0; r < rows_; r++) {
      const counter& c = slots_[r * stride_ + i];
      for (int spins = 0; c.load(std::memory_order_acquire) != 0; spins++) {
        if (spins < kSpin) __builtin_ia32_pause();
        else sched_yield();  // the reader may be preempted on this CPU
      }
    }
  }

  size_t rows() const { return rows_; }
  // Readers counted for shard i over all rows (tests; 0 when no reader is inside).
  uint64_t readers(size_t i) const {
    uint64_t n = 0;
    for (size_t r = 0; r < rows_; r++) n += slots_[r * stride_ + i].load(std::memory_order_relaxed);
    return n;
  }

 private:
  static constexpr int kSpin = 128;

  // The calling thread's row: its CPU's, from the rseq area glibc registered, else its serial.
  size_t row() const {
    if (__rseq_size != 0) [[likely]] {
      const auto* rs = reinterpret_cast<const struct rseq*>(
          static_cast<const char*>(__builtin_thread_pointer()) + __rseq_offset);
      const int32_t cpu = static_cast<int32_t>(__atomic_load_n(&rs->cpu_id, __ATOMIC_RELAXED));
      if (cpu >= 0) [[likely]] return static_cast<size_t>(cpu) & (rows_ - 1);
    }
    return static_cast<size_t>(runtime::thread_serial()) & (rows_ - 1);
  }

  counter* slots_;
  size_t rows_;    // a power of two
  size_t stride_;  // counters per row: shards rounded up to fill 128-byte lines
};

}  // namespace maps
}  // namespace gort
