// dso_main.cc — two shared objects built with hidden visibility (dso_a.cc, dso_b.cc) pass
// gort::slice values to each other across threads, both standing on libgort_runtime.so.
// With one runtime underneath they see one thread registry (a thread has one serial,
// whichever object asks, and threads never share one) and one merge queue and heap (arrays
// made in one object and dropped in the other, on other threads, are all freed).
// Exits 0 when all of that holds; prints each failure.
#include <cstdio>
#include <set>
#include <thread>
#include <vector>

#include "tests/slices/dso/dso.h"

namespace {

int failures = 0;

void expect(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "FAIL: %s\n", what);
    failures++;
  }
}

}  // namespace

int main() {
  // Threads that only ever ask a, then threads that ask both: with a registry per object
  // the counters would drift apart and the serials differ (or collide across threads).
  for (int i = 0; i < 3; i++) std::thread([] { dso_a_serial(); }).join();
  std::set<uint64_t> seen;
  for (int i = 0; i < 8; i++) {
    uint64_t a = 0, b = 0;
    std::thread([&] {
      a = dso_a_serial();
      b = dso_b_serial();
    }).join();
    expect(a != 0 && a == b, "a thread has the same serial in both objects");
    expect(seen.insert(a).second, "no two threads share a serial");
  }

  // Slices made in a on producer threads, read and dropped in b on consumer threads.
  constexpr int kRounds = 50;
  std::vector<void*> made(kRounds);
  for (int r = 0; r < kRounds; r++) std::thread([&, r] { made[r] = dso_a_make(1000 + r); }).join();
  expect(dso_a_live() == kRounds && dso_b_live() == kRounds, "both objects count the same arrays");
  std::vector<int64_t> sums(kRounds);
  std::vector<std::thread> ts;
  for (int r = 0; r < kRounds; r++)
    ts.emplace_back([&, r] { sums[r] = dso_b_sum_and_drop(made[r]); });
  for (auto& t : ts) t.join();
  int64_t sum = 0, want = 0;
  for (int r = 0; r < kRounds; r++) {
    int64_t n = 1000 + r;
    want += n * (n - 1) / 2;
    sum += sums[r];
  }
  expect(sum == want, "the consumers read what the producers wrote");
  expect(dso_a_live() == 0 && dso_b_live() == 0, "every array was freed");
  std::printf("%s: slices across two shared objects on one runtime\n", failures ? "FAIL" : "ok");
  return failures == 0 ? 0 : 1;
}
