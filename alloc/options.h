// options.h — the allocator's GORT_* environment variables, one table.
//
// Read once, at heap start-up, with getenv (no allocation, safe during LD_PRELOAD start-up).
// A value that does not parse or is out of range is reported once on stderr and the default
// is kept. All options are start-up only.
//
//   GORT_RETAIN_MB   free pages always kept resident; beyond it, the heap keeps free pages
//                    resident up to the bytes it has in use; 0: every freed page
//                    goes back at once                                           (default 16)
//   GORT_SCAVENGE_DELAY_MS  how long free pages stay resident before the background
//                    scavenger returns them to the OS; 0: no scavenger thread    (default 1000)
//   GORT_STATS       1: print heap statistics to stderr at exit (kept even if the program
//                    closes its stderr first); a path (with a '/'; %p: the process id):
//                    write them to that file; 0: off                             (default 0)
//   GORT_HEAPMAP     a path (%p: the process id): write the heap map there at exit, for
//                    ./gort heapmap (heapwalk.h)
//   GORT_HEAPMAP_SIGNAL  a signal number: each such signal writes the heap map to
//                    GORT_HEAPMAP's path with .1, .2, ... appended; 0: none     (default 0)
//   GORT_THREAD_CACHE_KB  most bytes one thread's cache lists may grow to hold (default 4096)
//   GORT_PROFILE     a file: sample a heap profile and write it there at exit (pprof format)
//   GORT_PROFILE_RATE  mean bytes between heap-profile samples; setting it alone turns
//                    sampling on for gort_profile_write                         (default 524288)
//   GORT_PROFILE_SIGNAL  a signal number: each such signal writes the heap profile to
//                    GORT_PROFILE's path with .1, .2, ... appended; 0: none     (default 0)
//   GORT_CHECK       1: checked mode (checked.h): interior-pointer frees, double frees of
//                    every size and writes past the end stop the program        (default 0)
//   GORT_VERBOSE     1: print every option's value at start-up                  (default 0)
#pragma once

#include <cstdint>

namespace gort::alloc {

enum OptionId {
  kOptRetainMB,
  kOptStats,        // text: "0", "1" or a path (stats.h checks it)
  kOptThreadCacheKB,
  kOptScavengeDelayMs,
  kOptProfile,      // a path (text)
  kOptProfileRate,
  kOptHeapmap,      // a path (text)
  kOptHeapmapSignal,
  kOptProfileSignal,
  kOptCheck,
  kOptVerbose,
  kNumOptions
};

struct Option {
  const char* name;
  uint64_t def, min, max;
  uint64_t value;
  bool text = false;          // the value is the variable's text (a path), not a number
  const char* str = nullptr;  // a text option's value, or nullptr
};

void ReadOptions();
// Prints every option's value, and whether it came from the environment (GORT_VERBOSE).
void PrintOptions();
uint64_t GetOption(OptionId id);
// A text option's value (the environment's own storage), or nullptr when unset.
const char* GetOptionText(OptionId id);
// Parses a decimal value; false on garbage or overflow. Exposed for tests.
bool ParseOption(const char* s, uint64_t* out);

}  // namespace gort::alloc
