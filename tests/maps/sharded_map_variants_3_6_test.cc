// ShardedMapTest/3 to /6: the typed tests of gort::sharded_map (sharded_map_typed_tests.inc)
// over variants 3 to 6 (sharded_map_test_util.h): integer keys under rwlock counting every
// acquisition, string keys under rwlock and under spin_rwlock, integer keys under
// slotted_rwlock. One of the three files of maps_concurrent_test; sharded_map_test.cc says
// what the others hold.
#include "tests/maps/sharded_map_test_util.h"

namespace gort {
namespace {

using VariantsHere = VariantsAt<3, 4, 5, 6>;
TYPED_TEST_SUITE(ShardedMapTest, VariantsHere, VariantIndex);

}  // namespace
}  // namespace gort

#include "tests/maps/sharded_map_typed_tests.inc"
