// side.cc — side.h over gort::map. Compiled by `go build` (cgo) with the release build's
// flags (main.go's #cgo lines); the lookup loop is the one bench-maps times.
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

extern "C" int64_t side_thread_cpu_ns(void) {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return int64_t{t.tv_sec} * 1000000000 + t.tv_nsec;
}
