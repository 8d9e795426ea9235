// release_test.cc — freed memory goes back to the OS, each page once, and leaves no trace in
// the process's mappings.
//
// gort keeps up to GORT_RETAIN_MB (64 MiB by default) of free pages resident and returns the
// rest with madvise; gort_stats.released counts the bytes handed to the OS. What is checked
// is observable from outside: the resident set (/proc/self/statm), the number of mappings
// (/proc/self/maps), and that released bytes never exceed the bytes actually freed.
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/alloc/test_util.h"

namespace gort_test {
namespace {

constexpr size_t kMiB = size_t{1} << 20;
constexpr uint64_t kRetain = uint64_t{64} << 20;  // GORT_RETAIN_MB's default

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

TEST(Release, ResidentMemoryComesBack) {
  std::vector<char*> warm = AllocTouched(4, kMiB, kMiB);
  for (char* p : warm) API(free)(p);
  size_t base = ResidentBytes();
  std::vector<char*> v = AllocTouched(256, kMiB, kMiB);
  EXPECT_GE(ResidentBytes(), base + 200 * kMiB) << "the blocks were written";
  for (char* p : v) API(free)(p);
  EXPECT_LE(ResidentBytes(), base + kRetain + 32 * kMiB)
      << "256 MiB freed, but the process stays resident beyond the retain limit";
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
