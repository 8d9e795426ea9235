// scenarios.h — the iteration scenarios of oracle/iteration.go, step for step, on gort::map.
// Each returns the line Go prints: "name kept=.. kept_produced=.. dup=.. deleted_after=..".
#pragma once

#include <functional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "maps/map.h"
#include "tests/maps/splitmix.h"

namespace gort::maps::test {

template <class K>
struct scenario_run {
  using Map = gort::map<K, uint64_t>;
  std::function<K(uint64_t)> key;  // key from a 64-bit number (identity for uint64_t)
  std::string problems;            // check() failures met on the way

  struct scenario {
    std::string name;
    int n;
    std::function<void(Map&, std::vector<uint64_t>&, splitmix&)> setup;
    std::function<void(Map&, std::vector<uint64_t>&, int, splitmix&, std::set<K>&)> step;
  };

  void del(Map& m, uint64_t k, std::set<K>& deleted) {
    if (m.contains(key(k))) {
      m.del(key(k));
      deleted.insert(key(k));
    }
  }

  std::vector<scenario> scenarios() {
    constexpr uint64_t top = uint64_t{1} << 63;
    return {
        {"delete-half", 5000, nullptr,
         [this](Map& m, auto& keys, int i, splitmix&, auto& d) {
           if (i == 0)
             for (size_t j = 0; j < keys.size() / 2; j++) del(m, keys[j], d);
         }},
        {"delete-step", 5000, nullptr,
         [this](Map& m, auto& keys, int i, splitmix&, auto& d) {
           if (size_t(i) < keys.size() / 2) del(m, keys[i], d);
         }},
        {"insert-grow", 1000, nullptr,
         [this](Map& m, auto&, int, splitmix& r, auto&) {
           for (int j = 0; j < 8; j++) m.set(key(r.next() | top), 2);
         }},
        {"mid-grow", 833, nullptr,
         [this](Map& m, auto& keys, int i, splitmix& r, auto& d) {
           if (size_t(i) < keys.size() / 2) del(m, keys[i], d);
           m.set(key(r.next() | top), 2);
           m.set(key(r.next() | top), 2);
         }},
        {"same-size", 100,
         [this](Map& m, auto& keys, splitmix& r) {
           for (;;) {
             auto x = m.xray(xray_level::header);
             if (x.growing && x.same_size) break;
             uint64_t& k = keys[r.next() % keys.size()];
             m.del(key(k));
             k = r.next() & ~top;
             m.set(key(k), 1);
           }
         },
         [this](Map& m, auto& keys, int i, splitmix& r, auto& d) {
           if (size_t(i) < keys.size() / 2) del(m, keys[i], d);
           m.set(key(r.next() | top), 2);
         }},
    };
  }

  std::string run(const scenario& s) {
    splitmix r{42};
    Map m;
    std::vector<uint64_t> keys(s.n);
    for (auto& k : keys) {
      k = r.next() & ~(uint64_t{1} << 63);
      m.set(key(k), 1);
    }
    if (s.setup) s.setup(m, keys, r);
    std::set<K> initial, deleted;
    for (auto [k, v] : m) initial.insert(k);
    std::unordered_map<K, int> produced;
    int dup = 0, deleted_after = 0, i = 0;
    m.range([&](const K& k, uint64_t&) {
      if (++produced[k] == 2) dup++;
      if (deleted.count(k)) deleted_after++;
      s.step(m, keys, i++, r, deleted);
      if (i % 101 == 0) problems += m.check();
    });
    problems += m.check();
    int kept = 0, kept_produced = 0;
    for (const K& k : initial)
      if (!deleted.count(k)) {
        kept++;
        kept_produced += produced.count(k) ? 1 : 0;
      }
    return s.name + " kept=" + std::to_string(kept) + " kept_produced=" +
           std::to_string(kept_produced) + " dup=" + std::to_string(dup) +
           " deleted_after=" + std::to_string(deleted_after) + "\n";
  }

  std::string run_all() {
    std::string out;
    for (const auto& s : scenarios()) out += run(s);
    return out;
  }
};

}  // namespace gort::maps::test
