// lincheck.h — a linearizability checker for recorded histories of small concurrent objects.
//
// A concurrent map is correct (linearizable, Herlihy & Wing 1990) when every run could have
// happened one call at a time: there is a total order of the calls that (a) keeps every
// call that returned before another began ahead of it, and (b) gives every call, replayed on
// a sequential model of the object, the result it really returned. The tests record runs
// (record.h), then ask check() whether such an order exists.
//
// How check() decides, for a history H of completed calls:
//   1. Partition (P-compositionality, Horn & Kroening 2015): the model names the part of the
//      object each call touches (a map: its key). Calls on different parts commute, and
//      linearizability is local (Herlihy & Wing, theorem 1): H is linearizable iff each part's
//      sub-history is. So each key is checked alone, on a few calls instead of all.
//   2. Search (Wing & Gong 1993, with Lowe's memoisation, 2017): lay the calls' call and
//      return events on one list in time order. Walk it: at a call event, try to linearize
//      that call now — step the model; if its result fits and the pair (set of calls
//      linearized, model state) is new, take the call off the list, push it, and restart at
//      the head. At a return event, the call it closes was never linearized although
//      something after it must be: pop the last choice, put that call back, and try the next
//      call event after it. The list empties: linearizable. The stack empties at a return
//      event: not. The memo prunes every configuration reached before by another order, so
//      the search is bounded by (subsets) x (states), tiny for 2-3 threads' calls on a key.
//   3. Witness: for a failing part, minimise() drops calls while the rest stays
//      unlinearizable, but only calls whose removal cannot hide a correct run (see there),
//      so what format() prints still proves the object wrong.
//
// A model M is a struct of static functions over its op (arguments and observed result) and
// its state (equality-comparable and std::hash-able):
//   M::init()              the state before any call
//   M::step(state&, op)    applies op to state; false if op's observed result cannot come
//                          from that state (state is then unspecified)
//   M::partition(op)       the part of the object op touches (a map's key)
//   M::leaves_state(op)    true if op's observed result proves it changed nothing (a get; a
//                          compare-and-swap that failed) — minimise() may drop such calls
//   M::format(op)          "get(1) -> 2"
// map_model.h is the model of a map with its many operation sets.
//
// Time: call and ret are ticks of one global counter taken with seq_cst read-modify-writes
// just before the call starts and just after it returns (record.h). a.ret < b.call then
// means a's return happened before b's call, so the real-time order is never stricter than
// the run's: a correct object is never reported.
//
// Limits: at most 64 calls per part (a mask of linearized calls); histories of complete
// calls only (the recorder waits for every thread).
#pragma once

#include <algorithm>
#include <concepts>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <span>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace gort::lincheck {

// One completed call: what was asked and answered, by whom, and when.
template <class Op>
struct event {
  Op op;
  uint32_t thread = 0;
  uint64_t call = 0, ret = 0;  // ticks of one clock; call < ret
};

template <class Op>
using history = std::vector<event<Op>>;

template <class M>
concept model = requires(typename M::state& s, const typename M::op& o) {
  { M::init() } -> std::convertible_to<typename M::state>;
  { M::step(s, o) } -> std::same_as<bool>;
  { M::partition(o) } -> std::convertible_to<uint64_t>;
  { M::leaves_state(o) } -> std::same_as<bool>;
  { M::format(o) } -> std::convertible_to<std::string>;
  { std::hash<typename M::state>{}(s) } -> std::convertible_to<size_t>;
} && std::equality_comparable<typename M::state>;

inline constexpr size_t kMaxCallsPerPart = 64;

// The answer of check(): on failure, the part that has no linearization and a minimal
// sub-history of it (indices into the history, in call order) that still has none.
struct verdict {
  bool ok = true;
  uint64_t part = 0;
  size_t part_calls = 0;        // calls on that part before minimising
  std::vector<size_t> witness;  // indices into the checked history
  explicit operator bool() const { return ok; }
};

namespace internal {

// Step 2 of the header on the calls h[idx[0..n)]: Wing & Gong's search with Lowe's memo.
template <model M>
class search {
 public:
  using op = typename M::op;
  using state = typename M::state;

  search(const history<op>& h, std::span<const size_t> idx) : h_(h), idx_(idx) {}

  bool run() {
    build_list();
    state s = M::init();
    uint64_t done = 0;  // calls linearized so far (bit i: idx_[i])
    std::vector<std::pair<int, state>> stack;  // (call linearized, state before it)
    int e = next_[head_];
    while (next_[head_] != kEnd) {
      const int c = e >> 1;
      if (is_call(e)) {
        state t = s;
        if (M::step(t, h_[idx_[c]].op) && seen_.insert({done | bit(c), t}).second) {
          stack.emplace_back(c, std::move(s));
          s = std::move(t);
          done |= bit(c);
          lift(c);
          e = next_[head_];
        } else {
          e = next_[e];
        }
      } else {  // a return whose call is still pending: undo the last choice
        if (stack.empty()) return false;
        auto [undo, before] = std::move(stack.back());
        stack.pop_back();
        s = std::move(before);
        done &= ~bit(undo);
        unlift(undo);
        e = next_[call_node(undo)];
      }
    }
    return true;
  }

 private:
  // Node 2i is call i's call event, 2i + 1 its return; head_ (2n) is the list's sentinel.
  static constexpr int kEnd = -1;
  static int call_node(int c) { return 2 * c; }
  static int ret_node(int c) { return 2 * c + 1; }
  static bool is_call(int node) { return (node & 1) == 0; }
  static uint64_t bit(int c) { return uint64_t{1} << c; }

  void build_list() {
    const int n = static_cast<int>(idx_.size());
    head_ = 2 * n;
    next_.assign(2 * n + 1, kEnd);
    prev_.assign(2 * n + 1, kEnd);
    std::vector<std::pair<uint64_t, int>> order;
    for (int c = 0; c < n; c++) {
      order.emplace_back(h_[idx_[c]].call, call_node(c));
      order.emplace_back(h_[idx_[c]].ret, ret_node(c));
    }
    std::sort(order.begin(), order.end());
    int last = head_;
    for (auto [t, node] : order) {
      next_[last] = node;
      prev_[node] = last;
      last = node;
    }
  }
  void unlink(int node) {
    next_[prev_[node]] = next_[node];
    if (next_[node] != kEnd) prev_[next_[node]] = prev_[node];
  }
  void relink(int node) {  // node's own prev_/next_ still hold its old neighbours
    next_[prev_[node]] = node;
    if (next_[node] != kEnd) prev_[next_[node]] = node;
  }
  void lift(int c) {
    unlink(call_node(c));
    unlink(ret_node(c));
  }
  void unlift(int c) {  // the reverse of lift, in reverse order
    relink(ret_node(c));
    relink(call_node(c));
  }

  struct key_hash {
    size_t operator()(const std::pair<uint64_t, state>& k) const {
      return std::hash<uint64_t>{}(k.first * 0x9e3779b97f4a7c15ull) ^ std::hash<state>{}(k.second);
    }
  };

  const history<op>& h_;
  std::span<const size_t> idx_;
  int head_ = 0;
  std::vector<int> next_, prev_;
  std::unordered_set<std::pair<uint64_t, state>, key_hash> seen_;
};

template <model M>
bool linearizable(const history<typename M::op>& h, std::span<const size_t> idx) {
  return search<M>(h, idx).run();
}

}  // namespace internal

// Step 3 of the header. Dropping a call c from an unlinearizable H is kept only when H \ c
// is still unlinearizable and H linearizable would imply H \ c linearizable, so that H \ c
// remains a proof against H:
//   - c leaves the state as it found it (M::leaves_state): delete it from H's linearization;
//   - c began after every other call returned: it is last in every linearization of H.
template <model M>
std::vector<size_t> minimise(const history<typename M::op>& h, std::vector<size_t> idx) {
  auto still_fails = [&](size_t drop) {
    std::vector<size_t> rest;
    for (size_t i = 0; i < idx.size(); i++)
      if (i != drop) rest.push_back(idx[i]);
    return !internal::linearizable<M>(h, rest);
  };
  auto last_to_begin = [&](size_t i) {
    for (size_t j = 0; j < idx.size(); j++)
      if (j != i && h[idx[j]].ret > h[idx[i]].call) return false;
    return true;
  };
  for (bool shrunk = true; shrunk;) {
    shrunk = false;
    for (size_t i = 0; i < idx.size(); i++) {
      if ((M::leaves_state(h[idx[i]].op) || last_to_begin(i)) && still_fails(i)) {
        idx.erase(idx.begin() + static_cast<std::ptrdiff_t>(i));
        shrunk = true;
        break;
      }
    }
  }
  return idx;
}

// Checks h (steps 1-3 of the header).
template <model M>
verdict check(const history<typename M::op>& h) {
  std::unordered_map<uint64_t, std::vector<size_t>> parts;
  for (size_t i = 0; i < h.size(); i++) parts[M::partition(h[i].op)].push_back(i);
  std::vector<uint64_t> keys;
  for (auto& [k, idx] : parts) keys.push_back(k);
  std::sort(keys.begin(), keys.end());  // report the same part on every run
  for (uint64_t k : keys) {
    std::vector<size_t>& idx = parts[k];
    if (idx.size() > kMaxCallsPerPart)
      throw std::length_error("lincheck: more than 64 calls on one part of the object");
    std::sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return h[a].call < h[b].call; });
    if (!internal::linearizable<M>(h, idx))
      return verdict{false, k, idx.size(), minimise<M>(h, idx)};
  }
  return verdict{};
}

// The calls h[idx] one per line in call order, with times renumbered 0, 1, 2, ... in the
// order of all their events, and each call's span drawn on a common time line:
//   thread 0  [ 0,  3]  |=====|          set(0, 1)
//   thread 1  [ 1,  2]     |=|           get(0) -> 1
template <model M>
std::string format(const history<typename M::op>& h, std::span<const size_t> idx) {
  std::vector<uint64_t> ticks;
  for (size_t i : idx) {
    ticks.push_back(h[i].call);
    ticks.push_back(h[i].ret);
  }
  std::sort(ticks.begin(), ticks.end());
  auto rank = [&](uint64_t t) {
    return static_cast<size_t>(std::lower_bound(ticks.begin(), ticks.end(), t) - ticks.begin());
  };
  std::string out;
  for (size_t i : idx) {
    const size_t a = rank(h[i].call), b = rank(h[i].ret);
    char head[64];
    std::snprintf(head, sizeof head, "  thread %u  [%2zu, %2zu]  ", h[i].thread, a, b);
    std::string bar(ticks.size(), ' ');
    for (size_t t = a; t <= b; t++) bar[t] = '=';
    bar[a] = bar[b] = '|';
    out += head + bar + "  " + std::string(M::format(h[i].op)) + "\n";
  }
  return out;
}

// The whole report of a failed verdict.
template <model M>
std::string explain(const history<typename M::op>& h, const verdict& v) {
  std::string s = "not linearizable: part " + std::to_string(v.part) + " (" +
                  std::to_string(v.witness.size()) + " of its " + std::to_string(v.part_calls) +
                  " calls; " + std::to_string(h.size()) +
                  " in the history) has no order consistent with real time that explains "
                  "every result:\n";
  return s + format<M>(h, v.witness);
}

}  // namespace gort::lincheck
