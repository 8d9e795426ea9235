// override.cc — malloc, free and the whole C and C++ allocation surface, forwarded to the core.
//
// Compiled into libgort.so (LD_PRELOAD) and into the gort::override static library (linked in,
// it replaces malloc for that program). Each function is a forward; the one piece of policy
// here is C++'s: operator new retries through the new-handler and throws std::bad_alloc.
//
// No libstdc++ dependency. The C++ runtime that operator new's failure path uses (the
// new-handler, throwing and catching) is referenced weakly, and nothing else here needs the
// C++ library, so libgort.so and the static override do not pull libstdc++ (and libm) into
// C programs — about a megabyte of resident memory for a small program. C++ programs load
// libstdc++ themselves, and the weak references bind to it. A C program that runs out of
// memory in operator new anyway (a C++ library dlopened late, with references already bound
// to nothing) dies with gort's fatal error instead of throwing.
#include <errno.h>

#include <cstddef>
#include <new>

#include "alloc/check.h"
#include "alloc/malloc.h"
#include "alloc/scavenger.h"

namespace a = gort::alloc;

extern "C" {
GORT_EXPORT void* malloc(size_t size) { return a::Malloc(size); }
GORT_EXPORT void free(void* p) { a::Free(p); }
GORT_EXPORT void cfree(void* p) { a::Free(p); }
GORT_EXPORT void* calloc(size_t n, size_t size) { return a::Calloc(n, size); }
GORT_EXPORT void* realloc(void* p, size_t size) { return a::Realloc(p, size); }
GORT_EXPORT void* reallocarray(void* p, size_t n, size_t size) {
  return a::ReallocArray(p, n, size);
}
GORT_EXPORT void* memalign(size_t align, size_t size) { return a::Memalign(align, size); }
GORT_EXPORT int posix_memalign(void** out, size_t align, size_t size) {
  return a::PosixMemalign(out, align, size);
}
GORT_EXPORT void* aligned_alloc(size_t align, size_t size) { return a::AlignedAlloc(align, size); }
GORT_EXPORT void* valloc(size_t size) { return a::Valloc(size); }
GORT_EXPORT void* pvalloc(size_t size) { return a::Pvalloc(size); }
GORT_EXPORT size_t malloc_usable_size(void* p) { return a::UsableSize(p); }
// glibc's: 1 when memory was returned to the system. pad (kept at the heap top) has no
// meaning for a heap of arenas; every free resident page goes back.
GORT_EXPORT int malloc_trim(size_t /*pad*/) { return a::Trim() > 0 ? 1 : 0; }
}

// The C++ runtime, weakly (see above). The asm marks the symbols that the compiler's own
// code for throw and catch refers to; the declarations let this file test two of them.
namespace std {
new_handler get_new_handler() noexcept __attribute__((weak));
}
extern "C" void __cxa_throw(void*, void*, void (*)(void*)) __attribute__((weak));
asm(".weak __cxa_allocate_exception\n.weak __cxa_throw\n.weak __cxa_begin_catch\n"
    ".weak __cxa_end_catch\n.weak __gxx_personality_v0\n.weak _ZTISt9bad_alloc\n"
    ".weak _ZTVSt9bad_alloc\n.weak _ZNSt9bad_allocD1Ev\n"
    ".weak _ZTVN10__cxxabiv117__class_type_infoE\n"
    ".weak _ZTVN10__cxxabiv120__si_class_type_infoE\n");

namespace {

bool HaveCxxRuntime() { return &std::get_new_handler != nullptr && &__cxa_throw != nullptr; }

[[gnu::noinline]] void* NewSlow(size_t size, size_t align, bool nothrow) {
  for (;;) {
    void* p = align == 0 ? a::Malloc(size) : a::MallocAligned(align, size);
    if (p != nullptr) return p;
    if (!HaveCxxRuntime()) {
      if (nothrow) return nullptr;
      a::Fatal("operator new: out of memory, and no C++ runtime loaded to throw std::bad_alloc");
    }
    std::new_handler h = std::get_new_handler();
    if (h == nullptr) {
      if (nothrow) return nullptr;
      throw std::bad_alloc();
    }
    if (nothrow) {
      try {
        h();
      } catch (...) {
        return nullptr;
      }
    } else {
      h();
    }
  }
}

inline void* New(size_t size) {
  void* p = a::Malloc(size);
  return __builtin_expect(p != nullptr, 1) ? p : NewSlow(size, 0, false);
}
inline void* NewNothrow(size_t size) noexcept {
  void* p = a::Malloc(size);
  return __builtin_expect(p != nullptr, 1) ? p : NewSlow(size, 0, true);
}
inline void* NewAligned(size_t size, std::align_val_t al) {
  void* p = a::MallocAligned(size_t(al), size);
  return p != nullptr ? p : NewSlow(size, size_t(al), false);
}
inline void* NewAlignedNothrow(size_t size, std::align_val_t al) noexcept {
  void* p = a::MallocAligned(size_t(al), size);
  return p != nullptr ? p : NewSlow(size, size_t(al), true);
}

}  // namespace

using std::align_val_t;
using std::nothrow_t;

GORT_EXPORT void* operator new(size_t n) { return New(n); }
GORT_EXPORT void* operator new[](size_t n) { return New(n); }
GORT_EXPORT void* operator new(size_t n, const nothrow_t&) noexcept { return NewNothrow(n); }
GORT_EXPORT void* operator new[](size_t n, const nothrow_t&) noexcept { return NewNothrow(n); }
GORT_EXPORT void* operator new(size_t n, align_val_t al) { return NewAligned(n, al); }
GORT_EXPORT void* operator new[](size_t n, align_val_t al) { return NewAligned(n, al); }
GORT_EXPORT void* operator new(size_t n, align_val_t al, const nothrow_t&) noexcept {
  return NewAlignedNothrow(n, al);
}
GORT_EXPORT void* operator new[](size_t n, align_val_t al, const nothrow_t&) noexcept {
  return NewAlignedNothrow(n, al);
}

GORT_EXPORT void operator delete(void* p) noexcept { a::Free(p); }
GORT_EXPORT void operator delete[](void* p) noexcept { a::Free(p); }
GORT_EXPORT void operator delete(void* p, size_t) noexcept { a::Free(p); }
GORT_EXPORT void operator delete[](void* p, size_t) noexcept { a::Free(p); }
GORT_EXPORT void operator delete(void* p, const nothrow_t&) noexcept { a::Free(p); }
GORT_EXPORT void operator delete[](void* p, const nothrow_t&) noexcept { a::Free(p); }
GORT_EXPORT void operator delete(void* p, align_val_t) noexcept { a::Free(p); }
GORT_EXPORT void operator delete[](void* p, align_val_t) noexcept { a::Free(p); }
GORT_EXPORT void operator delete(void* p, size_t, align_val_t) noexcept { a::Free(p); }
GORT_EXPORT void operator delete[](void* p, size_t, align_val_t) noexcept { a::Free(p); }
GORT_EXPORT void operator delete(void* p, align_val_t, const nothrow_t&) noexcept { a::Free(p); }
GORT_EXPORT void operator delete[](void* p, align_val_t, const nothrow_t&) noexcept { a::Free(p); }
