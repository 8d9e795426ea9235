// group.h — group: the 8 tophash bytes of one bucket as one value; bitmask: the slots a
// question about them picks, iterated lowest first.
//
// Every probe of gort::map asks one of three questions of a bucket's 8 tophash bytes (or of
// the mirror's copy of them, map.h): which slots hold a given byte (lookups, inserts,
// deletes); which hold a byte at most x (the empty markers: where an insert goes); which
// hold a byte at least x (live keys: iteration, clear). group loads the 8 bytes once and
// answers each with one byte-wise SSE2 compare; group knows nothing of Go's markers, the
// bucket (bucket.h) says which bytes mean what.
//
// An answer is a bitmask<T, Width>: Width bits per slot, all set or all clear, slot i in
// bits Width*i and up. Iterating it yields each set slot's lowest bit position, lowest slot
// first:
//   for (unsigned i : g.match(w))            Width 1 (movemask): the slot index
//   for (uint64_t lane : g.match_lanes(w))   Width 8 (the compare's low 8 bytes as they
//                                            are): 8 x the slot, a "lane"
// The lane is the byte offset of the slot's key and value when they are 8 bytes wide
// (bmap::key_at_lane), so the lookup path scales nothing, and the lane form needs no
// movemask.
//
// Two implementations with one interface: sse2_group (x86-64 always has SSE2) and
// portable_group (a byte loop). `group` is sse2_group where SSE2 is there, unless
// GORT_MAPS_PORTABLE is defined: then group is portable_group and the bit scans are plain
// std::countr_zero, so the portable code can be built and tested on x86-64 too. The unit
// tests check that both implementations give the same answers. Every #if on the
// instruction set of gort::map is in this file.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iterator>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace gort::maps {

template <class T, unsigned Width>
class bitmask {
  static_assert(Width == 1 || Width == 8);

 public:
  constexpr explicit bitmask(T m) : m_(m) {}
  constexpr explicit operator bool() const { return m_ != 0; }
  constexpr T word() const { return m_; }
  // The position of the lowest set slot (Width x its index). The mask must not be empty.
  T first() const { return first_of(m_); }
  // The mask without the slots below position pos: Width x a slot index, less than T's bits.
  constexpr bitmask from(unsigned pos) const { return bitmask(m_ >> pos << pos); }
  constexpr unsigned count() const { return static_cast<unsigned>(std::popcount(m_)) / Width; }

  class iterator {
   public:
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    constexpr iterator() = default;
    constexpr explicit iterator(T m) : m_(m) {}
    T operator*() const { return first_of(m_); }
    iterator& operator++() {
      m_ = without_first(m_);
      return *this;
    }
    iterator operator++(int) {
      iterator t = *this;
      ++*this;
      return t;
    }
    friend constexpr bool operator==(iterator it, std::default_sentinel_t) { return it.m_ == 0; }
    friend constexpr bool operator==(iterator a, iterator b) { return a.m_ == b.m_; }

   private:
    T m_ = 0;
  };
  constexpr iterator begin() const { return iterator(m_); }
  constexpr std::default_sentinel_t end() const { return {}; }

 private:
  // On x86-64 the lane is found with tzcnt (bsf where there is no BMI1: the same result for
  // m != 0) in inline asm: GCC 12 sign-extends std::countr_zero's int on its way into an
  // address, and zeroes the destination first (for a false dependency some Intel cores
  // have), which puts extra instructions on every hit. The asm is not volatile, so the
  // compiler may share one scan between operator* and operator++ of the same mask.
  static T first_of(T m) {
#if defined(__x86_64__) && defined(__GNUC__) && !defined(GORT_MAPS_PORTABLE)
    if constexpr (Width == 8 && sizeof(T) == 8) {
      T lane;
      asm("rep bsfq %1, %0" : "=r"(lane) : "r"(m) : "cc");
      return lane;
    }
#endif
    return static_cast<T>(std::countr_zero(m));
  }
  static T without_first(T m) {
    if constexpr (Width == 1) {
      return m & (m - 1);
    } else {
      return m ^ (T{0xff} << first_of(m));
    }
  }

  T m_;
};

using slot_mask = bitmask<uint32_t, 1>;  // bit i: slot i
using lane_mask = bitmask<uint64_t, 8>;  // byte i (0x00 or 0xff): slot i

// A byte loop: the reference the SIMD implementation is tested against, and the code where
// there is no SSE2 (or GORT_MAPS_PORTABLE).
class portable_group {
 public:
  static constexpr unsigned kWidth = 8;

  explicit portable_group(const uint8_t* t) { std::memcpy(b_, t, kWidth); }
  // The slots whose byte equals the byte of w in that slot's place (w: the wanted byte in
  // every byte, as kTopSpread gives it).
  slot_mask match(uint64_t w) const {
    return slot_mask(bits([w](uint8_t x, unsigned i) { return x == uint8_t(w >> 8 * i); }));
  }
  lane_mask match_lanes(uint64_t w) const {
    uint64_t m = 0;
    for (unsigned i = 0; i < kWidth; i++)
      if (b_[i] == uint8_t(w >> 8 * i)) m |= uint64_t{0xff} << 8 * i;
    return lane_mask(m);
  }
  slot_mask at_most(uint8_t x) const {
    return slot_mask(bits([x](uint8_t y, unsigned) { return y <= x; }));
  }
  slot_mask at_least(uint8_t x) const {
    return slot_mask(bits([x](uint8_t y, unsigned) { return y >= x; }));
  }

 private:
  template <class P>
  uint32_t bits(P p) const {
    uint32_t m = 0;
    for (unsigned i = 0; i < kWidth; i++) m |= uint32_t{p(b_[i], i)} << i;
    return m;
  }
  uint8_t b_[kWidth];
};

#if defined(__SSE2__)
// The 8 bytes in the low half of an SSE2 register (movq: the upper half is zero), each
// question one compare; a movemask gives the bits of the slot form, whose upper 8 bits (the
// zero half) are dropped.
class sse2_group {
 public:
  static constexpr unsigned kWidth = 8;

  explicit sse2_group(const uint8_t* t)
      : v_(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(t))) {}
  slot_mask match(uint64_t w) const { return slot_mask(low_bits(eq(w))); }
  // The compare's low 8 bytes whole: 0xff where the bytes are equal.
  lane_mask match_lanes(uint64_t w) const {
    return lane_mask(static_cast<uint64_t>(_mm_cvtsi128_si64(eq(w))));
  }
  slot_mask at_most(uint8_t x) const {  // min(v, x) == v
    return slot_mask(low_bits(_mm_cmpeq_epi8(_mm_min_epu8(v_, splat(x)), v_)));
  }
  slot_mask at_least(uint8_t x) const {  // max(v, x) == v
    return slot_mask(low_bits(_mm_cmpeq_epi8(_mm_max_epu8(v_, splat(x)), v_)));
  }

 private:
  // The upper 8 bytes are zero on both sides, so they compare equal too; match_lanes drops
  // them by taking the low 8, low_bits by masking.
  __m128i eq(uint64_t w) const {
    return _mm_cmpeq_epi8(v_, _mm_cvtsi64_si128(static_cast<long long>(w)));
  }
  static __m128i splat(uint8_t x) { return _mm_set1_epi8(static_cast<char>(x)); }
  static uint32_t low_bits(__m128i m) {
    return static_cast<uint32_t>(_mm_movemask_epi8(m)) & 0xffu;
  }
  __m128i v_;
};
#endif

#if defined(__SSE2__) && !defined(GORT_MAPS_PORTABLE)
using group = sse2_group;
#else
using group = portable_group;
#endif

}  // namespace gort::maps
