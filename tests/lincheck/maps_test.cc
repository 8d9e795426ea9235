// gort's concurrent maps against the linearizability checker: 10^4 random histories each
// (2-4 threads, 3-5 calls, 2-3 keys; record.h, map_model.h), no violation allowed.
//
// The maps are written beside this branch; each part below is compiled only once its header
// exists (__has_include), and its test reports SKIPPED until then. What the adapters assume
// of the APIs:
//   sharded_map<K, V>   set(k, v); get(k) -> std::optional<V>; del(k) -> bool; compute(k, fn)
//   sync_map<K, V>      load(k) -> std::optional<V>; store(k, v); load_or_store(k, v) ->
//                       std::pair<V, bool>; load_and_delete(k) -> std::optional<V>; del(k);
//                       swap(k, v) -> std::optional<V>; compare_and_swap(k, old, new) ->
//                       bool; compare_and_delete(k, old) -> bool
// compute's callback (add_fn below) answers sharded_map's shape, fn(const V* current) ->
// std::optional<V> (nullopt deletes), and three other usual ones: fn(std::optional<V>&)
// editing in place, fn(const std::optional<V>&) -> std::optional<V>, and fn(V old, bool
// loaded) -> std::pair<V, bool delete>. len() and range() are not checked: they read every key
// and need not be linearizable (see map_model.h).
#include <gtest/gtest.h>

#include <optional>
#include <type_traits>
#include <utility>

#include "tests/lincheck/map_model.h"
#include "tests/lincheck/record.h"

#if __has_include("maps/sharded_map.h")
#include "maps/sharded_map.h"
#define GORT_LINCHECK_SHARDED_MAP 1
#else
#define GORT_LINCHECK_SHARDED_MAP 0
#endif
#if __has_include("maps/sync_map.h")
#include "maps/sync_map.h"
#define GORT_LINCHECK_SYNC_MAP 1
#else
#define GORT_LINCHECK_SYNC_MAP 0
#endif

namespace gort::lincheck {
namespace {

constexpr int kHistories = 10000;

// compute's callback: the new value is old + addend (addend if absent); it records the old
// value it saw (the call's observed result; a map that retries the callback reports the
// last try, the one that took effect).
struct add_fn {
  int addend;
  int* saw;
  // fn(std::optional<V>&) in place, or fn(const std::optional<V>&) -> the new value.
  template <class O>
    requires std::is_same_v<std::remove_cvref_t<O>, std::optional<int>>
  std::optional<int> operator()(O&& cur) const {
    *saw = cur ? *cur : kAbsent;
    std::optional<int> next = (cur ? *cur : 0) + addend;
    if constexpr (!std::is_const_v<std::remove_reference_t<O>>) cur = next;
    return next;
  }
  // fn(const V* current or null) -> the new value or nullopt to delete (sharded_map's).
  std::optional<int> operator()(const int* cur) const {
    *saw = cur ? *cur : kAbsent;
    return (cur ? *cur : 0) + addend;
  }
  // fn(old, loaded) -> {new value, delete?}.
  std::pair<int, bool> operator()(int old, bool loaded) const {
    *saw = loaded ? old : kAbsent;
    return {(loaded ? old : 0) + addend, false};
  }
};

[[maybe_unused]] int value_or_absent(const std::optional<int>& v) { return v ? *v : kAbsent; }

template <class Object>
exploration explore_map(std::vector<map_kind> kinds) {
  map_workload w;
  w.kinds = std::move(kinds);
  recorder<map_op> rec(w.max_threads);
  return explore<map_model, Object>(rec, kHistories, 7, [&](maps::test::splitmix& rng) {
    return random_scripts(rng, w);
  });
}

[[maybe_unused]] void expect_linearizable(const char* what, const exploration& x) {
  std::printf("%s: %d histories in %.2f s%s\n", what, x.histories, x.seconds,
              x.ok ? ", all linearizable" : "");
  EXPECT_TRUE(x.ok) << what << " after " << x.histories << " histories:\n" << x.report;
  EXPECT_EQ(x.histories, kHistories);
}

#if GORT_LINCHECK_SHARDED_MAP
template <class Lock>
struct sharded_adapter {
  gort::sharded_map<int, int, gort::hash<int>, gort::equal_to<int>, Lock> m;
  void apply(map_op& o) {
    switch (o.kind) {
      case map_kind::get: o.out = value_or_absent(m.get(o.key)); break;
      case map_kind::set: m.set(o.key, o.a); break;
      case map_kind::del: o.ok = m.del(o.key); break;
      case map_kind::compute: m.compute(o.key, add_fn{o.a, &o.out}); break;
      default: ADD_FAILURE() << "sharded_map has no " << map_model::format(o);
    }
  }
};
#endif

#if GORT_LINCHECK_SHARDED_MAP
// sharded_map with one lock type against the checker.
template <class Lock>
void expect_sharded_linearizable(const char* what) {
  expect_linearizable(what, explore_map<sharded_adapter<Lock>>(
                                {map_kind::get, map_kind::set, map_kind::del, map_kind::compute}));
}
#define GORT_SHARDED_LINCHECK(Lock, what) expect_sharded_linearizable<Lock>(what)
#else
#define GORT_SHARDED_LINCHECK(Lock, what) GTEST_SKIP() << "maps/sharded_map.h is not there yet"
#endif

TEST(ShardedMapThreads, Linearizable) { GORT_SHARDED_LINCHECK(gort::spin_rwlock, "sharded_map"); }
TEST(ShardedMapThreads, LinearizableWithRwLock) {
  GORT_SHARDED_LINCHECK(gort::rwlock, "sharded_map<rwlock>");
}
TEST(ShardedMapThreads, LinearizableWithReaderSlots) {
  GORT_SHARDED_LINCHECK(gort::slotted_rwlock, "sharded_map<slotted_rwlock>");
}

#if GORT_LINCHECK_SYNC_MAP
struct sync_adapter {
  gort::sync_map<int, int> m;
  void apply(map_op& o) {
    switch (o.kind) {
      case map_kind::get: o.out = value_or_absent(m.load(o.key)); break;
      case map_kind::set: m.store(o.key, o.a); break;
      case map_kind::erase: m.del(o.key); break;
      case map_kind::load_or_store: {
        auto [v, loaded] = m.load_or_store(o.key, o.a);
        o.out = v;
        o.ok = loaded;
        break;
      }
      case map_kind::swap: o.out = value_or_absent(m.swap(o.key, o.a)); break;
      case map_kind::cas: o.ok = m.compare_and_swap(o.key, o.a, o.b); break;
      case map_kind::cad: o.ok = m.compare_and_delete(o.key, o.a); break;
      case map_kind::load_and_delete: o.out = value_or_absent(m.load_and_delete(o.key)); break;
      default: ADD_FAILURE() << "sync_map has no " << map_model::format(o);
    }
  }
};
#endif

TEST(SyncMapThreads, Linearizable) {
#if GORT_LINCHECK_SYNC_MAP
  expect_linearizable("sync_map", explore_map<sync_adapter>(
                                      {map_kind::get, map_kind::set, map_kind::erase,
                                       map_kind::load_or_store, map_kind::swap, map_kind::cas,
                                       map_kind::cad, map_kind::load_and_delete}));
#else
  GTEST_SKIP() << "maps/sync_map.h is not there yet";
#endif
}

}  // namespace
}  // namespace gort::lincheck
