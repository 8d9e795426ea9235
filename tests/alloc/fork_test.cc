// fork_test.cc — fork() while other threads are busy in the allocator.
//
// The atfork handlers take every allocator lock before the fork and the child drains the
// caches of the threads that did not come along. A child that inherits a held lock hangs,
// one that inherits a torn list crashes: each child here mallocs and frees all sizes,
// checks memory its parent filled before the fork, starts a thread of its own, and exits 0.
// A stuck child is killed by its own alarm() and reported, never waited for forever.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/alloc/test_util.h"

namespace gort_test {
namespace {

// Exit codes of a child, by the check that failed.
enum ChildExit { kOk = 0, kLostParentData = 3, kAllocFailed = 4, kCorrupted = 5, kThreadFailed = 6,
                 kCaches = 7 };

const char* Explain(int status) {
  if (WIFSIGNALED(status))
    return WTERMSIG(status) == SIGALRM ? "child hung (a lock held across fork?)" : "child crashed";
  switch (WEXITSTATUS(status)) {
    case kLostParentData: return "memory filled before the fork lost its contents";
    case kAllocFailed: return "allocation failed in the child";
    case kCorrupted: return "the child's own objects were corrupted";
    case kThreadFailed: return "a thread started in the child failed";
    case kCaches: return "the child still counts the caches of threads that did not survive";
    default: return "unexpected exit code";
  }
}

// Allocates, fills, checks and frees n objects of random sizes up to 1 MiB; a ChildExit.
int Churn(uint64_t seed, int n) {
  Rng r(seed);
  std::vector<std::pair<char*, size_t>> live;
  for (int i = 0; i < n; i++) {
    size_t sz = r.Chance(3) ? r.Range(32769, size_t{1} << 20) : r.Below(4096);
    char* p = static_cast<char*>(malloc(sz));
    if (p == nullptr) return kAllocFailed;
    Fill(p, sz, SeedOf(p, sz));
    live.emplace_back(p, sz);
    if (live.size() > 64 || r.Chance(30)) {
      size_t j = r.Below(live.size());
      auto [q, qn] = live[j];
      if (!Intact(q, qn, SeedOf(q, qn))) return kCorrupted;
      free(q);
      live[j] = live.back();
      live.pop_back();
    }
  }
  for (auto [q, qn] : live) {
    if (!Intact(q, qn, SeedOf(q, qn))) return kCorrupted;
    free(q);
  }
  return kOk;
}

struct Busy {
  std::atomic<bool> stop{false};
  std::vector<std::thread> ts;
  explicit Busy(int n) {
    for (int i = 0; i < n; i++)
      ts.emplace_back([this, i] {
        for (uint64_t k = 0; !stop.load(std::memory_order_relaxed); k++) Churn(i * 1000003 + k, 200);
      });
  }
  ~Busy() {
    stop = true;
    for (auto& t : ts) t.join();
  }
};

// The child's whole life. Runs with only the forking thread alive.
[[noreturn]] void Child(char* parent_block, size_t parent_n) {
  alarm(30);
  if (!Intact(parent_block, parent_n, SeedOf(parent_block, parent_n))) _exit(kLostParentData);
  free(parent_block);
  if (int rc = Churn(42, 1500); rc != kOk) _exit(rc);
  gort_stats s{};
  gort_get_stats(&s);
  if (s.thread_caches != 1) _exit(kCaches);
  int trc = -1;
  std::thread t([&] { trc = Churn(43, 1000); });
  t.join();
  if (trc != kOk) _exit(kThreadFailed);
  gort_get_stats(&s);
  if (s.thread_caches != 1) _exit(kCaches);
  _exit(kOk);
}

// Forks `times` times from the calling thread while `busy` threads churn.
void ForkWhileBusy(int busy_threads, int times) {
  Busy busy(busy_threads);
  Rng r(7);
  for (int i = 0; i < times; i++) {
    ASSERT_EQ(Churn(100 + i, 500), kOk);  // the forking thread is in the allocator too
    size_t n = r.Chance(50) ? r.Range(1, 30000) : r.Range(40000, size_t{2} << 20);
    char* block = static_cast<char*>(malloc(n));
    ASSERT_NE(block, nullptr);
    Fill(block, n, SeedOf(block, n));
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) Child(block, n);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == kOk)
        << "fork " << i << ": " << Explain(status) << " (status " << status << ")";
    EXPECT_TRUE(Intact(block, n, SeedOf(block, n))) << "parent's block changed by the fork";
    free(block);
  }
}

TEST(Fork, MainThreadForksWhileOthersAllocate) { ForkWhileBusy(3, 6); }

// The forking thread is not the main thread, and the main thread is busy too.
TEST(Fork, WorkerThreadForks) {
  std::atomic<bool> stop{false};
  std::thread main_churn([&] {
    for (uint64_t k = 0; !stop; k++) Churn(9000 + k, 100);
  });
  std::thread forker([] { ForkWhileBusy(2, 3); });
  forker.join();
  stop = true;
  main_churn.join();
}

}  // namespace
}  // namespace gort_test
