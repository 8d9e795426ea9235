// Retention: a 16-byte slice of a 64 MiB array keeps all 64 MiB alive, as in Go; clone
// releases it. Measured with the heap's own accounting (gort's large spans, or ASan's
// allocated bytes in the sanitize build) and with the process's resident set.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>

#include "slices/slice.h"

// The sanitize build's slices stand on the C library's malloc (alloc/runtime.h).
#if defined(GORT_SANITIZE) && GORT_SANITIZE
#define HEAP_IS_LIBC 1
#else
#define HEAP_IS_LIBC 0
#endif

#if HEAP_IS_LIBC
#include <malloc.h>
#if defined(__SANITIZE_ADDRESS__)  // from the ASan runtime (sanitizer/allocator_interface.h)
extern "C" size_t __sanitizer_get_current_allocated_bytes();
#endif
#else
#include "alloc/gort.h"
#endif

namespace gort {
namespace {

constexpr size_t kMiB = size_t{1} << 20;

// Bytes the allocator that backs slices holds for live objects.
size_t HeapBytes() {
#if !HEAP_IS_LIBC
  gort_stats st;
  gort_get_stats(&st);
  return st.large_inuse + st.small_spans;
#elif defined(__SANITIZE_ADDRESS__)
  return __sanitizer_get_current_allocated_bytes();
#else
  struct mallinfo2 mi = mallinfo2();
  return mi.uordblks + mi.hblkhd;
#endif
}

size_t ResidentBytes() {
  long pages = 0, resident = 0;
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (!f) return 0;
  if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
  std::fclose(f);
  return size_t(resident) * 4096;
}

TEST(SliceRetention, SmallSubSliceKeepsBigArrayUntilCloned) {
  size_t heap0 = HeapBytes();
  auto big = make<unsigned char>(64 * kMiB);
  std::memset(big.data(), 1, big.len());  // resident
  auto small = big.sub(1000, 1016);       // 16 bytes
  big = slice<unsigned char>();
  EXPECT_GE(small.array_bytes(), 64 * kMiB);  // the problem: all of it is kept
  EXPECT_GE(HeapBytes(), heap0 + 64 * kMiB);
  EXPECT_GE(ResidentBytes(), 64 * kMiB);  // (freed pages may be reused, so not rss0 + 64)
  small = clone(small);  // the fix: a 16-byte array of its own; the big one dies
  EXPECT_LE(small.array_bytes(), 128u);
  EXPECT_EQ(small.len(), 16u);
  EXPECT_EQ(small[15], 1);
  EXPECT_LT(HeapBytes(), heap0 + kMiB);
}

}  // namespace
}  // namespace gort
