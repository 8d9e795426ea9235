// lockrank.cc — the lock-order checker of GORT_CHECKS >= 2 (see lockrank.h).
#include "alloc/lockrank.h"

#if GORT_CHECKS >= 2

#include "alloc/check.h"

namespace gort::alloc {

constinit thread_local HeldLocks tl_held_locks __attribute__((tls_model("initial-exec"))) = {};

namespace {

// A message built in a caller's stack buffer: the checker runs inside the allocator, with
// locks held, and must not allocate. Text past the end is cut off.
class Text {
 public:
  Text& operator<<(const char* s) {
    while (*s != '\0' && n_ + 1 < sizeof(buf_)) buf_[n_++] = *s++;
    buf_[n_] = '\0';
    return *this;
  }
  Text& operator<<(uint32_t v) {
    char digits[10];
    int k = 0;
    do digits[k++] = char('0' + v % 10); while ((v /= 10) != 0);
    char one[2] = {};
    while (k > 0) {
      one[0] = digits[--k];
      *this << one;
    }
    return *this;
  }
  Text& operator<<(LockRank r) {
    uint32_t v = uint32_t(r);
    if (r == LockRank::kInit) return *this << "init";
    if (r == LockRank::kProcs) return *this << "procs";
    if (r == LockRank::kMHeap) return *this << "mheap";
    if (r >= LockRank::kMCentral && r < LockRank::kMHeap)
      return *this << "mcentral[" << (v - uint32_t(LockRank::kMCentral)) << "]";
    return *this << "lock of rank " << v;
  }
  const char* str() const { return buf_; }

 private:
  char buf_[128] = {};
  uint32_t n_ = 0;
};

[[noreturn]] GORT_NOINLINE void OrderFatal(LockRank want, LockRank held) {
  Text t;
  t << "lock order: taking " << want << " while holding " << held;
  Fatal(t.str());
}

}  // namespace

void LockRankAcquire(const void* lock, LockRank r) {
  HeldLocks& h = tl_held_locks;
  if (GORT_UNLIKELY(r >= LockRank::kNumRanks)) {
    Text t;
    t << "lock order: taking a lock of unknown rank " << uint32_t(r);
    Fatal(t.str());
  }
  // The ranks held rise from the bottom: the top one is the highest.
  if (h.n > 0 && GORT_UNLIKELY(h.ranks[h.n - 1] >= r)) OrderFatal(r, h.ranks[h.n - 1]);
  h.ranks[h.n] = r;
  h.locks[h.n] = lock;
  h.n++;
}

void LockRankRelease(const void* lock, LockRank r) {
  HeldLocks& h = tl_held_locks;
  uint32_t i = h.n;
  while (i > 0 && h.locks[i - 1] != lock) i--;
  if (GORT_UNLIKELY(i == 0)) {
    Text t;
    t << "lock order: releasing " << r << ", which this thread does not hold";
    Fatal(t.str());
  }
  for (; i < h.n; i++) {
    h.ranks[i - 1] = h.ranks[i];
    h.locks[i - 1] = h.locks[i];
  }
  h.n--;
}

bool LockRankHeld(const void* lock) {
  const HeldLocks& h = tl_held_locks;
  for (uint32_t i = 0; i < h.n; i++)
    if (h.locks[i] == lock) return true;
  return false;
}

}  // namespace gort::alloc

#endif  // GORT_CHECKS >= 2
