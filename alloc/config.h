// config.h — the allocator's fixed geometry and build-time switches.
//
// Everything here is a compile-time constant shared by every tier. The numbers follow Go's
// runtime on linux/amd64 (malloc.go): 8 KiB pages, 64 MiB arenas, 47-bit user addresses.
#pragma once

#include <cstddef>
#include <cstdint>

#ifndef GORT_CHECKS
#define GORT_CHECKS 1  // 0 none, 1 API misuse, 2 internal asserts, 3 invariant walks
#endif

#define GORT_INLINE inline __attribute__((always_inline))
#define GORT_NOINLINE __attribute__((noinline))
#define GORT_HIDDEN __attribute__((visibility("hidden")))
#define GORT_EXPORT __attribute__((visibility("default")))
// What the containers' inline code calls in the runtime core (thread.h, fastrand.h, check.h,
// runtime.h, slices/array.h): default visibility, so that shared objects built with hidden
// visibility all bind to the one runtime of the process when it is a shared library
// (libgort_runtime.so), instead of each keeping a copy of its own.
#define GORT_RUNTIME_API __attribute__((visibility("default")))
#define GORT_LIKELY(x) __builtin_expect(!!(x), 1)
#define GORT_UNLIKELY(x) __builtin_expect(!!(x), 0)

namespace gort::alloc {

inline constexpr unsigned kPageShift = 13;
inline constexpr size_t kPageSize = size_t{1} << kPageShift;  // 8 KiB, Go's _PageSize
inline constexpr unsigned kArenaShift = 26;
inline constexpr size_t kArenaSize = size_t{1} << kArenaShift;  // 64 MiB, Go's heapArenaBytes
inline constexpr size_t kPagesPerArena = kArenaSize / kPageSize;  // 8192
inline constexpr unsigned kAddrBits = 47;                        // x86-64 user space
inline constexpr size_t kArenaIndexSize = size_t{1} << (kAddrBits - kArenaShift);  // 2^21

inline constexpr size_t kMaxSmallSize = 32768;  // Go's _MaxSmallSize
inline constexpr size_t kMinAlign = 16;         // glibc's malloc alignment on x86-64
// Requests above this fail with ENOMEM without touching the heap (2^46 bytes: half the
// user address space, so page arithmetic can never overflow).
inline constexpr size_t kMaxRequest = size_t{1} << 46;

inline constexpr size_t kCacheLine = 64;

}  // namespace gort::alloc
