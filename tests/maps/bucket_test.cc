// Buckets: Go's layout and markers, tophash, the tophash questions as lookups ask them.
#include "maps/bucket.h"

#include <gtest/gtest.h>

#include <array>
#include <bit>
#include <cstddef>
#include <string>
#include <vector>

namespace gort::maps {
namespace {

TEST(Bucket, LayoutIsGos) {
  using B = bmap<uint64_t, uint64_t>;
  EXPECT_EQ(sizeof(B), 8u + 64u + 64u + 8u);
  EXPECT_EQ(offsetof(B, tophash), 0u);
  EXPECT_EQ(offsetof(B, keys), 8u);
  EXPECT_EQ(offsetof(B, vals), 72u);
  EXPECT_EQ(offsetof(B, overflow), 136u);
  using S = bmap<uint32_t, uint8_t>;  // no padding between keys and values
  EXPECT_EQ(offsetof(S, vals), 8u + 32u);
}

TEST(Bucket, MarkersAreGos) {
  EXPECT_EQ(kEmptyRest, 0);
  EXPECT_EQ(kEmptyOne, 1);
  EXPECT_EQ(kEvacuatedX, 2);
  EXPECT_EQ(kEvacuatedY, 3);
  EXPECT_EQ(kEvacuatedEmpty, 4);
  EXPECT_EQ(kMinTopHash, 5);
  EXPECT_EQ(kEvacuatedX + 1, kEvacuatedY);
}

TEST(Bucket, TophashIsTopByteAboveMarkers) {
  EXPECT_EQ(tophash(0xab00000000000000ull), 0xab);
  EXPECT_EQ(tophash(0xff12345678abcdefull), 0xff);
  for (uint64_t t = 0; t < kMinTopHash; t++) EXPECT_EQ(tophash(t << 56), t + kMinTopHash);
  for (uint64_t t = 0; t < 256; t++) EXPECT_GE(tophash(t << 56 | 0x1234), kMinTopHash);
}

TEST(Bucket, MatchEmptiesFull) {
  bmap<uint64_t, uint64_t> b{};
  const uint8_t th[8] = {kEmptyOne, 77, kEmptyRest, 77, 200, kEvacuatedX, kEvacuatedEmpty, 5};
  std::memcpy(b.tophash, th, 8);
  // As lookups match: the wanted byte spread by kTopSpread (indexed by a hash's top byte).
  auto match = [&](uint8_t top) { return group(b.tophash).match(kTopSpread.w[top]).word(); };
  EXPECT_EQ(match(77), 0b00001010u);
  EXPECT_EQ(match(200), 0b00010000u);
  EXPECT_EQ(match(5), 0b10000000u);
  EXPECT_EQ(match(9), 0u);
  EXPECT_EQ(group(b.tophash).at_most(kEmptyOne).word(), 0b00000101u);
  EXPECT_EQ(b.full().word(), 0b10011010u);
  EXPECT_FALSE(evacuated(&b));
  b.tophash[0] = kEvacuatedY;
  EXPECT_TRUE(evacuated(&b));
  b.tophash[7] = kEmptyRest;
  EXPECT_TRUE(b.rest_empty());
}

TEST(Bucket, MatchEveryByteValue) {
  bmap<uint32_t, uint32_t> b{};
  for (int v = 0; v < 256; v++) {
    for (int i = 0; i < 8; i++) b.tophash[i] = uint8_t(v + i);
    uint32_t want = 0;
    for (int i = 0; i < 8; i++) want |= uint32_t(uint8_t(v + i) == 130) << i;
    ASSERT_EQ(group(b.tophash).match(kTopSpread.w[130]).word(), want) << v;
  }
}

// The lane form of the match, as search() walks it: the lanes visited are 8 x the slots of
// the bit form, lowest first. The key and value a lane names are the slot's, for 8-byte and
// for other sizes.
TEST(Bucket, LanesWalkTheMatchingSlots) {
  uint8_t th[8];
  uint64_t x = 0x9e3779b97f4a7c15ull;
  for (int round = 0; round < 2000; round++) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    for (int i = 0; i < 8; i++) th[i] = uint8_t(kMinTopHash + (x >> (8 * i)) % 3);  // many ties
    const uint8_t want_top = uint8_t(kMinTopHash + round % 3);
    const uint64_t w = kTopSpread.w[want_top];
    std::vector<unsigned> visited;
    for (const uint64_t lane : group(th).match_lanes(w)) {
      ASSERT_EQ(lane % 8, 0u);
      visited.push_back(unsigned(lane / 8));
    }
    std::vector<unsigned> want;
    for (const unsigned i : group(th).match(w)) want.push_back(i);
    ASSERT_EQ(visited, want) << round;
  }
  bmap<uint64_t, uint64_t> b8{};
  bmap<uint32_t, std::array<char, 12>> b4{};
  for (unsigned i = 0; i < 8; i++) {
    EXPECT_EQ(b8.key_at_lane(8 * i), b8.key(i));
    EXPECT_EQ(b8.val_at_lane(8 * i), b8.val(i));
    EXPECT_EQ(b4.key_at_lane(8 * i), b4.key(i));
    EXPECT_EQ(b4.val_at_lane(8 * i), b4.val(i));
  }
}

// mark_deleted_word against Go's walk (mapdelete), a byte at a time, on one bucket: every
// word over the alphabet {kEmptyRest, kEmptyOne, live}, every slot, both ends of the chain;
// then random words with every marker (states I1 does not allow included: the word form
// must agree on any bytes).
TEST(Bucket, DeletedWordIsGosWalk) {
  struct result {
    std::array<uint8_t, 8> t;
    bool reached_first;
  };
  auto go_walk = [](std::array<uint8_t, 8> t, unsigned i, bool next_rest) {
    t[i] = kEmptyOne;
    if (i == kBucketCnt - 1 ? !next_rest : t[i + 1] != kEmptyRest) return result{t, false};
    for (;;) {
      t[i] = kEmptyRest;
      if (i == 0) return result{t, true};
      i--;
      if (t[i] != kEmptyOne) return result{t, false};
    }
  };
  auto check = [&](const std::array<uint8_t, 8>& t, unsigned i, bool next_rest) {
    uint64_t w;
    std::memcpy(&w, t.data(), 8);
    const deleted_word d = mark_deleted_word(w, i, next_rest);
    const result want = go_walk(t, i, next_rest);
    std::array<uint8_t, 8> got;
    std::memcpy(got.data(), &d.t, 8);
    ASSERT_EQ(got, want.t) << "slot " << i << " next_rest " << next_rest;
    ASSERT_EQ(d.reached_first, want.reached_first) << "slot " << i;
  };
  const uint8_t alphabet[3] = {kEmptyRest, kEmptyOne, 77};
  size_t cases = 0;
  for (unsigned code = 0; code < 6561; code++) {  // 3^8 words
    std::array<uint8_t, 8> t;
    for (unsigned k = 0, c = code; k < 8; k++, c /= 3) t[k] = alphabet[c % 3];
    for (unsigned i = 0; i < 8; i++) {
      if (t[i] < kMinTopHash) continue;  // a delete empties a live slot
      for (bool next_rest : {false, true}) check(t, i, next_rest), cases++;
    }
  }
  EXPECT_EQ(cases, 2u * 8 * 2187);  // each slot is live in 3^7 words
  uint64_t x = 0x2545F4914F6CDD1Dull;
  for (int round = 0; round < 20000; round++) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    std::array<uint8_t, 8> t;
    for (unsigned k = 0; k < 8; k++) {
      const uint8_t b = uint8_t(x >> (8 * k));
      t[k] = b % 4 == 0 ? b : uint8_t(b % 7);  // markers 0-6 often, any byte sometimes
    }
    check(t, unsigned(x >> 61), (x >> 60) & 1);
  }
}

}  // namespace
}  // namespace gort::maps
