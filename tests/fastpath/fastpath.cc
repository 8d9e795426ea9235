// fastpath.cc — the driver of the fast-path golden test (fastpath_test.sh).
//
//   fastpath list      the operations, one a line
//   fastpath version   the compiler that built this driver (written into the golden's header)
//   fastpath OP N      sets OP up, warms it up, then runs fastpath_OP(N): N operations
//
// fastpath_test.sh runs `fastpath OP N` under `valgrind --tool=callgrind
// --toggle-collect=fastpath_OP`, which counts only the instructions executed inside
// fastpath_OP and what it calls, at two loop counts; the difference over the difference of N
// is the cost of one operation, with set-up, warm-up, the call and the function's prologue
// cancelled. What stays in the count besides the operation is its loop: `loop` measures an
// empty one (counter increment, compare and branch: 3 instructions on x86-64 with GCC 12).
//
// Each measured function is one loop around one operation, compiled like user code (-O3).
// Results reach an empty asm statement (Use, Opaque) so the compiler keeps each operation,
// and inputs pass through one so it cannot hoist work out of the loop; the statements emit
// no instruction. They have no "memory" clobber: the compiler may still keep a map's or a
// slice's fields in registers across iterations, as in any loop of real code.
//
//   loop          the loop alone (the overhead inside every other count)
//   malloc_free   gort_malloc(32) then gort_free of it (gort::alloc's prefixed API): the
//                 loop, two calls with their argument moves (4 instructions), and the bodies
//                 of gort_malloc and gort_free, each the inline fast path of alloc/malloc.h
//                 (a thread-cache pop, a push) and a ret; the cache never runs empty or full
//   map_hit       m.lookup(k) on a gort::map<uint64_t, uint64_t> of 1024 keys, k cycling
//                 through 8 of them: the loop, choosing k (kHitKeys[i & 7]: a copy of the
//                 counter, an and, a load) and the inlined lookup (hash, probe, key compare)
//   map_miss      the same for 8 keys not in the map
//   append        s = gort::append(s, v) on a gort::slice<int64_t> with room for all N: the
//                 inlined fast path (len < cap, a store, len + 1) merged with the loop
//   append_grow   the same from a nil slice: growth amortised over the N appends (this one
//                 depends on N1 and N2 — the growths between them — unlike the others)
//   append_auto   y = gort::append(x, v) named with auto and read (Go's y := append(x, v)),
//                 x with room: the store, the copy of the result (y's own reference: the
//                 owner-thread increment) and y's destruction (the decrement)
//   sub           s.sub(i, i + 8)[7] on a slice of N + 8 elements: the bounds checks, the
//                 counted reference of the temporary sub-slice (taken and dropped), the load
//   span_sub      the same with std::span::subspan(i, 8)[7]: the reference point of sub
//
// The map's hash seed is fixed (gort::fastrand_seed), so buckets and tophash bytes, and with
// them the counts, are the same in every run.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string_view>

#include "alloc/gort.h"
#include "maps/map.h"
#include "alloc/fastrand.h"
#include "slices/slice.h"

// noipa: the caller knows nothing of the body and the body nothing of the caller (no
// inlining, cloning or constant propagation), so callgrind finds each loop under its name.
#define FASTPATH_FN extern "C" [[gnu::noipa]]

namespace {

using Map = gort::map<uint64_t, uint64_t>;
using Slice = gort::slice<int64_t>;

constexpr uint64_t kMapKeys = 1024;  // keys 0 .. 1023
constexpr uint64_t kHitKeys[8] = {3, 100, 257, 412, 555, 768, 901, 1023};
constexpr uint64_t kMissKeys[8] = {1024, 2000, 4096, 1u << 20, 1ull << 33, 1ull << 40,
                                   ~0ull, 0x9e3779b97f4a7c15ull};
constexpr size_t kObjectSize = 32;

template <class T>
inline void Use(const T& v) {
  asm volatile("" : : "r"(v));
}
template <class T>
inline T Opaque(T v) {
  asm volatile("" : "+r"(v));
  return v;
}

}  // namespace

FASTPATH_FN void fastpath_loop(long n) {
  for (long i = 0; i < n; i++) Use(i);
}

FASTPATH_FN void fastpath_malloc_free(long n) {
  for (long i = 0; i < n; i++) {
    void* p = gort_malloc(Opaque(kObjectSize));
    Use(p);
    gort_free(p);
  }
}

FASTPATH_FN void fastpath_map_hit(const Map& m, long n) {
  for (long i = 0; i < n; i++) Use(m.lookup(kHitKeys[i & 7]));
}

FASTPATH_FN void fastpath_map_miss(const Map& m, long n) {
  for (long i = 0; i < n; i++) Use(m.lookup(kMissKeys[i & 7]));
}

// The slice comes in and goes back by move (fixed costs), so that inside the loop it is a
// local whose fields may live in registers, as a slice being filled usually is.
FASTPATH_FN void fastpath_append(Slice& io, long n) {
  Slice s = std::move(io);
  for (long i = 0; i < n; i++) s = gort::append(s, int64_t{i});
  io = std::move(s);
}

FASTPATH_FN void fastpath_append_auto(Slice& x, long n) {
  for (long i = 0; i < n; i++) {
    auto y = gort::append(x, int64_t{i});
    Use(y.len());
  }
}

FASTPATH_FN void fastpath_sub(const Slice& s, long n) {
  for (long i = 0; i < n; i++) Use(s.sub(i, i + 8)[7]);
}

FASTPATH_FN void fastpath_span_sub(std::span<const int64_t> s, long n) {
  for (long i = 0; i < n; i++) Use(s.subspan(i, 8)[7]);
}

FASTPATH_FN void fastpath_append_grow(Slice& io, long n) {
  Slice s = std::move(io);
  for (long i = 0; i < n; i++) s = gort::append(s, int64_t{i});
  io = std::move(s);
}

namespace {

int Fail(const char* what) {
  std::fprintf(stderr, "fastpath: %s\n", what);
  return 1;
}

Map FilledMap() {
  gort::fastrand_seed(1);
  Map m;
  for (uint64_t k = 0; k < kMapKeys; k++) m.set(k, k);
  return m;
}

int RunMap(bool hit, long n) {
  const Map m = FilledMap();
  for (uint64_t k : hit ? kHitKeys : kMissKeys) {
    if ((m.lookup(k) != nullptr) != hit) return Fail("a map_hit key misses or a map_miss key hits");
  }
  if (hit) {
    fastpath_map_hit(m, 64);  // warm-up: counted in both runs, so cancelled
    fastpath_map_hit(m, n);
  } else {
    fastpath_map_miss(m, 64);
    fastpath_map_miss(m, n);
  }
  return 0;
}

int RunAppend(bool grow, long n) {
  Slice s = grow ? Slice() : gort::make<int64_t>(0, n);
  if (grow) fastpath_append_grow(s, n);
  else fastpath_append(s, n);
  if (static_cast<long>(s.len()) != n || s[n - 1] != n - 1) return Fail("append lost a value");
  return 0;
}

int RunAuto(long n) {
  Slice x = gort::make<int64_t>(0, 1);  // room for one: every append writes element 0
  fastpath_append_auto(x, n);
  if (x.sub(0, 1)[0] != n - 1) return Fail("append_auto lost a value");
  return 0;
}

int RunSub(bool span, long n) {
  Slice s = gort::make<int64_t>(n + 8);
  if (span) fastpath_span_sub(s.span(), n);
  else fastpath_sub(s, n);
  return 0;
}

int Run(std::string_view op, long n) {
  void* p = gort_malloc(kObjectSize);  // warm-up for all: the thread cache is set up
  gort_free(p);
  if (op == "loop") return fastpath_loop(n), 0;
  if (op == "malloc_free") return fastpath_malloc_free(n), 0;
  if (op == "map_hit") return RunMap(true, n);
  if (op == "map_miss") return RunMap(false, n);
  if (op == "append") return RunAppend(false, n);
  if (op == "append_grow") return RunAppend(true, n);
  if (op == "append_auto") return RunAuto(n);
  if (op == "sub") return RunSub(false, n);
  if (op == "span_sub") return RunSub(true, n);
  return Fail("unknown operation (see `fastpath list`)");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && std::strcmp(argv[1], "list") == 0) {
    std::puts("loop\nmalloc_free\nmap_hit\nmap_miss\nappend\nappend_grow\nappend_auto\nsub\n"
              "span_sub");
    return 0;
  }
  if (argc == 2 && std::strcmp(argv[1], "version") == 0) {
#ifdef __clang__
    std::printf("clang %s\n", __VERSION__);
#else
    std::printf("gcc %s\n", __VERSION__);
#endif
    return 0;
  }
  long n = argc == 3 ? std::atol(argv[2]) : 0;
  if (n <= 0) return Fail("usage: fastpath list | version | OP N   (N > 0)");
  return Run(argv[1], n);
}
