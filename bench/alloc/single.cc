// single.cc — one-thread cases: a malloc+free pair per size, and batches.
//
//  pair/<bytes>      malloc(bytes), write a word, free — the same object over and over, the
//                    best case of every thread cache; sizes 16 B .. 32 KiB (small) and 64 KiB,
//                    256 KiB, 1 MiB (large: each allocator's page-level path).
//  batch/64x100      malloc 100 objects of 64 B, then free them in the order they came: the
//  batch/64x1000     cache must hold (or refill and flush) a whole batch.
//  batch/mixed1000   1000 objects of mixed sizes (80% 16..256 B, 15% to 2 KiB, 5% to 16 KiB),
//                    freed in a shuffled order; sizes and order are fixed before timing.
// Every case counts one item per malloc+free pair, so items/s inverts to ns per pair.
#include <string>
#include <vector>

#include "bench/alloc/common.h"

namespace bench {
namespace {

void Pair(benchmark::State& state, size_t size) {
  for (auto _ : state) Put(Get(size));
  state.SetItemsProcessed(state.iterations());
}

void Batch(benchmark::State& state, size_t size, size_t n) {
  std::vector<void*> objs(n);
  for (auto _ : state) {
    for (void*& p : objs) p = Get(size);
    for (void* p : objs) Put(p);
  }
  state.SetItemsProcessed(state.iterations() * int64_t(n));
}

size_t MixedSize(Rng& rng) {
  uint64_t r = rng.Below(100);
  if (r < 80) return 16 + rng.Below(256 - 16 + 1);
  if (r < 95) return 257 + rng.Below(2048 - 257 + 1);
  return 2049 + rng.Below(16384 - 2049 + 1);
}

std::vector<size_t> Shuffled(size_t n, Rng& rng) {
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; i++) order[i] = i;
  for (size_t i = n - 1; i > 0; i--) std::swap(order[i], order[rng.Below(i + 1)]);
  return order;
}

void MixedBatch(benchmark::State& state, size_t n) {
  Rng rng(0x9e3779b97f4a7c15);
  std::vector<size_t> sizes(n);
  for (size_t& s : sizes) s = MixedSize(rng);
  std::vector<size_t> order = Shuffled(n, rng);
  std::vector<void*> objs(n);
  for (auto _ : state) {
    for (size_t i = 0; i < n; i++) objs[i] = Get(sizes[i]);
    for (size_t i : order) Put(objs[i]);
  }
  state.SetItemsProcessed(state.iterations() * int64_t(n));
}

constexpr size_t kPairSizes[] = {16,       32,       64,        128,        256,
                                 512,      1 << 10,  4 << 10,   8 << 10,    16 << 10,
                                 32 << 10, 64 << 10, 256 << 10, 1024 << 10};

}  // namespace

void RegisterSingle() {
  for (size_t size : kPairSizes)
    benchmark::RegisterBenchmark(("pair/" + std::to_string(size)).c_str(), Pair, size)
        ->MinTime(MinTime());
  for (size_t n : {100, 1000})
    benchmark::RegisterBenchmark(("batch/64x" + std::to_string(n)).c_str(), Batch, 64, n)
        ->MinTime(MinTime());
  benchmark::RegisterBenchmark("batch/mixed1000", MixedBatch, 1000)->MinTime(MinTime());
}

}  // namespace bench
