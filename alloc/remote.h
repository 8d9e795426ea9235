// remote.h — remote frees: objects a thread frees but does not own, sent to their owner in
// blocks (snmalloc's message queues, batched per owner).
//
// A small object belongs to its span's proc (proc.h) and only that proc's holder may put it
// back on a free list. A thread that frees an object of another proc (a consumer freeing what
// a producer made, a server thread freeing another's request) therefore hands it over. How:
//  1. The free writes the pointer into this thread's outbox block for the owner: one of
//     kRemoteSlots blocks, the slot chosen by the owner's id, each collecting up to
//     RemoteBlock::kObjects pointers for one owner. Nothing shared is written: no atomic,
//     neither the span nor the object.
//  2. A block is sent when it is full, when its objects reach kRemoteBlockBytes, when its
//     slot is wanted for another owner, and when the thread exits or trims (RemoteFlush):
//     one compare-and-swap pushes the whole block on the owner proc's inbox, a stack of
//     blocks.
//  3. The holder of the owner takes its whole inbox with one exchange, in its slow paths
//     (proc.h, point 4), and puts each object on its span's xlist. The pointers lie in an
//     array, so the owner prefetches the objects ahead of the link writes: the misses on
//     lines another core wrote overlap, where walking a linked list would take them one by
//     one; and the line is then the owner's for the malloc that hands the object out.
//  4. Drained blocks go to the draining thread's spare stack (up to kRemoteSpares) or to the
//     process's free stack. Blocks come from chunks mapped from the OS, never unmapped.
// Why batches, against one compare-and-swap per object on a per-span stack (mimalloc's
// thread-free lists, this allocator's earlier design): with frees spread over many spans,
// each span collects one or two objects between its owner's collections, so that design paid
// per object a contended atomic on the span's line, and per span a second one on the owner's
// queue plus a miss when the owner read the span. Here the shared traffic is per block.
// Invariants: an object in an outbox or an inbox counts in its span's allocCount (it is out,
// as far as the owner knows), so its span keeps its owner and pages until the owner has it;
// a block in an outbox or inbox holds only objects of its owner's spans, between 1 and
// RemoteBlock::kObjects of them. Procs are never freed, so a sender may read the owner's
// inbox whenever.
// Synchronisation: the send releases and the owner's exchange acquires: the pointers and the
// objects' contents (the free key) travel with them. The free stack is a Treiber stack whose
// word carries a 16-bit tag in its top bits against ABA; a popper may read `next` of a block
// another thread has just taken, which is why `next` is atomic (relaxed) and the tag decides.
// Bounds and limitation: a thread holds at most kRemoteSlots blocks of at most
// kRemoteBlockBytes of objects. A thread that stops freeing and lives on keeps those objects
// from their owners until it frees again, exits or calls malloc_trim; the owners' spans stay
// in use meanwhile.
// A thread without an active cache (after its exit hooks; in checked mode, before its first
// malloc) has no outbox to keep: it sends each remote free at once, in a block of one.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "alloc/config.h"

namespace gort::alloc {

struct RemoteBlock {
  static constexpr uint32_t kObjects = 61;  // the block fills 512 bytes

  std::atomic<RemoteBlock*> next{nullptr};  // the inbox's or the free stack's link
  uint32_t owner = 0;  // the proc whose spans the objects are of
  uint32_t n = 0;
  uint64_t bytes = 0;  // the objects' class sizes, summed
  void* objs[kObjects];
};
static_assert(sizeof(RemoteBlock) == 512);

inline constexpr uint32_t kRemoteSlots = 8;
inline constexpr uint32_t kRemoteSpares = 4;
inline constexpr uint64_t kRemoteBlockBytes = 256 << 10;

// Point 1: hands x, an object of class cls of a span proc `owner` owns, back to it. The
// caller's thread does not hold that proc.
void RemoteFree(uint32_t owner, uint32_t cls, void* x) GORT_HIDDEN;
// Point 2: sends every block of this thread's outbox.
void RemoteFlush() GORT_HIDDEN;
// The thread ends: its outbox is sent and its spare blocks go to the free stack.
void RemoteThreadExit() GORT_HIDDEN;
// Point 4: a drained block goes back.
void RemoteDrop(RemoteBlock* b) GORT_HIDDEN;

// Blocks mapped so far (tests: drained blocks are reused, not mapped again).
uint64_t RemoteBlocksMapped() GORT_HIDDEN;

}  // namespace gort::alloc
