// rand.h — fastrand: the cheap per-thread random source of gort's maps (Go: runtime.fastrand).
//
// The maps draw random numbers for three things, as Go's runtime does: the per-map hash seed
// (hash0, drawn when a map is made and again whenever it becomes empty), the start bucket
// and slot offset of each range (randomised iteration order), and the probabilistic
// overflow-bucket counter of big maps (incrnoverflow for B >= 16).
//
// The generator is wyrand: one 64-bit add and one 64x64->128 multiply per number. Each thread
// has its own state (no sharing, no locks), seeded on first use from std::random_device and
// the address of the state. Tests call fastrand_seed() to make a run reproducible.
#pragma once

#include <cstdint>
#include <random>

namespace gort::maps {

namespace detail {
inline uint64_t& fastrand_state() {
  thread_local uint64_t state = [] {
    std::random_device rd;
    uint64_t s = (uint64_t{rd()} << 32) ^ rd();
    return s ^ reinterpret_cast<uintptr_t>(&rd);
  }();
  return state;
}
}  // namespace detail

// Reseeds this thread's generator (tests: reproducible seeds, iteration orders, counters).
inline void fastrand_seed(uint64_t seed) { detail::fastrand_state() = seed; }

inline uint64_t fastrand64() {
  uint64_t& s = detail::fastrand_state();
  s += 0xa0761d6478bd642full;
  __uint128_t m = static_cast<__uint128_t>(s) * (s ^ 0xe7037ed1a0b428dbull);
  return static_cast<uint64_t>(m >> 64) ^ static_cast<uint64_t>(m);
}

inline uint32_t fastrand() { return static_cast<uint32_t>(fastrand64() >> 32); }

}  // namespace gort::maps
