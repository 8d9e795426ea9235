// threads.cc — two-thread cases, timed by the wall clock (UseRealTime), items/s = pairs/s.
//
//  xthread/ring     thread 0 mallocs 64 B objects and pushes each through an SPSC ring;
//                   thread 1 pops and frees it: every free is of memory another thread
//                   allocated (the pattern of xmalloc-test and sh8bench).
//  xthread/batch    the same, handed over 64 objects at a time: thread 0 links a batch through
//                   the objects' first words and pushes the head; thread 1 walks and frees it.
//  threads2/pair64  two threads, each its own malloc(64)+free pairs: does the fast path scale?
// Google Benchmark runs both threads for the same iteration count, so each run pushes exactly
// what it pops and the rings are empty between runs. Only the freeing thread counts items.
#include "bench/alloc/common.h"
#include "bench/alloc/spsc.h"

namespace bench {
namespace {

constexpr size_t kObj = 64;
constexpr size_t kBatch = 64;

SpscRing<1024> g_objects;
SpscRing<16> g_batches;  // 16 batches of 64: the same 1024 objects in flight at most

void RingProducer(benchmark::State& state) {
  for (auto _ : state) g_objects.Push(Get(kObj));
}

void RingConsumer(benchmark::State& state) {
  for (auto _ : state) Put(g_objects.Pop());
  state.SetItemsProcessed(state.iterations());
}

void XthreadRing(benchmark::State& state) {
  state.thread_index() == 0 ? RingProducer(state) : RingConsumer(state);
}

void* MakeBatch() {
  void* head = nullptr;
  for (size_t i = 0; i < kBatch; i++) {
    void* p = Get(kObj);
    *static_cast<void**>(p) = head;
    head = p;
  }
  return head;
}

void FreeBatch(void* head) {
  while (head != nullptr) {
    void* next = *static_cast<void**>(head);
    Put(head);
    head = next;
  }
}

void BatchProducer(benchmark::State& state) {
  for (auto _ : state) g_batches.Push(MakeBatch());
}

void BatchConsumer(benchmark::State& state) {
  for (auto _ : state) FreeBatch(g_batches.Pop());
  state.SetItemsProcessed(state.iterations() * int64_t(kBatch));
}

void XthreadBatch(benchmark::State& state) {
  state.thread_index() == 0 ? BatchProducer(state) : BatchConsumer(state);
}

void IndependentPairs(benchmark::State& state) {
  for (auto _ : state) Put(Get(kObj));
  state.SetItemsProcessed(state.iterations());
}

void Register(const char* name, void (*fn)(benchmark::State&)) {
  benchmark::RegisterBenchmark(name, fn)->Threads(2)->UseRealTime()->MinTime(MinTime());
}

}  // namespace

void RegisterThreads() {
  Register("xthread/ring", XthreadRing);
  Register("xthread/batch", XthreadBatch);
  Register("threads2/pair64", IndependentPairs);
}

}  // namespace bench
