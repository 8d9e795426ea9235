// options.cc — see options.h.
#include "alloc/options.h"

#include <cstdlib>

#include "alloc/check.h"

namespace gort::alloc {
namespace {
constinit Option g_options[kNumOptions] = {
    {"GORT_RETAIN_MB", 16, 0, 1u << 20, 16},
    {"GORT_STATS", 0, 0, 0, 0, true, nullptr},
    {"GORT_THREAD_CACHE_KB", 4096, 64, 1u << 20, 4096},
    {"GORT_SCAVENGE_DELAY_MS", 1000, 0, 3600000, 1000},
    {"GORT_PROFILE", 0, 0, 0, 0, true, nullptr},
    {"GORT_PROFILE_RATE", 524288, 1, uint64_t{1} << 40, 524288},
    {"GORT_HEAPMAP", 0, 0, 0, 0, true, nullptr},
    {"GORT_HEAPMAP_SIGNAL", 0, 0, 64, 0},
    {"GORT_PROFILE_SIGNAL", 0, 0, 64, 0},
    {"GORT_CHECK", 0, 0, 1, 0},
    {"GORT_VERBOSE", 0, 0, 1, 0},
};
}  // namespace

bool ParseOption(const char* s, uint64_t* out) {
  if (s == nullptr || *s == '\0') return false;
  uint64_t v = 0;
  for (; *s != '\0'; s++) {
    if (*s < '0' || *s > '9') return false;
    if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, uint64_t(*s - '0'), &v))
      return false;
  }
  *out = v;
  return true;
}

void ReadOptions() {
  for (Option& o : g_options) {
    const char* s = getenv(o.name);
    if (s == nullptr) continue;
    if (o.text) {
      o.str = s;
      continue;
    }
    uint64_t v;
    if (ParseOption(s, &v) && v >= o.min && v <= o.max) {
      o.value = v;
      continue;
    }
    Print("gort: ignoring ");
    Print(o.name);
    Print("='");
    Print(s);
    Print("': want a whole number from ");
    PrintDec(o.min);
    Print(" to ");
    PrintDec(o.max);
    Print("; using ");
    PrintDec(o.def);
    Print("\n");
  }
}

void PrintOptions() {
  for (const Option& o : g_options) {
    Print("gort: ");
    Print(o.name);
    if (o.text && o.str == nullptr) {
      Print(" is not set\n");
      continue;
    }
    Print("=");
    if (o.text) Print(o.str);
    else PrintDec(o.value);
    const bool set = o.text ? o.str != nullptr : getenv(o.name) != nullptr && o.value != o.def;
    Print(set ? " (from the environment)\n" : " (default)\n");
  }
}

uint64_t GetOption(OptionId id) { return g_options[id].value; }
const char* GetOptionText(OptionId id) { return g_options[id].str; }

}  // namespace gort::alloc
