// dso_a.cc — one of two shared objects that use gort::slice, built with hidden visibility
// (as libraries usually are). It makes slices on the calling thread; dso_b.cc drops them.
#include "tests/slices/dso/dso.h"

#include "alloc/runtime.h"
#include "slices/slice.h"

DSO_API uint64_t dso_a_serial() { return gort::runtime::thread_serial(); }

DSO_API void* dso_a_make(size_t n) {
  gort::slice<int64_t> s;
  for (size_t i = 0; i < n; i++) s = gort::append(s, int64_t(i));
  return new gort::slice<int64_t>(s);  // s's reference is dropped here, on this thread
}

DSO_API int64_t dso_a_live() { return gort::live_arrays(); }
