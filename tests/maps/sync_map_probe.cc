// sync_map_probe.cc — the driver of the lock-free-load check (sync_map_probe_test.sh).
//
//   sync_map_probe stable N   N loads of keys that are stable (in the read table, not
//                             expunged) through sync_map_load_u64; exit 0 if all hit
//   sync_map_probe dirty N    N loads (N < 4096) of keys that are in the dirty table only:
//                             the slow path under the mutex (the check's negative control)
//
// The functions the check disassembles are compiled as user code of the release build would
// be (-O3) and kept out of line under their C names (noipa: no inlining, cloning or
// constant propagation across the call), so objdump and callgrind find each under its name:
//   sync_map_load_u64    one gort::sync_map<uint64_t, uint64_t>::load, everything inlined
//   sync_map_store_u64   one store: a CAS on the entry (the disassembly's negative control)
// Before the measured loop the thread has used the map (its first read section registered
// it), so every call of sync_map_load_u64 in `stable` runs the steady state.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "maps/sync_map.h"

using Map = gort::sync_map<uint64_t, uint64_t>;

extern "C" [[gnu::noipa]] bool sync_map_load_u64(Map* m, uint64_t k, uint64_t* out) {
  std::optional<uint64_t> v = m->load(k);
  if (!v) return false;
  *out = *v;
  return true;
}

extern "C" [[gnu::noipa]] void sync_map_store_u64(Map* m, uint64_t k, uint64_t v) {
  m->store(k, v);
}

namespace {

// 850 keys: the dirty table is in the middle of a grow (it spans 833..864 inserts) when it
// is promoted; promotion must finish it, or stable loads call into the old buckets' path.
constexpr uint64_t kStable = 850;  // keys 0 .. 849, promoted into the read table
constexpr uint64_t kDirty = 4096;   // keys 1 << 20 .. + 4095, in the dirty table only

uint64_t value_of(uint64_t k) { return k * 3 + 1; }

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s stable|dirty N\n", argv[0]);
    return 2;
  }
  const bool stable = std::strcmp(argv[1], "stable") == 0;
  const long n = std::atol(argv[2]);
  Map m;
  for (uint64_t k = 0; k < kStable; k++) m.store(k, value_of(k));
  m.range([](uint64_t, uint64_t) {});  // promotes: every key is now in the read table
  for (uint64_t k = 0; k < kStable; k++) sync_map_store_u64(&m, k, value_of(k));  // in place
  if (!stable) {
    for (uint64_t k = 0; k < kDirty; k++) m.store((1u << 20) + k, value_of(k));
    if (n >= long(kDirty)) return 2;  // would promote: no longer the slow path
  }
  const auto st = m.state();
  if (st.read_keys != kStable || st.read_expunged != 0 || st.read_growing ||
      st.has_dirty != !stable) {
    std::fprintf(stderr, "probe: unexpected tables (read %zu, dirty %d)\n", st.read_keys,
                 int(st.has_dirty));
    return 1;
  }
  uint64_t hits = 0, out = 0;
  for (long i = 0; i < n; i++) {
    const uint64_t k = stable ? uint64_t(i) % kStable : (1u << 20) + uint64_t(i) % kDirty;
    if (sync_map_load_u64(&m, k, &out) && out == value_of(k % (1u << 20))) hits++;
  }
  std::printf("probe %s: %lu of %ld loads hit\n", argv[1], static_cast<unsigned long>(hits), n);
  return hits == uint64_t(n) ? 0 : 1;
}
