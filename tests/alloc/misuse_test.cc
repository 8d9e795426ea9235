// misuse_test.cc — a pointer the heap never handed out stops the program with a message that
// names it: "fatal error: <what> 0x<address>", then abort().
//
// Linked with gort::override, so free() itself is gort's. Checks of tier 1 (the default:
// foreign pointers, bad large pointers, double free of a large block, and of a small one
// but for the 8-byte class) run in every build;
// the small-object checks of tier 2 only where GORT_CHECKS >= 2 (the Debug/tier-3 build).
#include <malloc.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include <cstring>

#include <new>
#include <string>

#include <gtest/gtest.h>

#include "tests/alloc/test_util.h"

namespace gort_test {
namespace {

// The message, with the address as a whole word.
std::string Names(const void* p) { return "fatal error: .*" + Hex(p) + "([^0-9a-fx]|$)"; }

#define EXPECT_STOPS(stmt, p) EXPECT_EXIT(stmt, ::testing::KilledBySignal(SIGABRT), Names(p))

char g_static[256];

class MisuseDeathTest : public ::testing::Test {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "fast"); }
};

TEST_F(MisuseDeathTest, FreeOfStackVariable) {
  int x = 0;
  void* p = &x;
  Escape(p);
  EXPECT_STOPS(free(p), p);
  EXPECT_STOPS(gort_free(p), p);
  EXPECT_STOPS(::operator delete(p), p);
}

TEST_F(MisuseDeathTest, FreeIntoStaticArray) {
  void* p = g_static + 16;
  EXPECT_STOPS(free(p), p);
  EXPECT_STOPS(free(g_static), static_cast<void*>(g_static));
}

TEST_F(MisuseDeathTest, FreeOfForeignMapping) {
  void* m = mmap(nullptr, 1 << 16, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(m, MAP_FAILED);
  EXPECT_STOPS(free(m), m);
  munmap(m, 1 << 16);
}

TEST_F(MisuseDeathTest, ReallocAndUsableSizeOfForeignPointer) {
  int x = 0;
  void* p = &x;
  Escape(p);
  EXPECT_STOPS(Escape(realloc(p, 100)), p);
  EXPECT_STOPS(Escape(reinterpret_cast<void*>(malloc_usable_size(p))), p);
}

TEST_F(MisuseDeathTest, InteriorPointerIntoLargeBlock) {
  char* big = static_cast<char*>(malloc(size_t{1} << 20));
  ASSERT_NE(big, nullptr);
  for (size_t off : {size_t{1}, size_t{16}, size_t{4096}, size_t{8192}, size_t{3} * 8192 + 8,
                     (size_t{1} << 20) - 8}) {
    void* p = big + off;
    EXPECT_STOPS(free(p), p) << "offset " << off;
  }
  void* p = big + 8192;
  EXPECT_STOPS(Escape(realloc(p, 10)), p);
  free(big);
}

// Both frees run in the dying child, back to back: in the parent the freed block could be
// handed out again (to the death test's own machinery) before the second free.
TEST_F(MisuseDeathTest, DoubleFreeOfLargeBlock) {
  for (size_t n : {size_t{40000}, size_t{1} << 20, size_t{64} << 20}) {
    void* p = malloc(n);
    ASSERT_NE(p, nullptr);
    EXPECT_STOPS((free(p), free(p)), p) << n << " bytes";
    free(p);
  }
  // Neighbours freed too, so the block has merged into a larger free run.
  void* a = malloc(1 << 20);
  void* b = malloc(1 << 20);
  void* c = malloc(1 << 20);
  EXPECT_STOPS((free(a), free(c), free(b), free(b)), b);
  EXPECT_STOPS((free(a), free(b), free(c), free(a)), a);
  free(a);
  free(b);
  free(c);
}

TEST_F(MisuseDeathTest, DoubleDeleteOfLargeArray) {
  char* p = new char[1 << 20];
  EXPECT_STOPS((delete[] p, delete[] p), static_cast<void*>(p));
  delete[] p;
}

#if GORT_CHECKS >= 2
TEST_F(MisuseDeathTest, InteriorPointerIntoSmallObject) {
  for (size_t n : {size_t{16}, size_t{100}, size_t{3000}}) {
    char* p = static_cast<char*>(malloc(n));
    void* q = p + 8;
    EXPECT_STOPS(free(q), q) << n;
    free(p);
  }
}

#endif

// Caught in every build with checks (tier 1, the default): the free key (malloc.h). The
// 8-byte class has no room for the key and is not checked.
#if GORT_CHECKS >= 1
TEST_F(MisuseDeathTest, DoubleFreeOfSmallObject) {
  for (size_t n : {size_t{16}, size_t{48}, size_t{1000}, size_t{20000}}) {
    void* p = malloc(n);
    EXPECT_STOPS((free(p), free(p)), p) << n;
    free(p);
  }
}

// The second free comes after the object left the thread's cache for its span's free list.
TEST_F(MisuseDeathTest, DoubleFreeAfterTheCacheFlushed) {
  void* p = malloc(64);
  EXPECT_STOPS((free(p), gort_thread_flush(), free(p)), p);
  free(p);
}

// An object allocated again at the same address and freed again is no double free, also when
// nobody wrote into it (the key is cleared when malloc hands the object out).
TEST(DoubleFree, ReuseIsNotADoubleFree) {
  for (size_t n : {size_t{16}, size_t{64}, size_t{4096}}) {
    void* first = malloc(n);
    free(first);
    for (int i = 0; i < 1000; i++) {
      void* p = malloc(n);
      free(p);
    }
    void* again = malloc(n);
    free(again);
    void* twice[2] = {malloc(n), malloc(n)};
    EXPECT_NE(twice[0], twice[1]) << n;
    free(twice[0]);
    free(twice[1]);
  }
}

#endif

// Free-list links are encoded (alloc/freelink.h): a freed object's first word is not the
// address of the next free object, and a write after free that puts an address there does
// not make a later malloc return that address (glibc's tcache would return it).
alignas(4096) char g_target[4096];

TEST_F(MisuseDeathTest, AForgedFreeListLinkIsNotFollowed) {
  void* a = malloc(3000);
  void* b = malloc(3000);
  free(a);
  free(b);  // the list: b, then a
  uintptr_t raw;
  memcpy(&raw, b, sizeof raw);
  EXPECT_NE(raw, reinterpret_cast<uintptr_t>(a));
  auto forge = [b] {
    const uintptr_t forged = reinterpret_cast<uintptr_t>(g_target);
    memcpy(b, &forged, sizeof forged);  // the write after free
    void* x = malloc(3000);
    void* y = malloc(3000);  // follows the forged word: a wild address, or a crash
    _exit(x == b && y == g_target ? 3 : 0);
  };
  EXPECT_EXIT(forge(), [](int st) { return !(WIFEXITED(st) && WEXITSTATUS(st) == 3); }, "");
  void* p = malloc(3000);
  void* q = malloc(3000);
  EXPECT_TRUE((p == b && q == a) || (p != q)) << "the list itself is intact";
  free(p);
  free(q);
}

}  // namespace
}  // namespace gort_test
