// map_model.h — the sequential model of a map for lincheck.h, and random calls to drive it.
//
// Every operation of gort's maps touches one key, so the model's part is the key and its
// state is what one key holds: absent, or a small value (P-compositionality, lincheck.h).
// One map_op records a call: its kind, its arguments, and what it returned.
//
//   kind            API                              arguments   observed
//   get             get(k) / load(k) -> optional     -           out (kAbsent if none)
//   set             set(k, v) / store(k, v)          a = v       -
//   del             del(k) -> bool                   -           ok: k was there
//   erase           del(k), no result (sync_map)     -           -
//   compute         compute(k, fn): v = old + a,     a           out: the old value fn saw
//                   or a if k was absent
//   load_or_store   load_or_store(k, v) -> (v', l)   a = v       out = v', ok = loaded
//   swap            swap(k, v) -> optional prev      a = v       out = prev
//   cas             compare_and_swap(k, o, n)        a = o, b = n   ok: swapped
//   cad             compare_and_delete(k, o)         a = o       ok: deleted
//   load_and_delete load_and_delete(k) -> optional   -           out
//
// compare_and_swap and compare_and_delete succeed only on a present key holding o (Go's
// sync.Map). Ranges and len are not modelled: they read many keys and are not linearizable
// in the maps under test (sync.Map's Range is no snapshot, by design).
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "tests/lincheck/lincheck.h"
#include "tests/maps/splitmix.h"

namespace gort::lincheck {

enum class map_kind : uint8_t {
  get, set, del, erase, compute, load_or_store, swap, cas, cad, load_and_delete
};

inline constexpr int kAbsent = -1;  // values are >= 0

struct map_op {
  map_kind kind = map_kind::get;
  int key = 0;
  int a = 0, b = 0;     // arguments (table above)
  int out = kAbsent;    // observed value (table above)
  bool ok = false;      // observed flag (table above)
};

struct map_model {
  using op = map_op;
  using state = int;  // the key's value, or kAbsent

  static state init() { return kAbsent; }
  static uint64_t partition(const op& o) { return static_cast<uint64_t>(o.key); }
  static bool step(state& s, const op& o);
  static bool leaves_state(const op& o);
  static std::string format(const op& o);
};

inline bool map_model::step(state& s, const op& o) {
  const bool present = s != kAbsent;
  switch (o.kind) {
    case map_kind::get: return o.out == s;
    case map_kind::set: s = o.a; return true;
    case map_kind::erase: s = kAbsent; return true;
    case map_kind::del: {
      s = kAbsent;
      return o.ok == present;
    }
    case map_kind::compute: {
      const bool fits = o.out == s;
      s = present ? s + o.a : o.a;
      return fits;
    }
    case map_kind::load_or_store: {
      if (present) return o.ok && o.out == s;
      s = o.a;
      return !o.ok && o.out == o.a;
    }
    case map_kind::swap: {
      const bool fits = o.out == s;
      s = o.a;
      return fits;
    }
    case map_kind::cas: {
      const bool hit = present && s == o.a;
      if (hit) s = o.b;
      return o.ok == hit;
    }
    case map_kind::cad: {
      const bool hit = present && s == o.a;
      if (hit) s = kAbsent;
      return o.ok == hit;
    }
    case map_kind::load_and_delete: {
      const bool fits = o.out == s;
      s = kAbsent;
      return fits;
    }
  }
  return false;
}

inline bool map_model::leaves_state(const op& o) {
  switch (o.kind) {
    case map_kind::get: return true;
    case map_kind::del: return !o.ok;
    case map_kind::load_or_store: return o.ok;
    case map_kind::cas: return !o.ok || o.a == o.b;
    case map_kind::cad: return !o.ok;
    case map_kind::load_and_delete: return o.out == kAbsent;
    case map_kind::swap: return o.out == o.a;
    default: return false;
  }
}

inline std::string map_model::format(const op& o) {
  auto v = [](int x) { return x == kAbsent ? std::string("none") : std::to_string(x); };
  const std::string k = std::to_string(o.key), a = std::to_string(o.a);
  const std::string flag = o.ok ? "true" : "false";
  switch (o.kind) {
    case map_kind::get: return "get(" + k + ") -> " + v(o.out);
    case map_kind::set: return "set(" + k + ", " + a + ")";
    case map_kind::del: return "del(" + k + ") -> " + flag;
    case map_kind::erase: return "del(" + k + ")";
    case map_kind::compute: return "compute(" + k + ", +" + a + ") saw " + v(o.out);
    case map_kind::load_or_store:
      return "load_or_store(" + k + ", " + a + ") -> (" + v(o.out) + ", " + flag + ")";
    case map_kind::swap: return "swap(" + k + ", " + a + ") -> " + v(o.out);
    case map_kind::cas:
      return "compare_and_swap(" + k + ", " + a + ", " + std::to_string(o.b) + ") -> " + flag;
    case map_kind::cad: return "compare_and_delete(" + k + ", " + a + ") -> " + flag;
    case map_kind::load_and_delete: return "load_and_delete(" + k + ") -> " + v(o.out);
  }
  return "?";
}

// The shape of random histories: threads x calls per thread, keys and values drawn from
// small sets so that calls collide, and the kinds to draw from (an API's subset).
struct map_workload {
  int min_threads = 2, max_threads = 4;
  int min_calls = 3, max_calls = 5;
  int min_keys = 2, max_keys = 3;
  int values = 3;  // arguments in [0, values)
  std::vector<map_kind> kinds;
};

// One random call (arguments only; the run fills in the results).
inline map_op random_op(maps::test::splitmix& rng, const map_workload& w, int keys) {
  map_op o;
  o.kind = w.kinds[rng.next() % w.kinds.size()];
  o.key = static_cast<int>(rng.next() % static_cast<uint64_t>(keys));
  o.a = static_cast<int>(rng.next() % static_cast<uint64_t>(w.values));
  o.b = static_cast<int>(rng.next() % static_cast<uint64_t>(w.values));
  if (o.kind == map_kind::compute) o.a = 1 + o.a % 2;  // +1 or +2
  return o;
}

// One random history's scripts, one per thread.
inline std::vector<std::vector<map_op>> random_scripts(maps::test::splitmix& rng,
                                                       const map_workload& w) {
  auto pick = [&](int lo, int hi) {
    return lo + static_cast<int>(rng.next() % static_cast<uint64_t>(hi - lo + 1));
  };
  const int keys = pick(w.min_keys, w.max_keys);
  std::vector<std::vector<map_op>> scripts(static_cast<size_t>(pick(w.min_threads, w.max_threads)));
  for (auto& s : scripts) {
    s.resize(static_cast<size_t>(pick(w.min_calls, w.max_calls)));
    for (map_op& o : s) o = random_op(rng, w, keys);
  }
  return scripts;
}

// Every kind, for objects that have the whole surface.
inline const std::vector<map_kind> kAllMapKinds = {
    map_kind::get,  map_kind::set, map_kind::del, map_kind::erase, map_kind::compute,
    map_kind::load_or_store, map_kind::swap, map_kind::cas, map_kind::cad,
    map_kind::load_and_delete};

}  // namespace gort::lincheck
