// thread.cc — see thread.h.
#include "alloc/thread.h"

#include <pthread.h>

#include <atomic>

#include "alloc/check.h"

namespace gort::alloc {

constinit thread_local uint64_t tl_serial __attribute__((tls_model("initial-exec"))) = 0;

namespace {

enum : uint8_t { kNew = 0, kLive = 1, kExiting = 2 };
constinit thread_local uint8_t tl_state __attribute__((tls_model("initial-exec"))) = kNew;

constinit std::atomic<uint64_t> g_next_serial{1};
constinit std::atomic<uint64_t> g_live{0};
constinit std::atomic<const ThreadHooks*> g_hooks[kNumThreadLayers] = {};
pthread_key_t g_key;
pthread_once_t g_key_once = PTHREAD_ONCE_INIT;

const ThreadHooks* Hooks(int layer) { return g_hooks[layer].load(std::memory_order_acquire); }

// The key's destructor: the thread is ending. Its serial stays readable while the hooks run
// (they settle what the thread owns by comparing serials); it reads 0 afterwards.
void OnThreadExit(void*) {
  GORT_ASSERT(tl_state == kLive,
              "OnThreadExit: the thread is not enrolled, or its hooks ran already");
  tl_state = kExiting;
  for (int l = kNumThreadLayers - 1; l >= 0; l--) {
    const ThreadHooks* h = Hooks(l);
    if (h != nullptr && h->exit != nullptr) h->exit();
  }
  tl_serial = 0;
  g_live.fetch_sub(1, std::memory_order_relaxed);
}

void CreateKey() {
  if (pthread_key_create(&g_key, OnThreadExit) != 0) Fatal("cannot create the thread-exit key");
}

void ForkPrepare() {
  for (int l = kNumThreadLayers - 1; l >= 0; l--) {
    const ThreadHooks* h = Hooks(l);
    if (h != nullptr && h->fork_prepare != nullptr) h->fork_prepare();
  }
}

void ForkParent() {
  for (int l = 0; l < int(kNumThreadLayers); l++) {
    const ThreadHooks* h = Hooks(l);
    if (h != nullptr && h->fork_parent != nullptr) h->fork_parent();
  }
}

// In the child only the forking thread lives: it keeps its serial, the others are gone
// without their exit hooks (each layer's child hook decides what their leftovers become).
void ForkChild() {
  g_live.store(tl_state == kLive ? 1 : 0, std::memory_order_relaxed);
  for (int l = 0; l < int(kNumThreadLayers); l++) {
    const ThreadHooks* h = Hooks(l);
    if (h != nullptr && h->fork_child != nullptr) h->fork_child();
  }
}

// Runs after libc is up: pthread_atfork may allocate, which is fine from here.
__attribute__((constructor)) void RegisterForkHandlers() {
  pthread_atfork(ForkPrepare, ForkParent, ForkChild);
}

}  // namespace

uint64_t EnrollThread() {
  // Exiting or exited: 0. Enrolling already (pthread_setspecific below allocated, and the
  // allocator asked for the serial): the serial is set.
  if (tl_state != kNew) return tl_serial;
  GORT_ASSERT(tl_serial == 0, "EnrollThread: a thread that never enrolled has a serial");
  pthread_once(&g_key_once, CreateKey);
  tl_state = kLive;
  tl_serial = g_next_serial.fetch_add(1, std::memory_order_relaxed);
  g_live.fetch_add(1, std::memory_order_relaxed);
  // Any non-null value makes the destructor run. With a key >= 32 this may allocate.
  pthread_setspecific(g_key, reinterpret_cast<void*>(uintptr_t{1}));
  return tl_serial;
}

bool ThreadExiting() { return tl_state == kExiting; }

void SetThreadHooks(ThreadLayer layer, const ThreadHooks* hooks) {
  GORT_ASSERT(layer < kNumThreadLayers, "SetThreadHooks: layer out of range");
  GORT_ASSERT(hooks != nullptr, "SetThreadHooks: hooks is null");
  const ThreadHooks* none = nullptr;
  g_hooks[layer].compare_exchange_strong(none, hooks, std::memory_order_acq_rel);
}

uint64_t LiveThreads() { return g_live.load(std::memory_order_relaxed); }

}  // namespace gort::alloc
