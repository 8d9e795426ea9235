// concurrent.cc — one lock, a sharded map, or sync.Map? The concurrent maps under real threads,
// one Google Benchmark row per (workload, contender):
//
//   mixed/r<read %>/<uniform|zipf>/<n>/<contender>/manual_time/threads:<T>
//
// Contenders (uint64 keys and values, each map with its default hash):
//   mutex, shared_mutex   baselines: one gort::map behind one std::mutex / std::shared_mutex
//                         (readers share it), the lock wrapped in a counting adapter
//   tbb                   tbb::concurrent_hash_map (oneTBB, libtbb-dev)
//   cuckoo                libcuckoo::cuckoohash_map (libcuckoo-dev)
//   boost                 boost::concurrent_flat_map (Boost 1.83)
//   sharded_mutex.S       gort::sharded_map with S shards, Lock = std::mutex
//   sharded_rw.S          gort::sharded_map with S shards, Lock = gort::rwlock
//   sharded_slots.S       gort::sharded_map with S shards, Lock = gort::slotted_rwlock (readers
//                         that take the lock count themselves in per-CPU slots)
//                         With these uint64 keys, gets read without the lock while no writer
//                         is in their shard (sharded_map.h, "Optimistic reads"): the lock kind
//                         matters for writes, and for the reads a writer sends to the lock.
//   sharded_spin.S        gort::sharded_map with S shards, Lock = gort::spin_rwlock (a writer
//                         releases with a plain store; waiters spin, then yield)
//   sync_map              gort::sync_map (Go's sync.Map)
// The gort rows are compiled only when maps/sharded_map.h and maps/sync_map.h exist. Built with
// GORT_CBENCH_STANDIN defined and the headers absent, stand-ins below take their place so the
// harness and the report can be checked end to end; the binary says which in its JSON
// context ("sharded_map" and "sync_map": "gort", "stand-in" or "absent").
//
// One row, step by step:
//   1. Keys: a universe of 2n distinct 62-bit keys, key(i) for i < 2n (a bijection, so no
//      two collide, and random-looking to every hash). The map is built once per
//      (contender, n) and prefilled with key(0..n), value = key; later rows of the same n
//      reuse it.
//   2. Each thread runs its own stream of kStreamLen operations, drawn before the timed
//      region and cycled: the key index is uniform over the 2n keys, or Zipf with θ = 0.99
//      over them (rank r is key perm[r], a fixed random permutation, so the hot keys are
//      scattered and half of them start present); the operation is a read with the row's
//      read ratio, the rest split evenly between set (insert or update) and delete. Every key
//      is set as often as it is deleted, so each is present about half of the time: the
//      population stays near n and a read hits about half of the time. An entry in the stream
//      is op << 62 | key.
//   3. The threads run in one common window (see "the row" below): they start together, and
//      the first to finish its iterations stops the others. items_per_second is all
//      threads' operations over the window's wall time.
//   4. Checks, after the loop: every value read equals its key (a set stores the key), and
//      where the map can tell its size, the population is within n/4 of n; else the row
//      fails with an error.
// Counters (each summed over threads):
//   ops         operations run in the window
//   cpu_ns      CPU time of the threads in the window (their thread CPU clocks)
//   window_ns   the window's length (thread 0 only)
//   contended   lock acquisitions that found the lock taken: the baselines' counting lock
//               (try_lock first, a failure counts) and sharded_map's own counters; absent in
//               the rows of tbb, cuckoo, boost and sync_map, which expose none
//   wait_ns     nanoseconds spent waiting in those acquisitions
//   population  the map's size after the row (thread 0), where the map has one
//
// The matrix: --cb_sizes, --cb_reads, --cb_dists, --cb_threads and --cb_shards, comma lists,
// pick the rows registered (defaults: the full sweep, see matrix); --benchmark_filter narrows
// them further. Rows run in the order n, distribution, read ratio, threads, contender, so the
// contenders of one workload run back to back.
#include <benchmark/benchmark.h>

#include <boost/unordered/concurrent_flat_map.hpp>
#include <libcuckoo/cuckoohash_map.hh>
#include <oneapi/tbb/concurrent_hash_map.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <time.h>

#include "bench/maps/workload.h"
#include "maps/map.h"

#if __has_include("maps/sharded_map.h")
#include "maps/sharded_map.h"
#define GORT_CB_SHARDED "gort"
#elif defined(GORT_CBENCH_STANDIN)
#define GORT_CB_SHARDED "stand-in"
#endif
#if __has_include("maps/sync_map.h")
#include "maps/sync_map.h"
#define GORT_CB_SYNC_MAP "gort"
#elif defined(GORT_CBENCH_STANDIN)
#define GORT_CB_SYNC_MAP "stand-in"
#endif

namespace gort::bench {
namespace {

// ---- contention counters -------------------------------------------------------------------

struct lock_stats {
  uint64_t contended = 0;
  uint64_t wait_ns = 0;
};

// The calling thread's waits in counting locks; each benchmark thread reads and resets its own.
thread_local lock_stats tls_waits;

uint64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch()).count();
}

// A lock that counts its contended acquisitions: try first; when the try fails, count one and
// time the blocking acquisition. The uncontended path costs the try alone.
template <class L>
class counting_lock {
 public:
  void lock() {
    if (!l_.try_lock()) [[unlikely]] wait(&L::lock);
  }
  void unlock() { l_.unlock(); }
  void lock_shared() {
    if (!l_.try_lock_shared()) [[unlikely]] wait(&L::lock_shared);
  }
  void unlock_shared() { l_.unlock_shared(); }

 private:
  [[gnu::noinline]] void wait(void (L::*acquire)()) {
    const uint64_t t0 = now_ns();
    (l_.*acquire)();
    tls_waits.contended++;
    tls_waits.wait_ns += now_ns() - t0;
  }
  L l_;
};

// ---- contenders: one adapter each ----------------------------------------------------------
// An adapter has map_type, make(shards), get(m, k, v&) -> hit, set(m, k, v), del(m, k), and
// optionally size(m) and stats(m) (the map's own contention counters, cumulative).

using u64 = uint64_t;

template <class L>
struct locked {
  struct map_type {
    alignas(64) counting_lock<L> mu;
    gort::map<u64, u64> m;
  };
  static constexpr bool kShared = std::is_same_v<L, std::shared_mutex>;
  static std::unique_ptr<map_type> make(int) { return std::make_unique<map_type>(); }
  static bool get(map_type& x, u64 k, u64& v) {
    if constexpr (kShared) {
      std::shared_lock g(x.mu);
      return read(x, k, v);
    } else {
      std::lock_guard g(x.mu);
      return read(x, k, v);
    }
  }
  static bool read(map_type& x, u64 k, u64& v) {
    const u64* p = x.m.lookup(k);
    if (p != nullptr) v = *p;
    return p != nullptr;
  }
  static void set(map_type& x, u64 k, u64 v) {
    std::lock_guard g(x.mu);
    x.m.set(k, v);
  }
  static void del(map_type& x, u64 k) {
    std::lock_guard g(x.mu);
    x.m.del(k);
  }
  static size_t size(map_type& x) { return x.m.len(); }
};

struct tbb_map {
  using map_type = tbb::concurrent_hash_map<u64, u64>;
  static std::unique_ptr<map_type> make(int) { return std::make_unique<map_type>(); }
  static bool get(map_type& m, u64 k, u64& v) {
    map_type::const_accessor a;
    if (!m.find(a, k)) return false;
    v = a->second;
    return true;
  }
  static void set(map_type& m, u64 k, u64 v) {
    map_type::accessor a;
    m.insert(a, k);
    a->second = v;
  }
  static void del(map_type& m, u64 k) { m.erase(k); }
  static size_t size(map_type& m) { return m.size(); }
};

struct cuckoo_map {
  using map_type = libcuckoo::cuckoohash_map<u64, u64>;
  static std::unique_ptr<map_type> make(int) { return std::make_unique<map_type>(); }
  static bool get(map_type& m, u64 k, u64& v) { return m.find(k, v); }
  static void set(map_type& m, u64 k, u64 v) { m.insert_or_assign(k, v); }
  static void del(map_type& m, u64 k) { m.erase(k); }
  static size_t size(map_type& m) { return m.size(); }
};

struct boost_map {
  using map_type = boost::concurrent_flat_map<u64, u64>;
  static std::unique_ptr<map_type> make(int) { return std::make_unique<map_type>(); }
  static bool get(map_type& m, u64 k, u64& v) {
    return m.visit(k, [&](const auto& kv) { v = kv.second; }) != 0;
  }
  static void set(map_type& m, u64 k, u64 v) { m.insert_or_assign(k, v); }
  static void del(map_type& m, u64 k) { m.erase(k); }
  static size_t size(map_type& m) { return m.size(); }
};

}  // namespace
}  // namespace gort::bench

// ---- stand-ins for gort's concurrent maps (GORT_CBENCH_STANDIN, headers absent) -------------
// Only to run the harness and the report before the real maps exist: the API they are
// written against, no performance of their own to speak of.
#if defined(GORT_CBENCH_STANDIN) && !__has_include("maps/sharded_map.h")
namespace gort {
template <class K, class V, class Hash = gort::hash<K>, class Eq = gort::equal_to<K>,
          class Lock = std::mutex>
class sharded_map {
 public:
  struct contention_t {
    uint64_t contended = 0;
    uint64_t wait_ns = 0;
  };
  explicit sharded_map(size_t shards) : shards_(shards), mask_(shards - 1) {}
  std::optional<V> get(const K& k) {
    shard& s = of(k);
    lock_read(s);
    const V* p = s.m.lookup(k);
    std::optional<V> v = p ? std::optional<V>(*p) : std::nullopt;
    unlock_read(s);
    return v;
  }
  void set(const K& k, const V& v) {
    shard& s = of(k);
    lock(s);
    s.m.set(k, v);
    s.mu.unlock();
  }
  bool del(const K& k) {
    shard& s = of(k);
    lock(s);
    const bool had = s.m.lookup(k) != nullptr;
    s.m.del(k);
    s.mu.unlock();
    return had;
  }
  size_t len() const {
    size_t n = 0;
    for (const auto& s : shards_) n += s.m.len();  // racy; the harness calls it when quiet
    return n;
  }
  contention_t contention() const {
    contention_t c;
    for (const auto& s : shards_) {
      c.contended += s.contended.load(std::memory_order_relaxed);
      c.wait_ns += s.wait_ns.load(std::memory_order_relaxed);
    }
    return c;
  }

 private:
  struct alignas(64) shard {
    Lock mu;
    gort::map<K, V, Hash, Eq> m;
    std::atomic<uint64_t> contended{0}, wait_ns{0};
  };
  shard& of(const K& k) { return shards_[(maps::mix(uint64_t(k), maps::kMul) >> 7) & mask_]; }
  void lock(shard& s) {
    if (s.mu.try_lock()) return;
    const uint64_t t0 = bench::now_ns();
    s.mu.lock();
    count(s, t0);
  }
  void lock_read(shard& s) {
    if constexpr (requires { s.mu.lock_shared(); }) {
      if (s.mu.try_lock_shared()) return;
      const uint64_t t0 = bench::now_ns();
      s.mu.lock_shared();
      count(s, t0);
    } else {
      lock(s);
    }
  }
  void unlock_read(shard& s) {
    if constexpr (requires { s.mu.unlock_shared(); }) s.mu.unlock_shared();
    else s.mu.unlock();
  }
  static void count(shard& s, uint64_t t0) {
    s.contended.fetch_add(1, std::memory_order_relaxed);
    s.wait_ns.fetch_add(bench::now_ns() - t0, std::memory_order_relaxed);
  }
  std::vector<shard> shards_;
  size_t mask_;
};
}  // namespace gort
#endif

#if defined(GORT_CBENCH_STANDIN) && !__has_include("maps/sync_map.h")
namespace gort {
template <class K, class V>
class sync_map {  // stand-in: one reader-writer lock around a map
 public:
  std::optional<V> load(const K& k) {
    std::shared_lock g(mu_);
    const V* p = m_.lookup(k);
    return p ? std::optional<V>(*p) : std::nullopt;
  }
  void store(const K& k, const V& v) {
    std::lock_guard g(mu_);
    m_.set(k, v);
  }
  void del(const K& k) {
    std::lock_guard g(mu_);
    m_.del(k);
  }

 private:
  std::shared_mutex mu_;
  gort::map<K, V> m_;
};
}  // namespace gort
#endif

namespace gort::bench {
namespace {

#ifdef GORT_CB_SHARDED
// sharded_map's own contention counters, summed over its shards (m.stats()); the stand-in
// has contention() with the same fields.
template <class M>
std::optional<lock_stats> own_stats(const M& m) {
  if constexpr (requires { m.stats().contended; m.stats().wait_ns; }) {
    const auto c = m.stats();
    return lock_stats{uint64_t(c.contended), uint64_t(c.wait_ns)};
  } else if constexpr (requires { m.contention().contended; m.contention().wait_ns; }) {
    const auto c = m.contention();
    return lock_stats{uint64_t(c.contended), uint64_t(c.wait_ns)};
  } else {
    return std::nullopt;
  }
}

template <class L>
struct sharded {
  using map_type = gort::sharded_map<u64, u64, gort::hash<u64>, gort::equal_to<u64>, L>;
  static std::unique_ptr<map_type> make(int shards) { return std::make_unique<map_type>(shards); }
  static bool get(map_type& m, u64 k, u64& v) {
    const std::optional<u64> r = m.get(k);
    if (r) v = *r;
    return r.has_value();
  }
  static void set(map_type& m, u64 k, u64 v) { m.set(k, v); }
  static void del(map_type& m, u64 k) { m.del(k); }
  static size_t size(map_type& m) { return m.len(); }
  static std::optional<lock_stats> stats(const map_type& m) { return own_stats(m); }
};
#endif

#ifdef GORT_CB_SYNC_MAP
struct sync_map_adapter {
  using map_type = gort::sync_map<u64, u64>;
  static std::unique_ptr<map_type> make(int) { return std::make_unique<map_type>(); }
  static bool get(map_type& m, u64 k, u64& v) {
    const std::optional<u64> r = m.load(k);
    if (r) v = *r;
    return r.has_value();
  }
  static void set(map_type& m, u64 k, u64 v) { m.store(k, v); }
  static void del(map_type& m, u64 k) { m.del(k); }
};
#endif

// ---- keys and operation streams ------------------------------------------------------------

constexpr int kOpShift = 62;
constexpr u64 kKeyMask = (u64{1} << kOpShift) - 1;
enum : u64 { kRead = 0, kSet = 1, kDel = 2 };
constexpr size_t kStreamLen = size_t{1} << 19;  // per thread, cycled
constexpr double kTheta = 0.99;

// A bijection of the 62-bit integers (odd multiplies and xor-shifts, modulo 2^62).
u64 key(u64 i) {
  u64 x = i & kKeyMask;
  x = (x * 0x9e3779b97f4a7c15ull) & kKeyMask;
  x ^= x >> 31;
  x = (x * 0xbf58476d1ce4e5b9ull) & kKeyMask;
  return x ^ (x >> 29);
}

enum class dist { uniform, zipf };

struct workload {
  size_t n;
  dist d;
  int read_pct;
  bool operator==(const workload&) const = default;
};

// Zipf ranks over [0, items), rank 0 the most frequent: Gray et al., "Quickly generating
// billion-record synthetic databases" (SIGMOD 1994), the generator YCSB uses.
class zipf {
 public:
  zipf(u64 items, double theta) : items_(items), theta_(theta) {
    double zn = 0;
    for (u64 i = 1; i <= items; i++) zn += 1.0 / std::pow(double(i), theta);
    zetan_ = zn;
    alpha_ = 1.0 / (1.0 - theta);
    eta_ = (1.0 - std::pow(2.0 / double(items), 1.0 - theta)) /
           (1.0 - (1.0 + std::pow(0.5, theta)) / zetan_);
  }
  u64 operator()(double u) const {  // u uniform in [0, 1)
    const double uz = u * zetan_;
    if (uz < 1.0) return 0;
    if (uz < 1.0 + std::pow(0.5, theta_)) return 1;
    const u64 r = u64(double(items_) * std::pow(eta_ * u - eta_ + 1.0, alpha_));
    return std::min(r, items_ - 1);
  }

 private:
  u64 items_;
  double theta_, zetan_, alpha_, eta_;
};

u64 below(splitmix& r, u64 bound) { return u64((__uint128_t(r.next()) * bound) >> 64); }

// What Zipf needs for n: the generator over 2n ranks and the rank -> key index permutation.
struct zipf_keys {
  zipf z;
  std::vector<uint32_t> perm;
  explicit zipf_keys(size_t n) : z(2 * n, kTheta), perm(2 * n) {
    for (size_t i = 0; i < perm.size(); i++) perm[i] = uint32_t(i);
    std::shuffle(perm.begin(), perm.end(), std::mt19937_64(n));
  }
};

std::vector<u64> make_stream(const workload& w, int thread, const zipf_keys* zk) {
  splitmix r{(w.n * 131 + size_t(w.d)) * 1009 + size_t(w.read_pct) * 17 + size_t(thread) + 1};
  const u64 reads = u64(w.read_pct) * 10, sets = reads + (1000 - reads) / 2;  // per mille
  std::vector<u64> s(kStreamLen);
  for (u64& e : s) {
    const u64 i = zk ? zk->perm[zk->z(double(r.next() >> 11) * 0x1p-53)] : below(r, 2 * w.n);
    const u64 o = below(r, 1000);
    e = (o < reads ? kRead : o < sets ? kSet : kDel) << kOpShift | key(i);
  }
  return s;
}

// ---- shared state of the rows: the built maps and the streams, under one mutex -------------
// Every thread of a row calls prepare() before its loop; the first to come builds what is
// missing, the others find it. Nothing of this is timed: the timer starts at the barrier that
// Google Benchmark places at the top of the loop.

struct shelf {
  std::mutex mu;
  size_t maps_n = 0;
  std::map<std::string, std::shared_ptr<void>> maps;  // contender -> its map, for maps_n keys
  std::optional<workload> streams_for;
  std::vector<std::vector<u64>> streams;  // [thread]
  std::unique_ptr<zipf_keys> zk;
};

shelf& the_shelf() {
  static shelf s;
  return s;
}

template <class A>
typename A::map_type& map_for(shelf& sh, const std::string& name, int shards, size_t n) {
  if (sh.maps_n != n) {
    sh.maps.clear();
    sh.maps_n = n;
  }
  auto& slot = sh.maps[name];
  if (!slot) {
    std::shared_ptr<typename A::map_type> m = A::make(shards);
    for (u64 i = 0; i < n; i++) A::set(*m, key(i), key(i));
    slot = m;
  }
  return *static_cast<typename A::map_type*>(slot.get());
}

const std::vector<u64>& stream_for(shelf& sh, const workload& w, int thread) {
  if (sh.streams_for != w) {
    sh.streams.clear();
    if (w.d == dist::zipf && (!sh.zk || sh.zk->perm.size() != 2 * w.n))
      sh.zk = std::make_unique<zipf_keys>(w.n);
    sh.streams_for = w;
  }
  if (sh.streams.size() <= size_t(thread)) sh.streams.resize(thread + 1);
  auto& s = sh.streams[thread];
  if (s.empty()) s = make_stream(w, thread, w.d == dist::zipf ? sh.zk.get() : nullptr);
  return s;
}

// ---- the row: a window in which every thread runs ---------------------------------------
// Google Benchmark times each thread on its own and averages: a thread that wakes late, or
// one that runs after another has finished, still counts as if they had overlapped. So a
// row measures its own window instead (UseManualTime):
//   1. after Google Benchmark's start barrier, the threads wait for each other once more,
//      spinning, so that each is running when the window opens; each then notes its start;
//   2. each runs batches of kBatch operations; the first thread to finish its iterations
//      closes the window (stop), and every thread stops at its next batch, noting its end
//      and CPU time, then burns its remaining iterations without operations;
//   3. window = last end - first start; throughput = all threads' operations / window
//      (items_per_second, as the manual time of every thread is the window).

constexpr int kMaxThreads = 256;
constexpr int64_t kBatch = 256;

struct alignas(64) thread_slot {
  uint64_t start_ns = 0, end_ns = 0, cpu_ns = 0, ops = 0;
};

struct window {
  std::atomic<int> arrived{0};
  alignas(64) std::atomic<bool> stop{false};
  thread_slot slot[kMaxThreads];
};

window& the_window() {
  static window w;
  return w;
}

uint64_t thread_cpu_ns() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return uint64_t(ts.tv_sec) * 1000000000u + uint64_t(ts.tv_nsec);
}

void start_together(window& win, int threads) {
  win.arrived.fetch_add(1, std::memory_order_acq_rel);
  while (win.arrived.load(std::memory_order_acquire) < threads) std::this_thread::yield();
}

template <class A>
std::optional<lock_stats> own_stats_of(typename A::map_type& m) {
  if constexpr (requires { A::stats(m); }) return A::stats(m);
  else return std::nullopt;
}

template <class A>
constexpr bool kCountingLock =
    std::is_same_v<A, locked<std::mutex>> || std::is_same_v<A, locked<std::shared_mutex>>;

// kBatch operations from the stream at i; returns the number of wrong values read.
template <class A>
u64 run_batch(typename A::map_type& m, const u64* s, size_t& i) {
  u64 bad = 0;
  for (int64_t j = 0; j < kBatch; j++) {
    const u64 e = s[i];
    i = (i + 1) & (kStreamLen - 1);
    const u64 k = e & kKeyMask;
    switch (e >> kOpShift) {
      case kRead: {
        u64 v = k;
        A::get(m, k, v);
        bad += v != k;
        break;
      }
      case kSet:
        A::set(m, k, k);
        break;
      default:
        A::del(m, k);
    }
  }
  return bad;
}

template <class A>
void mixed(benchmark::State& st, const workload& w, const std::string& name, int shards) {
  shelf& sh = the_shelf();
  typename A::map_type* mp;
  const u64* s;
  {
    std::lock_guard g(sh.mu);
    mp = &map_for<A>(sh, name, shards, w.n);
    s = stream_for(sh, w, st.thread_index()).data();
  }
  typename A::map_type& m = *mp;
  window& win = the_window();
  const int me = st.thread_index(), threads = st.threads();
  thread_slot& mine = win.slot[me];
  const std::optional<lock_stats> before = me == 0 ? own_stats_of<A>(m) : std::nullopt;
  tls_waits = {};
  size_t i = 0;
  u64 bad = 0, done = 0, cpu0 = 0;
  bool first = true, live = true;
  auto close = [&] {
    mine.end_ns = now_ns();
    mine.cpu_ns = thread_cpu_ns() - cpu0;
    mine.ops = done;
    live = false;
  };
  while (st.KeepRunningBatch(kBatch)) {
    if (!live) continue;
    if (first) [[unlikely]] {
      start_together(win, threads);
      mine.start_ns = now_ns();
      cpu0 = thread_cpu_ns();
      first = false;
    }
    if (win.stop.load(std::memory_order_relaxed)) {
      close();
      continue;
    }
    bad += run_batch<A>(m, s, i);
    done += kBatch;
    if (done >= uint64_t(st.max_iterations)) {
      win.stop.store(true, std::memory_order_relaxed);
      close();
    }
  }
  if (live) close();  // no batch ran (cannot happen with max_iterations >= 1)
  // Past the loop's closing barrier: every thread's operations are done and its slot written.
  uint64_t t0 = UINT64_MAX, t1 = 0;
  for (int t = 0; t < threads; t++) {
    t0 = std::min(t0, win.slot[t].start_ns);
    t1 = std::max(t1, win.slot[t].end_ns);
  }
  st.SetIterationTime(double(t1 - t0) * 1e-9);
  st.SetItemsProcessed(int64_t(done));
  st.counters["ops"] = double(done);
  st.counters["cpu_ns"] = double(mine.cpu_ns);
  if (bad != 0) st.SkipWithError("a read returned a value that was never stored");
  if constexpr (kCountingLock<A>) {
    st.counters["contended"] = double(tls_waits.contended);
    st.counters["wait_ns"] = double(tls_waits.wait_ns);
  }
  if (me != 0) return;
  st.counters["window_ns"] = double(t1 - t0);
  if (before) {
    const lock_stats after = *own_stats_of<A>(m);
    st.counters["contended"] = double(after.contended - before->contended);
    st.counters["wait_ns"] = double(after.wait_ns - before->wait_ns);
  }
  if constexpr (requires { A::size(m); }) {
    const size_t pop = A::size(m);
    st.counters["population"] = double(pop);
    if (pop + w.n / 4 < w.n || pop > w.n + w.n / 4)
      st.SkipWithError("the population drifted from n by more than n/4");
  }
  // The next run starts after every thread of this one has returned.
  win.arrived.store(0, std::memory_order_relaxed);
  win.stop.store(false, std::memory_order_relaxed);
}

// ---- the matrix and registration -----------------------------------------------------------

struct contender {
  std::string name;
  int shards;
  void (*run)(benchmark::State&, const workload&, const std::string&, int);
};

struct matrix {
  std::vector<int64_t> sizes{1000, 10000, 100000, 1000000};
  std::vector<int64_t> reads{99, 90, 50, 10};
  std::vector<std::string> dists{"uniform", "zipf"};
  std::vector<int64_t> threads{1, 2, 4, 8};
  std::vector<int64_t> shards{1, 2, 4, 8, 16, 32, 64, 128, 256};
};

std::vector<contender> contenders(const matrix& mx) {
  std::vector<contender> c = {
      {"mutex", 0, &mixed<locked<std::mutex>>},
      {"shared_mutex", 0, &mixed<locked<std::shared_mutex>>},
      {"tbb", 0, &mixed<tbb_map>},
      {"cuckoo", 0, &mixed<cuckoo_map>},
      {"boost", 0, &mixed<boost_map>},
  };
#ifdef GORT_CB_SHARDED
  for (int64_t s : mx.shards) c.push_back({"sharded_mutex." + std::to_string(s), int(s), &mixed<sharded<std::mutex>>});
  for (int64_t s : mx.shards) c.push_back({"sharded_rw." + std::to_string(s), int(s), &mixed<sharded<gort::rwlock>>});
  for (int64_t s : mx.shards) c.push_back({"sharded_slots." + std::to_string(s), int(s), &mixed<sharded<gort::slotted_rwlock>>});
  for (int64_t s : mx.shards) c.push_back({"sharded_spin." + std::to_string(s), int(s), &mixed<sharded<gort::spin_rwlock>>});
#endif
#ifdef GORT_CB_SYNC_MAP
  c.push_back({"sync_map", 0, &mixed<sync_map_adapter>});
#endif
  return c;
}

void register_all(const matrix& mx) {
  const std::vector<contender> cs = contenders(mx);
  for (int64_t n : mx.sizes)
    for (const std::string& d : mx.dists)
      for (int64_t r : mx.reads)
        for (int64_t t : mx.threads)
          for (const contender& c : cs) {
            const workload w{size_t(n), d == "zipf" ? dist::zipf : dist::uniform, int(r)};
            const std::string row = "mixed/r" + std::to_string(r) + "/" + d + "/" + std::to_string(n) + "/" + c.name;
            benchmark::RegisterBenchmark(row.c_str(), [w, c](benchmark::State& st) { c.run(st, w, c.name, c.shards); })
                ->Threads(int(t))
                ->UseManualTime()
                ->Unit(benchmark::kNanosecond);
          }
}

[[noreturn]] void usage(const std::string& why) {
  std::fprintf(stderr,
               "bench-concurrent: %s\n"
               "  --cb_sizes=N,...    prefilled keys (powers of ten from 1000)\n"
               "  --cb_reads=P,...    read percentages (even write share: 99, 90, 50, 10, ...)\n"
               "  --cb_dists=D,...    uniform, zipf\n"
               "  --cb_threads=T,...  threads per row\n"
               "  --cb_shards=S,...   sharded_map shard counts (powers of two)\n"
               "  plus Google Benchmark's own --benchmark_* flags\n",
               why.c_str());
  std::exit(2);
}

std::vector<std::string> split(std::string_view s) {
  std::vector<std::string> out;
  while (!s.empty()) {
    const size_t c = s.find(',');
    out.emplace_back(s.substr(0, c));
    s = c == std::string_view::npos ? std::string_view() : s.substr(c + 1);
  }
  return out;
}

std::vector<int64_t> numbers_of(const std::string& flag, std::string_view list) {
  std::vector<int64_t> v;
  for (const std::string& x : split(list)) {
    char* end = nullptr;
    const long long n = std::strtoll(x.c_str(), &end, 10);
    if (x.empty() || *end != '\0' || n <= 0) usage("bad number '" + x + "' in " + flag);
    v.push_back(n);
  }
  return v;
}

// Takes the --cb_* flags out of argv (Google Benchmark rejects flags it does not know).
matrix parse_matrix(int& argc, char** argv) {
  matrix mx;
  int out = 1;
  for (int i = 1; i < argc; i++) {
    const std::string_view a = argv[i];
    const size_t eq = a.find('=');
    const std::string flag(a.substr(0, eq));
    const std::string_view val = eq == std::string_view::npos ? std::string_view() : a.substr(eq + 1);
    if (flag == "--cb_sizes") mx.sizes = numbers_of(flag, val);
    else if (flag == "--cb_reads") mx.reads = numbers_of(flag, val);
    else if (flag == "--cb_threads") mx.threads = numbers_of(flag, val);
    else if (flag == "--cb_shards") mx.shards = numbers_of(flag, val);
    else if (flag == "--cb_dists") mx.dists = split(val);
    else if (flag.rfind("--cb_", 0) == 0) usage("unknown flag " + flag);
    else argv[out++] = argv[i];
  }
  argc = out;
  for (const auto& d : mx.dists)
    if (d != "uniform" && d != "zipf") usage("unknown distribution '" + d + "'");
  for (int64_t r : mx.reads)
    if (r > 100) usage("read ratios are percentages");
  for (int64_t s : mx.shards)
    if ((s & (s - 1)) != 0) usage("shard counts must be powers of two");
  for (int64_t n : mx.sizes)
    if (2 * n > int64_t(UINT32_MAX)) usage("sizes must be below 2^31");
  for (int64_t t : mx.threads)
    if (t > kMaxThreads) usage("at most " + std::to_string(kMaxThreads) + " threads");
  return mx;
}

}  // namespace
}  // namespace gort::bench

int main(int argc, char** argv) {
  using namespace gort::bench;
  const matrix mx = parse_matrix(argc, argv);
#ifdef GORT_CB_SHARDED
  benchmark::AddCustomContext("sharded_map", GORT_CB_SHARDED);
#else
  benchmark::AddCustomContext("sharded_map", "absent");
#endif
#ifdef GORT_CB_SYNC_MAP
  benchmark::AddCustomContext("sync_map", GORT_CB_SYNC_MAP);
#else
  benchmark::AddCustomContext("sync_map", "absent");
#endif
  register_all(mx);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
