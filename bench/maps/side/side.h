// side.h — the C face of gort::map<uint64_t, uint64_t> for the side-by-side benchmark
// (main.go): Go 1.19's map and gort::map, built from the same keys, timed in one process.
#pragma once

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct side_map side_map;

// n random uint64 keys (splitmix64 from seed), the map built from them in order (key i holds
// value i), and the keys again shuffled: the order lookups visit them. NULL if n == 0 (or if
// the map's keys and values were not a fixed distance apart, which side_floor relies on).
side_map* side_new(size_t n, uint64_t seed);
void side_free(side_map* s);
const uint64_t* side_present(const side_map* s);  // n keys, in insertion order
const uint64_t* side_probe(const side_map* s);    // the same n keys, shuffled

// ops lookups of probe[start], probe[start + 1], ... (wrapping at n), each reading the value
// it finds, as the Go loop does. Adds the values to *sum; returns how many were found.
size_t side_hits(side_map* s, size_t start, size_t ops, uint64_t* sum);

// The memory floor of those lookups: ops iterations that read, for probe[start], ... (wrapping
// at n), the key and the value of its entry in the map straight from their addresses, taken
// at side_new (no hash, no search, no load that waits for another). These are the lines any
// search of this map must touch for the hit, in the same process, so gort / floor is what
// finding the slot costs. Adds the values to *sum; returns how many keys were where
// side_new found them (ops, unless the map has moved them).
size_t side_floor(side_map* s, size_t start, size_t ops, uint64_t* sum);

// CPU time of the calling thread, in ns (CLOCK_THREAD_CPUTIME_ID): both loops are timed
// with it, so time the machine gives to other work is charged to neither.
int64_t side_thread_cpu_ns(void);

#ifdef __cplusplus
}
#endif
