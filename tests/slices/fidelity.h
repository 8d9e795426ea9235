// fidelity.h — the questions the Go oracles (oracle/*.go) answer, and gort's answers.
//
// Each function returns text in exactly the format the matching Go program prints, so a
// test compares gort's text with the golden file (slices_test) or with a live `go run`
// (slices_go_test) line by line, through tests/oracle/oracle.h:
//   growth.go  "size len cap"     capacity changes while appending one at a time to nil
//   grid.go    "size c n cap"     capacity after appending n to make([]T, c)
//   alias.go   scenario lines     aliasing and copy-overlap (AliasScenarios replays them)
#pragma once

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "slices/slice.h"
#include "tests/oracle/oracle.h"

namespace gort::slices::testing {

inline constexpr size_t kElemSizes[] = {1, 8, 16, 24, 40, 64, 100};
inline constexpr size_t kGrowthMax = 1000000;

inline std::vector<size_t> GridCaps() {
  return {0,    1,    2,    3,    4,     5,     6,     7,     8,     9,     10,   11,   12,  13,
          15,   16,   17,   31,   32,    33,    63,    64,    65,    100,   127,  128,  129, 200,
          250,  255,  256,  257,  300,   341,   500,   511,   512,   513,   1000, 1023, 1024,
          1025, 2047, 2048, 3000, 4095,  4096,  4097,  10000, 32767, 32768, 32769, 65536,
          100000};
}
inline std::vector<size_t> GridNs() {
  return {1,   2,   3,   4,   5,   7,    8,    9,    15,   16,    17,    31,
          33,  100, 255, 256, 257, 500,  1000, 1024, 4096, 5000,  40000, 100000};
}

// growth.go, from GrowCap.
inline std::string GortGrowth() {
  std::ostringstream out;
  for (size_t size : kElemSizes) {
    size_t cap = 0;
    for (size_t len = 1; len <= kGrowthMax; len++) {
      if (len <= cap) continue;
      cap = GrowCap(cap, len, size);
      out << size << ' ' << len << ' ' << cap << '\n';
    }
  }
  return out.str();
}

// grid.go, from GrowCap.
inline std::string GortGrid() {
  std::ostringstream out;
  for (size_t size : kElemSizes)
    for (size_t c : GridCaps())
      for (size_t n : GridNs()) out << size << ' ' << c << ' ' << n << ' ' << GrowCap(c, c + n, size) << '\n';
  return out.str();
}

// alias.go, replayed with gort::slice (Go's int is 64 bits: long).
inline std::string AliasScenarios() {
  std::ostringstream out;
  auto show = [&](const char* name, const slice<long>& s) {
    out << name << ' ' << s.len() << ' ' << s.cap() << " [";
    for (size_t i = 0; i < s.len(); i++) out << (i ? " " : "") << s[i];
    out << "]\n";
  };
  auto val = [&](const char* name, long v) { out << name << ' ' << v << '\n'; };

  auto s = make<long>(3, 10);  // 1
  slice t = append(s, 4);
  slice u = append(s, 5);
  show("1.t", t), show("1.u", u), show("1.s", s), show("1.s-to-cap", s.sub(0, s.cap()));

  slice<long> a{1, 2, 3};  // 2
  slice b = append(a, 4);
  b[0] = 99;
  show("2.a", a), show("2.b", b);

  slice<long> p{0, 1, 2, 3, 4};  // 3
  auto q = p.sub(1, 3);
  q = append(q, 42);
  show("3.p", p), show("3.q", q);

  p = {0, 1, 2, 3, 4};  // 4
  q = p.sub(1, 3, 3);
  q = append(q, 42);
  q[0] = -1;
  show("4.p", p), show("4.q", q);

  auto r = make<long>(2, 5);  // 5
  r[1] = 7;
  show("5.r2", r.sub(0, 5));
  auto r3 = append(r.sub(0, 1), 8, 9);
  show("5.r", r), show("5.r3", r3), show("5.r-to-cap", r.sub(0, r.cap()));

  slice<long> c{0, 1, 2, 3, 4, 5, 6, 7, 8, 9};  // 6
  val("6.n1", long(copy(c.sub(2), c)));
  show("6.c1", c);
  c = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  val("6.n2", long(copy(c, c.sub(3))));
  show("6.c2", c);
  c = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  val("6.n3", long(copy(c.sub(1, 4), c.sub(5))));
  show("6.c3", c);
  val("6.n4", long(copy(c.sub(0, 0), c)));

  auto d = make<long>(3, 8);  // 7
  d[0] = 1, d[1] = 2, d[2] = 3;
  slice e = append(d, d);
  show("7.e", e), show("7.d-to-cap", d.sub(0, d.cap()));
  auto f = append(d.sub(0, 1), d);
  show("7.f", f), show("7.d", d);

  slice<long> g{1, 2, 3, 4, 5, 6};  // 8
  auto h = append(g.sub(0, 2, 2), 10);
  show("8.h", h), show("8.h-to-cap", h.sub(0, h.cap())), show("8.g", g);

  auto x = make<long>(0, 2);  // 9
  x = append(x, 1, 2);
  auto y = x;
  x = append(x, 3);
  x[0] = 100;
  y[1] = 200;
  show("9.x", x), show("9.y", y);

  slice<long> n;  // 10
  val("10.nil", n == nullptr);
  n = append(n, 1);
  show("10.n", n);
  val("10.empty-nil", n.sub(0, 0) == nullptr);
  auto m = make<long>(0);
  val("10.make0-nil", m == nullptr);

  slice<long> w{1, 2};  // 11
  w = append(w, 3);
  w = append(w, 4);
  slice t11 = append(w, 5);
  t11[0] = -1;
  slice u11 = append(w, 6);
  u11[1] = -2;
  show("11.w", w), show("11.w-to-cap", w.sub(0, w.cap())), show("11.t", t11), show("11.u", u11);
  w = append(w, 7);
  w[2] = -3;
  show("11.w2", w), show("11.t2", t11), show("11.u2", u11);

  slice<long> z{1, 2, 3};  // 12: both results alive at once (the second sees the first's room)
  auto pair = [&](const char* name, const slice<long>& ra, const slice<long>& rb) {
    slice a = ra, b = rb;
    a[0] = 100;
    show((std::string(name) + ".a").c_str(), a), show((std::string(name) + ".b").c_str(), b);
  };
  pair("12", append(z, 8), append(z, 9));
  show("12.z", z);

  auto v = make<long>(0, 1);  // 13
  v = append(v, 1);
  auto v2 = v;
  v = append(v, 2);
  v[0] = 10;
  show("13.v", v), show("13.v2", v2), show("13.v2-to-cap", v2.sub(0, v2.cap()));
  return out.str();
}

}  // namespace gort::slices::testing
