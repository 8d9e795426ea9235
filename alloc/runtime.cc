// runtime.cc — the containers' allocation calls (runtime.h), compiled once.
#include "alloc/runtime.h"

#include <cstdlib>
#include <cstring>

#include "alloc/malloc.h"

#ifndef GORT_RUNTIME_LIBC
#define GORT_RUNTIME_LIBC 0
#endif

namespace gort::runtime {

#if GORT_RUNTIME_LIBC

void* allocate(size_t size, size_t align, bool zero) {
  GORT_ASSERT(size > 0, "runtime::allocate: size 0");
  GORT_ASSERT(align != 0 && (align & (align - 1)) == 0,
              "runtime::allocate: align is not a power of two");
  if (align <= alloc::kMinAlign) return zero ? std::calloc(1, size) : std::malloc(size);
  void* p = nullptr;
  if (posix_memalign(&p, align, size) != 0) return nullptr;
  if (zero) std::memset(p, 0, size);
  return p;
}

void* reallocate(void* p, size_t size) {
  GORT_ASSERT(size > 0, "runtime::reallocate: size 0 (realloc would free the block)");
  return std::realloc(p, size);
}

void deallocate(void* p) { std::free(p); }

bool uses_libc() { return true; }

#else

void* allocate(size_t size, size_t align, bool zero) {
  GORT_ASSERT(size > 0, "runtime::allocate: size 0");
  GORT_ASSERT(align != 0 && (align & (align - 1)) == 0,
              "runtime::allocate: align is not a power of two");
  // malloc's alignment: 16 bytes, but 8 for its 8-byte class.
  if (align <= 8 || (align <= alloc::kMinAlign && size > 8))
    return zero ? alloc::Calloc(1, size) : alloc::Malloc(size);
  void* p = alloc::MallocAligned(align, size);
  if (p != nullptr && zero) std::memset(p, 0, size);
  return p;
}

void* reallocate(void* p, size_t size) {
  GORT_ASSERT(size > 0, "runtime::reallocate: size 0 (realloc would free the block)");
  return alloc::Realloc(p, size);
}

void deallocate(void* p) {
  if (p != nullptr) alloc::Free(p);
}

bool uses_libc() { return false; }

#endif

}  // namespace gort::runtime
