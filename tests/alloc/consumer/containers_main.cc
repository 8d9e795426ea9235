// containers_main.cc — a C++20 program using the installed gort::slice and gort::map, built
// through find_package(gort) (gort::slices, gort::maps) and through pkg-config (gort-slices,
// gort-maps). Every answer is checked against the one Go gives; prints
// "consumer_containers: ok" and exits 0 when all are right.
#include <gort/gort.h>  // the C API beside the containers: one gort.h, included twice
#include <maps/map.h>
#include <slices/slice.h>

#include <cstdint>
#include <cstdio>
#include <string>

static int failed = 0;

static void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "consumer_containers: FAIL: %s\n", what);
    failed = 1;
  }
}

static uint64_t large_inuse() {
  gort_stats s;
  gort_get_stats(&s);
  return s.large_inuse;
}

static void slices() {
  gort::slice<int> s = gort::make<int>(3, 10);
  check(s.len() == 3 && s.cap() == 10 && s[0] == 0 && s[2] == 0, "make<int>(3, 10)");
  for (int i = 0; i < 100; i++) s = gort::append(s, i);
  check(s.len() == 103 && s[3] == 0 && s[102] == 99, "append 100 values");
  int64_t sum = 0;
  for (int v : s) sum += v;
  check(sum == 4950, "sum over the slice");

  gort::slice<int> t = s.sub(3, 6);  // s[3:6], sharing s's array
  check(t.len() == 3 && t[1] == 1 && t.shares_array_with(s), "sub(3, 6)");
  t[0] = 42;
  check(s[3] == 42, "a write through sub shows in s");

  bool threw = false;
  try {
    (void)t[3];
  } catch (const gort::bounds_error&) {
    threw = true;
  }
  check(threw, "index past len throws gort::bounds_error");

  // A 4 MiB array is a large object in gort's heap: the installed library is the one used.
  uint64_t base = large_inuse();
  {
    gort::slice<uint64_t> big = gort::make<uint64_t>(1 << 19);
    big[(1 << 19) - 1] = 7;
    check(big[(1 << 19) - 1] == 7, "index a big slice");
    check(large_inuse() >= base + (uint64_t{4} << 20), "a big slice's array is in gort's heap");
  }
  check(large_inuse() == base, "the big array is freed with its last slice");
}

static void maps() {
  gort::map<std::string, int> m;
  m.set("one", 1);
  m.set("two", 2);
  m.set("three", 3);
  m.set("two", 22);
  check(m.len() == 3, "len after four sets of three keys");
  check(m.get("two") == std::pair<int, bool>(22, true), "get an updated key");
  check(m.get("four") == std::pair<int, bool>(0, false), "get a missing key");
  m.del("one");
  check(m.len() == 2 && !m.contains("one"), "del");
  check(m.erase("three") == 1 && m.erase("three") == 0 && m.len() == 1, "erase");

  gort::map<int64_t, int64_t> n;
  for (int64_t i = 0; i < 10000; i++) n.set(i, i * i);  // grows through many doublings
  int64_t keys = 0, values = 0, count = 0;
  n.range([&](const int64_t& k, int64_t& v) {
    keys += k;
    values += v;
    count++;
  });
  check(count == 10000 && keys == 49995000 && values == 333283335000, "range over 10000 entries");
  count = 0;
  for (const auto& [k, v] : n) count += v == k * k;
  check(count == 10000, "STL iteration");
  check(n.check().empty(), "map invariants hold");
}

int main() {
  slices();
  maps();
  if (!failed) std::printf("consumer_containers: ok\n");
  return failed;
}
