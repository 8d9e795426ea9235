// test_util.h — what the black-box allocator tests share: a deterministic random source,
// pattern-filled objects, alignment arithmetic, and access to gort's statistics.
//
// A test binary is built in one of three ways, told apart by compile definitions:
//   GORT_TEST_PREFIXED  links gort::alloc and calls the gort_* names (malloc stays glibc's);
//   GORT_TEST_LINKED    links gort::alloc or gort::override, so gort_get_stats is at hand;
//   neither             links no gort at all: run under LD_PRELOAD, or as the glibc reference.
// API(f) names the function under test: gort_f in the prefixed build, f otherwise.
#pragma once

#include <dlfcn.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>

#include "alloc/gort.h"

#if GORT_TEST_PREFIXED
#define API(f) gort_##f
#else
#define API(f) f
#endif

namespace gort_test {

// splitmix64: a good 64-bit mix, used both as the random source and as the pattern.
inline uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9;
  x = (x ^ (x >> 27)) * 0x94d049bb133111eb;
  return x ^ (x >> 31);
}

class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t Next() { return Mix(s_++); }
  // Uniform in [0, n).
  uint64_t Below(uint64_t n) { return n == 0 ? 0 : Next() % n; }
  // Uniform in [lo, hi].
  uint64_t Range(uint64_t lo, uint64_t hi) { return lo + Below(hi - lo + 1); }
  bool Chance(unsigned percent) { return Below(100) < percent; }

 private:
  uint64_t s_;
};

// The seed of an object's pattern, from where it lives and how big it is.
inline uint64_t SeedOf(const void* p, size_t n) {
  return Mix(reinterpret_cast<uintptr_t>(p) * 31 + n);
}

// Word k of the pattern of seed: cheap (one multiply), different in every word and seed.
inline uint64_t Word(uint64_t seed, size_t k) { return ((seed + k) * 0x9e3779b97f4a7c15) ^ seed; }

// Fills n bytes at p with the pattern of seed.
inline void Fill(void* p, size_t n, uint64_t seed) {
  auto* b = static_cast<unsigned char*>(p);
  size_t k = 0;
  for (; (k + 1) * 8 <= n; k++) {
    uint64_t w = Word(seed, k);
    memcpy(b + k * 8, &w, 8);
  }
  uint64_t w = Word(seed, k);
  memcpy(b + k * 8, &w, n - k * 8);
}

// Offset of the first byte of [p, p+n) that breaks the pattern of seed, or SIZE_MAX.
inline size_t FirstBad(const void* p, size_t n, uint64_t seed) {
  auto* b = static_cast<const unsigned char*>(p);
  size_t k = 0;
  for (; (k + 1) * 8 <= n; k++) {
    uint64_t w = Word(seed, k), got;
    memcpy(&got, b + k * 8, 8);
    if (got != w) break;
  }
  for (size_t i = k * 8; i < n; i++) {
    uint64_t w = Word(seed, i / 8);
    if (b[i] != static_cast<unsigned char>(w >> (8 * (i % 8)))) return i;
  }
  return SIZE_MAX;
}

inline bool Intact(const void* p, size_t n, uint64_t seed) { return FirstBad(p, n, seed) == SIZE_MAX; }

inline bool AllZero(const void* p, size_t n) {
  auto* b = static_cast<const unsigned char*>(p);
  for (size_t i = 0; i < n; i++)
    if (b[i] != 0) return false;
  return true;
}

inline bool IsAligned(const void* p, size_t align) {
  return reinterpret_cast<uintptr_t>(p) % align == 0;
}

// Smallest power of two >= n (n >= 1).
inline size_t CeilPow2(size_t n) {
  size_t a = 1;
  while (a < n) a <<= 1;
  return a;
}

// Largest power of two <= n (n >= 1).
inline size_t FloorPow2(size_t n) { return size_t{1} << (63 - __builtin_clzl(n)); }

// The alignment C guarantees for an n-byte block (C23 7.24.3: any type of fundamental
// alignment whose size is <= n): 16 on x86-64 for n >= 16, else the largest power of two <= n.
inline size_t FundamentalAlign(size_t n) {
  if (n == 0) return 1;
  size_t a = FloorPow2(n);
  return a < alignof(max_align_t) ? a : alignof(max_align_t);
}

// "0x7ffd1234": how gort's fatal messages print an address.
inline std::string Hex(const void* p) {
  char buf[32];
  snprintf(buf, sizeof buf, "0x%lx", static_cast<unsigned long>(reinterpret_cast<uintptr_t>(p)));
  return buf;
}

// Keeps the compiler from proving anything about p (allocation elision, dead stores).
inline void Escape(void* p) { asm volatile("" : : "g"(p) : "memory"); }

// gort's statistics: direct when linked, through the preloaded libgort.so otherwise.
// Returns false when gort is not in the process.
inline bool Stats(gort_stats* out) {
#if GORT_TEST_LINKED
  gort_get_stats(out);
  return true;
#else
  using Fn = void (*)(gort_stats*);
  static Fn fn = reinterpret_cast<Fn>(dlsym(RTLD_DEFAULT, "gort_get_stats"));
  if (fn == nullptr) return false;
  fn(out);
  return true;
#endif
}

inline uint64_t LargeInUse() {
  gort_stats s{};
  Stats(&s);
  return s.large_inuse;
}

}  // namespace gort_test
