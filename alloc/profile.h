// profile.h — heap profiles by sampling, in the format Go's pprof reads (Go's MemProfileRate,
// for C and C++ programs).
//
// Sampling. Each thread counts down the bytes it requests (mcache::sample_left, in the malloc
// fast path: one subtraction and one branch). When the count runs out, that allocation is
// sampled and the count restarts from a fresh exponential draw with mean GORT_PROFILE_RATE
// (512 KiB by default, as Go): the sampled allocations are then a Poisson process over the
// bytes requested, so a sample of size s stands for 1 / (1 - exp(-s / rate)) allocations of
// its size, and the scaled totals estimate the true ones without bias. With profiling off the
// count is kNoSample and never runs out. A thread's first malloc is not sampled: its count
// starts below 0 only to reach the slow path once (checked.h), which draws the first one.
// In checked mode the count is kept below 0 and sampling counts down mcache::check_left.
//
// A sampled allocation gets a span of its own (tcmalloc's idea), whatever its size, marked
// with its stack record: its free then takes the large-object path, which sees the mark and
// counts the free. The fast paths of unsampled objects carry no test for it.
//
// Stacks: glibc's backtrace, warmed up once at start-up outside any allocator call (its first
// call loads libgcc_s, which allocates); a sample taken before then has no stack. Frames of the
// allocator itself are cut off. Stacks go to a fixed table in memory mapped from the OS (no
// allocation), each record holding scaled allocation and free totals; a full table counts
// further stacks in one record with no frames.
//
// Writing (at exit, when GORT_PROFILE names a file; or gort_profile_write(path) at any time):
// the records and the executable mappings of /proc/self/maps are encoded by hand as pprof's
// profile.proto (four sample types: alloc_objects/count, alloc_space/bytes,
// inuse_objects/count, inuse_space/bytes) and compressed with zlib, whose allocation
// functions take memory from a mapping of their own. Nothing on that path allocates through
// the allocator it profiles. Hand encoding: the message is six repeated fields of varints, a
// protobuf library would allocate and be a dependency for that.
#pragma once

#include <cstddef>
#include <cstdint>

#include "alloc/config.h"

namespace gort::alloc {

struct mspan;

inline constexpr int64_t kNoSample = INT64_MAX;

// Start-up (under the init lock): rate in bytes (0: off), path (nullptr: no file at exit).
void ProfileInit(uint64_t rate, const char* path);
// After start-up, outside the allocator: the first backtrace, which may allocate.
void ProfileWarmUp();
// A thread's next sample distance: an exponential draw, or kNoSample when profiling is off.
int64_t ProfileNextSample();
// Malloc's slow path when the calling thread's countdown ran out.
void* MallocSampled(size_t size) GORT_HIDDEN;
// A span of room bytes or more for a sampled object of size bytes, its stack recorded.
mspan* SampleSpan(size_t size, size_t room) GORT_HIDDEN;
bool ProfileOn() GORT_HIDDEN;
// A sampled span is being freed (s->profile != 0).
void ProfileFree(mspan* s) GORT_HIDDEN;
// Writes the profile to path; false (errno set) when it cannot.
bool ProfileWrite(const char* path);
// Start-up: each signal sig (0: none) writes the profile to path.1, path.2, ... (a handler
// that gives up, saying so, when the profile's lock stays held).
void ProfileInitSignal(uint64_t sig);
// At exit: the profile to GORT_PROFILE's file, if one was named.
void ProfileAtExit();
// The table's lock, which the fork handlers (mcache.cc) hold across fork like the others.
class Lock;
Lock& ProfileLock();

}  // namespace gort::alloc
