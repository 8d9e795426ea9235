// xray.cc — gort::map's x-ray along a run of inserts, as JSON on stdout (report_maps.py
// draws it). Inserts N random uint64 keys one by one and records, every `step` inserts and
// at every grow start and end: count, B, overflow buckets, load, grow state, evacuation
// progress. Also three snapshots (just after a doubling grow starts, half way through it,
// and at the fullest point before the next grow): the occupancy histogram, chain lengths,
// the population of every bucket and the evacuation bit of every old bucket.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "bench/maps/workload.h"
#include "maps/map.h"

using gort::maps::xray_level;
using gort::maps::xray_t;

static void print_vec(const char* name, const auto& v) {
  std::printf("\"%s\": [", name);
  for (size_t i = 0; i < v.size(); i++) std::printf("%s%zu", i ? "," : "", size_t(v[i]));
  std::printf("]");
}

static void snapshot(const char* name, const xray_t& x, bool comma) {
  std::printf("\"%s\": {\"count\": %zu, \"B\": %d, \"overflow\": %zu, \"growing\": %d, "
              "\"old_buckets\": %zu, \"evacuated\": %zu, \"bytes\": %zu, ",
              name, x.count, x.B, x.overflow, x.growing, x.old_buckets, x.evacuated, x.bytes);
  print_vec("occupancy", x.occupancy);
  std::printf(", ");
  print_vec("chain", x.chain);
  std::printf(", ");
  print_vec("per_bucket", x.per_bucket_entries);
  std::printf(", ");
  print_vec("old_evacuated", x.old_evacuated);
  std::printf("}%s\n", comma ? "," : "");
}

// `maps-xray lines N`: the lines a hit touches in a map of N random keys (xray_t's
// lines_per_hit), as {"n": N, "lines_per_hit": x}; the report sets it beside the lookup times.
static int lines(size_t n) {
  gort::bench::splitmix r{1};
  gort::map<uint64_t, uint64_t> m;
  for (size_t i = 0; i < n; i++) m.set(r.next(), i);
  const xray_t x = m.xray(xray_level::counts);
  std::printf("{\"n\": %zu, \"B\": %d, \"growing\": %d, \"lines_per_hit\": %.4f}\n", n, x.B,
              x.growing, x.lines_per_hit);
  return 0;
}

int main(int argc, char** argv) {
  if (argc == 3 && std::string(argv[1]) == "lines") return lines(std::strtoull(argv[2], nullptr, 10));
  const size_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 30000;
  const size_t step = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 25;
  gort::bench::splitmix r{1};
  gort::map<uint64_t, uint64_t> m;
  std::printf("{\"bucket_bytes\": %zu, \"trace\": [\n", m.xray().bucket_bytes);
  bool was = false, first = true;
  xray_t start{}, half{}, full{};
  size_t last_grow_at = 0;
  for (size_t i = 1; i <= n; i++) {
    m.set(r.next(), i);
    xray_t x = m.xray(xray_level::header);
    bool edge = x.growing != was;
    if (x.growing && !was && !x.same_size) last_grow_at = i;
    if (i % step == 0 || edge) {
      xray_t c = m.xray(xray_level::counts);
      std::printf("%s{\"i\": %zu, \"B\": %d, \"overflow\": %zu, \"load\": %.4f, \"growing\": %d, "
                  "\"old_buckets\": %zu, \"evacuated\": %zu, \"bytes\": %zu}",
                  first ? "" : ",\n", i, c.B, c.overflow, c.load, c.growing, c.old_buckets,
                  c.evacuated, c.bytes);
      first = false;
    }
    if (x.growing && !was && x.B >= 10) start = m.xray(xray_level::per_bucket);
    if (x.growing && x.old_buckets && m.xray(xray_level::counts).evacuated * 2 >= x.old_buckets &&
        half.count < last_grow_at)
      half = m.xray(xray_level::per_bucket);
    if (!x.growing && gort::maps::over_load_factor(x.count + 1, x.B)) full = m.xray(xray_level::per_bucket);
    was = x.growing;
  }
  std::printf("\n], \"snapshots\": {\n");
  snapshot("grow_started", start, true);
  snapshot("half_evacuated", half, true);
  snapshot("fullest", full, false);
  std::printf("}}\n");
}
