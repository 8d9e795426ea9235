// Buckets: Go's layout and markers, tophash, the SSE2 matches.
#include "maps/bucket.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <string>

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
  auto match = [&](uint8_t top) { return match8w(b.tophash, kTopSpread.w[top]); };
  EXPECT_EQ(match(77), 0b00001010u);
  EXPECT_EQ(match(200), 0b00010000u);
  EXPECT_EQ(match(5), 0b10000000u);
  EXPECT_EQ(match(9), 0u);
  EXPECT_EQ(empties8(b.tophash), 0b00000101u);
  EXPECT_EQ(b.full(), 0b10011010u);
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
    ASSERT_EQ(match8w(b.tophash, kTopSpread.w[130]), want) << v;
  }
}

}  // namespace
}  // namespace gort::maps
