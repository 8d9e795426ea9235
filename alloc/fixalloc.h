// fixalloc.h — Go's fixalloc: fixed-size metadata records from OS chunks, never returned.
//
// Spans and other records the heap needs are carved from 256 KiB chunks mapped straight from
// the OS and recycled through an intrusive free list; the system malloc is never involved.
// Records are never unmapped, so a stale pointer to one (a page map entry of a freed run)
// still reads a well-formed record. Not thread-safe: the owner (mheap) holds its lock.
#pragma once

#include <cstddef>
#include <new>

#include "alloc/check.h"
#include "alloc/os.h"

namespace gort::alloc {

template <typename T>
class FixAlloc {
 public:
  T* New() {
    void* p = free_;
    if (p != nullptr) {
      free_ = *static_cast<void**>(p);
    } else {
      if (left_ < sizeof(Slot)) Refill();
      p = next_;
      next_ += sizeof(Slot);
      left_ -= sizeof(Slot);
    }
    inuse_++;
    return new (p) T();
  }
  void Delete(T* t) {
    t->~T();
    *reinterpret_cast<void**>(t) = free_;
    free_ = t;
    inuse_--;
  }
  size_t inuse() const { return inuse_; }

 private:
  union Slot {
    alignas(T) unsigned char bytes[sizeof(T)];
    void* next;
  };
  static constexpr size_t kChunk = 256 << 10;
  void Refill() {
    void* c = os::MapMeta(kChunk);
    if (c == nullptr) Fatal("out of memory mapping allocator metadata");
    next_ = static_cast<char*>(c);
    left_ = kChunk;
  }
  void* free_ = nullptr;
  char* next_ = nullptr;
  size_t left_ = 0;
  size_t inuse_ = 0;
};

}  // namespace gort::alloc
