// check.h — tiered checks and the runtime's one way to die (Go's throw).
//
// GORT_CHECKS (set by CMake) picks the tier:
//   0  nothing is checked beyond what the algorithms need;
//   1  API misuse is caught where it costs nothing on the fast path: free/realloc of a
//      pointer the page map says is not ours, double free of a large object (default);
//   2  internal invariants are asserted: GORT_ASSERT preconditions at the entry of the slow
//      paths (arguments in range, span states, which lock the caller must or must not hold),
//      the lock order of lockrank.h, and a small-object free must point at an object
//      boundary of a live span. The fast paths (malloc.h) carry none of it below tier 2;
//   3  whole structures are walked (check()) after the operations that change them.
//
// Invariant walkers, one convention across gort: a component's invariants are written as
// equations beside its struct and walked by a member `check()` that returns a description of
// the first broken one, empty when all hold. Tests expect it empty (EXPECT_STREQ(x.check(),
// "") here, EXPECT_EQ(m.check(), "") for maps); tier 3 passes a non-empty one to Fatal.
// The return type differs for a reason: the allocator's walkers (mspan, mcache, mcentral,
// mheap) run inside the allocator, with its locks held, where nothing may allocate, so they
// return a static `const char*` naming the invariant; slice::check() does the same (it is
// noexcept and runs on any thread). maps' check() returns std::string because its messages
// carry the bucket index where the invariant broke, and a map may allocate.
//
// Fatal() is the one fatal path of the allocator, slices/ and maps/ alike: it writes Go's
// text, "fatal error: <what>" (and the address, when there is one), with write(2), and
// aborts. It never allocates, so it is safe anywhere, including inside the allocator with
// locks held.
#pragma once

#include <cstdint>

#include "alloc/config.h"

namespace gort::alloc {

// Prints "fatal error: <what> <addr>" (addr in hex unless ~0) and aborts.
[[noreturn]] GORT_NOINLINE GORT_RUNTIME_API void Fatal(const char* what,
                                                 uintptr_t addr = ~uintptr_t{0});

// Prints a line to stderr without allocating (for option warnings and stats).
GORT_RUNTIME_API void Print(const char* s);
GORT_RUNTIME_API void PrintHex(uintptr_t v);
GORT_RUNTIME_API void PrintDec(uint64_t v);

}  // namespace gort::alloc

// GORT_ASSERT(cond, "Function: the broken precondition") — mimalloc's mi_assert_internal,
// tcmalloc's REQUIRES made executable. At tier >= 2 a false cond dies with
// "fatal error: internal invariant broken: <what>"; below tier 2 cond is not even compiled, so
// it may name things that exist only at tier >= 2 (Lock::owned(), LocksHeld()).
#if GORT_CHECKS >= 2
#define GORT_ASSERT(cond, what) \
  do {                          \
    if (GORT_UNLIKELY(!(cond))) ::gort::alloc::Fatal("internal invariant broken: " what); \
  } while (0)
#else
#define GORT_ASSERT(cond, what) \
  do {                          \
  } while (0)
#endif
