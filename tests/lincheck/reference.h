// reference.h — maps for the checker's own tests: one correct, three wrong on purpose.
//
//   mutex_map        std::mutex around std::unordered_map: linearizable, the reference.
//   stale_cache_map  get answers from a per-thread cache of what the thread last saw.
//   torn_cas_map     compare_and_swap reads under the lock, lets go, writes under it again.
//   lost_update_map  compute does the same: two computes can read the same old value.
// The wrong ones hold the lock for every access, so they have no data race
// (ThreadSanitizer is silent): only the order of their effects is wrong, which is what the
// checker must see. The torn ones yield between their two critical sections, where a real
// one would be preempted or take a slow path (an allocation): the window is then as wide as
// a time slice instead of a few nanoseconds, so that the tests do not hang on the luck of
// two shared cores. It widens the bug; it does not make it.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "tests/lincheck/map_model.h"

namespace gort::lincheck::test {

// Performs o on m and records its results (the table of map_model.h), one call at a time.
inline void apply_sequential(std::unordered_map<int, int>& m, map_op& o) {
  auto it = m.find(o.key);
  const bool present = it != m.end();
  const int old = present ? it->second : kAbsent;
  switch (o.kind) {
    case map_kind::get: o.out = old; break;
    case map_kind::set: m[o.key] = o.a; break;
    case map_kind::del: o.ok = present; m.erase(o.key); break;
    case map_kind::erase: m.erase(o.key); break;
    case map_kind::compute: o.out = old; m[o.key] = present ? old + o.a : o.a; break;
    case map_kind::load_or_store:
      o.ok = present;
      o.out = present ? old : o.a;
      if (!present) m[o.key] = o.a;
      break;
    case map_kind::swap: o.out = old; m[o.key] = o.a; break;
    case map_kind::cas:
      o.ok = present && old == o.a;
      if (o.ok) it->second = o.b;
      break;
    case map_kind::cad:
      o.ok = present && old == o.a;
      if (o.ok) m.erase(it);
      break;
    case map_kind::load_and_delete: o.out = old; m.erase(o.key); break;
  }
}

struct mutex_map {
  std::mutex mu;
  std::unordered_map<int, int> m;
  void apply(map_op& o) {
    std::lock_guard g(mu);
    apply_sequential(m, o);
  }
};

struct stale_cache_map : mutex_map {
  static inline std::atomic<uint64_t> instances{0};
  const uint64_t id = ++instances;  // a thread's cache belongs to one map

  void apply(map_op& o) {
    thread_local uint64_t cache_of = 0;
    thread_local std::unordered_map<int, int> cache;
    if (cache_of != id) {
      cache.clear();
      cache_of = id;
    }
    if (o.kind == map_kind::get) {
      if (auto it = cache.find(o.key); it != cache.end()) {
        o.out = it->second;
        return;
      }
    }
    mutex_map::apply(o);
    if (o.kind == map_kind::set) cache[o.key] = o.a;
    if (o.kind == map_kind::get && o.out != kAbsent) cache[o.key] = o.out;
    if (o.kind == map_kind::del) cache.erase(o.key);
  }
};

struct torn_cas_map : mutex_map {
  void apply(map_op& o) {
    if (o.kind != map_kind::cas) return mutex_map::apply(o);
    {
      std::lock_guard g(mu);
      auto it = m.find(o.key);
      o.ok = it != m.end() && it->second == o.a;
    }
    std::this_thread::yield();  // the window (see the top)
    if (o.ok) {  // another call may have changed the value meanwhile
      std::lock_guard g(mu);
      m[o.key] = o.b;
    }
  }
};

struct lost_update_map : mutex_map {
  void apply(map_op& o) {
    if (o.kind != map_kind::compute) return mutex_map::apply(o);
    {
      std::lock_guard g(mu);
      auto it = m.find(o.key);
      o.out = it == m.end() ? kAbsent : it->second;
    }
    std::this_thread::yield();  // the window (see the top)
    std::lock_guard g(mu);  // another compute may have written meanwhile: lost
    m[o.key] = o.out == kAbsent ? o.a : o.out + o.a;
  }
};

}  // namespace gort::lincheck::test
