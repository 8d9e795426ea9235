// spsc.h — a bounded single-producer single-consumer ring of pointers, for the cross-thread
// cases: one thread mallocs and pushes, the other pops and frees.
//
// Lamport's ring with cached indices (each side re-reads the other's index only when its cached
// copy says full/empty), so a hand-over costs about one shared cache line per slot line, not
// one per index. Indices grow without bound; slot = index % N.
// Invariant: 0 <= tail - head <= N. Only the producer writes tail_ and head_seen_; only the
// consumer writes head_ and tail_seen_. tail_ is released after the slot is written and
// acquired before it is read; head_ likewise for the slot's reuse.
// Waiting: spin with pause, then yield — the machine may have fewer free cores than threads.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <thread>

namespace bench {

class Backoff {
 public:
  void Wait() {
    if (++spins_ < 64) {
      __builtin_ia32_pause();
      return;
    }
    std::this_thread::yield();
  }

 private:
  uint32_t spins_ = 0;
};

template <size_t N>
class SpscRing {
  static_assert((N & (N - 1)) == 0, "N must be a power of two");

 public:
  void Push(void* p) {
    size_t t = tail_.load(std::memory_order_relaxed);
    for (Backoff b; t - head_seen_ == N; b.Wait())
      head_seen_ = head_.load(std::memory_order_acquire);
    slots_[t % N] = p;
    tail_.store(t + 1, std::memory_order_release);
  }

  void* Pop() {
    size_t h = head_.load(std::memory_order_relaxed);
    for (Backoff b; h == tail_seen_; b.Wait()) tail_seen_ = tail_.load(std::memory_order_acquire);
    void* p = slots_[h % N];
    head_.store(h + 1, std::memory_order_release);
    return p;
  }

 private:
  alignas(64) std::atomic<size_t> tail_{0};  // producer
  size_t head_seen_ = 0;
  alignas(64) std::atomic<size_t> head_{0};  // consumer
  size_t tail_seen_ = 0;
  alignas(64) void* slots_[N];
};

}  // namespace bench
