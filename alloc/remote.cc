// remote.cc — see remote.h for the design.
#include "alloc/remote.h"

#include <new>

#include "alloc/check.h"
#include "alloc/mcache.h"
#include "alloc/os.h"
#include "alloc/proc.h"

namespace gort::alloc {

namespace {

// This thread's blocks: the outbox (slot = owner id % kRemoteSlots) and the spare stack.
struct Outbox {
  RemoteBlock* slot[kRemoteSlots];
  RemoteBlock* spare;  // linked through next
  uint32_t nspare;
};
constinit thread_local Outbox tl_outbox __attribute__((tls_model("initial-exec"))) = {};

constexpr unsigned kTagShift = 48;
constexpr uintptr_t kPtrMask = (uintptr_t{1} << kTagShift) - 1;
constexpr size_t kChunk = 256 << 10;

constinit std::atomic<uintptr_t> g_free{0};  // the free stack: top block | tag << 48
constinit std::atomic<uint64_t> g_mapped{0};

RemoteBlock* Ptr(uintptr_t w) { return reinterpret_cast<RemoteBlock*>(w & kPtrMask); }
uintptr_t Tagged(RemoteBlock* b, uintptr_t old) {
  return reinterpret_cast<uintptr_t>(b) | (((old >> kTagShift) + 1) << kTagShift);
}

// Pushes the chain first..last (linked through next) on the free stack.
void PushFree(RemoteBlock* first, RemoteBlock* last) {
  uintptr_t old = g_free.load(std::memory_order_relaxed);
  uintptr_t w;
  do {
    last->next.store(Ptr(old), std::memory_order_relaxed);
    w = Tagged(first, old);
  } while (!g_free.compare_exchange_weak(old, w, std::memory_order_release,
                                         std::memory_order_relaxed));
}

// A chunk of fresh blocks: one for the caller, the rest on the free stack.
[[gnu::noinline]] RemoteBlock* MapBlocks() {
  void* c = os::MapMeta(kChunk);
  if (c == nullptr) Fatal("out of memory mapping allocator metadata (remote-free blocks)");
  constexpr size_t n = kChunk / sizeof(RemoteBlock);
  auto* b = static_cast<RemoteBlock*>(c);
  for (size_t i = 0; i < n; i++) new (&b[i]) RemoteBlock();
  for (size_t i = 1; i + 1 < n; i++) b[i].next.store(&b[i + 1], std::memory_order_relaxed);
  g_mapped.fetch_add(n, std::memory_order_relaxed);
  PushFree(&b[1], &b[n - 1]);
  return &b[0];
}

RemoteBlock* PopFree() {
  uintptr_t old = g_free.load(std::memory_order_acquire);
  for (;;) {
    RemoteBlock* b = Ptr(old);
    if (b == nullptr) return MapBlocks();
    // b may be taken and relinked meanwhile: then the tag has moved and the exchange fails.
    const uintptr_t w = Tagged(b->next.load(std::memory_order_relaxed), old);
    if (g_free.compare_exchange_weak(old, w, std::memory_order_acquire,
                                     std::memory_order_acquire))
      return b;
  }
}

RemoteBlock* NewBlock(Outbox& o, uint32_t owner) {
  RemoteBlock* b = o.spare;
  if (b != nullptr) {
    o.spare = b->next.load(std::memory_order_relaxed);
    o.nspare--;
  } else {
    b = PopFree();
  }
  b->owner = owner;
  b->n = 0;
  b->bytes = 0;
  return b;
}

// Point 2: one compare-and-swap puts the block on its owner's inbox.
void Send(RemoteBlock* b) {
  GORT_ASSERT(b->n >= 1 && b->n <= RemoteBlock::kObjects, "Send: an empty or overfull block");
  proc* p = ProcById(b->owner);
  RemoteBlock* top = p->inbox.load(std::memory_order_relaxed);
  do {
    b->next.store(top, std::memory_order_relaxed);
  } while (!p->inbox.compare_exchange_weak(top, b, std::memory_order_release,
                                           std::memory_order_relaxed));
}

}  // namespace

void RemoteFree(uint32_t owner, uint32_t cls, void* x) {
  GORT_ASSERT(owner >= 1 && owner < proc::kMaxProcs && cls >= 1 && cls < kNumClasses,
              "RemoteFree: no owner, or a class out of range");
  Outbox& o = tl_outbox;
  if (GORT_UNLIKELY(tl_mcache.state != kCacheActive)) {  // no outbox to keep: send now
    RemoteBlock* b = NewBlock(o, owner);
    b->objs[b->n++] = x;
    Send(b);
    return;
  }
  RemoteBlock*& b = o.slot[owner % kRemoteSlots];
  if (GORT_UNLIKELY(b == nullptr || b->owner != owner)) {
    if (b != nullptr) Send(b);
    b = NewBlock(o, owner);
  }
  b->objs[b->n++] = x;
  b->bytes += kClassSize[cls];
  if (GORT_UNLIKELY(b->n == RemoteBlock::kObjects || b->bytes >= kRemoteBlockBytes)) {
    Send(b);
    b = nullptr;
  }
}

void RemoteFlush() {
  for (RemoteBlock*& b : tl_outbox.slot) {
    if (b != nullptr) Send(b);
    b = nullptr;
  }
}

void RemoteThreadExit() {
  RemoteFlush();
  Outbox& o = tl_outbox;
  if (o.spare == nullptr) return;
  RemoteBlock* last = o.spare;
  while (last->next.load(std::memory_order_relaxed) != nullptr)
    last = last->next.load(std::memory_order_relaxed);
  PushFree(o.spare, last);
  o.spare = nullptr;
  o.nspare = 0;
}

void RemoteDrop(RemoteBlock* b) {
  Outbox& o = tl_outbox;
  if (o.nspare < kRemoteSpares && tl_mcache.state == kCacheActive) {
    b->next.store(o.spare, std::memory_order_relaxed);
    o.spare = b;
    o.nspare++;
  } else {
    PushFree(b, b);
  }
}

uint64_t RemoteBlocksMapped() { return g_mapped.load(std::memory_order_relaxed); }

}  // namespace gort::alloc
