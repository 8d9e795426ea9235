// mcentral.cc — see mcentral.h for the design.
#include "alloc/mcentral.h"

#include "alloc/check.h"
#include "alloc/freelink.h"
#include "alloc/mheap.h"

namespace gort::alloc {

constinit mcentral g_mcentral[kNumClasses];

namespace {
}  // namespace

void mcentral::Init(uint8_t cls) {
  GORT_ASSERT(cls >= 1 && cls < kNumClasses, "mcentral::Init: size class out of range");
  GORT_ASSERT(!lock.held(), "mcentral::Init: the lock is held");
  cls_ = cls;
  lock.set_rank(MCentralRank(cls));
  batch_ = ClassBatch(cls);
  // Keep at most ~1 MiB of objects in the transfer cache of one class.
  uint32_t bytes = batch_ * kClassSize[cls];
  uint32_t m = uint32_t((1u << 20) / bytes);
  maxslots_ = m < 2 ? 2 : m > kMaxSlots ? kMaxSlots : m;
}

uint32_t mcentral::RemoveRange(void** head, uint32_t n) {
  GORT_ASSERT(head != nullptr, "mcentral::RemoveRange: head is null");
  GORT_ASSERT(n >= 1 && n <= batch_, "mcentral::RemoveRange: n is not in 1..batch");
  GORT_ASSERT(!lock.owned(), "mcentral::RemoveRange: the caller holds the lock");
  LockGuard g(lock);
  if (n == batch_ && nslots_ > 0) {
    hits_++;
    *head = slots_[--nslots_];
    return n;
  }
  misses_++;
  return CutFromSpans(head, n);
}

void mcentral::InsertRange(void* head, uint32_t n) {
  GORT_ASSERT(head != nullptr, "mcentral::InsertRange: head is null");
  GORT_ASSERT(n >= 1 && n <= batch_, "mcentral::InsertRange: n is not in 1..batch");
  GORT_ASSERT(!lock.owned(), "mcentral::InsertRange: the caller holds the lock");
  LockGuard g(lock);
  inserts_++;
  if (n == batch_ && nslots_ < maxslots_) {
    slots_[nslots_++] = head;
    return;
  }
  ReturnToSpans(head, n);
#if GORT_CHECKS >= 3
  if (const char* e = check(); *e != '\0') Fatal(e);
#endif
}

void mcentral::Trim(bool idle_only) {
  GORT_ASSERT(!lock.owned(), "mcentral::Trim: the caller holds the lock");
  LockGuard g(lock);
  const uint64_t moves = hits_ + misses_ + inserts_;
  if (idle_only && moves != moves_at_trim_) {
    moves_at_trim_ = moves;
    return;
  }
  moves_at_trim_ = moves;
  while (nslots_ > 0) ReturnToSpans(slots_[--nslots_], batch_);
  for (mspan* s = partial_.first; s != nullptr;) {
    mspan* next = s->next;
    if (s->allocCount == 0) {
      partial_.Remove(s);
      s->onlist = false;
      nspans_--;
      g_mheap.FreeSpan(s);
    }
    s = next;
  }
}

// Builds a chain of up to n objects from partial spans (new spans as needed).
uint32_t mcentral::CutFromSpans(void** head, uint32_t n) {
  GORT_ASSERT(lock.owned(), "mcentral::CutFromSpans: the lock is not held");
  GORT_ASSERT(n >= 1 && n <= batch_, "mcentral::CutFromSpans: n is not in 1..batch");
  void* chain = nullptr;
  uint32_t got = 0;
  const uint32_t size = kClassSize[cls_];
  while (got < n) {
    mspan* s = partial_.first;
    if (s == nullptr && (s = NewSpan()) == nullptr) break;
    uint32_t k = 0;
    while (got < n && s->freelist != nullptr) {
      void* p = s->freelist;
      s->freelist = GetNext(p);
      SetNext(p, chain);
      chain = p;
      got++, k++;
    }
    while (got < n && s->freeindex < s->nelems) {
      void* p = reinterpret_cast<void*>(s->base + uintptr_t(s->freeindex++) * size);
      SetNext(p, chain);
      chain = p;
      got++, k++;
    }
    s->allocCount += k;
    if (!s->HasFree()) {
      partial_.Remove(s);
      s->onlist = false;
    }
  }
  *head = chain;
  return got;
}

void mcentral::ReturnToSpans(void* head, uint32_t n) {
  GORT_ASSERT(lock.owned(), "mcentral::ReturnToSpans: the lock is not held");
  GORT_ASSERT(head != nullptr && n >= 1, "mcentral::ReturnToSpans: no objects");
  for (uint32_t i = 0; i < n; i++) {
    void* p = head;
    head = GetNext(p);
    mspan* s = g_pagemap.Span(reinterpret_cast<uintptr_t>(p));
    GORT_ASSERT(s != nullptr && s->state == SpanState::kSmall && s->cls == cls_,
                "object returned to the wrong mcentral");
    SetNext(p, s->freelist);
    s->freelist = p;
    s->allocCount--;
    if (!s->onlist) {
      partial_.Push(s);
      s->onlist = true;
    }
    // An empty span goes back to the heap unless it is the only one left.
    if (s->allocCount == 0 && partial_.n > 1) {
      partial_.Remove(s);
      s->onlist = false;
      nspans_--;
      g_mheap.FreeSpan(s);
    }
  }
}

mspan* mcentral::NewSpan() {
  GORT_ASSERT(lock.owned(), "mcentral::NewSpan: the lock is not held");
  GORT_ASSERT(partial_.empty(), "mcentral::NewSpan: a partial span still has free objects");
  mspan* s = g_mheap.AllocSpan(kClassPages[cls_], 1, SpanState::kSmall, cls_);
  if (s == nullptr) return nullptr;
  s->nelems = ClassObjects(cls_);
  s->freeindex = 0;
  s->freelist = nullptr;
  s->allocCount = 0;
  partial_.Push(s);
  s->onlist = true;
  nspans_++;
  return s;
}

mcentral::Stats mcentral::GetStats() {
  GORT_ASSERT(!lock.owned(), "mcentral::GetStats: the caller holds the lock");
  LockGuard g(lock);
  return {nspans_, nslots_, hits_, misses_};
}

const char* mcentral::check() const {
  for (mspan* s = partial_.first; s != nullptr; s = s->next) {
    if (s->state != SpanState::kSmall || s->cls != cls_)
      return "mcentral: a span on partial is not a small span of this class";
    if (!s->onlist) return "mcentral: a span on partial is not marked onlist";
    if (!s->HasFree()) return "mcentral: a span on partial has no free object";
    if (const char* e = s->check(); *e != '\0') return e;
  }
  if (nslots_ > maxslots_) return "mcentral: more transfer-cache slots in use than maxslots";
  for (uint32_t i = 0; i < nslots_; i++) {
    void* p = slots_[i];
    for (uint32_t k = 0; k < batch_; k++, p = GetNext(p)) {
      if (p == nullptr) return "mcentral: a transfer-cache batch is shorter than a batch";
      if (g_pagemap.Class(reinterpret_cast<uintptr_t>(p)) != cls_)
        return "mcentral: a transfer-cache batch holds an object of another class";
    }
    if (p != nullptr) return "mcentral: a transfer-cache batch is longer than a batch";
  }
  return "";
}

}  // namespace gort::alloc
