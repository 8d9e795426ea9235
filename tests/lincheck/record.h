// record.h — runs scripts of calls on real threads and records the history for lincheck.h.
//
// One history:
//   1. The caller hands over one script per thread and the object's apply(op&), which makes
//      the call and writes its results into op.
//   2. A pool of threads (kept across histories: starting threads would cost more than the
//      calls, ten times more under ThreadSanitizer) wakes; the threads of this history meet
//      at a start line and leave it together, so that their calls overlap.
//   3. Each thread plays its script: a random pause, a tick of the clock, the call, a tick.
//      The pause is a yield one time in four, else 0 to max_pause spin-loop hints: spins
//      vary the interleavings of threads that run at once; yields make threads that share
//      a core (2 cores, up to 4 threads, other builds) take turns between calls too.
//   4. The caller gets the events back once every thread is done.
// The clock is one std::atomic counter advanced with seq_cst fetch_add, so a call's ticks
// bracket it in an order every thread agrees on (see "Time" in lincheck.h).
//
// explore() runs many random histories against fresh objects and checks each with
// check<M>(); it stops at the first that is not linearizable and explains it.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/lincheck/lincheck.h"
#include "tests/maps/splitmix.h"

namespace gort::lincheck {

inline void spin_hint() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

template <class Op>
class recorder {
 public:
  using script = std::vector<Op>;

  explicit recorder(int max_threads, int max_pause = 64) : max_pause_(max_pause) {
    for (int i = 0; i < max_threads; i++) pool_.emplace_back([this, i] { serve(i); });
  }
  ~recorder() {
    {
      std::lock_guard g(mu_);
      quit_ = true;
    }
    wake_.notify_all();
    for (auto& t : pool_) t.join();
  }
  recorder(const recorder&) = delete;
  recorder& operator=(const recorder&) = delete;

  int max_threads() const { return static_cast<int>(pool_.size()); }

  // Steps 1-4. scripts.size() <= max_threads(); seed varies the pauses.
  history<Op> run(const std::vector<script>& scripts, std::function<void(Op&)> apply,
                  uint64_t seed) {
    std::unique_lock lk(mu_);
    scripts_ = &scripts;
    apply_ = std::move(apply);
    seed_ = seed;
    threads_ = static_cast<int>(scripts.size());
    pending_ = threads_;
    arrived_.store(0, std::memory_order_relaxed);
    events_.assign(scripts.size(), {});
    generation_++;
    wake_.notify_all();
    done_.wait(lk, [&] { return pending_ == 0; });
    history<Op> h;
    for (auto& per_thread : events_) h.insert(h.end(), per_thread.begin(), per_thread.end());
    return h;
  }

 private:
  void serve(int id) {
    uint64_t seen = 0;
    std::unique_lock lk(mu_);
    for (;;) {
      wake_.wait(lk, [&] { return quit_ || generation_ != seen; });
      if (quit_) return;
      seen = generation_;
      if (id >= threads_) continue;
      lk.unlock();
      play(id);
      lk.lock();
      if (--pending_ == 0) done_.notify_one();
    }
  }

  // Steps 2 and 3 on thread id (its fields were published under mu_).
  void play(int id) {
    maps::test::splitmix rng{seed_ * 0x100000001b3ull + static_cast<uint64_t>(id)};
    std::vector<event<Op>>& out = events_[id];
    arrived_.fetch_add(1);
    while (arrived_.load() < threads_) std::this_thread::yield();
    for (Op op : (*scripts_)[id]) {
      const uint64_t r = rng.next();
      if (r % 4 == 0) {
        std::this_thread::yield();
      } else {
        for (uint64_t n = (r >> 2) % static_cast<uint64_t>(max_pause_ + 1); n > 0; n--)
          spin_hint();
      }
      event<Op> e;
      e.thread = static_cast<uint32_t>(id);
      e.call = clock_.fetch_add(1);
      apply_(op);
      e.ret = clock_.fetch_add(1);
      e.op = op;
      out.push_back(e);
    }
  }

  const int max_pause_;
  std::vector<std::thread> pool_;
  std::mutex mu_;
  std::condition_variable wake_, done_;
  // Under mu_ (read by the pool's threads after they wake, until they report done):
  bool quit_ = false;
  uint64_t generation_ = 0;
  int threads_ = 0, pending_ = 0;
  const std::vector<script>* scripts_ = nullptr;
  std::function<void(Op&)> apply_;
  uint64_t seed_ = 0;
  std::vector<std::vector<event<Op>>> events_;  // events_[t]: written by thread t only
  std::atomic<int> arrived_{0};                 // the start line
  std::atomic<uint64_t> clock_{0};
};

// What explore() found.
struct exploration {
  int histories = 0;    // run, the failing one included
  bool ok = true;
  std::string report;   // the failing history, explained
  double seconds = 0;
};

// Runs up to `histories` random histories, each on a fresh Object (default-constructed, with
// apply(op&)), with scripts from make_scripts(rng); stops at the first violation.
template <model M, class Object>
exploration explore(recorder<typename M::op>& rec, int histories, uint64_t seed,
                    const std::function<std::vector<std::vector<typename M::op>>(
                        maps::test::splitmix&)>& make_scripts) {
  using op = typename M::op;
  const auto start = std::chrono::steady_clock::now();
  maps::test::splitmix rng{seed};
  exploration x;
  while (x.histories < histories) {
    x.histories++;
    auto scripts = make_scripts(rng);
    Object obj;
    history<op> h = rec.run(scripts, [&obj](op& o) { obj.apply(o); }, rng.next());
    verdict v = check<M>(h);
    if (!v) {
      x.ok = false;
      x.report = explain<M>(h, v);
      break;
    }
  }
  x.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return x;
}

}  // namespace gort::lincheck
