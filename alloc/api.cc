// api.cc — the prefixed C API (gort.h): one-line forwards into the core.
#include "alloc/gort.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "alloc/heapwalk.h"
#include "alloc/malloc.h"
#include "alloc/profile.h"
#include "alloc/scavenger.h"
#include "alloc/stats.h"

namespace a = gort::alloc;

extern "C" {
GORT_EXPORT void* gort_malloc(size_t size) { return a::Malloc(size); }
GORT_EXPORT void gort_free(void* p) { a::Free(p); }
GORT_EXPORT void* gort_calloc(size_t n, size_t size) { return a::Calloc(n, size); }
GORT_EXPORT void* gort_realloc(void* p, size_t size) { return a::Realloc(p, size); }
GORT_EXPORT void* gort_reallocarray(void* p, size_t n, size_t size) {
  return a::ReallocArray(p, n, size);
}
GORT_EXPORT void* gort_memalign(size_t align, size_t size) { return a::Memalign(align, size); }
GORT_EXPORT int gort_posix_memalign(void** out, size_t align, size_t size) {
  return a::PosixMemalign(out, align, size);
}
GORT_EXPORT void* gort_aligned_alloc(size_t align, size_t size) {
  return a::AlignedAlloc(align, size);
}
GORT_EXPORT void* gort_valloc(size_t size) { return a::Valloc(size); }
GORT_EXPORT void* gort_pvalloc(size_t size) { return a::Pvalloc(size); }
GORT_EXPORT size_t gort_malloc_usable_size(const void* p) { return a::UsableSize(p); }
GORT_EXPORT void gort_get_stats(struct gort_stats* out) { a::GetStats(out); }
GORT_EXPORT void gort_print_stats(int fd) { a::PrintStats(fd); }
GORT_EXPORT int gort_heap_walk(gort_heap_visitor visit, void* arg) {
  return a::HeapWalk(visit, arg);
}
GORT_EXPORT int gort_heapmap_write(const char* path) {
  const int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return -1;
  const bool ok = a::HeapmapWriteFd(fd, /*try_locks=*/false);
  const int saved = errno;
  close(fd);
  errno = saved;
  return ok ? 0 : -1;
}
// A thread that never allocated (or whose cache is gone) has nothing to flush.
GORT_EXPORT void gort_thread_flush(void) {
  if (a::tl_mcache.state == a::kCacheActive) a::CacheReleaseAll(&a::tl_mcache);
}
GORT_EXPORT int gort_malloc_trim(size_t /*pad*/) { return a::Trim() > 0 ? 1 : 0; }
GORT_EXPORT int gort_profile_write(const char* path) { return a::ProfileWrite(path) ? 0 : -1; }
}
