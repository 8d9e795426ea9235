// runtime.h — what the containers use of the runtime core: one allocator, one thread
// registry, one fatal path, one random source.
//
// Go's map.go and slice.go stand on four runtime services: mallocgc (and newarray) with
// roundupsize, the M the code runs on, throw, and fastrand. gort's slices/ and maps/ take the
// same four from here and from nowhere else, so that a process has one of each:
//
//   allocate / reallocate / deallocate   gort's heap (alloc/malloc.h), called out of line:
//                                        containers allocate on their slow paths only. In the
//                                        sanitize build (GORT_SANITIZE) they forward to the C
//                                        library instead, so AddressSanitizer sees every block.
//   roundupsize                          the bytes a request really gets: Go's size classes,
//                                        pages above 32 KiB (alloc/sizeclasses.h). Containers
//                                        size their blocks with it, as growslice and
//                                        makeBucketArray do, and use the slack.
//   allocator<T>                         the same heap for the std containers they keep inside.
//   fatal                                Go's throw: "fatal error: <what>", never allocates.
//   thread_serial                        alloc/thread.h.
//   fastrand64 / fastrand                alloc/fastrand.h.
//
// Contract of allocate: size > 0; align a power of two; the block is aligned to align, and
// as malloc aligns (16 bytes, 8 for sizes up to 8) when that is more; it holds size bytes, zeroed when zero is set; nullptr when the memory is
// not there (the caller throws std::bad_alloc or dies, as its policy says). A container that
// wants a size class's slack asks for roundupsize(n) bytes and uses them all, as Go does.
// reallocate keeps the first min(old, size) bytes of a block whose align was <= 16.
// deallocate(nullptr) is a no-op.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <new>

#include "alloc/check.h"
#include "alloc/fastrand.h"
#include "alloc/sizeclasses.h"
#include "alloc/thread.h"

namespace gort::runtime {

GORT_RUNTIME_API void* allocate(size_t size, size_t align, bool zero);
GORT_RUNTIME_API void* reallocate(void* p, size_t size);
GORT_RUNTIME_API void deallocate(void* p);

// True when allocate forwards to the C library (the sanitize build).
GORT_RUNTIME_API bool uses_libc();

constexpr size_t roundupsize(size_t size) { return alloc::RoundUpSize(size); }

[[noreturn]] inline void fatal(const char* what) { alloc::Fatal(what); }

GORT_INLINE uint64_t thread_serial() { return alloc::ThreadSerial(); }

// A std allocator on the runtime's heap (throws std::bad_alloc).
template <class T>
struct allocator {
  using value_type = T;
  allocator() = default;
  template <class U>
  constexpr allocator(const allocator<U>&) noexcept {}
  T* allocate(size_t n) {
    if (n > std::numeric_limits<size_t>::max() / sizeof(T)) throw std::bad_alloc();
    void* p = runtime::allocate(n * sizeof(T) + (n == 0), alignof(T), false);
    if (p == nullptr) throw std::bad_alloc();
    return static_cast<T*>(p);
  }
  void deallocate(T* p, size_t) noexcept { runtime::deallocate(p); }
  template <class U>
  friend constexpr bool operator==(const allocator&, const allocator<U>&) noexcept {
    return true;
  }
};

}  // namespace gort::runtime
