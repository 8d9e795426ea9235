// The runtime core as the containers see it: the thread registry (serials, exit and fork
// hooks in layer order), fastrand, the containers' allocation calls and the fatal path.
#include "alloc/thread.h"

#include <gtest/gtest.h>
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "alloc/fastrand.h"
#include "alloc/mcache.h"
#include "alloc/malloc.h"
#include "alloc/runtime.h"

namespace gort::alloc {
namespace {

TEST(ThreadRegistryThreads, SerialsAreDistinctAndStable) {
  constexpr int kThreads = 16;
  std::vector<uint64_t> serials(kThreads);
  std::vector<std::thread> ts;
  for (int i = 0; i < kThreads; i++)
    ts.emplace_back([&serials, i] {
      uint64_t s = ThreadSerial();
      EXPECT_NE(s, 0u);
      EXPECT_EQ(ThreadSerial(), s);
      serials[i] = s;
    });
  for (auto& t : ts) t.join();
  std::set<uint64_t> distinct(serials.begin(), serials.end());
  EXPECT_EQ(distinct.size(), size_t(kThreads));
  EXPECT_EQ(distinct.count(ThreadSerial()), 0u);  // never reused, the main thread's included
}

// What the test layer's exit hook saw, on the exiting thread.
struct ExitSeen {
  uint64_t serial = 0;
  bool exiting = false;
  uint8_t cache_state = 0xff;
  int runs = 0;
};
thread_local ExitSeen* tl_seen = nullptr;
std::atomic<int> g_fork_child_runs{0};

void TestExitHook() {
  if (tl_seen == nullptr) return;
  tl_seen->runs++;
  tl_seen->serial = tl_serial;
  tl_seen->exiting = ThreadExiting();
  tl_seen->cache_state = tl_mcache.state;
}
void TestForkChild() { g_fork_child_runs.fetch_add(1); }
constexpr ThreadHooks kTestHooks = {TestExitHook, nullptr, nullptr, TestForkChild};

void InstallTestHooks() {
  static std::once_flag once;
  std::call_once(once, [] { SetThreadHooks(kLayerConcurrent, &kTestHooks); });
}

TEST(ThreadRegistryThreads, ExitHooksRunTopDownWhileTheSerialIsReadable) {
  InstallTestHooks();
  ExitSeen seen;
  uint64_t serial = 0;
  std::thread t([&] {
    tl_seen = &seen;
    void* p = runtime::allocate(64, 16, false);  // sets the thread cache up (and enrolls)
    runtime::deallocate(p);
    serial = ThreadSerial();
    EXPECT_EQ(tl_mcache.state, kCacheActive);
  });
  t.join();
  EXPECT_EQ(seen.runs, 1);
  EXPECT_EQ(seen.serial, serial);  // the hook could still tell whose things are whose
  EXPECT_TRUE(seen.exiting);
  EXPECT_EQ(seen.cache_state, kCacheActive);  // the cache's layer is below: it drains after
}

TEST(ThreadRegistryThreads, AThreadThatNeverEnrolledRunsNoHooks) {
  InstallTestHooks();
  ExitSeen seen;
  std::thread t([&] { tl_seen = &seen; });
  t.join();
  EXPECT_EQ(seen.runs, 0);
}

// A pthread key created after the registry's has its destructor run after it: by then the
// thread has exited as far as the runtime is concerned.
pthread_key_t g_late_key;
std::atomic<uint64_t> g_late_serial{~uint64_t{0}};
std::atomic<bool> g_late_exiting{false};
std::atomic<uint8_t> g_late_cache{0xff};

TEST(ThreadRegistryThreads, AfterItsHooksTheThreadHasNoSerial) {
  ThreadSerial();  // the registry's key exists before ours
  ASSERT_EQ(pthread_key_create(&g_late_key,
                               [](void*) {
                                 g_late_serial = ThreadSerial();
                                 g_late_exiting = ThreadExiting();
                                 g_late_cache = tl_mcache.state;
                               }),
            0);
  std::thread t([] {
    ThreadSerial();
    pthread_setspecific(g_late_key, reinterpret_cast<void*>(1));
  });
  t.join();
  EXPECT_EQ(g_late_serial.load(), 0u);
  EXPECT_TRUE(g_late_exiting.load());
  EXPECT_EQ(g_late_cache.load(), kCacheDead);  // marked dead even though it was never set up
  pthread_key_delete(g_late_key);
}

TEST(ThreadRegistryThreads, LiveThreadsCountsEnrolledThreads) {
  uint64_t before = LiveThreads();
  std::atomic<bool> go{false}, enrolled{false};
  std::thread t([&] {
    ThreadSerial();
    enrolled = true;
    while (!go) std::this_thread::yield();
  });
  while (!enrolled) std::this_thread::yield();
  EXPECT_EQ(LiveThreads(), before + 1);
  go = true;
  t.join();
  EXPECT_EQ(LiveThreads(), before);
}

TEST(ThreadRegistryThreads, ForkRunsTheChildHooksOnce) {
  InstallTestHooks();
  ThreadSerial();
  std::thread other([] { ThreadSerial(); });  // another enrolled thread, gone in the child
  other.join();
  int before = g_fork_child_runs.load();
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    bool ok = g_fork_child_runs.load() == before + 1 && LiveThreads() == 1 &&
              ThreadSerial() != 0;
    void* p = runtime::allocate(1000, 16, true);  // the allocator's locks were released
    runtime::deallocate(p);
    _exit(ok && p != nullptr ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(g_fork_child_runs.load(), before);  // not in the parent
}

TEST(Fastrand, SeedMakesASequenceReproducible) {
  fastrand_seed(42);
  uint64_t a[4];
  for (auto& x : a) x = fastrand64();
  fastrand_seed(42);
  for (auto x : a) EXPECT_EQ(fastrand64(), x);
  fastrand_seed(0);  // "unseeded" is not a seed: taken as 1
  uint64_t z = fastrand64();
  fastrand_seed(1);
  EXPECT_EQ(fastrand64(), z);
}

TEST(FastrandThreads, ThreadsStartFromDifferentSeeds) {
  uint64_t first[2];
  for (auto& f : first) std::thread([&f] { f = fastrand64(); }).join();
  EXPECT_NE(first[0], first[1]);
}

TEST(Runtime, AllocateAlignsZeroesAndReallocates) {
  EXPECT_FALSE(runtime::uses_libc());
  for (size_t align : {size_t{8}, size_t{16}, size_t{64}, size_t{4096}, size_t{1} << 16}) {
    for (size_t size : {size_t{1}, size_t{24}, size_t{1000}, size_t{40000}, size_t{3} << 20}) {
      auto* p = static_cast<unsigned char*>(runtime::allocate(size, align, false));
      ASSERT_NE(p, nullptr);
      const size_t want = std::max(align, size <= 8 ? size_t{8} : size_t{16});
      EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % want, 0u) << size << " " << align;
      std::memset(p, 0xab, size);
      runtime::deallocate(p);
      auto* z = static_cast<unsigned char*>(runtime::allocate(size, align, true));
      ASSERT_NE(z, nullptr);
      for (size_t i = 0; i < size; i += 97) ASSERT_EQ(z[i], 0) << size << " " << align;
      ASSERT_EQ(z[size - 1], 0);
      runtime::deallocate(z);
    }
  }
  auto* r = static_cast<unsigned char*>(runtime::allocate(100, 16, false));
  for (int i = 0; i < 100; i++) r[i] = uint8_t(i);
  r = static_cast<unsigned char*>(runtime::reallocate(r, 5 << 20));
  ASSERT_NE(r, nullptr);
  for (int i = 0; i < 100; i++) ASSERT_EQ(r[i], uint8_t(i));
  runtime::deallocate(r);
  runtime::deallocate(nullptr);
  EXPECT_EQ(runtime::allocate(size_t{1} << 62, 16, false), nullptr);
}

TEST(Runtime, RoundupsizeIsTheSizeClassTable) {
  for (size_t n : {1, 8, 9, 24, 25, 100, 1024, 1025, 32768, 32769, 100000})
    EXPECT_EQ(runtime::roundupsize(n), RoundUpSize(n)) << n;
  EXPECT_EQ(runtime::roundupsize(24), 24u);  // Go's 24-byte class, for growslice
}

TEST(Runtime, StdAllocatorUsesTheHeap) {
  std::vector<uint64_t, runtime::allocator<uint64_t>> v;
  for (uint64_t i = 0; i < 10000; i++) v.push_back(i);
  EXPECT_EQ(v[9999], 9999u);
  EXPECT_GE(UsableSize(v.data()), v.size() * sizeof(uint64_t));  // gort's, or it would die
}

TEST(RuntimeDeathTest, FatalIsGosThrow) {
  EXPECT_DEATH(runtime::fatal("concurrent map writes"), "^fatal error: concurrent map writes\n$");
}

}  // namespace
}  // namespace gort::alloc
