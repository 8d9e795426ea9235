// os.cc — mmap, madvise and munmap behind os.h.
#include "alloc/os.h"

#include <signal.h>
#include <sys/mman.h>

#include "alloc/check.h"

#include <atomic>

namespace gort::alloc::os {
namespace {
constinit std::atomic<uint64_t> g_reserved{0}, g_released{0}, g_meta{0};

void* MapAt(void* hint, size_t size, int extra) {
  void* p = mmap(hint, size, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | extra, -1, 0);
  return p == MAP_FAILED ? nullptr : p;
}
}  // namespace

void* Reserve(size_t size, size_t align, uintptr_t hint) {
  if (hint != 0 && hint % align == 0) {
    if (void* p = MapAt(reinterpret_cast<void*>(hint), size, MAP_FIXED_NOREPLACE)) {
      if (reinterpret_cast<uintptr_t>(p) == hint) {
        g_reserved += size;
        return p;
      }
      munmap(p, size);  // an old kernel ignored the flag and put it elsewhere
    }
  }
  // Over-reserve and trim to get the alignment.
  size_t span = size + align;
  if (span < size) return nullptr;
  void* raw = MapAt(nullptr, span, 0);
  if (raw == nullptr) return nullptr;
  uintptr_t a = reinterpret_cast<uintptr_t>(raw);
  uintptr_t b = (a + align - 1) & ~(align - 1);
  if (b > a) munmap(raw, b - a);
  uintptr_t end = a + span, want = b + size;
  if (end > want) munmap(reinterpret_cast<void*>(want), end - want);
  g_reserved += size;
  return reinterpret_cast<void*>(b);
}

// A fresh mapping over the range rather than madvise: the pages go back just the same, and
// the kernel can merge the range with its neighbours again (mremap splits mappings).
void Release(void* p, size_t size, size_t resident) {
  if (mmap(p, size, PROT_READ | PROT_WRITE,
           MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0) == MAP_FAILED)
    madvise(p, size, MADV_DONTNEED);
  g_released += resident;
}

void* MapMeta(size_t size) {
  void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return nullptr;
  g_meta += size;
  return p;
}

void Unmap(void* p, size_t size) { munmap(p, size); }

void HandleSignal(int sig, void (*fn)(int), const char* variable) {
  struct sigaction sa{};
  sa.sa_handler = fn;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  if (sigaction(sig, &sa, nullptr) == 0) return;
  Print("gort: ");
  Print(variable);
  Print(": cannot handle signal ");
  PrintDec(uint64_t(sig));
  Print("\n");
}

bool MovePages(void* from, void* to, size_t size) {
  void* r = mremap(from, size, size, MREMAP_MAYMOVE | MREMAP_FIXED, to);
  if (r == MAP_FAILED) return false;
  if (mmap(from, size, PROT_READ | PROT_WRITE,
           MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0) == MAP_FAILED)
    Fatal("cannot re-map heap pages after mremap at", reinterpret_cast<uintptr_t>(from));
  g_released += size;
  return true;
}

Counters GetCounters() { return {g_reserved.load(), g_released.load(), g_meta.load()}; }

}  // namespace gort::alloc::os
