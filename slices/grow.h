// grow.h — how much a slice grows: Go's growslice capacity rule, in one constexpr function.
//
// When append needs more room than cap, Go 1.19's runtime.growslice (runtime/slice.go)
// picks the new capacity in three steps, and gort must land on the same number for every
// element size and every (old cap, needed) pair, because a program can print cap():
//
//   1. needed > 2*old_cap       -> new = needed            (a big append: take what is asked)
//      old_cap < 256            -> new = 2*old_cap         (small slices double)
//      otherwise                -> new += (new + 768) / 4  until new >= needed
//                                  (a smooth slide from 2x towards 1.25x)
//   2. bytes = RoundUpSize(new * elem_size)   — the allocator's size class, pages above
//      32 KiB: Go's roundupsize, the same table as alloc/ (alloc/sizeclasses.h), not a copy.
//   3. new = bytes / elem_size                 — the rounding's slack becomes capacity.
//
// Note the rule looks at the old *capacity*, not the length, and at the number needed
// (len + appended), so appending n at once and n times one give different capacities.
// A capacity whose bytes would pass kMaxAlloc fails as Go's does ("growslice: cap out of
// range"): GrowCap returns 0 and the caller raises the panic.
#pragma once

#include <cstddef>

#include "alloc/runtime.h"

namespace gort::slices {

// Go's maxAlloc on linux/amd64: no slice array may be larger (2^48 bytes).
inline constexpr size_t kMaxAlloc = size_t{1} << 48;

// Step 1: the capacity before rounding. Requires needed > old_cap.
constexpr size_t NextCap(size_t old_cap, size_t needed) {
  size_t doubled = old_cap * 2;
  if (needed > doubled) return needed;
  if (old_cap < 256) return doubled;
  size_t c = old_cap;
  while (c < needed) c += (c + 3 * 256) / 4;
  return c;
}

// Steps 1-3: the capacity growslice gives (> old_cap), or 0 where Go panics.
// Requires needed > old_cap.
constexpr size_t GrowCap(size_t old_cap, size_t needed, size_t elem_size) {
  if (needed > kMaxAlloc / elem_size) return 0;
  size_t c = NextCap(old_cap, needed);
  if (c > kMaxAlloc / elem_size) return 0;
  size_t bytes = runtime::roundupsize(c * elem_size);
  return bytes > kMaxAlloc ? 0 : bytes / elem_size;
}

// Spot checks against Go 1.19 (tests/slices/golden has the full tables).
static_assert(GrowCap(0, 1, 8) == 1 && GrowCap(1, 2, 8) == 2 && GrowCap(4, 5, 8) == 8);
static_assert(GrowCap(0, 1, 1) == 8 && GrowCap(0, 1, 24) == 1 && GrowCap(2, 3, 24) == 4);
static_assert(GrowCap(256, 257, 8) == 512 && GrowCap(512, 513, 8) == 848);
static_assert(GrowCap(0, 5, 8) == 6 && GrowCap(3, 100, 1) == 112);

}  // namespace gort::slices
