/* gort.h — gort's allocator under its own names.
 *
 * Linking gort::alloc gives these functions without replacing the program's malloc; linking
 * gort::override (or preloading libgort.so) additionally makes malloc, free, operator new and
 * the rest of the C and C++ surface go to the same heap. The semantics are glibc's.
 * Memory from one family must be freed by the same family (gort_free for gort_malloc). */
#ifndef GORT_ALLOC_GORT_H_
#define GORT_ALLOC_GORT_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

void* gort_malloc(size_t size);
void gort_free(void* p);
void* gort_calloc(size_t n, size_t size);
void* gort_realloc(void* p, size_t size);
void* gort_reallocarray(void* p, size_t n, size_t size);
void* gort_memalign(size_t align, size_t size);
int gort_posix_memalign(void** out, size_t align, size_t size);
void* gort_aligned_alloc(size_t align, size_t size);
void* gort_valloc(size_t size);
void* gort_pvalloc(size_t size);
size_t gort_malloc_usable_size(const void* p);

struct gort_stats {
  uint64_t reserved;       /* bytes of address space taken from the OS */
  uint64_t free_bytes;     /* bytes in free page runs */
  uint64_t free_resident;  /* of those, still resident (not released to the OS) */
  uint64_t large_inuse;    /* bytes in spans of live large objects */
  uint64_t small_spans;    /* bytes in spans of small objects */
  uint64_t released;       /* bytes ever released to the OS */
  uint64_t thread_caches;  /* live thread caches */
  uint64_t large_parked;   /* bytes of freed large spans kept by thread caches for reuse */
};
void gort_get_stats(struct gort_stats* out);
/* Returns this thread's cached objects to the central lists (as if the thread exited). */
void gort_thread_flush(void);
/* malloc_trim(0): flushes this thread's cache and returns every free resident page to the OS
   now; 1 when some memory went back. */
int gort_malloc_trim(size_t pad);
/* Writes the heap profile (pprof's gzipped profile.proto) to path: 0, or -1 with errno set
   (EINVAL when sampling is off: set GORT_PROFILE or GORT_PROFILE_RATE). */
int gort_profile_write(const char* path);

#ifdef __cplusplus
}
#endif

#endif /* GORT_ALLOC_GORT_H_ */
