// align_test.cc — every power-of-two alignment from 1 B to 1 GiB, through memalign,
// posix_memalign, aligned_alloc and aligned operator new, with sizes below, at and above
// the alignment. Each block must be aligned, writable over its whole length, disjoint from
// the others live at the same time, and freeable; the heap's large bytes come back after.
#include <errno.h>
#include <malloc.h>

#include <algorithm>
#include <new>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/alloc/test_util.h"

namespace gort_test {
namespace {

constexpr int kMaxShift = 30;  // 1 GiB

struct Block {
  char* p;
  size_t n;
};

// Sizes tried for one alignment: below, at and above it, and both sides of 32 KiB.
std::vector<size_t> SizesFor(size_t a) {
  std::set<size_t> s = {0, 1, a / 2 + 1, a + 1};
  if (a <= (size_t{64} << 10)) s.insert({a - 1, a, 2 * a + 24, 32768, 40000});
  return {s.begin(), s.end()};
}

// Writes the whole block and reads it back. Past 4 MiB the middle is sampled every 256 KiB
// (first and last MiB in full) so the 1 GiB cases stay fast and small in memory.
::testing::AssertionResult Writable(const Block& b) {
  constexpr size_t kFull = size_t{4} << 20, kEdge = size_t{1} << 20, kStride = size_t{256} << 10;
  uint64_t seed = SeedOf(b.p, b.n);
  auto chunk = [&](size_t off, size_t len) {
    Fill(b.p + off, len, seed + off);
    return Intact(b.p + off, len, seed + off);
  };
  bool ok = true;
  if (b.n <= kFull) {
    ok = chunk(0, b.n);
  } else {
    ok = chunk(0, kEdge) && chunk(b.n - kEdge, kEdge);
    for (size_t off = kEdge; ok && off + 64 < b.n - kEdge; off += kStride) ok = chunk(off, 64);
  }
  if (ok) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "block " << (void*)b.p << " of " << b.n << " bytes";
}

// The blocks live at the same time must not overlap (a zero-byte block counts as one byte).
::testing::AssertionResult Disjoint(std::vector<Block> bs) {
  std::sort(bs.begin(), bs.end(), [](const Block& x, const Block& y) { return x.p < y.p; });
  for (size_t i = 1; i < bs.size(); i++) {
    if (bs[i - 1].p + std::max<size_t>(bs[i - 1].n, 1) > bs[i].p)
      return ::testing::AssertionFailure() << "blocks " << (void*)bs[i - 1].p << "+" << bs[i - 1].n
                                           << " and " << (void*)bs[i].p << " overlap";
  }
  return ::testing::AssertionSuccess();
}

using AllocFn = char* (*)(size_t align, size_t n);
using FreeFn = void (*)(char* p, size_t align, size_t n);

void Sweep(const char* name, AllocFn alloc, FreeFn release) {
  const uint64_t base = LargeInUse();
  for (int shift = 0; shift <= kMaxShift; shift++) {
    const size_t a = size_t{1} << shift;
    std::vector<Block> live;
    for (size_t n : SizesFor(a)) {
      char* p = alloc(a, n);
      ASSERT_NE(p, nullptr) << name << "(" << a << ", " << n << ")";
      EXPECT_TRUE(IsAligned(p, a)) << name << "(" << a << ", " << n << ") = " << (void*)p;
      live.push_back({p, n});
    }
    for (const Block& b : live) EXPECT_TRUE(Writable(b)) << name << " alignment " << a;
    EXPECT_TRUE(Disjoint(live)) << name << " alignment " << a;
    for (const Block& b : live) release(b.p, a, b.n);
    if (::testing::Test::HasFailure()) return;
  }
  EXPECT_EQ(LargeInUse(), base) << name << ": large blocks not given back";
}

void CFree(char* p, size_t, size_t) { API(free)(p); }

TEST(Align, Memalign) {
  Sweep("memalign", [](size_t a, size_t n) { return static_cast<char*>(API(memalign)(a, n)); }, CFree);
}

TEST(Align, AlignedAlloc) {
  Sweep("aligned_alloc", [](size_t a, size_t n) { return static_cast<char*>(API(aligned_alloc)(a, n)); },
        CFree);
}

// posix_memalign takes only multiples of sizeof(void*): below that it is EINVAL.
TEST(Align, PosixMemalign) {
  Sweep(
      "posix_memalign",
      [](size_t a, size_t n) -> char* {
        void* out = nullptr;
        int rc = API(posix_memalign)(&out, a < sizeof(void*) ? sizeof(void*) : a, n);
        return rc == 0 ? static_cast<char*>(out) : nullptr;
      },
      CFree);
  for (size_t a : {size_t{1}, size_t{2}, size_t{4}}) {
    void* out = nullptr;
    EXPECT_EQ(API(posix_memalign)(&out, a, 16), EINVAL) << a;
  }
}

#if !GORT_TEST_PREFIXED
TEST(Align, AlignedOperatorNew) {
  Sweep(
      "operator new(align_val_t)",
      [](size_t a, size_t n) { return static_cast<char*>(::operator new(n, std::align_val_t(a))); },
      [](char* p, size_t a, size_t n) {
        if (n % 2 == 0) ::operator delete(p, n, std::align_val_t(a));
        else ::operator delete(p, std::align_val_t(a));
      });
}

TEST(Align, AlignedOperatorNewArray) {
  Sweep(
      "operator new[](align_val_t)",
      [](size_t a, size_t n) { return static_cast<char*>(::operator new[](n, std::align_val_t(a))); },
      [](char* p, size_t a, size_t n) {
        if (n % 2 == 0) ::operator delete[](p, n, std::align_val_t(a));
        else ::operator delete[](p, std::align_val_t(a));
      });
}

TEST(Align, AlignedNothrowNew) {
  Sweep(
      "operator new(align_val_t, nothrow)",
      [](size_t a, size_t n) {
        return static_cast<char*>(::operator new(n, std::align_val_t(a), std::nothrow));
      },
      [](char* p, size_t a, size_t) { ::operator delete(p, std::align_val_t(a), std::nothrow); });
}

// Over-aligned types go through the aligned forms by themselves.
TEST(Align, OverAlignedTypes) {
  struct alignas(64) A64 { char c[100]; };
  struct alignas(4096) A4K { char c[10]; };
  struct alignas(1 << 16) A64K { int x; };
  for (int i = 0; i < 50; i++) {
    auto* a = new A64;
    auto* b = new A4K[3];
    auto* c = new A64K;
    EXPECT_TRUE(IsAligned(a, 64));
    EXPECT_TRUE(IsAligned(b, 4096));
    EXPECT_TRUE(IsAligned(c, 1 << 16));
    memset(a, 1, sizeof *a);
    memset(b, 2, 3 * sizeof *b);
    c->x = i;
    delete a;
    delete[] b;
    delete c;
  }
}
#endif

}  // namespace
}  // namespace gort_test
