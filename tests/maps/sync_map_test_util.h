// sync_map_test_util.h — what the two files of maps_sync_test (sync_map_test.cc and
// sync_map_reclaim_test.cc) share: U64Map, the map of integers most of their tests use.
#pragma once

#include <cstdint>

#include "maps/sync_map.h"

namespace gort::maps::test {

using U64Map = sync_map<uint64_t, uint64_t>;

}  // namespace gort::maps::test
