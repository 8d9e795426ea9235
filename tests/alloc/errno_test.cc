// errno_test.cc — glibc's return values and errno for the C allocation surface.
//
// Built twice: with gort::override (malloc itself is gort) and, as GORT_TEST_PREFIXED, with
// gort::alloc calling gort_malloc & co. The expectations are glibc 2.36's, written out here;
// glibc_semantics.sh also compares the same corner cases against glibc live.
#include <errno.h>
#include <malloc.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>

#include <gtest/gtest.h>

#include "tests/alloc/test_util.h"

namespace gort_test {
namespace {

constexpr size_t kHalf = SIZE_MAX / 2 + 1;  // 2^63

size_t PageSize() { return size_t(sysconf(_SC_PAGESIZE)); }

// Checks that p is null and errno is want; resets errno.
void ExpectFail(const void* p, int want, const char* what) {
  EXPECT_EQ(p, nullptr) << what;
  EXPECT_EQ(errno, want) << what << ": errno " << strerror(errno);
  errno = 0;
}

TEST(Errno, MallocTooBigIsEnomem) {
  for (size_t n : {SIZE_MAX, SIZE_MAX - 4096, kHalf, size_t{PTRDIFF_MAX} + 1, size_t{1} << 50}) {
    errno = 0;
    ExpectFail(API(malloc)(n), ENOMEM, "malloc(huge)");
  }
}

TEST(Errno, MallocZeroIsUniqueAndFreeable) {
  void* a = API(malloc)(0);
  void* b = API(malloc)(0);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_NE(a, b);
  API(free)(a);
  API(free)(b);
  API(free)(nullptr);  // a no-op
}

TEST(Errno, SuccessLeavesErrnoAlone) {
  for (size_t n : {size_t{1}, size_t{100}, size_t{40000}, size_t{1} << 22}) {
    errno = 1234;
    void* p = API(malloc)(n);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(errno, 1234) << "malloc(" << n << ")";
    API(free)(p);
    EXPECT_EQ(errno, 1234) << "free() of " << n << " bytes (glibc >= 2.33 keeps errno)";
  }
}

TEST(Errno, CallocOverflowIsEnomem) {
  const size_t pairs[][2] = {{kHalf, 2}, {2, kHalf}, {SIZE_MAX, SIZE_MAX}, {size_t{1} << 32, size_t{1} << 32},
                             {1, SIZE_MAX}, {SIZE_MAX, 1}, {size_t{1} << 25, size_t{1} << 25}};
  for (const auto& pr : pairs) {
    errno = 0;
    ExpectFail(API(calloc)(pr[0], pr[1]), ENOMEM, "calloc overflow/too big");
  }
}

TEST(Errno, CallocOfNothingIsNonNull) {
  for (auto [n, m] : {std::pair<size_t, size_t>{0, 0}, {0, 100}, {100, 0}}) {
    void* p = API(calloc)(n, m);
    EXPECT_NE(p, nullptr) << n << "x" << m;
    API(free)(p);
  }
}

TEST(Errno, ReallocarrayOverflowIsEnomemAndKeepsTheBlock) {
  char* p = static_cast<char*>(API(malloc)(64));
  ASSERT_NE(p, nullptr);
  Fill(p, 64, 7);
  errno = 0;
  ExpectFail(API(reallocarray)(p, kHalf, 2), ENOMEM, "reallocarray overflow");
  ExpectFail(API(reallocarray)(p, SIZE_MAX, SIZE_MAX), ENOMEM, "reallocarray overflow");
  EXPECT_TRUE(Intact(p, 64, 7)) << "a failed reallocarray must leave the block alone";
  void* q = API(reallocarray)(p, 100, 10);
  ASSERT_NE(q, nullptr);
  EXPECT_TRUE(Intact(q, 64, 7));
  EXPECT_GE(API(malloc_usable_size)(q), 1000u);
  API(free)(q);
  void* r = API(reallocarray)(nullptr, 3, 5);  // = malloc(15)
  EXPECT_NE(r, nullptr);
  API(free)(r);
}

TEST(Errno, ReallocNullIsMalloc) {
  for (size_t n : {size_t{0}, size_t{1}, size_t{100}, size_t{32768}, size_t{40000}, size_t{1} << 20}) {
    void* p = API(realloc)(nullptr, n);
    ASSERT_NE(p, nullptr) << n;
    EXPECT_GE(API(malloc_usable_size)(p), n);
    memset(p, 0x5a, n);
    API(free)(p);
  }
  errno = 0;
  ExpectFail(API(realloc)(nullptr, SIZE_MAX), ENOMEM, "realloc(NULL, SIZE_MAX)");
}

// glibc 2.36 (REALLOC_ZERO_BYTES_FREES): realloc(p, 0) frees p and returns NULL, errno alone.
TEST(Errno, ReallocZeroFreesAndReturnsNull) {
  for (size_t n : {size_t{1}, size_t{100}, size_t{32768}, size_t{1} << 20}) {
    void* p = API(malloc)(n);
    ASSERT_NE(p, nullptr);
    errno = 77;
    EXPECT_EQ(API(realloc)(p, 0), nullptr) << n;
    EXPECT_EQ(errno, 77);
  }
#if GORT_TEST_LINKED
  // A large block shows the free in the heap's accounting.
  uint64_t before = LargeInUse();
  void* p = API(malloc)(size_t{8} << 20);
  ASSERT_NE(p, nullptr);
  EXPECT_GE(LargeInUse(), before + (size_t{8} << 20));
  EXPECT_EQ(API(realloc)(p, 0), nullptr);
  EXPECT_EQ(LargeInUse(), before) << "realloc(p, 0) did not free p";
#endif
}

TEST(Errno, ReallocTooBigIsEnomemAndKeepsTheBlock) {
  for (size_t n : {size_t{48}, size_t{5000}, size_t{1} << 20}) {
    void* p = API(malloc)(n);
    ASSERT_NE(p, nullptr);
    Fill(p, n, n);
    for (size_t huge : {SIZE_MAX, kHalf, size_t{1} << 50}) {
      errno = 0;
      ExpectFail(API(realloc)(p, huge), ENOMEM, "realloc(p, huge)");
    }
    EXPECT_TRUE(Intact(p, n, n)) << n;
    API(free)(p);
  }
}

TEST(Errno, PosixMemalignRejectsBadAlignment) {
  // 0, not a power of two, or not a multiple of sizeof(void*): EINVAL, *out untouched.
  for (size_t a : {size_t{0}, size_t{1}, size_t{2}, size_t{4}, size_t{3}, size_t{12}, size_t{24},
                   size_t{40}, size_t{48}, size_t{96}, size_t{4097}, SIZE_MAX, kHalf + 8}) {
    void* out = reinterpret_cast<void*>(uintptr_t{0xdead});
    errno = 0;
    EXPECT_EQ(API(posix_memalign)(&out, a, 100), EINVAL) << "alignment " << a;
    EXPECT_EQ(out, reinterpret_cast<void*>(uintptr_t{0xdead})) << "alignment " << a;
  }
}

TEST(Errno, PosixMemalignGoodAndTooBig) {
  for (size_t a = sizeof(void*); a <= (size_t{1} << 20); a <<= 1) {
    void* out = nullptr;
    ASSERT_EQ(API(posix_memalign)(&out, a, 100), 0) << a;
    EXPECT_TRUE(IsAligned(out, a)) << a;
    API(free)(out);
  }
  void* out = reinterpret_cast<void*>(uintptr_t{0xdead});
  EXPECT_EQ(API(posix_memalign)(&out, 16, SIZE_MAX), ENOMEM);
  EXPECT_EQ(API(posix_memalign)(&out, 64, kHalf), ENOMEM);
  EXPECT_EQ(out, reinterpret_cast<void*>(uintptr_t{0xdead}));
  EXPECT_EQ(API(posix_memalign)(&out, 16, 0), 0);
  EXPECT_NE(out, reinterpret_cast<void*>(uintptr_t{0xdead}));
  API(free)(out);
}

// glibc's memalign (and aligned_alloc, which is memalign in 2.36) rounds an alignment that is
// not a power of two up to the next one.
TEST(Errno, MemalignRoundsAlignmentUp) {
  for (size_t a : {size_t{3}, size_t{5}, size_t{12}, size_t{24}, size_t{48}, size_t{96}, size_t{100},
                   size_t{1000}, size_t{4097}, size_t{5000}, size_t{65537}, size_t{3} << 20}) {
    for (size_t n : {size_t{1}, size_t{100}, size_t{40000}}) {
      void* p = API(memalign)(a, n);
      ASSERT_NE(p, nullptr) << a << " " << n;
      EXPECT_TRUE(IsAligned(p, CeilPow2(a))) << "memalign(" << a << ", " << n << ") = " << p;
      API(free)(p);
      void* q = API(aligned_alloc)(a, n);
      ASSERT_NE(q, nullptr) << a << " " << n;
      EXPECT_TRUE(IsAligned(q, CeilPow2(a))) << "aligned_alloc(" << a << ", " << n << ") = " << q;
      API(free)(q);
    }
  }
}

TEST(Errno, MemalignTooBigAlignment) {
  errno = 0;
  ExpectFail(API(memalign)(kHalf + 1, 1), EINVAL, "memalign(2^63+1)");
  ExpectFail(API(memalign)(SIZE_MAX, 1), EINVAL, "memalign(SIZE_MAX)");
  ExpectFail(API(memalign)(kHalf, 1), ENOMEM, "memalign(2^63)");
  ExpectFail(API(memalign)(64, SIZE_MAX), ENOMEM, "memalign(64, SIZE_MAX)");
  ExpectFail(API(aligned_alloc)(SIZE_MAX, 1), EINVAL, "aligned_alloc(SIZE_MAX)");
}

TEST(Errno, MemalignSmallAlignmentIsMalloc) {
  for (size_t a : {size_t{0}, size_t{1}, size_t{2}, size_t{4}, size_t{8}}) {
    void* p = API(memalign)(a, 100);
    ASSERT_NE(p, nullptr) << a;
    EXPECT_TRUE(IsAligned(p, 16)) << "memalign(" << a << ", 100) = " << p;
    API(free)(p);
  }
}

// C11 allowed only sizes that are multiples of the alignment; glibc accepts any size.
TEST(Errno, AlignedAllocAnySize) {
  for (size_t a : {size_t{16}, size_t{64}, size_t{4096}, size_t{1} << 16}) {
    for (size_t n : {size_t{0}, size_t{1}, a / 2 + 1, a, 3 * a + 5}) {
      void* p = API(aligned_alloc)(a, n);
      ASSERT_NE(p, nullptr) << a << " " << n;
      EXPECT_TRUE(IsAligned(p, a));
      EXPECT_GE(API(malloc_usable_size)(p), n);
      API(free)(p);
    }
  }
}

TEST(Errno, VallocAndPvallocArePageAligned) {
  const size_t page = PageSize();
  for (size_t n : {size_t{0}, size_t{1}, page - 1, page, page + 1, size_t{40000}, size_t{1} << 20}) {
    void* v = API(valloc)(n);
    ASSERT_NE(v, nullptr) << n;
    EXPECT_TRUE(IsAligned(v, page)) << "valloc(" << n << ") = " << v;
    EXPECT_GE(API(malloc_usable_size)(v), n);
    API(free)(v);
    void* p = API(pvalloc)(n);
    ASSERT_NE(p, nullptr) << n;
    EXPECT_TRUE(IsAligned(p, page)) << "pvalloc(" << n << ") = " << p;
    size_t whole = (n + page - 1) / page * page;
    EXPECT_GE(API(malloc_usable_size)(p), whole) << "pvalloc(" << n << ") rounds up to pages";
    memset(p, 1, whole);
    API(free)(p);
  }
  errno = 0;
  ExpectFail(API(valloc)(SIZE_MAX), ENOMEM, "valloc(SIZE_MAX)");
  ExpectFail(API(pvalloc)(SIZE_MAX), ENOMEM, "pvalloc(SIZE_MAX)");
  ExpectFail(API(pvalloc)(SIZE_MAX - page), ENOMEM, "pvalloc(SIZE_MAX - page)");
}

TEST(Errno, UsableSizeCoversTheRequest) {
  EXPECT_EQ(API(malloc_usable_size)(nullptr), 0u);
  for (size_t n = 0; n <= 70000; n += (n < 2048 ? 1 : n < 40000 ? 61 : 997)) {
    void* p = API(malloc)(n);
    ASSERT_NE(p, nullptr) << n;
    size_t u = API(malloc_usable_size)(p);
    ASSERT_GE(u, n);
    memset(p, 0xee, u);  // every usable byte is the caller's
    API(free)(p);
  }
}

// C23 7.24.3: the block is aligned for any type of fundamental alignment that fits in it,
// so malloc(n) for n >= 16 is 16-aligned on x86-64 (glibc aligns every block to 16).
TEST(Errno, MallocAlignsForAnyTypeThatFits) {
  for (size_t n = 1; n <= 4096; n++) {
    void* ps[3];
    for (void*& p : ps) {
      p = API(malloc)(n);
      ASSERT_NE(p, nullptr);
    }
    for (void* p : ps) {
      EXPECT_TRUE(IsAligned(p, FundamentalAlign(n)))
          << "malloc(" << n << ") = " << p << " is not " << FundamentalAlign(n) << "-aligned";
      API(free)(p);
    }
    if (HasFailure()) return;
  }
}

#if !GORT_TEST_PREFIXED
extern "C" void cfree(void* p);  // glibc dropped the declaration; gort still defines it

TEST(Errno, CfreeIsFree) {
  cfree(nullptr);
  void* p = malloc(100);
  ASSERT_NE(p, nullptr);
  cfree(p);
  uint64_t before = LargeInUse();
  void* q = malloc(size_t{4} << 20);
  ASSERT_NE(q, nullptr);
  EXPECT_GT(LargeInUse(), before);
  cfree(q);
  EXPECT_EQ(LargeInUse(), before) << "cfree did not free";
}
#endif

// Which heap malloc uses is the whole point of the two builds.
TEST(Errno, MallocIsGortOnlyWhenOverridden) {
  uint64_t before = LargeInUse();
  void* p = malloc(size_t{8} << 20);
  ASSERT_NE(p, nullptr);
  Escape(p);
#if GORT_TEST_PREFIXED
  EXPECT_EQ(LargeInUse(), before) << "gort::alloc must leave malloc alone";
#else
  EXPECT_GE(LargeInUse(), before + (size_t{8} << 20)) << "gort::override: malloc is not gort";
#endif
  free(p);
  void* q = gort_malloc(size_t{8} << 20);
  ASSERT_NE(q, nullptr);
  EXPECT_GE(LargeInUse(), before + (size_t{8} << 20));
  gort_free(q);
  EXPECT_EQ(LargeInUse(), before);
}

}  // namespace
}  // namespace gort_test
