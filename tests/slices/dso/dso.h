// dso.h — the C faces of the two test shared objects (dso_a.cc, dso_b.cc).
#pragma once

#include <stddef.h>
#include <stdint.h>

#define DSO_API extern "C" __attribute__((visibility("default")))

DSO_API uint64_t dso_a_serial();
DSO_API void* dso_a_make(size_t n);  // a gort::slice<int64_t>* holding 0..n-1
DSO_API int64_t dso_a_live();
DSO_API uint64_t dso_b_serial();
DSO_API int64_t dso_b_sum_and_drop(void* s);
DSO_API int64_t dso_b_live();
