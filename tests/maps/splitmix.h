// splitmix.h — Go oracles' key stream (splitmix64), shared by the maps tests and benchmarks so
// the C++ and Go sides draw the same keys.
#pragma once

#include <cstdint>

namespace gort::maps::test {

struct splitmix {
  uint64_t s;
  uint64_t next() {
    s += 0x9e3779b97f4a7c15ull;
    uint64_t z = s;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
};

}  // namespace gort::maps::test
