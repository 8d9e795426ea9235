// side.cc — side.h over gort::map. Compiled by `go build` (cgo) with the release build's
// flags (main.go's #cgo lines), and linked with the release build's runtime core
// (build/release/alloc/libgort_alloc.a), which the maps stand on; the lookup loop is the one
// bench-maps times.
#include "side.h"

#include <time.h>

#include <algorithm>
#include <random>
#include <vector>

#include "maps/map.h"
#include "tests/maps/splitmix.h"

struct side_map {
  std::vector<uint64_t> present, probe;
  gort::map<uint64_t, uint64_t> m;
  // For side_floor: where probe[i]'s key lies in the map, and the bytes from a key to its
  // value (the same for every slot of a bmap<u64, u64>: the 8 keys, then the 8 values).
  std::vector<const uint64_t*> key_at;
  ptrdiff_t to_value = 0;
};

extern "C" side_map* side_new(size_t n, uint64_t seed) {
  if (n == 0) return nullptr;
  auto* s = new side_map;
  gort::maps::test::splitmix r{seed};
  s->present.resize(n);
  for (auto& k : s->present) k = r.next();
  s->probe = s->present;
  std::shuffle(s->probe.begin(), s->probe.end(), std::mt19937_64(3));
  for (size_t i = 0; i < n; i++) s->m.set(s->present[i], i);
  s->key_at.resize(n);
  for (size_t i = 0; i < n; i++) {
    auto it = s->m.find(s->probe[i]);
    const uint64_t* k = &it->first;
    const ptrdiff_t d =
        reinterpret_cast<const char*>(it.value_ptr()) - reinterpret_cast<const char*>(k);
    if (i == 0) s->to_value = d;
    if (d != s->to_value) {  // not a bmap<u64, u64> as side_floor knows it
      delete s;
      return nullptr;
    }
    s->key_at[i] = k;
  }
  return s;
}

extern "C" void side_free(side_map* s) { delete s; }
extern "C" const uint64_t* side_present(const side_map* s) { return s->present.data(); }
extern "C" const uint64_t* side_probe(const side_map* s) { return s->probe.data(); }

extern "C" size_t side_hits(side_map* s, size_t start, size_t ops, uint64_t* sum) {
  const uint64_t* probe = s->probe.data();
  const size_t n = s->probe.size();
  size_t j = start % n, found = 0;
  uint64_t acc = 0;
  for (size_t i = 0; i < ops; i++) {
    if (const uint64_t* v = s->m.lookup(probe[j])) {
      found++;
      acc += *v;
    }
    if (++j == n) j = 0;
  }
  *sum += acc;
  return found;
}

extern "C" size_t side_floor(side_map* s, size_t start, size_t ops, uint64_t* sum) {
  const uint64_t* const* key_at = s->key_at.data();
  const uint64_t* probe = s->probe.data();
  const ptrdiff_t to_value = s->to_value;
  const size_t n = s->key_at.size();
  size_t j = start % n, found = 0;
  uint64_t acc = 0;
  for (size_t i = 0; i < ops; i++) {
    const uint64_t* k = key_at[j];
    found += *k == probe[j];  // the address still holds the key: what a hit compares
    acc += *reinterpret_cast<const uint64_t*>(reinterpret_cast<const char*>(k) + to_value);
    if (++j == n) j = 0;
  }
  *sum += acc;
  return found;
}

extern "C" int64_t side_thread_cpu_ns(void) {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return int64_t{t.tv_sec} * 1000000000 + t.tv_nsec;
}
