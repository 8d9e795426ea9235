// bench_maps.cc — gort::map against std::unordered_map, absl::flat_hash_map,
// boost::unordered_flat_map and tsl::robin_map, one Google Benchmark row per
// (operation, key kind, contender, size): "op/kind/contender/n".
//
// Operations (ops_per_iter says how many operations one iteration is):
//   insert      build a map of n keys from empty (no reserve); also reports bytes_per_entry:
//               what malloc holds for the map (mallinfo2), divided by n
//   lookup_hit  find a present key and read its value, the keys in random order
//   lookup_miss find an absent key
//   iterate     visit every entry, summing the values
//   churn       erase the oldest key, insert a new one, find a present one (size stays n)
//   erase       erase all n keys in random order
// Sizes 10^3 to 10^7 for every key kind; 10^7 string keys skip churn and erase (see
// register_contender).
// And one row that is no map: "memory_line/u64/floor/n" reads one random 64-byte line per
// operation from an array as big as gort::map's bucket array for n keys (huge pages, as the
// map's), picked by hashing the lookup keys: the memory floor of a lookup on this machine,
// against which the report states hits in lines.
// Every map uses its own default hash for the key type, and is built by emplace/try_emplace.
// Iteration counts are fixed (no estimation runs), so a 10^7-key map is built only a few times.
#include <benchmark/benchmark.h>
#include <malloc.h>
#include <sys/mman.h>

#include <absl/container/flat_hash_map.h>
#include <boost/unordered/unordered_flat_map.hpp>
#include <tsl/robin_map.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "bench/maps/workload.h"
#include "maps/map.h"

namespace gort::bench {
namespace {

// ---- contenders: one adapter each ----------------------------------------------------------

template <class M>
struct stl_like {
  using map_type = M;
  using K = typename M::key_type;
  static const uint64_t* find(M& m, const K& k) {
    auto it = m.find(k);
    return it == m.end() ? nullptr : &it->second;
  }
  static void insert(M& m, const K& k, uint64_t v) { m.try_emplace(k, v); }
  static void erase(M& m, const K& k) { m.erase(k); }
  static uint64_t sum(M& m) {
    uint64_t s = 0;
    for (const auto& kv : m) s += kv.second;
    return s;
  }
};

template <class K>
struct gort_adapter {
  using map_type = gort::map<K, uint64_t>;
  static const uint64_t* find(map_type& m, const K& k) { return m.lookup(k); }
  static void insert(map_type& m, const K& k, uint64_t v) { m.try_emplace(k, v); }
  static void erase(map_type& m, const K& k) { m.del(k); }
  static uint64_t sum(map_type& m) {
    uint64_t s = 0;
    for (auto [k, v] : m) s += v;
    return s;
  }
};

// ---- keys ----------------------------------------------------------------------------------

template <class K>
struct keyset {
  std::vector<K> present;  // in insertion order
  std::vector<K> shuffled; // present, in random order
  std::vector<K> absent;
};

template <class K>
K to_key(uint64_t x, size_t len) {
  if constexpr (std::is_same_v<K, uint64_t>) return x;
  else return str_key(x, len);
}

// The keys of the last (kind, n) asked for; one set is kept at a time.
template <class K>
const keyset<K>& keys(size_t n, size_t len) {
  static std::unique_ptr<keyset<K>> cache;
  static size_t cn = 0, clen = 0;
  if (!cache || cn != n || clen != len) {
    cache.reset();
    auto ks = std::make_unique<keyset<K>>();
    for (uint64_t x : numbers(n, 1)) ks->present.push_back(to_key<K>(x, len));
    for (uint64_t x : numbers(n, 2)) ks->absent.push_back(to_key<K>(x, len));
    ks->shuffled = ks->present;
    std::shuffle(ks->shuffled.begin(), ks->shuffled.end(), std::mt19937_64(3));
    cache = std::move(ks);
    cn = n;
    clen = len;
  }
  return *cache;
}

size_t heap_bytes() {
  struct mallinfo2 mi = mallinfo2();
  return mi.uordblks + mi.hblkhd;
}

// The map built last (by insert), kept for lookup_hit, lookup_miss, iterate and churn.
template <class A>
std::unique_ptr<typename A::map_type>& built() {
  static std::unique_ptr<typename A::map_type> m;
  return m;
}

template <class A, class K>
std::unique_ptr<typename A::map_type> build(const keyset<K>& ks) {
  auto m = std::make_unique<typename A::map_type>();
  for (size_t i = 0; i < ks.present.size(); i++) A::insert(*m, ks.present[i], i);
  return m;
}

template <class A, class K>
typename A::map_type& cached(const keyset<K>& ks) {
  auto& m = built<A>();
  if (!m || m->size() != ks.present.size()) {
    m.reset();
    m = build<A>(ks);
  }
  return *m;
}

// ---- operations ----------------------------------------------------------------------------

template <class A, class K>
void insert(benchmark::State& st, size_t n, size_t len) {
  const auto& ks = keys<K>(n, len);
  built<A>().reset();
  std::unique_ptr<typename A::map_type> m;
  size_t bytes = 0, before = 0;
  int64_t left = st.max_iterations;
  for (auto _ : st) {
    const bool last = --left == 0;  // the heap is measured around the last build only
    st.PauseTiming();
    m.reset();
    if (last) before = heap_bytes();
    st.ResumeTiming();
    m = std::make_unique<typename A::map_type>();
    for (size_t i = 0; i < n; i++) A::insert(*m, ks.present[i], i);
    if (last) bytes = heap_bytes() - before;
  }
  built<A>() = std::move(m);
  st.counters["ops_per_iter"] = double(n);
  st.counters["bytes_per_entry"] = double(bytes) / double(n);
}

template <class A, class K>
void lookup(benchmark::State& st, size_t n, size_t len, bool hit) {
  const auto& ks = keys<K>(n, len);
  auto& m = cached<A>(ks);
  const std::vector<K>& probe = hit ? ks.shuffled : ks.absent;
  size_t i = 0, found = 0;
  uint64_t sum = 0;
  for (auto _ : st) {  // a hit reads the value, as real code does
    const uint64_t* v = A::find(m, probe[i]);
    if (v != nullptr) {
      found++;
      sum += *v;
    }
    if (++i == n) i = 0;
  }
  benchmark::DoNotOptimize(sum);
  if (found != (hit ? size_t(st.iterations()) : 0)) st.SkipWithError("wrong lookup result");
  st.counters["ops_per_iter"] = 1;
}

template <class A, class K>
void iterate(benchmark::State& st, size_t n, size_t len) {
  auto& m = cached<A>(keys<K>(n, len));
  for (auto _ : st) benchmark::DoNotOptimize(A::sum(m));
  st.counters["ops_per_iter"] = double(n);
}

template <class A, class K>
void churn(benchmark::State& st, size_t n, size_t len) {
  const auto& ks = keys<K>(n, len);
  auto& m = cached<A>(ks);
  // Ring of 2n keys: before op j the map holds ring[j .. j+n).
  auto ring = [&](size_t j) -> const K& { j %= 2 * n; return j < n ? ks.present[j] : ks.absent[j - n]; };
  size_t j = 0, found = 0;
  for (auto _ : st) {
    A::erase(m, ring(j));
    A::insert(m, ring(j + n), j);
    found += A::find(m, ring(j + 1 + (j * 7919) % n)) != nullptr;
    j++;
  }
  if (found != size_t(st.iterations())) st.SkipWithError("churn lost a key");
  built<A>().reset();
  st.counters["ops_per_iter"] = 1;
}

template <class A, class K>
void erase(benchmark::State& st, size_t n, size_t len) {
  const auto& ks = keys<K>(n, len);
  for (auto _ : st) {
    st.PauseTiming();
    auto m = build<A>(ks);
    st.ResumeTiming();
    for (const K& k : ks.shuffled) A::erase(*m, k);
    st.PauseTiming();
    if (m->size() != 0) st.SkipWithError("erase left keys");
    m.reset();
    st.ResumeTiming();
  }
  st.counters["ops_per_iter"] = double(n);
}

// One random line per operation, the lookup_hit loop's shape without the map.
void memory_line(benchmark::State& st, size_t n) {
  const auto& ks = keys<uint64_t>(n, 8);
  const uint8_t B = maps::B_for_hint(n);
  const size_t bytes = ((size_t{1} << B) + (size_t{1} << (B - 4))) * sizeof(maps::bmap<uint64_t, uint64_t>);
  const size_t lines = bytes / 64;
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    st.SkipWithError("mmap failed");
    return;
  }
  maps::advise_huge_pages(p, bytes);
  std::memset(p, 1, bytes);
  const char* base = static_cast<const char*>(p);
  size_t i = 0;
  uint64_t sum = 0;
  for (auto _ : st) {
    const uint64_t h = maps::mix(ks.shuffled[i], maps::kMul);
    const size_t line = static_cast<size_t>((static_cast<__uint128_t>(h) * lines) >> 64);
    sum += *reinterpret_cast<const uint64_t*>(base + line * 64);
    if (++i == n) i = 0;
  }
  benchmark::DoNotOptimize(sum);
  munmap(p, bytes);
  st.counters["ops_per_iter"] = 1;
}

// ---- registration --------------------------------------------------------------------------

int64_t iters(size_t ops_per_iter, size_t budget) {
  return std::max<int64_t>(1, int64_t(budget / ops_per_iter));
}

template <class A, class K>
void register_contender(const std::string& kind, const std::string& name, size_t n, size_t len) {
  auto reg = [&](const std::string& op, int64_t it, auto fn) {
    benchmark::RegisterBenchmark((op + "/" + kind + "/" + name + "/" + std::to_string(n)).c_str(), fn)
        ->Iterations(it)
        ->Unit(benchmark::kNanosecond)
        ->UseRealTime();
  };
  const size_t big = n >= 1000000 ? 1 : 0;
  reg("insert", iters(n, 500000), [n, len](benchmark::State& s) { insert<A, K>(s, n, len); });
  reg("lookup_hit", big ? 2000000 : 1000000, [n, len](benchmark::State& s) { lookup<A, K>(s, n, len, true); });
  reg("lookup_miss", big ? 2000000 : 1000000, [n, len](benchmark::State& s) { lookup<A, K>(s, n, len, false); });
  reg("iterate", iters(n, 1000000), [n, len](benchmark::State& s) { iterate<A, K>(s, n, len); });
  // 10^7 string keys: insert, lookups and iteration only. Their keys live in 10^7 heap
  // blocks, so an erase run (a fresh build, then 10^7 erases, each freeing a key) is long for
  // every map, and churn at 10^7 shows nothing the 10^6 rows do not.
  if (std::is_same_v<K, std::string> && n >= 10000000) return;
  reg("churn", 500000, [n, len](benchmark::State& s) { churn<A, K>(s, n, len); });
  reg("erase", iters(n, 500000), [n, len](benchmark::State& s) { erase<A, K>(s, n, len); });
}

template <class K>
void register_kind(const std::string& kind, size_t len, const std::vector<size_t>& sizes) {
  for (size_t n : sizes) {
    register_contender<gort_adapter<K>, K>(kind, "gort", n, len);
    register_contender<stl_like<absl::flat_hash_map<K, uint64_t>>, K>(kind, "absl", n, len);
    register_contender<stl_like<boost::unordered_flat_map<K, uint64_t>>, K>(kind, "boost", n, len);
    register_contender<stl_like<tsl::robin_map<K, uint64_t>>, K>(kind, "tsl", n, len);
    register_contender<stl_like<std::unordered_map<K, uint64_t>>, K>(kind, "std", n, len);
  }
}

}  // namespace
}  // namespace gort::bench

int main(int argc, char** argv) {
  using namespace gort::bench;
  for (size_t n : {1000000, 10000000}) {
    benchmark::RegisterBenchmark(("memory_line/u64/floor/" + std::to_string(n)).c_str(),
                                 [n](benchmark::State& s) { memory_line(s, n); })
        ->Iterations(2000000)
        ->Unit(benchmark::kNanosecond)
        ->UseRealTime();
  }
  register_kind<uint64_t>("u64", 8, {1000, 10000, 100000, 1000000, 10000000});
  register_kind<std::string>("str16", 16, {1000, 10000, 100000, 1000000, 10000000});
  register_kind<std::string>("str64", 64, {1000, 10000, 100000, 1000000, 10000000});
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
