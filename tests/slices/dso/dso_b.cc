// dso_b.cc — the other shared object: it reads and drops slices dso_a.cc made.
#include "tests/slices/dso/dso.h"

#include "alloc/runtime.h"
#include "slices/slice.h"

DSO_API uint64_t dso_b_serial() { return gort::runtime::thread_serial(); }

DSO_API int64_t dso_b_sum_and_drop(void* p) {
  auto* s = static_cast<gort::slice<int64_t>*>(p);
  int64_t sum = 0;
  for (int64_t v : *s) sum += v;
  delete s;
  return sum;
}

DSO_API int64_t dso_b_live() { return gort::live_arrays(); }
