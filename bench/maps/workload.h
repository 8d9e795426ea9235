// workload.h — the keys of the maps benchmarks, shared with go/main.go's description.
//
// Keys are drawn from splitmix64 (seed 1 for present keys, seed 2 for absent ones), so the
// C++ and Go runs see the same numbers. Key kinds:
//   u64    the number itself
//   str16  a 16-byte string: 16 hex digits of the number
//   str64  a 64-byte string: the 16 hex digits, then 48 bytes derived from them
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "tests/maps/splitmix.h"

namespace gort::bench {

using splitmix = gort::maps::test::splitmix;  // the Go oracles' key stream

inline std::string str_key(uint64_t x, size_t len) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(x));
  std::string s(buf, 16);
  while (s.size() < len) s += static_cast<char>('a' + (x >> (s.size() % 60)) % 26);
  return s;
}

inline std::vector<uint64_t> numbers(size_t n, uint64_t seed) {
  splitmix r{seed};
  std::vector<uint64_t> v(n);
  for (auto& x : v) x = r.next();
  return v;
}

}  // namespace gort::bench
