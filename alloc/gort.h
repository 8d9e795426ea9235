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

/* Size classes: gort_stats.classes[c] for c = 1 .. GORT_NUM_CLASSES - 1 ([0] is unused). */
#define GORT_NUM_CLASSES 68

/* One size class. Objects handed out of a span ("out") are in use by the program or held by
   a cache; the caches counted in "cached" are the transfer cache (mcentral) and the calling
   thread's own cache. Other live threads' caches cannot be read, so their objects count as in
   use: the figures are exact when only the calling thread has a cache (after the others have
   exited, as at exit). */
struct gort_class_stats {
  uint32_t size;            /* bytes per object */
  uint32_t span_pages;      /* 8 KiB pages per span */
  uint64_t spans;           /* spans of this class */
  uint64_t objects;         /* objects those spans hold */
  uint64_t objects_out;     /* handed out of the spans */
  uint64_t objects_cached;  /* of those, in the caches named above */
  uint64_t objects_inuse;   /* objects_out - objects_cached */
  uint64_t span_bytes;      /* spans * span_pages * 8 KiB */
  uint64_t inuse_bytes;     /* objects_inuse * size */
  uint64_t frag_bytes;      /* span_bytes - inuse_bytes: free and cached slots, span tails */
};

struct gort_stats {
  uint64_t reserved;       /* bytes of address space taken from the OS for the heap */
  uint64_t free_bytes;     /* bytes in free page runs */
  uint64_t free_resident;  /* of those, still resident (not released to the OS) */
  uint64_t large_inuse;    /* bytes in spans of live large objects */
  uint64_t small_spans;    /* bytes in spans of small objects */
  uint64_t released;       /* bytes ever released to the OS */
  uint64_t thread_caches;  /* live thread caches */
  uint64_t large_parked;   /* bytes of freed large spans kept by thread caches for reuse */
  /* Totals. Each equation holds in every snapshot:
       reserved == small_spans + large_inuse + large_parked + free_bytes
       resident == reserved - free_released
       inuse    == small_inuse + large_inuse  */
  uint64_t mapped;         /* reserved plus the allocator's own metadata */
  uint64_t meta;           /* metadata: span records, page map arenas (not the flat tables) */
  uint64_t resident;       /* bytes in spans plus free pages not released: the most the heap
                              can have resident (pages handed out but never touched count) */
  uint64_t free_released;  /* bytes of free runs returned to the OS or never touched */
  uint64_t inuse;          /* bytes of objects in use: small (by class size) and large */
  uint64_t small_inuse;    /* sum of classes[c].inuse_bytes */
  uint64_t large_objects;  /* live large objects */
  uint64_t free_runs;      /* free page runs */
  struct gort_class_stats classes[GORT_NUM_CLASSES];
};
/* Fills *out from one consistent snapshot (every allocator lock held for one pass over the
   spans). Does not allocate. */
void gort_get_stats(struct gort_stats* out);
/* The heap-statistics table of GORT_STATS=1 (per size class, then the totals), to fd. */
void gort_print_stats(int fd);

/* The heap walk: every span of the heap, in rising address order. A span is a run of 8 KiB
   pages: free (its pages are on the heap's free lists; "resident" of them not yet returned to
   the OS — which pages those are is not recorded), small (cut into objects of one size
   class), large (one object), or parked (a freed large span a thread cache keeps for reuse).
   Spans tile the heap's address ranges: each span starts where the previous one ended, or
   at the start of a new range. */
enum gort_span_kind { GORT_SPAN_FREE = 0, GORT_SPAN_SMALL = 1, GORT_SPAN_LARGE = 2, GORT_SPAN_PARKED = 3 };
struct gort_span_info {
  uintptr_t base;        /* address of the first page */
  size_t pages;          /* length in 8 KiB pages */
  int kind;              /* enum gort_span_kind */
  uint32_t size_class;   /* small: 1 .. GORT_NUM_CLASSES - 1; else 0 */
  size_t object_size;    /* small: the class's size; large and parked: pages * 8 KiB; free: 0 */
  uint32_t objects;      /* small: objects the span holds; large: 1; else 0 */
  uint32_t objects_out;  /* small: handed out of the span (in use or cached); large: 1 */
  size_t resident;       /* free: bytes not released to the OS; else pages * 8 KiB */
};
/* Called for each span; a nonzero return stops the walk and is returned by gort_heap_walk. */
typedef int (*gort_heap_visitor)(const struct gort_span_info* span, void* arg);
/* Visits every span; 0 when all were visited. Safe while other threads allocate: spans are
   gathered in batches, each under every allocator lock (a consistent snapshot of its part of
   the heap), and the visitor runs with no lock held, so it may allocate. A heap that changes
   during the walk is seen at different moments by different batches; a span is never visited
   twice. Does not allocate. */
int gort_heap_walk(gort_heap_visitor visit, void* arg);
/* Writes the heap map (one line per span, bench/heapmap.py draws it) to path: 0, or -1 with
   errno set. */
int gort_heapmap_write(const char* path);

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
