// checked_test.cc — checked mode (GORT_CHECK=1, alloc/checked.h), seen from a program linked
// with gort::override. ctest runs this binary with GORT_CHECK=1 (alloc.checked.*), and again
// with heap profiling on as well (alloc.checked_profiled.*), so that sampled blocks are
// checked too.
//
// Each misuse must stop the program with "fatal error: <op>: <what> 0x<address> (GORT_CHECK)";
// correct programs, on every entry point and across threads, must run with no false alarm and
// with their data intact.
#include <malloc.h>
#include <signal.h>
#include <stdlib.h>

#include <atomic>
#include <cstring>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/alloc/test_util.h"

namespace gort_test {
namespace {

// Sizes across small classes, the largest class and large blocks.
constexpr size_t kSizes[] = {1, 7, 8, 9, 16, 20, 24, 25, 100, 1000, 4095, 8192, 32760, 32768,
                             40000, 100000, 1 << 20};

std::string Says(const char* what, const void* p) {
  return std::string("fatal error: .*") + what + ".*" + Hex(p) + " \\(GORT_CHECK\\)";
}

#define EXPECT_STOPS_SAYING(stmt, what, p) \
  EXPECT_EXIT(stmt, ::testing::KilledBySignal(SIGABRT), Says(what, p))

class CheckedDeathTest : public ::testing::Test {
 protected:
  void SetUp() override {
    GTEST_FLAG_SET(death_test_style, "fast");
    // Checked mode is on: the usable size is the size asked for, not the class's.
    void* p = malloc(20);
    ASSERT_EQ(malloc_usable_size(p), 20u) << "run this binary with GORT_CHECK=1";
    free(p);
  }
};

using Checked = CheckedDeathTest;

TEST_F(CheckedDeathTest, InteriorPointerFreeStops) {
  for (size_t n : {size_t{20}, size_t{1000}, size_t{100000}}) {
    char* p = static_cast<char*>(malloc(n));
    Escape(p);
    EXPECT_STOPS_SAYING(free(p + 16), "free\\(\\): interior pointer", p + 16);
    EXPECT_STOPS_SAYING(free(p + 1), "free\\(\\): interior pointer", p + 1);
    EXPECT_STOPS_SAYING(Escape(realloc(p + 16, 5)), "realloc\\(\\): interior pointer", p + 16);
    EXPECT_STOPS_SAYING(Escape(reinterpret_cast<void*>(malloc_usable_size(p + 16))),
                        "malloc_usable_size\\(\\): interior pointer", p + 16);
    free(p);
  }
  char* p = static_cast<char*>(operator new(48));
  EXPECT_STOPS_SAYING(operator delete(p + 8), "free\\(\\): interior pointer", p + 8);
  operator delete(p);
}

TEST_F(CheckedDeathTest, OneBytePastTheEndStopsTheFree) {
  for (size_t n : kSizes) {
    char* p = static_cast<char*>(malloc(n));
    memset(p, 0x5a, n);  // all of it may be written
    Escape(p);
    EXPECT_STOPS_SAYING((p[n] = 1, free(p)), "free\\(\\): heap overflow", p) << n;
    EXPECT_STOPS_SAYING((p[n] = 1, Escape(realloc(p, n + 1))), "realloc\\(\\): heap overflow", p)
        << n;
    free(p);
  }
}

TEST_F(CheckedDeathTest, TheMessageSaysWhereAndHowBig) {
  char* p = static_cast<char*>(malloc(20));
  Escape(p);
  EXPECT_EXIT((p[22] = 7, free(p)), ::testing::KilledBySignal(SIGABRT),
              "20 bytes asked for; changed: byte 3 past its end \\(offset 22\\)");
  free(p);
}

TEST_F(CheckedDeathTest, OverwrittenTrailerStops) {
  char* p = static_cast<char*>(malloc(24));  // the 32-byte class: the trailer follows at 24
  Escape(p);
  EXPECT_STOPS_SAYING((memset(p, 0, 32), free(p)), "free\\(\\): heap overflow.*trailer", p);
  free(p);
}

TEST_F(CheckedDeathTest, DoubleFreeStopsForEverySize) {
  for (size_t n : kSizes) {
    void* p = malloc(n);
    Escape(p);
    EXPECT_STOPS_SAYING((free(p), free(p)), "free\\(\\): .*double free", p) << n;
    free(p);
  }
}

TEST_F(CheckedDeathTest, DoubleFreeOnTwoOtherThreadsStops) {
  void* p = malloc(40);
  Escape(p);
  auto twice = [p] {
    std::thread([p] { free(p); }).join();
    std::thread([p] { free(p); }).join();
  };
  EXPECT_STOPS_SAYING(twice(), "free\\(\\): double free", p);
  free(p);
}

TEST_F(CheckedDeathTest, FreeOfASlotNeverHandedOutStops) {
  // The slot after a fresh object of a class this test alone uses is still in the span's
  // untouched tail or free list: no malloc returned it.
  char* p = static_cast<char*>(malloc(3000));
  Escape(p);
  const size_t c = 3072;  // the class of 3000 + 8 bytes
  EXPECT_STOPS_SAYING(free(p + c), "free\\(\\): ", p + c);
  free(p);
}

TEST_F(CheckedDeathTest, UseOfAFreedBlockAsLiveStops) {
  // A size gtest's own allocations between the free and the death test do not take, so the
  // block stays free; kept in a volatile, as a pointer's value is indeterminate after its free.
  void* volatile p = malloc(20000);
  free(p);
  EXPECT_STOPS_SAYING(Escape(realloc(p, 100)), "realloc\\(\\): double free", p);
}

TEST_F(CheckedDeathTest, ForeignPointerStillStops) {
  int x = 0;
  void* p = &x;
  Escape(p);
  EXPECT_STOPS_SAYING(free(p), "pointer not allocated by gort", p);
}

// ---- no false alarms -----------------------------------------------------------------------

TEST_F(Checked, UsableSizeIsWhatWasAskedAndAllOfItIsWritable) {
  for (size_t n : kSizes) {
    char* p = static_cast<char*>(malloc(n));
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(malloc_usable_size(p), n);
    EXPECT_TRUE(IsAligned(p, 16));
    memset(p, 0xff, n);
    free(p);
  }
}

TEST_F(Checked, EveryEntryPointKeepsItsPromises) {
  for (size_t n : kSizes) {
    char* c = static_cast<char*>(calloc(1, n));
    ASSERT_NE(c, nullptr);
    EXPECT_TRUE(AllZero(c, n)) << n;
    EXPECT_EQ(malloc_usable_size(c), n);
    free(c);
    for (size_t align : {size_t{16}, size_t{64}, size_t{4096}, size_t{65536}}) {
      void* m = nullptr;
      ASSERT_EQ(posix_memalign(&m, align, n), 0);
      EXPECT_TRUE(IsAligned(m, align)) << n << " " << align;
      memset(m, 1, n);
      EXPECT_EQ(malloc_usable_size(m), n);
      free(m);
      void* a = aligned_alloc(align, n);
      EXPECT_TRUE(IsAligned(a, align));
      memset(a, 2, n);
      free(a);
      void* o = operator new(n, std::align_val_t(align));
      memset(o, 3, n);
      operator delete(o, std::align_val_t(align));
    }
    void* o = operator new[](n);
    memset(o, 4, n);
    operator delete[](o);
    void* s = operator new(n);
    operator delete(s, n);
  }
}

TEST_F(Checked, ReallocKeepsTheDataAndTheCanaryFollows) {
  for (size_t from : kSizes) {
    for (size_t to : kSizes) {
      char* p = static_cast<char*>(malloc(from));
      const uint64_t seed = from * 131 + to;
      Fill(p, from, seed);
      char* q = static_cast<char*>(realloc(p, to));
      ASSERT_NE(q, nullptr);
      EXPECT_TRUE(Intact(q, std::min(from, to), seed)) << from << " -> " << to;
      EXPECT_EQ(malloc_usable_size(q), to);
      memset(q, 0x77, to);  // every byte of the new size is the program's
      free(q);
    }
  }
  // A buffer grown one byte at a time, and shrunk back.
  char* b = nullptr;
  for (size_t n = 1; n <= 70000; n += (n < 2000 ? 1 : 97)) {
    b = static_cast<char*>(realloc(b, n));
    b[n - 1] = char(n);
  }
  for (size_t n = 70000; n > 1; n = n * 3 / 4) b = static_cast<char*>(realloc(b, n));
  free(b);
  EXPECT_EQ(realloc(malloc(10), 0), nullptr);  // realloc(p, 0) frees p, as glibc's
}

// Threads allocate, hand blocks to each other through a shared array, and free what they
// find; every block carries a pattern, checked before its free.
TEST_F(Checked, ThreadsHandingBlocksOverRaiseNoFalseAlarm) {
  constexpr int kThreads = 4, kSlots = 512, kRounds = 20000;
  std::vector<std::atomic<void*>> slots(kSlots);
  std::vector<std::atomic<size_t>> sizes(kSlots);
  std::atomic<int> bad{0};
  auto work = [&](int t) {
    Rng r(uint64_t(t) * 7919 + 1);
    for (int i = 0; i < kRounds; i++) {
      size_t n = r.Chance(3) ? r.Range(32769, 200000) : r.Range(1, 2048);
      void* p = r.Chance(20) ? calloc(1, n) : malloc(n);
      if (r.Chance(10)) p = realloc(p, n = r.Range(1, 4096));
      Fill(p, n, SeedOf(p, n));
      const size_t k = r.Below(kSlots);
      sizes[k].store(0, std::memory_order_relaxed);
      void* old = slots[k].exchange(nullptr, std::memory_order_acq_rel);
      if (old != nullptr) {
        const size_t on = malloc_usable_size(old);  // checked: the size asked for
        if (!Intact(old, on, SeedOf(old, on))) bad++;
        free(old);
      }
      old = slots[k].exchange(p, std::memory_order_acq_rel);
      if (old != nullptr) {
        const size_t on = malloc_usable_size(old);
        if (!Intact(old, on, SeedOf(old, on))) bad++;
        free(old);
      }
    }
  };
  std::vector<std::thread> ts;
  for (int t = 0; t < kThreads; t++) ts.emplace_back(work, t);
  for (auto& t : ts) t.join();
  for (auto& s : slots) free(s.exchange(nullptr));
  EXPECT_EQ(bad.load(), 0);
}

}  // namespace
}  // namespace gort_test
