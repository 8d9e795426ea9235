// stats.h — heap statistics: gort_get_stats, the GORT_STATS table, glibc's malloc_stats and
// mallinfo2.
//
// One snapshot feeds them all. GetStats takes the heap walk's locks (heapwalk.h: every
// mcentral, then mheap) once, reads mheap's counters and each class's transfer cache, and
// sums every span; then it adds the calling thread's own cache, which only that thread
// touches. What each figure means is written beside struct gort_stats (gort.h); the
// equations there hold in every snapshot because the walk and mheap's counters are read under
// the same locks, and tests hold them.
//
// Per size class, "internal fragmentation" is what a span of the class holds besides objects
// in use: free slots, objects waiting in caches, and the tail too short for an object. The
// bytes a program asked for are not recorded, so the rounding up to the class size is not in
// it; it is bounded by the class table (sizeclasses.h: at most 12.5% per object).
//
// GORT_STATS=1 prints the table at exit on the stderr the program started with. Programs may
// close stderr before library destructors run (coreutils' close_stdout does, from atexit),
// and the descriptor number may be reused by then for another file. So at start-up the
// statistics keep their own duplicate of fd 2 (close-on-exec, at a high number, out of the
// way of the low descriptors programs reuse), and note which file it is (device, inode).
// At exit they write to the duplicate if it is still that file, else to fd 2 if that is,
// else nowhere — never into a file the program opened since. A cost to know: the duplicate
// keeps a pipe on stderr open, so a program that closes stderr to tell its reader it is done
// (a daemon detaching) keeps the reader waiting until it exits; such programs want
// GORT_STATS=path, which opens the file at exit (fdwriter.h's OutputPath).
//
// Nothing here allocates: the snapshot lives on the caller's stack, text goes out through
// FdWriter.
#pragma once

#include <cstdint>

#include "alloc/gort.h"

namespace gort::alloc {

void GetStats(gort_stats* out);
void PrintStats(int fd);        // the table: per size class, then the totals
void PrintMallocStats(int fd);  // glibc's malloc_stats lines, then the table

// glibc's struct mallinfo2, filled from one snapshot:
//   arena    = small spans + free resident pages   (the heap that is not large objects)
//   uordblks = bytes of small objects in use       fordblks = arena - uordblks
//   hblks    = live large objects                  hblkhd   = bytes of large spans, live
//                                                             and parked in thread caches
//   ordblks  = free page runs                      fsmblks  = bytes of objects in caches
//   keepcost = free resident bytes (what malloc_trim would give back)
//   smblks = usmblks = 0
struct MallInfo {
  uint64_t arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks, uordblks, fordblks, keepcost;
};
MallInfo GetMallInfo();

void StatsInit();    // start-up, under the init lock: GORT_STATS
void StatsAtExit();  // the table where GORT_STATS said

}  // namespace gort::alloc
