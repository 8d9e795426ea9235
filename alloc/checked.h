// checked.h — checked mode (GORT_CHECK=1): every malloc and free of the process is checked,
// without a rebuild, and without a single instruction on the fast paths when it is off.
//
// What it catches, each stopping the program with the address, the object it belongs to,
// the size asked for, the size class, and what was wrong:
//   * a free (or realloc, or malloc_usable_size) of an interior pointer: inside a small
//     object or a large block, but not its start;
//   * a double free, of any size, whichever threads the two frees run on;
//   * a write past the end of an object: the bytes between the size asked for and the end of
//     the object (at least 8 for a small object, 16 for a large block) hold a canary,
//     checked when the object is freed, reallocated or measured;
//   * a free of a pointer no allocation returned (one that is not in the heap, or an object
//     slot of a span that was never handed out);
// the checks of every mode (a pointer outside the heap) stay as they are.
//
// How it is switched on at no cost to the fast paths. Two values the fast paths test anyway
// are set so that those tests always fail, and the slow paths they fall into do the checks:
//   * malloc: the heap profile's countdown (mcache::sample_left, profile.h) is kept far below
//     zero, so every malloc takes MallocSampled, which hands it to CheckedMalloc; heap
//     profiling goes on with a countdown of its own (mcache::check_left). A thread's cache
//     starts with a countdown below zero too, so that the first malloc of every thread
//     reaches the slow path, which reads the options before anything is handed out;
//   * free: a thread's tag gets kCheckedTag (bit 31), which no page-map entry has (entries
//     are owner << 8 | class, below 2^24), so no entry XORs with it to below 256 and every
//     free takes FreeSlow, which hands it to CheckedFree;
//   * realloc, calloc of a large block, aligned allocation and malloc_usable_size, whose
//     paths do not pass through those tests, ask g_check once, out of the fast paths
//     (realloc's inline test of its size class reads it first).
//
// The trailer. A small request of n bytes is served from the class of max(n + 8, 24) bytes;
// the object's last word (at size C - 8, past the list link and free key of words 0 and 1)
// holds
//     live:   n ^ g_live_key ^ Scramble(p)      freed:  g_freed_key ^ Scramble(p)
// and the bytes [n, C - 8) hold kFill. A free checks that the trailer decodes to an n below
// C - 8 (a random word does so with odds near 2^-50) and that the fill is intact, then writes
// the freed word; a second free finds the freed word (a double free), an object never handed
// out finds neither. The keys are random per process and the word depends on the address, so
// a trailer copied from another object, or written by a program, does not pass. A large
// block of n bytes is a span of n + 16 bytes or more, with kFill in [n, n + 16); its double
// free is caught as in every mode (its span is no longer a block in use).
//
// malloc_usable_size returns n: a program that writes up to the usable size stays inside.
// A realloc within the object keeps it and moves its trailer; anything else moves.
// Memory: 8 to 16 bytes more per small object (the class above), 16 per large block.
#pragma once

#include <cstddef>
#include <cstdint>

#include "alloc/config.h"

namespace gort::alloc {

extern bool g_check GORT_HIDDEN;  // GORT_CHECK=1; set at start-up, before the first object
void CheckedInit() GORT_HIDDEN;   // turns checked mode on (start-up, under the init lock)

inline constexpr uint32_t kCheckedTag = 1u << 31;
// The countdown of checked mode: far below zero, and kept there by every CheckedMalloc.
inline constexpr int64_t kCheckedLeft = INT64_MIN / 2;

// The heap profile's countdown for a thread that starts caching: a draw, or kCheckedLeft.
int64_t SampleStart() GORT_HIDDEN;

void* CheckedMalloc(size_t size) GORT_HIDDEN;
void* CheckedMallocAligned(size_t align, size_t size) GORT_HIDDEN;  // align: power of two
void CheckedFree(void* p) GORT_HIDDEN;
void* CheckedRealloc(void* p, size_t size) GORT_HIDDEN;
size_t CheckedUsableSize(const void* p) GORT_HIDDEN;

}  // namespace gort::alloc
