// reclaim.h — safe memory reclamation for the concurrent maps: epochs, with the fence on the
// reclaimer's side (membarrier(2)), so that a reader announces itself with plain stores.
//
// Go's sync.Map frees nothing: a replaced read map, a replaced value, a dropped entry stay
// alive for as long as any goroutine still holds a pointer to them, because the garbage
// collector says so. C++ has no collector, so a writer that unlinks an object hands it to
// retire(), and the object is freed only once no reader can still hold it. This file is the
// part that decides "once": epoch-based reclamation (Fraser's EBR) whose readers pay no
// atomic read-modify-write and no fence; the reclaimer pays instead, with one
// membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) per epoch it tries to advance.
//
// Why this and not liburcu: urcu-memb has the same read side (a plain store of the grace
// period counter, a compiler barrier; its sys_membarrier does the rest), but its unlock
// also tests a futex word to wake a waiting synchronize_rcu, its fast path is inlined only
// into programs built against its _LGPL_SOURCE headers (else each lock and unlock is a call
// into the library), every reader thread must call rcu_register_thread, and its writers
// wait (synchronize_rcu) or hand callbacks to a call_rcu thread. Here the read side is two
// plain stores and a few loads reached from one initial-exec TLS pointer, writers never
// wait, and threads are registered on first use and settled at exit by the runtime's own
// thread registry (alloc/thread.h), where the maps own a layer of exit hooks
// (kLayerConcurrent). urcu-qsbr's read side is free, but every reader thread must announce
// quiescent states, which a container cannot ask of its users.
//
// A reader (read_section, RAII):
//   1. tl_rec: the thread's record (one initial-exec TLS load). nullptr: the thread's first
//      section; the slow path registers the thread (enter_slow) and goes on from step 3.
//   2. record's epoch != 0: a nested section (sync_map::range calls back into the map); the
//      outer one protects everything, nothing to do.
//   3. epoch := g_epoch (acquire load, then a release store: both plain movs on x86-64);
//      then a compiler barrier. In reader-fence mode (no membarrier on this kernel) an
//      mfence follows instead: a fence, not a locked instruction.
//   4. the reader loads pointers (acquire) and reads the objects behind them.
//   5. epoch := 0 (release store: a plain mov). The whole section, as GCC compiles it on
//      x86-64: four loads (the TLS pointer, the record's epoch, g_epoch, the fence flag, all
//      but g_epoch in the thread's own line), two stores, four predicted branches; no lock,
//      no RMW, no fence, no call (tests/maps/sync_map_probe_test.sh checks the compiled
//      load path).
// A writer unlinks an object (a release store or a CAS of the pointer that led to it), then
// calls retire(p, free): one store into the thread's bag (kBagSize slots). A full bag is
// sealed (a full fence, then tag := g_epoch) and pushed onto the pending list, and the
// writer tries to collect (try_lock: if someone else is collecting, it goes on):
//   a. advance: E = g_epoch; membarrier (every running thread of the process executes a
//      full barrier; one that is not running has passed a context switch, which is one);
//      then each registered record's epoch is loaded. If every record reads 0 or E, g_epoch
//      becomes E + 1. Tried at most twice per collection, while the oldest bag is not free.
//   b. free every bag whose tag + 2 <= g_epoch, after releasing g_mu (a free function may
//      itself retire, or use a map).
//
// Why tag + 2 suffices. A reader that loaded a pointer to X loaded it before X's unlink
// became visible; X's bag was sealed after the unlink, behind a full fence, reading tag T.
// (i) The reader's epoch e <= T: it loaded g_epoch (acquire) before the pointer, so seeing
// an epoch written after the sealer read T would have meant seeing the unlink too (TSO; on
// ARMv8, multi-copy atomicity with the acquire). (ii) The advance T+1 -> T+2 scanned after
// its membarrier. The membarrier put a full barrier into the reader's instruction stream:
// if it fell after the reader's epoch store, the scan saw e <= T != T+1 and refused; if it
// fell before that store, the reader's pointer load came after the barrier, after the
// unlink was visible everywhere, and could not have found X. So when g_epoch reaches T+2
// every section that could hold X has ended with its release store of 0, which the scan's
// acquire load read: the free happens after the reader's last use of X. (The C++ memory
// model has no membarrier; this is the argument urcu-memb makes, on the hardware models.)
//
// Threads. A thread is registered at its first section or retire: a record (one cache line
// for the scanned word) is linked into g_threads under g_mu, and the thread is enrolled in
// the runtime's registry (ThreadSerial). Its exit hook (layer kLayerConcurrent) stores 0 in
// the epoch — a section left open by a thread that ended protects nothing — seals its bag,
// unlinks and frees the record, so a thread that ended never holds an epoch back. A thread
// that uses a map after its exit hook ran (a later pthread key destructor) gets a transient
// record per section (registered under g_mu, with a full fence; slow but correct), which
// the section leaves as any other, with a store of 0, and which the next collection or
// transient registration unlinks and frees; such a thread retires straight onto the
// pending list. fork(): the child keeps only the
// forking thread's record, seals the other threads' bags for freeing, and registers for
// membarrier again (a new mm; if that fails, the child switches to reader fences).
//
// Garbage is bounded while sections are short: a thread keeps at most kBagSize unsealed
// objects (a thread that stops writing keeps them until it writes again, calls drain() or
// exits), and each sealed bag is freed after two epochs, which any collection can advance
// unless a section is still open. A section that stays open (a long range, a thread
// blocked inside a callback) holds back every object retired from then on, in every map:
// the price of any epoch or RCU scheme.
//
// The domain is one per process: its symbols keep default visibility, so that shared
// objects that each link the library still bind to one copy of it.
//
// Invariants (stats() exposes the counts; tests check them):
//   R1. g_epoch >= 1 and only grows; a record's epoch is 0 or <= g_epoch.
//   R2. retired == freed + (objects in pending bags): every sealed object is freed once.
//   R3. a bag on the pending list is sealed: its tag was read after its objects' unlinks.
//
// Synchronisation contract:
//   tl_rec                  the owning thread only.
//   thread_rec::epoch       stored by the owner (release), loaded by collectors (acquire)
//                           while they hold g_mu.
//   thread_rec::fence       written before the record is published under g_mu; read by
//                           the owner.
//   thread_rec::transient   written before publication; read under g_mu.
//   thread_rec::open_bag and the bag's slots  the owner only (collectors touch sealed bags only).
//   thread_rec::next, g_threads, the pending list, the counters  g_mu.
//   g_epoch                 stored under g_mu (release); loaded anywhere (acquire).
#pragma once

#include <atomic>
#include <cstdint>

#include "alloc/runtime.h"

namespace gort::maps::reclaim {

inline constexpr uint32_t kBagSize = 62;  // a bag is 1016 bytes: one 1 KiB size class

struct retired {
  void* p;
  void (*free)(void*);
};

namespace detail {

struct bag {
  bag* next;       // pending list (g_mu)
  uint64_t epoch;  // tag, set when sealed
  uint64_t n;      // slots used
  retired items[kBagSize];
};

struct alignas(alloc::kCacheLine) thread_rec {
  std::atomic<uint64_t> epoch{0};  // 0: quiescent; else the g_epoch the section began in
  bool fence = false;              // reader-fence mode: fence after announcing
  bool transient = false;          // one section of a thread whose exit hook has run
  bag* open_bag = nullptr;         // the thread's unsealed bag
  thread_rec* next = nullptr;      // g_threads
};

extern constinit thread_local thread_rec* tl_rec __attribute__((tls_model("initial-exec")));
extern constinit std::atomic<uint64_t> g_epoch;

thread_rec* enter_slow();                        // registers the thread; returns it announced
void retire_slow(void* p, void (*free)(void*));  // no bag, or a full one

GORT_INLINE void reader_fence() {
#if defined(__x86_64__)
  asm volatile("mfence" ::: "memory");  // GCC's seq_cst fence is `lock or`: an RMW
#else
  std::atomic_thread_fence(std::memory_order_seq_cst);
#endif
}

}  // namespace detail

// A read-side critical section: pointers loaded inside it stay valid until it ends.
// Sections nest; a section may retire; it must not call drain().
class read_section {
 public:
  GORT_INLINE read_section() {
    detail::thread_rec* r = detail::tl_rec;
    if (GORT_UNLIKELY(r == nullptr)) {
      rec_ = detail::enter_slow();
      return;
    }
    if (r->epoch.load(std::memory_order_relaxed) != 0) {  // nested
      rec_ = nullptr;
      return;
    }
    r->epoch.store(detail::g_epoch.load(std::memory_order_acquire), std::memory_order_release);
    if (GORT_UNLIKELY(r->fence)) detail::reader_fence();
    else std::atomic_signal_fence(std::memory_order_seq_cst);
    rec_ = r;
  }
  GORT_INLINE ~read_section() {
    if (rec_ != nullptr) rec_->epoch.store(0, std::memory_order_release);
  }
  read_section(const read_section&) = delete;
  read_section& operator=(const read_section&) = delete;

 private:
  detail::thread_rec* rec_;
};

// Frees p with free(p) once no section that could have loaded it is open. The caller has
// made p unreachable for sections that begin from now on.
GORT_INLINE void retire(void* p, void (*free)(void*)) {
  detail::thread_rec* r = detail::tl_rec;
  detail::bag* b;
  if (GORT_LIKELY(r != nullptr && (b = r->open_bag) != nullptr && b->n < kBagSize)) {
    b->items[b->n++] = retired{p, free};
    return;
  }
  detail::retire_slow(p, free);
}

// Seals the calling thread's bag and advances epochs until every sealed object is freed.
// Blocks (yielding) while another thread's section is open. Fatal inside a section.
void drain();

enum class barrier_kind : uint8_t { undecided, membarrier, reader_fence };

// Which side pays the fence (decided at the first registration).
barrier_kind barrier();

// Test seam: chooses reader-fence mode; true if no thread has registered yet.
bool use_reader_fence();

struct stats_t {
  uint64_t epoch;     // g_epoch
  uint64_t threads;   // registered records (transient ones included)
  uint64_t retired;   // objects in sealed bags, ever
  uint64_t freed;     // objects freed, ever
  uint64_t pending;   // retired - freed: sealed, waiting for their epoch
  uint64_t advances;  // successful epoch advances
  uint64_t barriers;  // heavy barriers (membarrier calls or collector fences)
};
stats_t stats();

}  // namespace gort::maps::reclaim
