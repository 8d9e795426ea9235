// freelink.h — the link word of a free small object, encoded (safe linking).
//
// A free object's first word links it to the next free object of its list: a thread cache's
// list, a span's freelist or its xlist. A heap overflow from the object before it, or a
// write after free, can overwrite that word; stored plainly, it would let the writer choose
// the address a later malloc returns. So the word holds
//     next ^ address of the word ^ g_link_key
// (glibc's safe-linking mixes in the word's address; mimalloc's secure mode a per-process
// key; this does both, with two xors): forging a link needs the key, which is random per
// process and lives only in the allocator's data, and a link copied from another object
// decodes to another address. The key is drawn at start-up, before the first list exists,
// and never changes (a fork child keeps it with the lists). A null link is the word's
// address ^ key, not 0.
//
// Every read and write of a link goes through GetNext and SetNext; nothing else touches a
// free object's first word. The free key of word 1 (malloc.h) is separate.
#pragma once

#include <cstdint>

#include "alloc/config.h"

namespace gort::alloc {

extern uintptr_t g_link_key GORT_HIDDEN;

// The mask is formed while the word loads, so that walking a list adds one xor per link to
// the chain of dependent loads, not two.
GORT_INLINE void* GetNext(const void* x) {
  uintptr_t mask = reinterpret_cast<uintptr_t>(x) ^ g_link_key;
  asm("" : "+r"(mask));  // kept whole: GCC would otherwise xor the word with x, then the key
  return reinterpret_cast<void*>(*static_cast<const uintptr_t*>(x) ^ mask);
}

GORT_INLINE void SetNext(void* x, const void* next) {
  *static_cast<uintptr_t*>(x) =
      reinterpret_cast<uintptr_t>(next) ^ reinterpret_cast<uintptr_t>(x) ^ g_link_key;
}

}  // namespace gort::alloc
