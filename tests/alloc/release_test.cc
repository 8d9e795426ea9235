// release_test.cc — freed memory goes back to the OS, each page once, and leaves no trace in
// the process's mappings.
//
// gort keeps freed pages resident while its free resident bytes stay under max(GORT_RETAIN_MB
// (16 MiB by default), the bytes in use); the background scavenger returns pages that stayed
// free for GORT_SCAVENGE_DELAY_MS (1000 by default), malloc_trim(0) all of them at once
// (alloc/scavenger.h); gort_stats.released counts the bytes handed to the OS. What is checked
// is observable from outside: the resident set (/proc/self/statm), the number of mappings
// (/proc/self/maps), minor page faults, and that released bytes never exceed the bytes
// actually freed.
#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/alloc/test_util.h"

namespace gort_test {
namespace {

constexpr size_t kMiB = size_t{1} << 20;
constexpr uint64_t kRetain = uint64_t{16} << 20;  // GORT_RETAIN_MB's default

uint64_t Released() {
  gort_stats s{};
  Stats(&s);
  return s.released;
}

size_t ResidentBytes() {
  std::ifstream f("/proc/self/statm");
  size_t pages = 0, resident = 0;
  f >> pages >> resident;
  return resident * size_t(sysconf(_SC_PAGESIZE));
}

size_t Mappings() {
  std::ifstream f("/proc/self/maps");
  size_t n = 0;
  for (std::string line; std::getline(f, line);) n++;
  return n;
}

std::vector<char*> AllocTouched(size_t count, size_t size, size_t touch) {
  std::vector<char*> v(count);
  for (char*& p : v) {
    p = static_cast<char*>(API(malloc)(size));
    EXPECT_NE(p, nullptr);
    if (p != nullptr) memset(p, 1, touch);
  }
  return v;
}

// Freeing neighbours one after the other grows one free run; only the newly freed pages
// need returning, not the whole run again at every free.
TEST(Release, EachFreedPageReleasedOnce) {
  for (size_t size : {kMiB, 8 * kMiB}) {
    std::vector<char*> v = AllocTouched(size == kMiB ? 1000 : 150, size, 4096);
    uint64_t before = Released();
    for (char* p : v) API(free)(p);
    uint64_t freed = v.size() * size, released = Released() - before;
    EXPECT_LE(released, freed + kRetain)
        << "freeing " << (freed >> 20) << " MiB in " << v.size() << " blocks released "
        << (released >> 20) << " MiB to the OS: already released pages are released again";
  }
}

// The bar for a burst that is over: resident memory back within 5% + 16 MiB of its level
// before the burst.
bool NearBase(size_t rss, size_t base) { return rss <= base + base / 20 + 16 * kMiB; }

// 1 GiB in small and large objects, written, then freed.
void Burst() {
  std::vector<char*> v;
  Rng r(7);
  size_t total = 0;
  while (total < 1024 * kMiB) {
    const size_t n = total < 512 * kMiB ? 16 + r.Below(2000) : 40000 + r.Below(4 * kMiB);
    char* p = static_cast<char*>(API(malloc)(n));
    ASSERT_NE(p, nullptr);
    memset(p, 1, n);
    v.push_back(p);
    total += n;
  }
  for (char* p : v) API(free)(p);
}

TEST(Release, TrimReturnsABurst) {
  std::vector<char*> warm = AllocTouched(4, kMiB, kMiB);
  for (char* p : warm) API(free)(p);
  API(malloc_trim)(0);
  const size_t base = ResidentBytes();
  Burst();
  const size_t freed = ResidentBytes();
  EXPECT_EQ(API(malloc_trim)(0), 1);
  const size_t trimmed = ResidentBytes();
  EXPECT_TRUE(NearBase(trimmed, base))
      << "resident MiB: " << (base >> 20) << " before the burst, " << (freed >> 20)
      << " after freeing it, " << (trimmed >> 20) << " after malloc_trim(0)";
}

// Without malloc_trim: the scavenger returns the burst within its delay (1 s by default) plus
// a pass; the bar allows 5 s.
TEST(Release, ScavengerReturnsABurst) {
  API(malloc_trim)(0);
  const size_t base = ResidentBytes();
  Burst();
  const auto t0 = std::chrono::steady_clock::now();
  size_t now = ResidentBytes();
  while (!NearBase(now, base) && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    now = ResidentBytes();
  }
  EXPECT_TRUE(NearBase(now, base)) << "resident MiB: " << (base >> 20)
                                   << " before the burst, " << (now >> 20) << " 5 s after";
}

long MinorFaults() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_minflt;
}

// Tests of the heap's own release policy run again in a child process with the scavenger
// off (GORT_SCAVENGE_DELAY_MS=0): on a loaded machine a test can outlast the scavenger's delay,
// and the scavenger may then rightly release runs that stayed free that long. True in the
// parent, which has checked the child's result; false in the child, which runs the test.
bool RerunWithoutScavenger(const char* test) {
  const char* delay = getenv("GORT_SCAVENGE_DELAY_MS");
  if (delay != nullptr && std::string(delay) == "0") return false;
  char self[4096];
  const ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  EXPECT_GT(n, 0);
  if (n <= 0) return true;
  self[n] = '\0';
  const std::string cmd = std::string("GORT_SCAVENGE_DELAY_MS=0 '") + self +
                          "' --gtest_filter=" + test;
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  return true;
}

// Large-block churn (20 live blocks of 5-25 MiB, each written when allocated, replaced at
// random): freed pages are reused while they are faulted in, not released and faulted again.
// What is checked is the heap's own policy (RerunWithoutScavenger).
TEST(Release, LargeChurnReusesResidentPages) {
  if (RerunWithoutScavenger("Release.LargeChurnReusesResidentPages")) return;
  constexpr int kLive = 20, kRounds = 150;
  char* live[kLive] = {};
  Rng r(11);
  for (char*& p : live) {
    const size_t n = 5 * kMiB + r.Below(20 * kMiB);
    p = static_cast<char*>(API(malloc)(n));
    ASSERT_NE(p, nullptr);
    memset(p, 1, n);
  }
  const uint64_t released0 = Released();
  const long faults0 = MinorFaults();
  size_t written = 0;
  for (int i = 0; i < kRounds; i++) {
    char*& p = live[r.Below(kLive)];
    API(free)(p);
    const size_t n = 5 * kMiB + r.Below(20 * kMiB);
    p = static_cast<char*>(API(malloc)(n));
    ASSERT_NE(p, nullptr);
    memset(p, 1, n);
    written += n;
  }
  const uint64_t released = Released() - released0;
  const long faults = MinorFaults() - faults0;
  const long pages = long(written / size_t(sysconf(_SC_PAGESIZE)));
  for (char* p : live) API(free)(p);
  EXPECT_LE(released, written / 10) << (released >> 20) << " MiB released while writing "
                                    << (written >> 20) << " MiB in churn";
  EXPECT_LE(faults, pages / 5) << faults << " minor faults for " << pages << " pages written";
}

// After a big free the heap sits at its resident limit. A block then freed and allocated again
// in a loop must stay resident: the heap gives back older idle pages first, not the pages just
// freed (which the next allocation takes again, one page fault per page, every time).
TEST(Release, ChurnAfterABurstKeepsItsPages) {
  if (RerunWithoutScavenger("Release.ChurnAfterABurstKeepsItsPages")) return;
  std::vector<char*> burst = AllocTouched(64, 2 * kMiB, 2 * kMiB);
  for (char* p : burst) API(free)(p);
  // A buffer grown by realloc from 8 KiB to 1 MiB and freed, as a growing vector or slice
  // does: every round asks the heap for runs of many sizes.
  constexpr int kRounds = 100;
  constexpr size_t kBlock = kMiB;
  const long faults0 = MinorFaults();
  for (int i = 0; i < kRounds; i++) {
    char* p = nullptr;
    for (size_t n = 8 << 10; n <= kBlock; n *= 2) {
      p = static_cast<char*>(API(realloc)(p, n));
      ASSERT_NE(p, nullptr);
      memset(p + n / 2, 1, n / 2);
    }
    API(free)(p);
  }
  const long faults = MinorFaults() - faults0;
  const long pages = long(2 * kBlock / size_t(sysconf(_SC_PAGESIZE)));
  EXPECT_LE(faults, 4 * pages) << faults << " minor faults for " << kRounds
                               << " rounds of a buffer grown to " << (kBlock >> 10) << " KiB";
}

// realloc may move a big block's pages with mremap; once everything is freed the process's
// mappings must be back to about where they were (each move must not leave split mappings).
TEST(Release, ReallocLeavesNoMappingsBehind) {
  size_t base = Mappings();
  std::vector<char*> v = AllocTouched(500, kMiB, 1);
  for (char*& p : v) {
    char* q = static_cast<char*>(API(realloc)(p, kMiB + 8192));  // the neighbour is taken: moves
    ASSERT_NE(q, nullptr);
    ASSERT_EQ(q[0], 1);
    p = q;
  }
  size_t during = Mappings();
  for (char* p : v) API(free)(p);
  size_t after = Mappings();
  EXPECT_LE(after, base + 64) << "mappings: " << base << " before, " << during
                              << " with 500 moved blocks live, " << after << " after freeing all";
}

}  // namespace
}  // namespace gort_test
