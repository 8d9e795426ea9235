// bucket.h — bmap: the 8-slot bucket of gort::map, laid out exactly as Go 1.19's.
//
//   +-----------+-------------------+---------------------+----------+
//   | tophash[8]| keys[8]           | values[8]           | overflow |
//   +-----------+-------------------+---------------------+----------+
//
// Keys and values are kept apart (not as key/value pairs) so that no padding is needed between
// them: map<uint64_t, uint64_t> has 144-byte buckets (8 + 64 + 64 + 8). Each tophash byte is
// the top 8 bits of the hash of the key in that slot, or a marker when the slot holds no live
// key. Markers (Go's values; a live tophash is never below kMinTopHash):
//
//   kEmptyRest       0  slot empty, and so is every later slot and every overflow bucket
//   kEmptyOne        1  slot empty
//   kEvacuatedX      2  old bucket: the key went to the first half of the new table
//   kEvacuatedY      3  old bucket: the key went to the second half
//   kEvacuatedEmpty  4  old bucket: slot was empty when the bucket was evacuated
//   kMinTopHash      5  smallest live tophash (a hash whose top byte is below 5 gets +5)
//
// Invariants of a chain (bucket + overflow buckets):
//   I1. tophash[i] == kEmptyRest  =>  every later slot of the chain is kEmptyRest.
//   I2. A slot's key and value are constructed iff tophash >= kMinTopHash, and, in an
//       old table whose keys are kept for iterators, the key also iff kEvacuatedX/Y.
//   I3. An old bucket is evacuated iff tophash[0] is kEvacuatedX, kEvacuatedY or
//       kEvacuatedEmpty (evacuate() marks every slot, slot 0 included).
//
// The 8 tophash bytes are read as one group (group.h): a lookup matches the wanted byte
// with group(th).match_lanes(w), an insert also finds an empty slot with at_most(kEmptyOne),
// and full() is at_least(kMinTopHash).
// Keys and values are raw storage: the map constructs and destroys them (I2).
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>

#include "maps/group.h"

namespace gort::maps {

inline constexpr unsigned kBucketCntBits = 3;
inline constexpr unsigned kBucketCnt = 1u << kBucketCntBits;  // slots per bucket
static_assert(kBucketCnt == group::kWidth, "a bucket's tophash bytes are one group");

inline constexpr uint8_t kEmptyRest = 0;
inline constexpr uint8_t kEmptyOne = 1;
inline constexpr uint8_t kEvacuatedX = 2;
inline constexpr uint8_t kEvacuatedY = 3;
inline constexpr uint8_t kEvacuatedEmpty = 4;
inline constexpr uint8_t kMinTopHash = 5;

inline constexpr size_t kLine = 64;  // cache line bytes

inline constexpr bool is_empty(uint8_t t) { return t <= kEmptyOne; }

// The tophash of a hash: its top byte, moved out of the marker range.
inline constexpr uint8_t tophash(uint64_t hash) {
  uint8_t top = static_cast<uint8_t>(hash >> 56);
  return top + (top < kMinTopHash ? kMinTopHash : 0);
}

// tophash(h) spread to the 8 bytes of a word, indexed by h >> 56: a lookup gets its match
// word with one load from this 2 KiB table instead of computing the byte (with Go's
// "below kMinTopHash" correction) and multiplying it out.
struct top_spread_table {
  uint64_t w[256];
  constexpr top_spread_table() : w() {
    for (unsigned x = 0; x < 256; x++) w[x] = tophash(uint64_t{x} << 56) * 0x0101010101010101ull;
  }
};
inline constexpr top_spread_table kTopSpread{};

template <class K, class V>
struct bmap {
  uint8_t tophash[kBucketCnt];
  alignas(K) std::byte keys[kBucketCnt * sizeof(K)];
  alignas(V) std::byte vals[kBucketCnt * sizeof(V)];
  bmap* overflow;

  // Offsets are computed in 32 bits (a slot index times a small size): x86 then needs no
  // sign extension of the index a countr_zero gives.
  static constexpr unsigned kKeySize = sizeof(K), kValSize = sizeof(V);
  K* key(unsigned i) { return std::launder(reinterpret_cast<K*>(keys + i * kKeySize)); }
  V* val(unsigned i) { return std::launder(reinterpret_cast<V*>(vals + i * kValSize)); }
  // The key and value of a lane (8 x slot, from a lane_mask): for 8-byte keys and values the
  // lane is their offset, with no scaling.
  static constexpr size_t lane_offset(uint64_t lane, size_t size) {
    return size % 8 == 0 ? lane * (size / 8) : lane / 8 * size;
  }
  K* key_at_lane(uint64_t lane) {
    return std::launder(reinterpret_cast<K*>(keys + lane_offset(lane, kKeySize)));
  }
  V* val_at_lane(uint64_t lane) {
    return std::launder(reinterpret_cast<V*>(vals + lane_offset(lane, kValSize)));
  }
  void* key_slot(unsigned i) { return keys + i * kKeySize; }
  void* val_slot(unsigned i) { return vals + i * kValSize; }

  // The slots that hold a live key (tophash >= kMinTopHash).
  slot_mask full() const { return group(tophash).at_least(kMinTopHash); }

  // By I1, the chain holds nothing after this bucket when its last slot is kEmptyRest.
  bool rest_empty() const { return tophash[kBucketCnt - 1] == kEmptyRest; }

  // Bucket prefetch, issued with the tophash load so that the misses overlap instead of
  // following one another: the lines of the middle slot's key and value (slot 3). Slots
  // fill from 0, so at Go's load factors most hits fall in those lines; a map<u64, u64>
  // bucket (144 B) spans three lines, and its third is asked for only when the bucket
  // starts in the second half of a line, where most values lie in it. Not every line: a
  // hit reads one key line and one value line, a miss no key or value line (unless a
  // tophash byte matches by chance), so the others would spend memory bandwidth on lines
  // the lookup never reads.
  void prefetch() const { prefetch_at(reinterpret_cast<uintptr_t>(this)); }
  // The same from an address alone, with no object behind it: for a caller whose address
  // may be stale (a copy of a map's header kept elsewhere, sharded_map.h's hints). A
  // prefetch of a line nothing uses is wasted, never a fault.
  static void prefetch_at(uintptr_t b) {
    constexpr unsigned kMid = kBucketCnt / 2 - 1;
    if constexpr (sizeof(bmap) > 64) {
      __builtin_prefetch(at(b, offsetof(bmap, keys) + kMid * sizeof(K)));
      __builtin_prefetch(at(b, offsetof(bmap, vals) + kMid * sizeof(V)));
    }
  }

  // For an insert or a delete, which write the tophash byte and a slot's key and value: a
  // store that misses the cache holds back every later store (x86 commits them in order),
  // so the lines are asked for before the slot is known. Every line of a bucket of at most
  // three lines (map<u64, u64>: 144 bytes); of a bigger one, the tophash line and the
  // middle slot's key and value lines.
  void prefetch_write() const { prefetch_write_at(reinterpret_cast<uintptr_t>(this)); }
  static void prefetch_write_at(uintptr_t b) {
    if constexpr (sizeof(bmap) <= 3 * kLine) {
      for (size_t off = 0; off < sizeof(bmap); off += kLine) __builtin_prefetch(at(b, off), 1);
      __builtin_prefetch(at(b, sizeof(bmap) - 1), 1);
    } else {
      constexpr unsigned kMid = kBucketCnt / 2 - 1;
      __builtin_prefetch(at(b, offsetof(bmap, tophash)), 1);
      __builtin_prefetch(at(b, offsetof(bmap, keys) + kMid * sizeof(K)), 1);
      __builtin_prefetch(at(b, offsetof(bmap, vals) + kMid * sizeof(V)), 1);
    }
  }
  static const void* at(uintptr_t b, size_t off) {
    return reinterpret_cast<const void*>(b + off);
  }
};

// mapdelete's marking, on one bucket's 8 tophash bytes t (slot i in bits 8i..8i+7, as an
// 8-byte load gives them), for the delete of slot i: the slot becomes kEmptyOne and, when
// nothing live follows it (the next slot is kEmptyRest, or, for the last slot, next_rest:
// the next bucket's first slot is, or there is none), the run of kEmptyOne slots that ends at
// slot i becomes kEmptyRest (I1). Go walks that run back a byte at a time, each step a branch
// on the data, which a random delete makes hard to predict; here the run is found with bit
// arithmetic, with no branch per slot.
// reached_first: the run took slot 0, so it may go on in the chain's bucket before this one.
struct deleted_word {
  uint64_t t;
  bool reached_first;
};
inline deleted_word mark_deleted_word(uint64_t t, unsigned i, bool next_rest) {
  static_assert(kEmptyRest == 0 && kEmptyOne == 1 && std::endian::native == std::endian::little);
  constexpr uint64_t kOnes = 0x0101010101010101, kLow7 = 0x7F7F7F7F7F7F7F7F;
  const unsigned sh = 8 * i;
  t = (t & ~(uint64_t{0xFF} << sh)) | (uint64_t{kEmptyOne} << sh);
  // & and | rather than && and ||, which GCC turns into branches.
  const bool rest = (((t >> sh >> 8) & 0xFF) == kEmptyRest) & ((i != kBucketCnt - 1) | next_rest);
  const uint64_t x = t ^ kOnes;                                   // kEmptyOne bytes are 0
  const uint64_t not_one = (((x & kLow7) + kLow7) | x) & ~kLow7;  // top bit of other bytes
  const uint64_t stop = not_one & ((uint64_t{1} << sh) - 1);      // ... below slot i
  // The slots above the last stop: its top bit is 8k+7, so 63 - clz + 1 rounded down to a
  // multiple of 8 is 8(k+1); with no stop (stop | 1 gives bit 0) it is 0, every slot. The
  // | 1 also spares the zero test that clz would need.
  const unsigned above = (64 - static_cast<unsigned>(__builtin_clzll(stop | 1))) & ~7u;
  const uint64_t upto = (uint64_t{2} << (sh + 7)) - 1;  // slots 0..i
  t &= ~(upto & (~uint64_t{0} << above) & (uint64_t{0} - rest));  // -> kEmptyRest
  return {t, rest && stop == 0};  // the caller reads it only for an overflow bucket
}

// Go's evacuated(b): the bucket of an old table has been moved to the new one (I3).
template <class K, class V>
inline bool evacuated(const bmap<K, V>* b) {
  uint8_t h = b->tophash[0];
  return h > kEmptyOne && h < kMinTopHash;
}

}  // namespace gort::maps
