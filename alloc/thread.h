// thread.h — the runtime's one thread registry: a serial per thread, exit hooks, fork hooks.
//
// Go's runtime knows every M (allm) and tears one down in one place (mexit); gort has no
// scheduler, but its components still need three per-thread services, and keep them here so
// a process has one of each (thread.cc; never header state, which every shared object built
// with hidden visibility would duplicate):
//
//  1. A serial: ThreadSerial() numbers the calling thread 1, 2, 3, … on first use. Serials
//     are never reused, so a stale owner recorded in a data structure can never match a
//     live thread (slices/ biases reference counts towards the thread that made an array).
//     After the thread's exit hooks have run it reads 0: the thread owns nothing new.
//  2. Exit hooks, one per layer, run by one pthread key destructor when an enrolled thread
//     ends, from the top layer down: containers first (they free into the allocator), the
//     thread cache last (it drains what they freed). A thread is enrolled when it first
//     asks for its serial; the mcache asks when it sets a thread up.
//  3. Fork hooks, one set per layer, from one pthread_atfork registration: prepare from the
//     top layer down (a container may call the allocator while holding its own lock, so
//     container locks rank above allocator locks), parent and child from the bottom up.
//
// Layers are a fixed enumeration, not a registration order, so the order of the hooks does
// not depend on which component happened to start first. A layer installs its hooks once
// (SetThreadHooks); installing is allocation-free and may happen on any thread.
//
// Invariants: tl_serial == 0 iff the thread never enrolled or has exited (tl_exited);
// serials only grow; the hooks of one thread run at most once, on that thread.
// Limitation (pthread's): a thread that first enrolls during the last round of key
// destructors is not told that it exits; the main thread's hooks do not run at exit().
#pragma once

#include <cstdint>

#include "alloc/config.h"

namespace gort::alloc {

// Ordered from the bottom of the stack to the top.
enum ThreadLayer : uint32_t {
  kLayerThreadCache,  // alloc/mcache: drains the thread's lists to mcentral
  kLayerSlices,       // slices/array: folds the thread's biased counts, drains the merge queue
  kLayerConcurrent,   // maps/: the concurrent maps' reclamation
  kNumThreadLayers,
};

struct ThreadHooks {
  void (*exit)();          // on the exiting thread, which is still enrolled
  void (*fork_prepare)();  // each may be null
  void (*fork_parent)();
  void (*fork_child)();
};

extern constinit thread_local uint64_t tl_serial __attribute__((tls_model("initial-exec")))
GORT_RUNTIME_API;

uint64_t EnrollThread() GORT_RUNTIME_API;  // slow path of ThreadSerial

// The calling thread's serial (enrolling it on first use), or 0 once it has exited.
GORT_INLINE uint64_t ThreadSerial() {
  uint64_t s = tl_serial;
  if (GORT_UNLIKELY(s == 0)) return EnrollThread();
  return s;
}

// True once the calling thread's exit hooks have started.
bool ThreadExiting() GORT_RUNTIME_API;

// Installs the hooks of one layer (hooks must outlive the process). Installing a layer twice
// keeps the first hooks.
void SetThreadHooks(ThreadLayer layer, const ThreadHooks* hooks) GORT_RUNTIME_API;

// Threads enrolled and not yet exited (statistics, tests).
uint64_t LiveThreads() GORT_RUNTIME_API;

}  // namespace gort::alloc
