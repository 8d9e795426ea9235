// checked.cc — checked mode; see checked.h.
#include "alloc/checked.h"

#include <sys/random.h>

#include <cstdlib>
#include <cstring>

#include "alloc/check.h"
#include "alloc/malloc.h"
#include "alloc/mheap.h"
#include "alloc/profile.h"
#include "alloc/proc.h"
#include "alloc/remote.h"
#include "alloc/span.h"

namespace gort::alloc {

bool g_check = false;

namespace {

constexpr uint8_t kFill = 0xcb;
constexpr size_t kTrailer = 8;       // the trailer word of a small object
constexpr size_t kMinChecked = 24;   // words 0 and 1 belong to the free lists
constexpr size_t kLargeCanary = 16;  // canary bytes after a large block

constinit uint64_t g_live_key = 0x2545f4914f6cdd1d;
constinit uint64_t g_freed_key = 0x9fb21c651e98df25;

uint64_t Scramble(uintptr_t a) { return a * 0xd6e8feb86659fd93ull; }

// What a pointer is, once it has been checked to be the start of a block in use.
struct Block {
  uintptr_t base;  // the object or the block
  mspan* s;
  uint32_t cls;    // 0: a large block
  size_t size;     // bytes asked for
  size_t room;     // the object's class size, or the span's bytes
};

uint64_t& TrailerOf(uintptr_t a, uint32_t cls) {
  return *reinterpret_cast<uint64_t*>(a + kClassSize[cls] - kTrailer);
}

void SetTrailer(void* p, uint32_t cls, size_t n) {
  const uintptr_t a = reinterpret_cast<uintptr_t>(p);
  const size_t end = kClassSize[cls] - kTrailer;
  memset(static_cast<char*>(p) + n, kFill, end - n);
  TrailerOf(a, cls) = n ^ g_live_key ^ Scramble(a);
}

void SetCanary(mspan* s, size_t n) {
  s->reqsize = n;
  memset(reinterpret_cast<char*>(s->base) + n, kFill, kLargeCanary);
}

// "fatal error: <op>: <what> 0x<addr>", then what is known of the block, then abort.
[[noreturn]] GORT_NOINLINE void Fail(const char* op, const char* what, uintptr_t addr,
                                     const Block* b, size_t at = SIZE_MAX) {
  Print("fatal error: ");
  Print(op);
  Print(": ");
  Print(what);
  Print(" ");
  PrintHex(addr);
  Print(" (GORT_CHECK)\n");
  if (b != nullptr) {
    Print("\tthe block at ");
    PrintHex(b->base);
    if (b->cls != 0) {
      Print(", size class ");
      PrintDec(b->cls);
      Print(" (");
      PrintDec(kClassSize[b->cls]);
      Print("-byte objects)");
    } else {
      Print(", a large block of ");
      PrintDec(b->room);
      Print(" bytes");
    }
    if (b->size != SIZE_MAX) {
      Print(", ");
      PrintDec(b->size);
      Print(" bytes asked for");
    }
    if (at != SIZE_MAX) {
      Print("; changed: byte ");
      PrintDec(at - b->size + 1);
      Print(" past its end (offset ");
      PrintDec(at);
      Print(")");
    }
    Print("\n");
  }
  abort();
}

// The block p starts, checked: in the heap, the start of a small object or large block in
// use, its trailer or canary intact. Anything else stops the program, naming op.
Block Inspect(const void* p, const char* op) {
  const uintptr_t a = reinterpret_cast<uintptr_t>(p);
  heapArena* ar = g_pagemap.Arena(a);
  if (ar == nullptr) Fail(op, "pointer not allocated by gort:", a, nullptr);
  const size_t i = PageMap::PageIndex(a);
  mspan* s = ar->spans[i];
  Block b{a, s, ar->cls[i], SIZE_MAX, 0};
  if (b.cls != 0) {
    const size_t c = kClassSize[b.cls];
    b.room = c;
    if (s == nullptr || s->state != SpanState::kSmall || a < s->base)
      Fail(op, "pointer into a span not in use:", a, nullptr);
    const size_t k = (a - s->base) / c;
    b.base = s->base + k * c;
    if (k >= s->nelems) Fail(op, "pointer into the tail of a span, past its last object:", a, nullptr);
    if (b.base != a) Fail(op, "interior pointer, not the start of an object:", a, &b);
    if (c < kMinChecked) Fail(op, "pointer to an object no checked malloc returned:", a, &b);
    const uint64_t t = TrailerOf(a, b.cls);
    if (t == (g_freed_key ^ Scramble(a))) Fail(op, "double free of a small object:", a, &b);
    const uint64_t n = t ^ g_live_key ^ Scramble(a);
    if (n > c - kTrailer)
      Fail(op, "heap overflow, or a pointer no malloc returned: the object's trailer is "
               "overwritten:", a, &b);
    b.size = n;
    const uint8_t* q = static_cast<const uint8_t*>(p);
    for (size_t j = n; j < c - kTrailer; j++)
      if (q[j] != kFill) Fail(op, "heap overflow, a write past the end of the object:", a, &b, j);
    return b;
  }
  if (s == nullptr || s->state != SpanState::kLarge)
    Fail(op, "invalid pointer: double free, or not the start of a gort allocation:", a, nullptr);
  b.base = s->base;
  b.room = s->bytes();
  b.size = s->reqsize;
  if (a != s->base) Fail(op, "interior pointer, not the start of a large block:", a, &b);
  const uint8_t* q = static_cast<const uint8_t*>(p);
  if (b.size + kLargeCanary <= b.room)
    for (size_t j = b.size; j < b.size + kLargeCanary; j++)
      if (q[j] != kFill) Fail(op, "heap overflow, a write past the end of the block:", a, &b, j);
  return b;
}

// size bytes in a block of at least room bytes (room >= size), aligned to align (a power of
// two, at most a page for small objects), with its trailer or canary set.
void* Alloc(size_t size, size_t room, size_t align) {
  if (size > kMaxRequest) return NoMemory();
  mcache* c = &tl_mcache;
  c->sample_left = kCheckedLeft;
  c->check_left -= int64_t(size);
  if (GORT_UNLIKELY(c->check_left < 0) && ProfileOn() && align <= kPageSize) {
    c->check_left = ProfileNextSample();
    mspan* s = SampleSpan(size, room + kLargeCanary);
    if (s == nullptr) return NoMemory();
    SetCanary(s, size);
    return reinterpret_cast<void*>(s->base);
  }
  if (room + kTrailer <= kMaxSmallSize && align <= kPageSize) {
    uint32_t cls = SizeToClass(room + kTrailer < kMinChecked ? kMinChecked : room + kTrailer);
    while (kClassSize[cls] % align != 0) cls++;  // ends by the 8192-byte class
    void* p = MallocClass(cls);
    if (p == nullptr) return NoMemory();
    SetTrailer(p, cls, size);
    return p;
  }
  mspan* s = AllocLarge(room + kLargeCanary, align < kPageSize ? kPageSize : align);
  if (s == nullptr) return NoMemory();
  SetCanary(s, size);
  return reinterpret_cast<void*>(s->base);
}

// Frees a block Inspect has passed.
void Release(const Block& b) {
  void* p = reinterpret_cast<void*>(b.base);
  if (b.cls == 0) return FreeLargeSpan(b.s);
  TrailerOf(b.base, b.cls) = g_freed_key ^ Scramble(b.base);
  if (b.s->owner << 8 == (tl_mcache.tag & ~kCheckedTag)) return FreeClass(p, b.cls);
  SetFreeKey(p, b.cls);
  RemoteFree(b.s->owner, b.cls, p);
}

}  // namespace

void CheckedInit() {
  uint64_t r[2] = {0, 0};
  if (getrandom(r, sizeof r, GRND_NONBLOCK) == ssize_t(sizeof r)) {
    g_live_key ^= r[0];
    g_freed_key ^= r[1];
  }
  if (g_live_key == g_freed_key) g_freed_key = ~g_live_key;
  g_check = true;
}

int64_t SampleStart() { return g_check ? kCheckedLeft : ProfileNextSample(); }

void* CheckedMalloc(size_t size) { return Alloc(size, size, 1); }

void* CheckedMallocAligned(size_t align, size_t size) { return Alloc(size, size, align); }

void CheckedFree(void* p) {
  if (p == nullptr) return;
  Release(Inspect(p, "free()"));
}

void* CheckedRealloc(void* p, size_t size) {
  if (p == nullptr) return CheckedMalloc(size);
  const Block b = Inspect(p, "realloc()");
  if (size == 0) {  // glibc: realloc(p, 0) frees p
    Release(b);
    return nullptr;
  }
  if (b.cls != 0 ? size + kTrailer <= b.room && size + kTrailer >= b.room / 2
                 : size + kLargeCanary <= b.room && size > kMaxSmallSize) {
    if (b.cls != 0) SetTrailer(p, b.cls, size);
    else SetCanary(b.s, size);
    return p;
  }
  // A block that grows gets a quarter more room than asked, as ReallocSlow gives it, so that
  // a buffer grown step by step moves O(log n) times.
  size_t room = size;
  if (size > b.size && size - b.size < b.size / 4 && b.size + b.size / 4 <= kMaxRequest)
    room = b.size + b.size / 4;
  void* q = Alloc(size, room, 1);
  if (q == nullptr) return nullptr;
  memcpy(q, p, b.size < size ? b.size : size);
  Release(b);
  return q;
}

size_t CheckedUsableSize(const void* p) {
  if (p == nullptr) return 0;
  return Inspect(p, "malloc_usable_size()").size;
}

}  // namespace gort::alloc
