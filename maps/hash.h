// hash.h — gort::hash<K>: the seeded hash functions of gort::map.
//
// A Go map hashes every key with the map's own random seed (hash0), so the bucket a key lands
// in differs from map to map and from run to run: an attacker cannot precompute colliding
// keys, and no program can come to rely on an order. gort::map does the same; its hashers
// take the key and the map's seed: uint64_t operator()(const K&, uint64_t seed).
//
// The map uses two parts of every hash: the low B bits pick the bucket (hash & (2^B - 1)) and
// the top 8 bits are the tophash (hash >> 56). Both must depend on every bit of the key.
//
//   * Integers, enums and pointers (<= 8 bytes): h = mix(k ^ seed, kMul); h ^ (h >> 29).
//     mix is one 64x64->128-bit multiply whose halves are xored (abseil's fold): its high
//     half carries the upper input bits down, its low half is an odd-constant multiply (a
//     bijection of the low bits). Alone it leaves the low bits of strided keys (multiples of
//     2^12 or 2^32) visibly clustered; the closing xor-shift pulls the well-mixed middle
//     bits into the bucket bits, and the tests check the spread of sequential and strided
//     keys over buckets and tophash. Why not XXH3 for integers: one multiply, a shift and
//     three xors (~6 cycles) sit on every lookup's critical path before the first load;
//     XXH3's 8-byte path costs two multiplies and three shifts, with no better spread here.
//   * Byte strings (std::string, std::string_view, const char*): XXH3_64bits_withSeed from
//     xxHash (libxxhash-dev), compiled inline: fast at every length and of proven quality.
//   * Anything else: std::hash<K> folded with the seed through mix().
//
// A user-supplied Hash may be seeded (called with (key, seed)) or unseeded like std::hash
// (called with (key)); seeded_hash() below folds the seed into an unseeded one with mix().
#pragma once

#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>
#include <type_traits>

#ifndef XXH_INLINE_ALL
#define XXH_INLINE_ALL
#endif
#include <xxhash.h>

namespace gort {
namespace maps {

inline constexpr uint64_t kMul = 0x9e3779b97f4a7c15ull;  // 2^64 / golden ratio, odd

// The 128-bit multiply fold: every output bit depends on every bit of a.
inline uint64_t mix(uint64_t a, uint64_t b) {
  __uint128_t m = static_cast<__uint128_t>(a) * b;
  return static_cast<uint64_t>(m >> 64) ^ static_cast<uint64_t>(m);
}

inline uint64_t hash_bytes(const void* p, size_t n, uint64_t seed) {
  return XXH3_64bits_withSeed(p, n, seed);
}

}  // namespace maps

template <class K, class = void>
struct hash {
  uint64_t operator()(const K& k, uint64_t seed) const {
    return maps::mix(static_cast<uint64_t>(std::hash<K>{}(k)) ^ seed, maps::kMul);
  }
};

template <class K>
struct hash<K, std::enable_if_t<(std::is_integral_v<K> || std::is_enum_v<K> ||
                                 std::is_pointer_v<K>) && sizeof(K) <= 8>> {
  uint64_t operator()(K k, uint64_t seed) const {
    uint64_t v;
    if constexpr (std::is_pointer_v<K>) v = reinterpret_cast<uintptr_t>(k);
    else v = static_cast<uint64_t>(k);
    // The empty asm makes kMul a value GCC holds across a lookup loop (in a register or a
    // stack slot, which mul takes as its operand) instead of a movabs on every hash.
    uint64_t mul = maps::kMul;
    asm("" : "+r"(mul));
    uint64_t h = maps::mix(v ^ seed, mul);
    return h ^ (h >> 29);
  }
};

template <>
struct hash<std::string_view> {
  using is_transparent = void;
  uint64_t operator()(std::string_view s, uint64_t seed) const {
    return maps::hash_bytes(s.data(), s.size(), seed);
  }
};
template <>
struct hash<std::string> : hash<std::string_view> {};
template <>
struct hash<const char*> : hash<std::string_view> {};

namespace maps {

// hash(k) with the map's seed, whether Hash is seeded or not.
template <class Hash, class K>
inline uint64_t seeded_hash(const Hash& h, const K& k, uint64_t seed) {
  if constexpr (std::is_invocable_v<const Hash&, const K&, uint64_t>) {
    return static_cast<uint64_t>(h(k, seed));
  } else {
    return mix(static_cast<uint64_t>(h(k)) ^ seed, kMul);
  }
}

}  // namespace maps
}  // namespace gort
