// override_stats.cc — glibc's statistics calls for programs whose malloc is gort's:
// malloc_stats, mallinfo2 and mallinfo. Compiled with override.cc (libgort.so, gort::override);
// each is a forward to stats.h, where the figures are defined.
#include <malloc.h>

#include <climits>

#include "alloc/config.h"
#include "alloc/stats.h"

namespace a = gort::alloc;

namespace {
// mallinfo's fields are int: a figure past INT_MAX reads INT_MAX (glibc's wraps).
int Clamp(uint64_t v) { return v > uint64_t(INT_MAX) ? INT_MAX : int(v); }
}  // namespace

extern "C" {
// glibc prints to stderr: so does gort, its lines first, then its table.
GORT_EXPORT void malloc_stats(void) { a::PrintMallocStats(2); }

GORT_EXPORT struct mallinfo2 mallinfo2(void) {
  const a::MallInfo m = a::GetMallInfo();
  struct mallinfo2 r = {};
  r.arena = m.arena, r.ordblks = m.ordblks, r.smblks = m.smblks, r.hblks = m.hblks;
  r.hblkhd = m.hblkhd, r.usmblks = m.usmblks, r.fsmblks = m.fsmblks, r.uordblks = m.uordblks;
  r.fordblks = m.fordblks, r.keepcost = m.keepcost;
  return r;
}

GORT_EXPORT struct mallinfo mallinfo(void) {
  const a::MallInfo m = a::GetMallInfo();
  struct mallinfo r = {};
  r.arena = Clamp(m.arena), r.ordblks = Clamp(m.ordblks), r.smblks = Clamp(m.smblks);
  r.hblks = Clamp(m.hblks), r.hblkhd = Clamp(m.hblkhd), r.usmblks = Clamp(m.usmblks);
  r.fsmblks = Clamp(m.fsmblks), r.uordblks = Clamp(m.uordblks), r.fordblks = Clamp(m.fordblks);
  r.keepcost = Clamp(m.keepcost);
  return r;
}
}
