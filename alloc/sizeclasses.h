// sizeclasses.h — Go's size classes as one constexpr table.
//
// Small objects (<= 32 KiB) are rounded up to one of 67 classes; each class is carved out of
// spans of a fixed number of 8 KiB pages. The class sizes and pages per span are Go 1.19's
// (runtime/sizeclasses.go, made by mksizeclasses.go: at most 12.5% tail waste per span and
// alignment to the largest power of two dividing the size, up to 8 KiB). Everything else in
// this file — objects per span, the size->class lookups, the batch and cache limits — is
// derived from those two columns at compile time, and tests/alloc check it against Go's file.
//
// slices/ rounds capacities with RoundUpSize(), exactly as Go's growslice calls roundupsize.
//
// Alignment: an object of class c is aligned to the largest power of two dividing its size
// (spans start on a page): >= 16 for every class but 8 and 24. C (and glibc) promise 16 for
// any request that could hold a 16-byte type, so malloc's lookup (SizeToClass) sends 17..24
// bytes to the 32-byte class and only 1..8 bytes to the 8-byte one; Go's own rounding
// (RoundUpSize, for slices/) keeps the 24-byte class. Aligned requests (memalign, aligned new)
// pick the smallest class whose size is a multiple of the alignment (SizeToClassAligned).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "alloc/config.h"

namespace gort::alloc {

inline constexpr int kNumClasses = 68;  // class 0 means "not a small object"

inline constexpr std::array<uint16_t, kNumClasses> kClassSize = {
    0,     8,     16,    24,    32,    48,    64,    80,    96,    112,   128,   144,
    160,   176,   192,   208,   224,   240,   256,   288,   320,   352,   384,   416,
    448,   480,   512,   576,   640,   704,   768,   896,   1024,  1152,  1280,  1408,
    1536,  1792,  2048,  2304,  2688,  3072,  3200,  3456,  4096,  4864,  5376,  6144,
    6528,  6784,  6912,  8192,  9472,  9728,  10240, 10880, 12288, 13568, 14336, 16384,
    18432, 19072, 20480, 21760, 24576, 27264, 28672, 32768};

inline constexpr std::array<uint8_t, kNumClasses> kClassPages = {
    0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 1, 2, 1, 2, 1, 3, 2, 3, 1, 3,
    2, 3, 4, 5, 6, 1, 7, 6, 5, 4, 3, 5, 7, 2, 9, 7, 5, 8, 3, 10, 7, 4};

constexpr uint32_t ClassObjects(int c) {
  return c == 0 ? 0 : uint32_t(kClassPages[c] * kPageSize / kClassSize[c]);
}

namespace detail {
// Smallest class whose size is >= n (n <= kMaxSmallSize); 0 -> class 1 so malloc(0) is
// unique. With malloc_align, a request over 8 bytes skips classes that are not 16-aligned.
constexpr uint8_t ClassFor(size_t n, bool malloc_align) {
  for (int c = 1; c < kNumClasses; c++) {
    if (kClassSize[c] < n) continue;
    if (malloc_align && n > 8 && kClassSize[c] % kMinAlign != 0) continue;
    return uint8_t(c);
  }
  return 0;
}
constexpr auto MakeClass8(bool malloc_align) {
  std::array<uint8_t, 1024 / 8 + 1> t{};
  for (size_t i = 0; i < t.size(); i++) t[i] = ClassFor(i * 8, malloc_align);
  return t;
}
constexpr auto MakeClass128() {
  std::array<uint8_t, (kMaxSmallSize - 1024) / 128 + 1> t{};
  for (size_t i = 0; i < t.size(); i++) t[i] = ClassFor(1024 + i * 128, false);
  return t;
}
inline constexpr auto kGoSizeToClass8 = MakeClass8(false);
}  // namespace detail

// size -> class for malloc, two tables as Go: 8-byte steps up to 1 KiB, 128-byte steps up to
// 32 KiB (above 1 KiB every class is 16-aligned, so Go's and malloc's lookups agree there).
alignas(kCacheLine) inline constexpr auto kSizeToClass8 = detail::MakeClass8(true);
alignas(kCacheLine) inline constexpr auto kSizeToClass128 = detail::MakeClass128();

// Class of a small request; the caller guarantees size <= kMaxSmallSize.
GORT_INLINE uint32_t SizeToClass(size_t size) {
  if (size <= 1024) return kSizeToClass8[(size + 7) >> 3];
  return kSizeToClass128[(size - 1024 + 127) >> 7];
}

// Smallest class that holds size bytes at an address aligned to align (a power of two);
// 0 if none (then the request is served as a large, page-aligned span).
constexpr uint32_t SizeToClassAligned(size_t size, size_t align) {
  if (size > kMaxSmallSize || align > kPageSize) return 0;
  for (int c = 1; c < kNumClasses; c++)
    if (kClassSize[c] >= size && kClassSize[c] % align == 0) return uint32_t(c);
  return 0;
}

// Go's roundupsize: the bytes a request of size really gets (pages above 32 KiB).
constexpr size_t RoundUpSize(size_t size) {
  if (size <= kMaxSmallSize) {
    uint32_t c = size <= 1024 ? detail::kGoSizeToClass8[(size + 7) >> 3]
                              : kSizeToClass128[(size - 1024 + 127) >> 7];
    return size == 0 ? 0 : kClassSize[c];
  }
  if (size + kPageSize < size) return size;
  return (size + kPageSize - 1) & ~(kPageSize - 1);
}

// How many objects move between a thread cache and mcentral at once (tcmalloc's
// num_objects_to_move idea): about 64 KiB per batch, between 2 and 32 objects.
constexpr uint32_t ClassBatch(int c) {
  if (c == 0) return 0;
  uint32_t n = uint32_t(65536 / kClassSize[c]);
  return n < 2 ? 2 : n > 32 ? 32 : n;
}

// A thread cache's list of class c starts with room for one batch plus one (so a refill into
// the empty list never fills it: at most 2.6 MiB over all classes) and grows by a batch at
// each refill, tcmalloc's slow start, up to ClassCacheLimit objects (at most 8192 or 512 KiB)
// while the thread's budget allows.
constexpr uint32_t ClassCacheInitial(int c) { return c == 0 ? 0 : ClassBatch(c) + 1; }
constexpr uint32_t ClassCacheLimit(int c) {
  if (c == 0) return 0;
  uint32_t n = uint32_t((512u << 10) / kClassSize[c]);
  if (n > 8192) n = 8192;
  return n < ClassCacheInitial(c) ? ClassCacheInitial(c) : n;
}

// The table's properties, checked at compile time (tests print and re-check them).
constexpr bool ClassTableIsValid() {
  for (int c = 1; c < kNumClasses; c++) {
    if (c > 1 && kClassSize[c] <= kClassSize[c - 1]) return false;           // monotone
    if (kClassSize[c] % 8 != 0) return false;                                // 8-aligned
    if (ClassObjects(c) == 0) return false;                                  // fits a span
    size_t tail = kClassPages[c] * kPageSize - ClassObjects(c) * kClassSize[c];
    if (tail * 8 > kClassPages[c] * kPageSize) return false;                 // tail <= 12.5%
  }
  return kClassSize[kNumClasses - 1] == kMaxSmallSize;
}
static_assert(ClassTableIsValid());
static_assert(SizeToClassAligned(24, 16) == 4 && SizeToClassAligned(100, 64) == 10);
static_assert(kSizeToClass8[3] == 4 && RoundUpSize(24) == 24, "malloc(24) is 16-aligned; Go's is 24");

}  // namespace gort::alloc
