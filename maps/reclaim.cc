// reclaim.cc — the reclamation domain's shared state and slow paths (reclaim.h): thread
// registration and exit, bags, epoch advances, freeing, fork.
#include "maps/reclaim.h"

#include <linux/membarrier.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <mutex>
#include <new>

namespace gort::maps::reclaim {
namespace detail {

constinit thread_local thread_rec* tl_rec __attribute__((tls_model("initial-exec"))) = nullptr;
constinit std::atomic<uint64_t> g_epoch{1};

namespace {

// Everything below is guarded by g_mu, except g_barrier (set under g_mu before the first
// record is published, read by the collector under g_mu).
std::mutex g_mu;
thread_rec* g_threads = nullptr;
bag* g_pending = nullptr;
barrier_kind g_barrier = barrier_kind::undecided;
uint64_t g_nthreads = 0, g_retired = 0, g_freed = 0, g_advances = 0, g_barriers = 0;

long membarrier(int cmd) { return syscall(__NR_membarrier, cmd, 0, 0); }

bool register_membarrier() {
  const long cmds = membarrier(MEMBARRIER_CMD_QUERY);
  if (cmds < 0 || !(cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED)) return false;
  return membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) == 0;
}

void decide_barrier_locked() {
  if (g_barrier != barrier_kind::undecided) return;
  g_barrier = register_membarrier() ? barrier_kind::membarrier : barrier_kind::reader_fence;
}

// The collector's side of every section's announcement (reclaim.h, step a).
void heavy_barrier_locked() {
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (g_barrier == barrier_kind::membarrier &&
      membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) != 0)
    runtime::fatal("reclaim: membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) failed");
  g_barriers++;
}

thread_rec* new_record(bool transient) {
  void* p = runtime::allocate(sizeof(thread_rec), alignof(thread_rec), false);
  if (p == nullptr) runtime::fatal("reclaim: out of memory for a thread record");
  thread_rec* r = ::new (p) thread_rec;
  r->transient = transient;
  return r;
}

void link_locked(thread_rec* r) {
  decide_barrier_locked();
  r->fence = g_barrier == barrier_kind::reader_fence;
  r->next = g_threads;
  g_threads = r;
  g_nthreads++;
}

void unlink_locked(thread_rec* r) {
  for (thread_rec** pp = &g_threads; *pp != nullptr; pp = &(*pp)->next) {
    if (*pp == r) {
      *pp = r->next;
      g_nthreads--;
      return;
    }
  }
  runtime::fatal("reclaim: a thread record is not registered");
}

void free_record(thread_rec* r) {
  r->~thread_rec();
  runtime::deallocate(r);
}

// Transient records whose section has ended, unlinked onto *dead (freed without g_mu).
void reap_transient_locked(thread_rec** dead) {
  for (thread_rec** pp = &g_threads; *pp != nullptr;) {
    thread_rec* r = *pp;
    if (r->transient && r->epoch.load(std::memory_order_acquire) == 0) {
      *pp = r->next;
      g_nthreads--;
      r->next = *dead;
      *dead = r;
    } else {
      pp = &r->next;
    }
  }
}

bag* new_bag() {
  void* p = runtime::allocate(sizeof(bag), alignof(bag), false);
  if (p == nullptr) runtime::fatal("reclaim: out of memory for a bag");
  bag* b = static_cast<bag*>(p);
  b->next = nullptr;
  b->epoch = 0;
  b->n = 0;
  return b;
}

// R3: the tag is read after the fence, so after every unlink of the bag's objects.
void seal(bag* b) {
  std::atomic_thread_fence(std::memory_order_seq_cst);
  b->epoch = g_epoch.load(std::memory_order_acquire);
}

void push_locked(bag* b) {
  b->next = g_pending;
  g_pending = b;
  g_retired += b->n;
}

// Step a: every registered record reads 0 or E, then E + 1.
bool try_advance_locked() {
  const uint64_t e = g_epoch.load(std::memory_order_relaxed);
  heavy_barrier_locked();
  for (thread_rec* r = g_threads; r != nullptr; r = r->next) {
    const uint64_t c = r->epoch.load(std::memory_order_acquire);
    if (c != 0 && c != e) return false;
  }
  g_epoch.store(e + 1, std::memory_order_release);
  g_advances++;
  return true;
}

uint64_t oldest_pending_locked() {
  uint64_t oldest = ~uint64_t{0};
  for (bag* b = g_pending; b != nullptr; b = b->next)
    if (b->epoch < oldest) oldest = b->epoch;
  return oldest;
}

// Step b's first half: bags two epochs old, unlinked onto *out.
void take_free_locked(bag** out) {
  const uint64_t now = g_epoch.load(std::memory_order_relaxed);
  for (bag** pp = &g_pending; *pp != nullptr;) {
    bag* b = *pp;
    if (b->epoch + 2 <= now) {
      *pp = b->next;
      g_freed += b->n;
      b->next = *out;
      *out = b;
    } else {
      pp = &b->next;
    }
  }
}

// One collection under g_mu: reap, advance (twice at most, while it helps), take.
void collect_locked(bag** out, thread_rec** dead) {
  reap_transient_locked(dead);
  for (int i = 0; i < 2 && g_pending != nullptr; i++) {
    if (oldest_pending_locked() + 2 <= g_epoch.load(std::memory_order_relaxed)) break;
    if (!try_advance_locked()) break;
  }
  take_free_locked(out);
}

// Step b's second half, without g_mu: a free function may retire or use a map.
void free_all(bag* bags, thread_rec* dead) {
  while (bags != nullptr) {
    bag* next = bags->next;
    for (uint64_t i = 0; i < bags->n; i++) bags->items[i].free(bags->items[i].p);
    runtime::deallocate(bags);
    bags = next;
  }
  while (dead != nullptr) {
    thread_rec* next = dead->next;
    free_record(dead);
    dead = next;
  }
}

void try_collect() {
  bag* out = nullptr;
  thread_rec* dead = nullptr;
  {
    std::unique_lock lk(g_mu, std::try_to_lock);
    if (!lk.owns_lock()) return;  // someone is collecting
    collect_locked(&out, &dead);
  }
  free_all(out, dead);
}

// Seals b and puts it on the pending list (or frees an empty one).
void hand_over(bag* b) {
  if (b == nullptr) return;
  if (b->n == 0) {
    runtime::deallocate(b);
    return;
  }
  seal(b);
  std::lock_guard lk(g_mu);
  push_locked(b);
}

// ---- threads -------------------------------------------------------------------------------

void on_thread_exit() {
  thread_rec* r = tl_rec;
  if (r == nullptr) return;
  tl_rec = nullptr;
  r->epoch.store(0, std::memory_order_release);  // a section it left open protects nothing
  bag* b = r->open_bag;
  r->open_bag = nullptr;
  hand_over(b);
  {
    std::lock_guard lk(g_mu);
    unlink_locked(r);
  }
  free_record(r);
  try_collect();
}

void fork_prepare() { g_mu.lock(); }
void fork_parent() { g_mu.unlock(); }

// Only the forking thread lives on: the others' records go, their bags are sealed (their
// sections ended with them); the child's mm needs its own membarrier registration.
void fork_child() {
  thread_rec* self = tl_rec;
  for (thread_rec* r = g_threads; r != nullptr;) {
    thread_rec* next = r->next;
    if (r != self) {
      if (r->open_bag != nullptr && r->open_bag->n != 0) {
        seal(r->open_bag);
        push_locked(r->open_bag);
      } else if (r->open_bag != nullptr) {
        runtime::deallocate(r->open_bag);
      }
      free_record(r);
    }
    r = next;
  }
  g_threads = self;
  g_nthreads = self != nullptr ? 1 : 0;
  if (self != nullptr) self->next = nullptr;
  if (g_barrier == barrier_kind::membarrier && !register_membarrier()) {
    g_barrier = barrier_kind::reader_fence;
    if (self != nullptr) self->fence = true;
  }
  g_mu.unlock();
}

constexpr alloc::ThreadHooks kHooks = {on_thread_exit, fork_prepare, fork_parent, fork_child};

// A thread whose exit hook has run: one record for this one section.
thread_rec* enter_transient() {
  thread_rec* r = new_record(true);
  thread_rec* dead = nullptr;
  {
    std::lock_guard lk(g_mu);
    reap_transient_locked(&dead);
    r->epoch.store(g_epoch.load(std::memory_order_acquire), std::memory_order_release);
    link_locked(r);
  }
  std::atomic_thread_fence(std::memory_order_seq_cst);
  free_all(nullptr, dead);
  return r;
}

// Registers the calling thread (not yet registered); false if its exit hook has run.
bool register_thread() {
  if (alloc::ThreadExiting() || alloc::ThreadSerial() == 0) return false;
  alloc::SetThreadHooks(alloc::kLayerConcurrent, &kHooks);
  thread_rec* r = new_record(false);
  {
    std::lock_guard lk(g_mu);
    link_locked(r);
  }
  tl_rec = r;
  return true;
}

}  // namespace

thread_rec* enter_slow() {
  if (!register_thread()) return enter_transient();
  thread_rec* r = tl_rec;
  r->epoch.store(g_epoch.load(std::memory_order_acquire), std::memory_order_release);
  std::atomic_thread_fence(std::memory_order_seq_cst);  // the slow path may fence either way
  return r;
}

void retire_slow(void* p, void (*free)(void*)) {
  thread_rec* r = tl_rec;
  if (r == nullptr && !register_thread()) {  // after the exit hook: a bag of one
    bag* b = new_bag();
    b->items[b->n++] = retired{p, free};
    hand_over(b);
    try_collect();
    return;
  }
  r = tl_rec;
  bag* full = r->open_bag;
  r->open_bag = new_bag();
  r->open_bag->items[r->open_bag->n++] = retired{p, free};
  if (full != nullptr) {
    hand_over(full);
    try_collect();
  }
}

}  // namespace detail

using namespace detail;

void drain() {
  thread_rec* r = tl_rec;
  if (r != nullptr) {
    if (r->epoch.load(std::memory_order_relaxed) != 0)
      runtime::fatal("reclaim::drain called inside a read section");
    bag* b = r->open_bag;
    r->open_bag = nullptr;
    hand_over(b);
  }
  for (;;) {
    bag* out = nullptr;
    thread_rec* dead = nullptr;
    bool empty;
    {
      std::lock_guard lk(g_mu);
      collect_locked(&out, &dead);
      empty = g_pending == nullptr;
    }
    const bool progress = out != nullptr;
    free_all(out, dead);
    // Free functions may have retired into this thread's bag: hand that over too.
    if (r != nullptr && r->open_bag != nullptr && r->open_bag->n != 0) {
      bag* b = r->open_bag;
      r->open_bag = nullptr;
      hand_over(b);
      empty = false;
    }
    if (empty) return;
    if (!progress) sched_yield();  // an open section holds an epoch back
  }
}

barrier_kind barrier() {
  std::lock_guard lk(g_mu);
  return g_barrier;
}

bool use_reader_fence() {
  std::lock_guard lk(g_mu);
  if (g_barrier != barrier_kind::undecided) return g_barrier == barrier_kind::reader_fence;
  g_barrier = barrier_kind::reader_fence;
  return true;
}

stats_t stats() {
  std::lock_guard lk(g_mu);
  return stats_t{g_epoch.load(std::memory_order_relaxed), g_nthreads, g_retired, g_freed,
                 g_retired - g_freed, g_advances, g_barriers};
}

}  // namespace gort::maps::reclaim
