// ShardedMapTest/0 to /2: the typed tests of gort::sharded_map (sharded_map_typed_tests.inc)
// over its first three variants (sharded_map_test_util.h), integer keys under the default
// lock (spin_rwlock), std::mutex and std::shared_mutex. One of the three files of
// maps_concurrent_test; sharded_map_test.cc says what the others hold.
#include "tests/maps/sharded_map_test_util.h"

namespace gort {
namespace {

using VariantsHere = VariantsAt<0, 1, 2>;
TYPED_TEST_SUITE(ShardedMapTest, VariantsHere, VariantIndex);

}  // namespace
}  // namespace gort

#include "tests/maps/sharded_map_typed_tests.inc"
