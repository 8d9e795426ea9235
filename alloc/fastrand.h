// fastrand.h — the runtime's cheap per-thread random numbers (Go: runtime.fastrand).
//
// The maps draw from it as Go's do: the per-map hash seed (hash0, drawn when a map is made
// and again whenever it becomes empty), the start bucket and slot offset of each range
// (randomised iteration order), and the probabilistic overflow-bucket counter of big maps
// (incrnoverflow for B >= 16). It is not a cryptographic source.
//
// The generator is wyrand: one 64-bit add and one 64x64->128 multiply per number. Each thread
// has its own state in initial-exec TLS (fastrand.cc), no sharing, no locks. State 0 means
// "not seeded yet": the first draw on a thread seeds it from getrandom(2) (no allocation, so
// the allocator may draw too), falling back to the thread's serial and the clock.
// fastrand_seed() makes a thread's sequence reproducible (tests).
#pragma once

#include <cstdint>

#include "alloc/config.h"

namespace gort {

namespace alloc {
extern constinit thread_local uint64_t tl_fastrand __attribute__((tls_model("initial-exec")))
GORT_RUNTIME_API;
uint64_t FastrandSeedThread() GORT_RUNTIME_API;  // seeds an unseeded thread, returns the state
}  // namespace alloc

inline uint64_t fastrand64() {
  uint64_t s = alloc::tl_fastrand;
  if (GORT_UNLIKELY(s == 0)) s = alloc::FastrandSeedThread();
  s += 0xa0761d6478bd642full;
  alloc::tl_fastrand = s;
  __uint128_t m = static_cast<__uint128_t>(s) * (s ^ 0xe7037ed1a0b428dbull);
  return static_cast<uint64_t>(m >> 64) ^ static_cast<uint64_t>(m);
}

inline uint32_t fastrand() { return static_cast<uint32_t>(fastrand64() >> 32); }

// Reseeds this thread's generator. Seed 0 (the "unseeded" state) is taken as seed 1.
inline void fastrand_seed(uint64_t seed) { alloc::tl_fastrand = seed != 0 ? seed : 1; }

}  // namespace gort
