// The writer flag: two writers at once stop the program, as Go's "concurrent map writes".
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "maps/map.h"

namespace gort {
namespace {

// A value whose construction writes to the same map: a second write while the first is in
// progress, deterministically.
struct Reentrant;
gort::map<int, Reentrant>* target = nullptr;
struct Reentrant {
  Reentrant() = default;
  Reentrant(int) { target->try_emplace(-1); }
};

void nested_write() {
  gort::map<int, Reentrant> m;
  target = &m;
  m.try_emplace(1, 1);
}

TEST(WriterDeathTest, NestedWriteIsFatal) {
  EXPECT_DEATH(nested_write(), "fatal error: concurrent map writes");
}

struct Reader {
  Reader() = default;
  Reader(gort::map<int, Reader>* m) { m->contains(3); }
};

void read_during_write() {
  gort::map<int, Reader> m;
  m.try_emplace(1, &m);
}

TEST(WriterDeathTest, ReadDuringWriteIsFatal) {
  EXPECT_DEATH(read_during_write(), "concurrent map read and map write");
}

// Two writers race. The map is sized first so that the race never grows it: a grow frees the
// old table, and a racing writer still reading it crashed (SIGSEGV) before either saw the
// other's hashWriting bit, in 13 of 300 runs of an -O0 build with both cores busy. Without
// frees the detection is what stops the program (0 of 600 such runs).
void two_writers() {
  gort::map<uint64_t, uint64_t> m;
  m.reserve(size_t{1} << 18);  // both writers' keys (2 x 2^16) fit with no grow
  std::atomic<bool> go{false};
  auto writer = [&](uint64_t base) {
    while (!go.load()) {
    }
    for (uint64_t i = 0;; i++) {  // ends only when the map stops the program
      m.set(base + (i & 0xffff), i);
      m.del(base + ((i * 7) & 0xffff));
    }
  };
  std::thread a(writer, 0), b(writer, uint64_t{1} << 32);
  go = true;
  a.join();
  b.join();
}

// It races on purpose, so ThreadSanitizer would report the very race the flag detects: the
// tsan build skips it.
TEST(WriterThreadsDeathTest, TwoThreadsWritingAreCaught) {
#if defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "races on purpose: ThreadSanitizer would report the race it detects";
#endif
  EXPECT_DEATH(two_writers(), "concurrent map (writes|read and map write)");
}

TEST(WriterThreads, SequentialWritersFromTwoThreadsAreFine) {
  gort::map<int, int> m;
  std::thread([&] { for (int i = 0; i < 1000; i++) m.set(i, i); }).join();
  std::thread([&] { for (int i = 0; i < 1000; i += 2) m.del(i); }).join();
  EXPECT_EQ(m.len(), 500u);
}

}  // namespace
}  // namespace gort
