// options.h — the allocator's GORT_* environment variables, one table.
//
// Read once, at heap start-up, with getenv (no allocation, safe during LD_PRELOAD start-up).
// A value that does not parse or is out of range is reported once on stderr and the default
// is kept. All options are start-up only.
//
//   GORT_RETAIN_MB   free pages kept resident before returning them to the OS   (default 64)
//   GORT_STATS       1: print heap statistics to stderr at exit                  (default 0)
//   GORT_THREAD_CACHE_KB  most bytes one thread's cache lists may grow to hold (default 4096)
#pragma once

#include <cstdint>

namespace gort::alloc {

enum OptionId { kOptRetainMB, kOptStats, kOptThreadCacheKB, kNumOptions };

struct Option {
  const char* name;
  uint64_t def, min, max;
  uint64_t value;
};

void ReadOptions();
uint64_t GetOption(OptionId id);
// Parses a decimal value; false on garbage or overflow. Exposed for tests.
bool ParseOption(const char* s, uint64_t* out);

}  // namespace gort::alloc
