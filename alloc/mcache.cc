// mcache.cc — the thread cache's slow paths, thread set-up and tear-down, fork.
#include "alloc/mcache.h"

#include <pthread.h>

#include "alloc/check.h"
#include "alloc/lock.h"
#include "alloc/malloc.h"
#include "alloc/mcentral.h"
#include "alloc/mheap.h"

namespace gort::alloc {

constinit thread_local mcache tl_mcache __attribute__((tls_model("initial-exec"))) = UnsetCache();

namespace {

inline void*& Next(void* p) { return *static_cast<void**>(p); }

// The registry of live caches: for fork, statistics and tests.
constinit Lock g_registry_lock;
mcache* g_registry = nullptr;
uint32_t g_ncaches = 0;
pthread_key_t g_exit_key;

void Register(mcache* c) {
  LockGuard g(g_registry_lock);
  c->prev = nullptr;
  c->next = g_registry;
  if (g_registry != nullptr) g_registry->prev = c;
  g_registry = c;
  g_ncaches++;
}

void Unregister(mcache* c) {
  LockGuard g(g_registry_lock);
  if (c->prev != nullptr) c->prev->next = c->next; else g_registry = c->next;
  if (c->next != nullptr) c->next->prev = c->prev;
  c->next = c->prev = nullptr;
  g_ncaches--;
}

// A dead cache keeps room 1 on every list, so any later free on the thread flushes at once.
void Kill(mcache* c) {
  CacheReleaseAll(c);
  Unregister(c);
  c->state = kCacheDead;
  for (uint32_t k = 1; k < kNumClasses; k++) c->lists[k].room = 1;
}

void OnThreadExit(void* arg) { Kill(static_cast<mcache*>(arg)); }

// Sets up this thread's cache. An object freed before (at most one per list: room was 1) is
// kept and counted.
void Activate(mcache* c) {
  EnsureInit();
  for (uint32_t k = 1; k < kNumClasses; k++) {
    uint32_t n = 0;
    for (void* p = c->lists[k].head; p != nullptr; p = Next(p)) n++;
    c->lists[k].max = ClassCacheMax(k);
    c->lists[k].room = c->lists[k].max - n;
  }
  c->state = kCacheActive;
  Register(c);
  pthread_setspecific(g_exit_key, c);  // may allocate (key >= 32): the cache works by now
}

// Gives the first n objects of list cls to mcentral; returns how many went.
uint32_t ReleaseBatch(FreeList& l, uint32_t cls, uint32_t n) {
  void* head = l.head;
  void* last = head;
  uint32_t k = 1;
  for (; k < n && Next(last) != nullptr; k++) last = Next(last);
  l.head = Next(last);
  Next(last) = nullptr;  // the batch travels as a chain of its own
  l.room += k;
  g_mcentral[cls].InsertRange(head, k);
  return k;
}

}  // namespace

void CacheInitGlobals() {
  if (pthread_key_create(&g_exit_key, OnThreadExit) != 0)
    Fatal("cannot create the thread-exit key");
}

void* CacheRefill(uint32_t cls) {
  mcache* c = &tl_mcache;
  if (GORT_UNLIKELY(c->state != kCacheActive)) {
    if (c->state == kCacheUnset) {
      Activate(c);
    } else {  // dead thread: one object, nothing cached
      void* p = nullptr;
      return g_mcentral[cls].RemoveRange(&p, 1) == 1 ? p : nullptr;
    }
  }
  FreeList& l = c->lists[cls];
  if (l.head == nullptr) {
    void* chain = nullptr;
    uint32_t n = g_mcentral[cls].RemoveRange(&chain, ClassBatch(cls));
    if (n == 0) return nullptr;
    l.head = chain;
    l.room -= n;
    c->refills++;
  }
  void* p = l.head;
  l.head = Next(p);
  l.room++;
  return p;
}

void CacheFlush(uint32_t cls) {
  mcache* c = &tl_mcache;
  FreeList& l = c->lists[cls];
  if (c->state == kCacheUnset) {
    // First free on this thread: the object sits on the list; set the thread up around it.
    Activate(c);
    if (l.room > 0) return;
  }
  if (c->state == kCacheDead) {
    uint32_t n = 0;
    for (void* p = l.head; p != nullptr; p = Next(p)) n++;
    g_mcentral[cls].InsertRange(l.head, n);
    l.head = nullptr;
    l.room = 1;
    return;
  }
  ReleaseBatch(l, cls, ClassBatch(cls));
  c->flushes++;
}

void CacheReleaseAll(mcache* c) {
  for (uint32_t k = 1; k < kNumClasses; k++) {
    FreeList& l = c->lists[k];
    while (l.head != nullptr) ReleaseBatch(l, k, ClassBatch(k));
  }
}

uint32_t CacheCount() {
  LockGuard g(g_registry_lock);
  return g_ncaches;
}

// fork(): take every allocator lock so the child gets consistent structures, registry first,
// then mcentrals in class order, then mheap (the documented lock order).
void CacheForkPrepare() {
  g_registry_lock.lock();
  for (int k = 1; k < kNumClasses; k++) g_mcentral[k].lock.lock();
  g_mheap.lock.lock();
}

void CacheForkParent() {
  g_mheap.lock.unlock();
  for (int k = kNumClasses - 1; k >= 1; k--) g_mcentral[k].lock.unlock();
  g_registry_lock.unlock();
}

// In the child only the forking thread lives: drain the caches of the others.
void CacheForkChild() {
  g_mheap.lock.ResetInChild();
  for (int k = 1; k < kNumClasses; k++) g_mcentral[k].lock.ResetInChild();
  g_registry_lock.ResetInChild();
  mcache* self = &tl_mcache;
  mcache* c = g_registry;
  while (c != nullptr) {
    mcache* next = c->next;
    if (c != self) Kill(c);
    c = next;
  }
}

bool mcache::IsValid() const {
  if (state != kCacheActive) return true;
  for (uint32_t k = 1; k < kNumClasses; k++) {
    const FreeList& l = lists[k];
    if (l.room < 1 || l.room > l.max) return false;
    uint32_t n = 0;
    for (void* p = l.head; p != nullptr; p = *static_cast<void**>(p)) {
      if (g_pagemap.Class(reinterpret_cast<uintptr_t>(p)) != k) return false;
      if (++n > l.max) return false;
    }
    if (n != Len(k)) return false;
  }
  return true;
}

}  // namespace gort::alloc
