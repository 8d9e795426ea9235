// The tophash group (maps/group.h): bitmask iteration, and every implementation of group
// against the questions' definitions (a byte at a time) and against each other, on random
// bytes. The portable implementation is tested in every build, SSE2 where it is there.
#include "maps/group.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "tests/maps/splitmix.h"

namespace gort::maps {
namespace {

template <class Mask>
std::vector<uint64_t> positions(Mask m) {
  std::vector<uint64_t> v;
  for (const auto p : m) v.push_back(p);
  return v;
}

TEST(BucketGroup, SlotMaskYieldsIndexesLowestFirst) {
  EXPECT_EQ(positions(slot_mask(0)), std::vector<uint64_t>{});
  EXPECT_EQ(positions(slot_mask(0b10010110)), (std::vector<uint64_t>{1, 2, 4, 7}));
  EXPECT_EQ(positions(slot_mask(0b10010110).from(3)), (std::vector<uint64_t>{4, 7}));
  EXPECT_EQ(positions(slot_mask(0b10010110).from(8)), std::vector<uint64_t>{});
  EXPECT_EQ(slot_mask(0b10010110).first(), 1u);
  EXPECT_EQ(slot_mask(0b10010110).count(), 4u);
  EXPECT_FALSE(slot_mask(0));
  EXPECT_TRUE(slot_mask(0x80));
}

TEST(BucketGroup, LaneMaskYieldsByteOffsetsLowestFirst) {
  const lane_mask m(0xff000000ffff0000ull);  // slots 2, 3, 7
  EXPECT_EQ(positions(m), (std::vector<uint64_t>{16, 24, 56}));
  EXPECT_EQ(m.first(), 16u);
  EXPECT_EQ(m.count(), 3u);
  EXPECT_EQ(positions(m.from(24)), (std::vector<uint64_t>{24, 56}));
  EXPECT_EQ(positions(m.from(32)), std::vector<uint64_t>{56});
  EXPECT_EQ(positions(lane_mask(0xffull << 56)), std::vector<uint64_t>{56});
  EXPECT_EQ(positions(lane_mask(0)), std::vector<uint64_t>{});
}

// The four questions a byte at a time, as their comments define them.
struct answers {
  uint32_t match, at_most, at_least;
  uint64_t lanes;
  bool operator==(const answers&) const = default;
};
answers reference(const uint8_t* t, uint64_t w, uint8_t x) {
  answers a{};
  for (unsigned i = 0; i < 8; i++) {
    const bool eq = t[i] == uint8_t(w >> 8 * i);
    a.match |= uint32_t{eq} << i;
    a.lanes |= eq ? uint64_t{0xff} << 8 * i : 0;
    a.at_most |= uint32_t{t[i] <= x} << i;
    a.at_least |= uint32_t{t[i] >= x} << i;
  }
  return a;
}
template <class G>
answers ask(const uint8_t* t, uint64_t w, uint8_t x) {
  const G g(t);
  return {g.match(w).word(), g.at_most(x).word(), g.at_least(x).word(), g.match_lanes(w).word()};
}

// Random bytes, drawn so that ties, markers, 0x00, 0x80 and 0xff (the edges of the signed and
// unsigned compares) are common; w is either one byte spread (as kTopSpread makes it) or any
// word (the compare is byte by byte either way).
TEST(BucketGroup, ImplementationsAgreeOnRandomBytes) {
  test::splitmix r{42};
  const uint8_t edges[] = {0, 1, 2, 4, 5, 0x7f, 0x80, 0x81, 0xfe, 0xff};
  auto byte = [&](uint64_t z) -> uint8_t {
    switch (z % 4) {
      case 0: return edges[(z >> 8) % std::size(edges)];
      case 1: return uint8_t(5 + (z >> 8) % 3);
      default: return uint8_t(z >> 8);
    }
  };
  for (int round = 0; round < 200000; round++) {
    uint8_t t[8];
    for (auto& b : t) b = byte(r.next());
    const uint64_t z = r.next();
    const uint64_t w = z & 1 ? byte(z >> 1) * 0x0101010101010101ull : r.next();
    const uint8_t x = byte(r.next());
    const answers want = reference(t, w, x);
    ASSERT_EQ(ask<portable_group>(t, w, x), want) << round;
#if defined(__SSE2__)
    ASSERT_EQ(ask<sse2_group>(t, w, x), want) << round;
#endif
    ASSERT_EQ(ask<group>(t, w, x), want) << round;
  }
}

// The group reads exactly 8 bytes from its pointer, which need not be aligned (a mirror entry
// is 8-aligned, a bucket's tophash only as the bucket is).
TEST(BucketGroup, ReadsEightUnalignedBytes) {
  alignas(16) uint8_t buf[32] = {};
  for (unsigned off = 0; off < 16; off++) {
    for (unsigned i = 0; i < 32; i++) buf[i] = 9;
    for (unsigned i = 0; i < 8; i++) buf[off + i] = uint8_t(20 + i);
    const group g(buf + off);
    EXPECT_EQ(g.at_least(20).word(), 0xffu) << off;
    EXPECT_EQ(g.match(uint64_t{23} * 0x0101010101010101ull).word(), 1u << 3) << off;
    EXPECT_EQ(g.match(uint64_t{9} * 0x0101010101010101ull).word(), 0u) << off;
  }
}

}  // namespace
}  // namespace gort::maps
