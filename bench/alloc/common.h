// common.h — what every allocator benchmark case shares: how an object is used, a
// deterministic random stream, and the names of the cases (report_alloc.py parses them).
//
// Using an object: each case writes one word into every object it gets and passes the pointer
// through benchmark::DoNotOptimize, so the compiler can neither drop the malloc/free pair nor
// fold it; the write also makes an allocator that hands back unmapped memory pay its page fault
// as a real program would. Sizes below 8 bytes are never asked for, so the word always fits.
#pragma once

#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>

namespace bench {

inline void* Get(size_t size) {
  void* p = malloc(size);
  *static_cast<uintptr_t*>(p) = size;
  benchmark::DoNotOptimize(p);
  return p;
}

inline void Put(void* p) {
  benchmark::DoNotOptimize(p);
  free(p);
}

// xorshift64: the same stream on every run and every contender.
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t Next() {
    s_ ^= s_ << 13;
    s_ ^= s_ >> 7;
    s_ ^= s_ << 17;
    return s_;
  }
  uint64_t Below(uint64_t n) { return Next() % n; }

 private:
  uint64_t s_;
};

// Minimum time per case, seconds: BENCH_MIN_TIME overrides the default (report --quick).
double MinTime();

void RegisterSingle();   // single.cc: pair/<bytes>, batch/...
void RegisterThreads();  // threads.cc: xthread/..., threads2/...

}  // namespace bench
