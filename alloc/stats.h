// stats.h — heap statistics for gort_get_stats and GORT_STATS=1.
#pragma once

#include "alloc/gort.h"

namespace gort::alloc {
void GetStats(gort_stats* out);
void PrintStats();  // to stderr, without allocating
}  // namespace gort::alloc
