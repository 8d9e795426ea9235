// stats.cc — see stats.h.
#include "alloc/stats.h"

#include "alloc/check.h"
#include "alloc/mcache.h"
#include "alloc/mheap.h"
#include "alloc/os.h"

namespace gort::alloc {

void GetStats(gort_stats* out) {
  mheap::Stats h = g_mheap.GetStats();
  out->reserved = h.reserved;
  out->free_bytes = h.free_bytes;
  out->free_resident = h.free_resident;
  out->large_parked = CacheParkedBytes();
  // Parked bytes change without the heap lock: clamp a racing read.
  out->large_inuse = h.large_inuse > out->large_parked ? h.large_inuse - out->large_parked : 0;
  out->small_spans = h.small_spans;
  out->released = os::GetCounters().released;
  out->thread_caches = CacheCount();
}

void PrintStats() {
  gort_stats s;
  GetStats(&s);
  const struct {
    const char* name;
    uint64_t v;
  } rows[] = {{"reserved", s.reserved},       {"free", s.free_bytes},
              {"free resident", s.free_resident}, {"large in use", s.large_inuse},
              {"small spans", s.small_spans},   {"released", s.released},
              {"large parked", s.large_parked},
              {"thread caches", s.thread_caches}};
  Print("gort: heap statistics\n");
  for (const auto& r : rows) {
    Print("  ");
    Print(r.name);
    Print(": ");
    PrintDec(r.v);
    Print("\n");
  }
}

}  // namespace gort::alloc
