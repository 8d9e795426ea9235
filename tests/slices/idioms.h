// idioms.h — oracle/idioms.go, line for line, written as a Go programmer writes C++: `auto`
// for `:=`, results of append named, nested, passed on; range-for; s.sub for s[lo:hi] and
// s[lo:hi:max]; gort::copy between overlapping sub-slices. GoIdioms() prints what idioms.go
// prints (golden/idioms.txt); idiom_test.cc compares it with the golden file, go_test.cc with
// a live run of the oracle. (Go's int is 64 bits: long.)
#pragma once

#include <sstream>
#include <string>

#include "slices/slice.h"

namespace gort::slices::testing {

inline std::string GoIdioms() {
  using gort::append;
  std::ostringstream out;
  auto show = [&](const char* name, const slice<long>& s) {
    out << name << ' ' << s.len() << ' ' << s.cap() << " [";
    for (size_t i = 0; i < s.len(); i++) out << (i ? " " : "") << s[i];
    out << "]\n";
  };
  auto val = [&](const char* name, long v) { out << name << ' ' << v << '\n'; };
  auto grow = [](const slice<long>& s) { return append(s, long(s.len())); };

  // 1. A named result after growth has an array of its own.
  auto x = slice<long>{1, 2, 3};
  auto y = append(x, 4);
  y[0] = 100;
  show("1.x", x);
  show("1.y", y);

  // 2. Append to a sub-slice with room writes into the shared array.
  auto p = make<long>(2, 10);
  auto q = append(p.sub(0, 1), 99);
  show("2.p", p);
  show("2.q", q);
  auto r = append(p.sub(0, 2), 7);
  show("2.p-to-3", p.sub(0, 3));
  show("2.r", r);

  // 3. Nested appends.
  auto a = slice<long>{1, 2, 3};
  auto t = append(append(a, 1), 2);
  show("3.t", t);
  show("3.a", a);

  // 4. Appending slices, the source itself among them.
  auto s = slice<long>{5, 6};
  auto other = slice<long>{7, 8, 9};
  auto u = append(s, other);
  auto s2 = append(s, s);
  show("4.u", u);
  show("4.s2", s2);

  // 5. The loop.
  slice<long> sq;
  for (long i = 0; i < 20; i++) sq = append(sq, i * i);
  show("5.sq", sq);

  // 6. Range over sub-slices.
  long sum = 0;
  for (auto v : sq.sub(2, 5)) sum += v;
  val("6.sum", sum);
  long cnt = 0;
  auto tail = sq.sub(15);
  for (size_t i = 0; i < tail.len(); i++) cnt += long(i);
  val("6.cnt", cnt);

  // 7. 3-index slices: the first append fits under max, the second cannot.
  auto base = slice<long>{10, 20, 30, 40, 0};
  auto a3 = base.sub(1, 3, 4);
  auto b3 = append(a3, 50);
  auto c3 = append(b3, 60);
  c3[0] = -1;
  show("7.base", base);
  show("7.a3", a3);
  show("7.b3", b3);
  show("7.c3", c3);

  // 8. copy between overlapping sub-slices, both directions.
  auto c = slice<long>{0, 1, 2, 3, 4, 5, 6, 7};
  auto n = gort::copy(c.sub(2), c);
  show("8.c", c);
  val("8.n", long(n));
  auto n2 = gort::copy(c, c.sub(3));
  show("8.c2", c);
  val("8.n2", long(n2));

  // 9. The source reassigned after its result was named.
  auto src = slice<long>{1, 2};
  auto res = append(src, 3);
  src = nullptr;
  show("9.res", res);
  src = append(src, 9);
  show("9.src", src);
  auto res2 = append(res, 4);
  res = nullptr;
  show("9.res2", res2);

  // 10. Results passed on and returned.
  auto g = grow(grow(grow(nullptr)));
  show("10.g", g);

  // 11. Two appends to one prefix with room alias each other.
  auto pre = make<long>(0, 4);
  auto a11 = append(pre, 1);
  auto b11 = append(pre, 2);
  show("11.a", a11);
  show("11.b", b11);

  // 12. The in-place filter: w shares f's array and overwrites it as it goes.
  auto f = slice<long>{1, 2, 3, 4, 5, 6, 7, 8};
  auto w = f.sub(0, 0);
  for (auto v : f)
    if (v % 2 == 0) w = append(w, v);
  show("12.f", f);
  show("12.w", w);

  // 13. A named result, then the source grows again.
  auto z = slice<long>{1, 2, 3};
  auto z1 = append(z, 4);
  z = append(z, 5);
  z[0] = 0;
  show("13.z", z);
  show("13.z1", z1);

  // 14. Strings (elements that are not plain bytes).
  auto names = slice<std::string>{"go"};
  auto more = append(names, "gort");
  more = append(more, "c++");
  more[0] = "GO";
  auto join = [](const slice<std::string>& ss) {
    std::string j;
    for (const auto& e : ss) j += (j.empty() ? "" : ",") + e;
    return j;
  };
  out << "14.names " << names.len() << ' ' << names.cap() << ' ' << join(names) << '\n';
  out << "14.more " << more.len() << ' ' << more.cap() << ' ' << join(more) << '\n';

  // 15. Append to the result of a 3-index slice of a named result.
  auto h = append(slice<long>{1, 2, 3}, 4);
  auto h2 = append(h.sub(0, 2, 2), 9);
  auto h3 = append(h.sub(0, 2), 8);
  show("15.h", h);
  show("15.h2", h2);
  show("15.h3", h3);
  return out.str();
}

}  // namespace gort::slices::testing
