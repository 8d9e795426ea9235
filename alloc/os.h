// os.h — the allocator's narrow window onto the operating system.
//
// Four verbs, as mimalloc's prim layer: reserve address space, release pages back (their
// contents become zero), map metadata, and unmap. Nothing else in alloc/ calls mmap, so a
// test can count what the heap asked of the OS. None of these allocate.
#pragma once

#include <cstddef>
#include <cstdint>

namespace gort::alloc::os {

// Reserves size bytes of read-write, lazily committed memory aligned to align (a power of two
// >= the system page), trying `hint` first so the heap grows contiguously (Go's arena hints).
// Returns nullptr when the OS refuses.
void* Reserve(size_t size, size_t align, uintptr_t hint);

// Gives the pages back; they stay mapped and read as zero when touched again.
// Returns [p, p+size) to the OS; resident: how many of those bytes were resident (counted
// as released; pages already released are not counted twice).
void Release(void* p, size_t size, size_t resident);

// Maps zeroed memory for metadata (page-granular). Returns nullptr on failure.
void* MapMeta(size_t size);

void Unmap(void* p, size_t size);

// Moves the pages of [from, from+size) to [to, to+size) without copying (mremap), then maps
// fresh zero pages at `from` so the heap's address space stays whole. Both ranges must be
// page-aligned heap memory. False if the kernel refused (nothing changed then).
bool MovePages(void* from, void* to, size_t size);

// Installs fn as the handler of signal sig (SA_RESTART); when the kernel refuses, says so on
// stderr, naming the variable that asked for it.
void HandleSignal(int sig, void (*fn)(int), const char* variable);

// Counters, for tests and stats: bytes reserved, released calls.
struct Counters {
  uint64_t reserved;
  uint64_t released;
  uint64_t meta;
};
Counters GetCounters();

}  // namespace gort::alloc::os
