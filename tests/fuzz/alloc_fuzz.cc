// alloc_fuzz.cc — libFuzzer drives gort's allocator through its prefixed C API.
//
// Each input is a program: every byte (or few) picks an operation and its arguments, on a table
// of kSlots live blocks. The operations are the whole surface a program uses: malloc, calloc,
// realloc (grow, shrink, to zero, from null), memalign, aligned_alloc, posix_memalign,
// malloc_usable_size, free, malloc_trim, a thread-cache flush, and two kinds of cross-thread
// traffic: a block freed by a helper thread (a remote free), and blocks a helper thread
// allocated and hands over (the owner's cache no longer runs them). A short-lived thread that
// allocates and exits joins them (thread-cache teardown with blocks still live).
//
// What is checked after each step, beyond the allocator's own walks (built at GORT_CHECKS=3
// the debug preset walks every structure after the operations that change it, and dies on a
// broken invariant):
//   - every live block still holds the byte pattern written into it (no overlap between
//     blocks, no block handed out twice, no metadata written into a live block);
//   - calloc's block is zero; realloc keeps min(old, new) bytes; alignment is honoured;
//     malloc_usable_size is at least the size asked.
// At the end of an input every block is freed, so inputs are independent.
//
// Blocks carry a distinct fill byte each, so a block returned twice shows up as one block's
// pattern overwritten by another's.
#include <pthread.h>

#include <cerrno>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <mutex>
#include <thread>

#include "alloc/gort.h"

namespace {

constexpr int kSlots = 64;

struct Block {
  unsigned char* p = nullptr;
  size_t size = 0;
  unsigned char fill = 0;
};

Block slots[kSlots];
unsigned char next_fill = 1;

[[noreturn]] void Die(const char* what, const Block& b) {
  std::fprintf(stderr, "alloc_fuzz: %s (block %p, %zu bytes, fill %u)\n", what,
               static_cast<void*>(b.p), b.size, b.fill);
  std::abort();
}

// The input, read as a stream; past its end every read is 0.
struct Input {
  const uint8_t* d;
  size_t n;
  size_t i = 0;
  bool more() const { return i < n; }
  uint8_t byte() { return i < n ? d[i++] : 0; }
  uint32_t u32() {
    uint32_t v = 0;
    for (int k = 0; k < 4; k++) v = v << 8 | byte();
    return v;
  }
};

// Sizes spread over every tier: tiny, small classes, the largest small class and just past
// it, large (a few pages to a few MiB), and zero.
size_t SizeFrom(Input& in) {
  uint32_t r = in.u32();
  switch (r & 7) {
    case 0: return 0;
    case 1: return (r >> 3) % 17;
    case 2: case 3: return (r >> 3) % 1025;
    case 4: return (r >> 3) % 32769;
    case 5: return 32768 + static_cast<int>((r >> 3) % 33) - 16;
    case 6: return (r >> 3) % (256 << 10);
    default: return (r >> 3) % (4 << 20);
  }
}

void Fill(Block& b) {
  b.fill = next_fill++;
  if (next_fill == 0) next_fill = 1;
  if (b.size) std::memset(b.p, b.fill, b.size);
}

void Verify(const Block& b) {
  for (size_t i = 0; i < b.size; i++)
    if (b.p[i] != b.fill) Die("a live block was overwritten", b);
}

void VerifyAll() {
  for (const Block& b : slots)
    if (b.p) Verify(b);
}

void Put(int k, void* p, size_t size) {
  if (size && !p) Die("allocation failed", Block{nullptr, size, 0});
  slots[k].p = static_cast<unsigned char*>(p);
  slots[k].size = p ? size : 0;
  if (p) Fill(slots[k]);
}

void Drop(int k) {
  if (!slots[k].p) return;
  Verify(slots[k]);
  gort_free(slots[k].p);
  slots[k] = Block{};
}

// One helper thread runs the cross-thread steps; the fuzzer's thread waits for each step,
// so an input replays the same way every time.
class Helper {
 public:
  Helper() : t_([this] { Loop(); }) {}
  void Run(std::function<void()> f) {
    std::unique_lock<std::mutex> l(mu_);
    job_ = std::move(f);
    cv_.notify_all();
    cv_.wait(l, [this] { return !job_; });
  }

 private:
  void Loop() {
    std::unique_lock<std::mutex> l(mu_);
    for (;;) {
      cv_.wait(l, [this] { return static_cast<bool>(job_); });
      job_();
      job_ = nullptr;
      cv_.notify_all();
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::function<void()> job_;
  std::thread t_;
};

Helper& helper() {
  static Helper* h = new Helper;  // never joined: libFuzzer exits the process
  return *h;
}

void Step(Input& in) {
  const uint8_t op = in.byte();
  const int k = in.byte() % kSlots;
  Block& b = slots[k];
  switch (op % 12) {
    case 0: {  // malloc
      Drop(k);
      size_t n = SizeFrom(in);
      Put(k, gort_malloc(n), n);
      break;
    }
    case 1: {  // calloc: zero before we fill it
      Drop(k);
      size_t n = SizeFrom(in), m = 1 + in.byte() % 4;
      void* p = gort_calloc(m, n / m);
      for (size_t i = 0; p && i < (n / m) * m; i++)
        if (static_cast<unsigned char*>(p)[i]) Die("calloc returned a non-zero byte", b);
      Put(k, p, (n / m) * m);
      break;
    }
    case 2: {  // realloc: keeps min(old, new) bytes; size 0 frees (returns null or a block)
      size_t n = SizeFrom(in);
      if (b.p) Verify(b);
      void* p = gort_realloc(b.p, n);
      if (n && !p) Die("realloc failed", b);
      for (size_t i = 0; p && i < (n < b.size ? n : b.size); i++)
        if (static_cast<unsigned char*>(p)[i] != b.fill) Die("realloc lost bytes", b);
      b = Block{};
      if (p) Put(k, p, n);
      break;
    }
    case 3: {  // the aligned forms
      Drop(k);
      size_t align = size_t{8} << (in.byte() % 14), n = SizeFrom(in);
      void* p = nullptr;
      switch (in.byte() % 3) {
        case 0: p = gort_memalign(align, n); break;
        case 1: p = gort_aligned_alloc(align, (n + align - 1) / align * align); n = (n + align - 1) / align * align; break;
        default:
          if (gort_posix_memalign(&p, align, n) != 0) p = nullptr;
      }
      if (p && reinterpret_cast<uintptr_t>(p) % align) Die("misaligned block", Block{static_cast<unsigned char*>(p), n, 0});
      Put(k, p, n);
      break;
    }
    case 4:  // free
      Drop(k);
      break;
    case 5:  // malloc_usable_size
      if (b.p && gort_malloc_usable_size(b.p) < b.size) Die("usable size below the size asked", b);
      break;
    case 6:  // malloc_trim(0), then every block is still whole
      if (in.byte() % 8 == 0) {
        gort_malloc_trim(0);
        VerifyAll();
      }
      break;
    case 7:  // this thread's cache goes back to the central lists
      gort_thread_flush();
      break;
    case 8: {  // a remote free: the helper thread frees a block this thread allocated
      if (!b.p) break;
      Verify(b);
      void* p = b.p;
      b = Block{};
      helper().Run([p] { gort_free(p); });
      break;
    }
    case 9: {  // a handover: the helper allocates, this thread owns and later frees it
      Drop(k);
      size_t n = SizeFrom(in);
      void* p = nullptr;
      helper().Run([&] { p = gort_malloc(n); });
      Put(k, p, n);
      break;
    }
    case 10: {  // a short-lived thread allocates a few blocks, frees some, and exits
      int m = 1 + in.byte() % 8;
      size_t n = SizeFrom(in);
      void* got[8] = {};
      std::thread([&] {
        for (int i = 0; i < m; i++) got[i] = gort_malloc(n + i);
        for (int i = 0; i < m; i += 2) gort_free(got[i]), got[i] = nullptr;
      }).join();
      for (int i = 1; i < m; i += 2) {
        int s = (k + i) % kSlots;
        Drop(s);
        Put(s, got[i], n + i);
      }
      break;
    }
    default:  // check every block now
      VerifyAll();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in{data, size};
  for (int steps = 0; in.more() && steps < 256; steps++) Step(in);
  VerifyAll();
  for (int k = 0; k < kSlots; k++) Drop(k);
  return 0;
}
