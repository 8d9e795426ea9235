// freelink.h — the link word of a free small object, encoded (safe linking).
//
// A free object's first word links it to the next free object of its list: a thread cache's
// list, a span's freelist or its xlist. A heap overflow from the object before it, or a
// write after free, can overwrite that word; stored plainly, it would let the writer choose
// the address a later malloc returns. So the word holds
//     next ^ g_link_key
// (mimalloc's secure mode encodes with a per-process key too): forging a link needs the key,
// which is random per process and lives only in the allocator's data. The key is drawn at
// start-up, before the first list exists, and never changes (a fork child keeps it with the
// lists). A null link is the key itself, not 0.
// What it does not stop: a link copied whole from one free object to another decodes to the
// same next on both. Mixing in the word's address as well (glibc's safe-linking) would catch
// that, at one more xor on malloc's and free's fast paths, which keep to mimalloc's
// instruction count with a keyed link and the double-free key (malloc.h) only without it.
//
// Every read and write of a link goes through GetNext and SetNext; nothing else touches a
// free object's first word. The free key of word 1 (malloc.h) is separate.
#pragma once

#include <cstdint>

#include "alloc/config.h"

namespace gort::alloc {

extern uintptr_t g_link_key GORT_HIDDEN;

GORT_INLINE void* GetNext(const void* x) {
  return reinterpret_cast<void*>(*static_cast<const uintptr_t*>(x) ^ g_link_key);
}

GORT_INLINE void SetNext(void* x, const void* next) {
  *static_cast<uintptr_t*>(x) = reinterpret_cast<uintptr_t>(next) ^ g_link_key;
}

}  // namespace gort::alloc
