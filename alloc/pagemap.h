// pagemap.h — from any address to its span and size class, in O(1) and without a lock.
//
// Go's arena index: the 47-bit user address space is cut into 64 MiB arenas; a flat table of
// 2^21 pointers (16 MiB of zero-fill .bss, touched only where the heap lives) leads to each
// arena's metadata, a heapArena, which holds for each of its 8192 pages
//   cls[page]    the size class of the small span covering the page, or 0; the free fast path
//                needs only this byte (two dependent loads from the pointer);
//   spans[page]  the span: every page of a small span, first and last page of a large or free
//                span (enough to free a large object and to coalesce neighbours).
// Entries are written by mheap under its lock and read by anyone without one: a live object's
// entries do not change while it is live. heapArena records are never freed.
//
// The free fast path uses a shortcut: the heap grows contiguously from its first arena
// (mheap asks for the next address each time), so one flat word per page for the first
// 128 GiB after that arena, indexed by (addr - base) >> 13, answers with a single load that
// depends on the pointer. The word is (owner << 8) | cls: the size class of a small span's
// page and the id of the proc owning the span (proc.h), 0 for any other page. A thread
// XORs it with its own tag (its proc's id << 8): the result is the class, below 256,
// exactly when the object is small and the thread holds its owner; anything else (a large
// object, a remote free, a thread holding no proc) comes out >= 256 and takes the slow
// path. FastEntry() answers 0 outside the window, and the slow path then asks the arena
// index, which is always right (the owner is then read from the span).
#pragma once

#include <atomic>
#include <cstdint>

#include "alloc/config.h"
#include "alloc/span.h"

namespace gort::alloc {

struct heapArena {
  uint8_t cls[kPagesPerArena];
  mspan* spans[kPagesPerArena];
};

class PageMap {
 public:
  GORT_INLINE heapArena* Arena(uintptr_t addr) const {
    uintptr_t i = addr >> kArenaShift;
    if (GORT_UNLIKELY(i >= kArenaIndexSize)) return nullptr;
    return arenas_[i];
  }
  static GORT_INLINE size_t PageIndex(uintptr_t addr) {
    return (addr >> kPageShift) & (kPagesPerArena - 1);
  }
  // Size class of the page holding addr; 0 if not a small object of ours.
  GORT_INLINE uint32_t Class(uintptr_t addr) const {
    heapArena* a = Arena(addr);
    if (GORT_UNLIKELY(a == nullptr)) return 0;
    return a->cls[PageIndex(addr)];
  }
  GORT_INLINE mspan* Span(uintptr_t addr) const {
    heapArena* a = Arena(addr);
    return a == nullptr ? nullptr : a->spans[PageIndex(addr)];
  }
  bool Owns(uintptr_t addr) const { return Arena(addr) != nullptr; }

  // (owner << 8) | class of addr if it lies in the flat window, else 0 (then ask Class()).
  GORT_INLINE uint32_t FastEntry(uintptr_t addr) const {
    uintptr_t i = (addr - flat_base_) >> kPageShift;
    if (GORT_UNLIKELY(i >= kFlatPages)) return 0;
    return __atomic_load_n(&flat_[i], __ATOMIC_RELAXED);
  }
  // Class of addr if it lies in the flat window, else 0 (then ask Class()).
  GORT_INLINE uint32_t FastClass(uintptr_t addr) const { return FastEntry(addr) & 0xff; }

  // Writers (mheap, under its lock).
  void AddArena(uintptr_t base, heapArena* a) {
    if (flat_base_ == 0) flat_base_ = base;  // the first arena anchors the flat window
    arenas_[base >> kArenaShift] = a;
  }
  void SetSpan(uintptr_t page_addr, mspan* s) {
    Arena(page_addr)->spans[PageIndex(page_addr)] = s;
  }
  // The class of a page; its flat entry then names no owner (every free is remote).
  void SetClass(uintptr_t page_addr, uint8_t c) {
    Arena(page_addr)->cls[PageIndex(page_addr)] = c;
    SetFlat(page_addr, c);
  }
  // Writers (the holder of the proc that takes a new small span, before handing out objects).
  void SetOwner(uintptr_t page_addr, uint32_t owner) {
    SetFlat(page_addr, owner << 8 | Arena(page_addr)->cls[PageIndex(page_addr)]);
  }

 private:
  void SetFlat(uintptr_t page_addr, uint32_t e) {
    uintptr_t i = (page_addr - flat_base_) >> kPageShift;
    if (i < kFlatPages) __atomic_store_n(&flat_[i], e, __ATOMIC_RELAXED);
  }
  static constexpr size_t kFlatPages = (size_t{128} << 30) >> kPageShift;  // 64 MiB of .bss
  uint32_t flat_[kFlatPages] = {};  // first in the object: FastEntry's load has no offset
  uintptr_t flat_base_ = 0;
  heapArena* arenas_[kArenaIndexSize] = {};
};

}  // namespace gort::alloc
