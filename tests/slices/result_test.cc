// The result of append on an lvalue (slice.h, "Results of append on an lvalue"): named with
// `auto` it is an ordinary slice, with Go's aliasing, that outlives its source whatever the
// order in which source and result die or are reassigned, on one thread or across threads.
// Each case runs for every way the append can go (room, growth in place, growth by copy of
// a shared array, growth from nil, a chunk); the sanitize build runs them under
// AddressSanitizer, which reports a result that reads its source's freed array, and the
// fixture reports arrays leaked. The counts come from GORT_SLICES_STATS.
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "tests/slices/leak_check.h"

static_assert(GORT_SLICES_STATS, "the counts below need the stats hook");

namespace gort::slices::testing {
namespace {

// `auto` names a slice, not a proxy, for every form the issue lists.
using L = slice<long>;
static_assert(std::is_same_v<std::decay_t<decltype(append(std::declval<L&>(), 1L))>, L>);
static_assert(std::is_same_v<std::decay_t<decltype(append(std::declval<L&>(), std::declval<L&>()))>, L>);
static_assert(std::is_same_v<decltype(append(append(std::declval<L&>(), 1L), 2L)), L>);
static_assert(std::is_same_v<decltype(append(std::declval<L&>().sub(0, 2), 99L)), L>);

rt::ref_stats Stats() { return rt::tls_stats; }

using SliceResult = gort::test::SliceLeakCheck;
using SliceResultThreads = gort::test::SliceLeakCheck;

// How the append goes: the source x it starts from (and a slice that shares x's array, for
// growth by copy), and whether the result y must alias x (room) or not (growth).
enum class Kind { room, in_place, by_copy, from_nil, chunk_room, chunk_in_place };
constexpr Kind kKinds[] = {Kind::room, Kind::in_place, Kind::by_copy, Kind::from_nil,
                           Kind::chunk_room, Kind::chunk_in_place};

std::string Name(Kind k) {
  const char* n[] = {"room", "in_place", "by_copy", "from_nil", "chunk_room", "chunk_in_place"};
  return n[int(k)];
}
bool Aliases(Kind k) { return k == Kind::room || k == Kind::chunk_room; }

struct Case {
  std::unique_ptr<L> x;      // the source (on the heap: the test chooses when it dies)
  L sharer;                  // keeps x's array shared (by_copy)
  std::vector<long> want_x;  // x's elements
};

Case Make(Kind k) {
  Case c;
  switch (k) {
    case Kind::room:
    case Kind::chunk_room: {
      auto x = make<long>(3, 10);
      x[0] = 1, x[1] = 2, x[2] = 3;
      c.x = std::make_unique<L>(x);
      break;
    }
    case Kind::in_place:
    case Kind::chunk_in_place:
    case Kind::by_copy:
      c.x = std::make_unique<L>(L{1, 2, 3});  // full, unique
      if (k == Kind::by_copy) c.sharer = *c.x;
      break;
    case Kind::from_nil:
      c.x = std::make_unique<L>();
      break;
  }
  c.want_x.assign(c.x->begin(), c.x->end());
  return c;
}

const L kChunk{7, 8};

// y := append(x, ...) named with auto, exactly as a Go programmer writes it.
L AppendNamed(Kind k, L& x) {
  if (k == Kind::chunk_room || k == Kind::chunk_in_place) {
    auto y = append(x, kChunk);
    return y;
  }
  auto y = append(x, 4);
  return y;
}

std::vector<long> Want(Kind k, const std::vector<long>& x) {
  std::vector<long> w = x;
  if (k == Kind::chunk_room || k == Kind::chunk_in_place) w.insert(w.end(), {7, 8});
  else w.push_back(4);
  return w;
}

std::vector<long> Elems(const L& s) { return {s.begin(), s.end()}; }

// Checks y's elements and Go's aliasing between x and y (a write through y shows in x iff the
// append had room), then puts the element back.
void CheckAliasing(Kind k, L& x, L& y) {
  ASSERT_STREQ(y.check(), "");
  if (x.len() == 0) return;
  long keep = x[0];
  y[0] = -5;
  EXPECT_EQ(x[0] == -5, Aliases(k)) << Name(k);
  EXPECT_EQ(y.shares_array_with(x), Aliases(k)) << Name(k);
  y[0] = keep;
  x[0] = keep;
}

TEST_F(SliceResult, SourceDestroyedFirst) {
  for (Kind k : kKinds) {
    Case c = Make(k);
    L y = AppendNamed(k, *c.x);
    CheckAliasing(k, *c.x, y);
    c.x.reset();
    c.sharer = nullptr;
    EXPECT_EQ(Elems(y), Want(k, c.want_x)) << Name(k);
    y = append(y, 100);  // and it grows on its own
    EXPECT_EQ(y.back(), 100) << Name(k);
  }
}

TEST_F(SliceResult, ResultDestroyedFirst) {
  for (Kind k : kKinds) {
    Case c = Make(k);
    {
      auto y = AppendNamed(k, *c.x);
      CheckAliasing(k, *c.x, y);
    }
    EXPECT_EQ(Elems(*c.x), c.want_x) << Name(k);
    *c.x = append(*c.x, 5);  // the source grows on after its result died
    EXPECT_EQ(c.x->back(), 5) << Name(k);
    EXPECT_STREQ(c.x->check(), "");
  }
}

TEST_F(SliceResult, SourceReassignedFirst) {
  for (Kind k : kKinds) {
    for (int how = 0; how < 3; how++) {
      Case c = Make(k);
      auto y = AppendNamed(k, *c.x);
      if (how == 0) *c.x = nullptr;
      if (how == 1) *c.x = L{9};
      if (how == 2) *c.x = append(*c.x, 6);  // in Go: x's own next append
      c.sharer = nullptr;
      std::vector<long> want = Want(k, c.want_x);
      if (how == 2 && Aliases(k)) want[3] = 6;  // x's append wrote y's element, as in Go
      EXPECT_EQ(Elems(y), want) << Name(k) << " how " << how;
      c.x.reset();
      EXPECT_EQ(y.len(), Want(k, c.want_x).size());
      EXPECT_STREQ(y.check(), "");
    }
  }
}

// The result kept somewhere else than a local: a container, a by-value parameter, a
// const reference parameter (read only: no reference taken), an assignment.
TEST_F(SliceResult, ResultGoesEverywhereASliceGoes) {
  for (Kind k : kKinds) {
    Case c = Make(k);
    std::vector<L> kept;
    kept.push_back(append(*c.x, 4));
    auto by_value = [](L s) { return s; };
    L v = by_value(append(*c.x, 4));
    rt::ref_stats before = Stats();
    auto len_of = [](const L& s) { return s.len(); };
    size_t n = len_of(append(*c.x, 4));
    if (k == Kind::room) {
      EXPECT_EQ(Stats().retains - before.retains, 0) << "a view: no count";
    }
    L assigned;
    assigned = append(*c.x, 4);
    c.x.reset();
    c.sharer = nullptr;
    std::vector<long> want = c.want_x;
    want.push_back(4);
    EXPECT_EQ(n, want.size());
    EXPECT_EQ(Elems(kept[0]), want) << Name(k);
    EXPECT_EQ(Elems(v), want) << Name(k);
    EXPECT_EQ(Elems(assigned), want) << Name(k);
  }
}

// Go: two growths of one full source give two arrays; a result that grew in place and is
// then copied twice in one expression gives both copies the same array.
TEST_F(SliceResult, ACopiedPendingResultIsOneArray) {
  L x{1, 2, 3};
  auto both = [](const L& r) { return std::pair<L, L>(r, r); };
  auto [a, b] = both(append(x, 4));
  EXPECT_TRUE(a.shares_array_with(b));
  EXPECT_FALSE(a.shares_array_with(x));
  a[0] = 9;
  EXPECT_EQ(b[0], 9);
  EXPECT_EQ(x[0], 1);
}

TEST_F(SliceResult, ChainsAndSubSlices) {
  L a{1, 2, 3};
  auto t = append(append(a, 1), 2);
  EXPECT_EQ(Elems(t), (std::vector<long>{1, 2, 3, 1, 2}));
  auto p = make<long>(3, 10);
  auto q = append(p.sub(0, 2), 99);
  EXPECT_EQ(p[2], 99);  // q wrote into p's array, as in Go
  EXPECT_TRUE(q.shares_array_with(p));
  auto u = append(a, t);
  a = nullptr;
  p = nullptr;
  EXPECT_EQ(Elems(u), (std::vector<long>{1, 2, 3, 1, 2, 3, 1, 2}));
  EXPECT_EQ(Elems(q), (std::vector<long>{0, 0, 99}));
  EXPECT_EQ(append(append(append(q, 1), 2), 3).len(), 6u);
}

// Strings: growth in place moves elements to a new block; the result copies them out.
TEST_F(SliceResult, NonTrivialElementsInEveryOrder) {
  for (int order = 0; order < 2; order++) {
    auto x = std::make_unique<slice<std::string>>(slice<std::string>{"a", "b"});
    auto y = append(*x, std::string(40, 'y'));
    y[0] = "changed";
    EXPECT_EQ((*x)[0], "a");
    if (order == 0) x.reset();
    EXPECT_EQ(y.len(), 3u);
    EXPECT_EQ(y[2], std::string(40, 'y'));
    if (order == 1) {
      *x = append(*x, "c");
      EXPECT_EQ((*x)[2], "c");
      EXPECT_EQ(y[2], std::string(40, 'y'));
    }
  }
}

// Across threads: the result is made on one thread and dies on another, before or after the
// source, which dies on the first or on a third thread.
TEST_F(SliceResultThreads, SourceAndResultDieOnDifferentThreads) {
  for (Kind k : kKinds) {
    for (int order = 0; order < 2; order++) {
      Case c = Make(k);
      L y;
      std::thread maker([&] {
        y = AppendNamed(k, *c.x);  // x's array is owned by the main thread
        if (order == 0) c.x.reset();
      });
      maker.join();
      std::vector<long> want = Want(k, c.want_x);
      std::thread reader([&, y = std::move(y)]() mutable {
        EXPECT_EQ(Elems(y), want) << Name(k);
        y = append(y, 11);
        EXPECT_EQ(y.back(), 11);
      });
      if (order == 1) c.x.reset();
      c.sharer = nullptr;
      reader.join();
      slices::flush_thread();
    }
  }
}

// Results named on the owner thread, then source and results handed to other threads that
// write to them at once: after growth they are separate arrays (no data race, no shared
// write), with room they alias as in Go (each thread writes a different element).
TEST_F(SliceResultThreads, ResultsOutliveTheirSourceOnOtherThreads) {
  std::vector<L> results;
  auto x = std::make_unique<L>();
  std::vector<long> last;  // Go: x's next append overwrites the last element of a result
  for (long i = 0; i < 64; i++) {  // that shares x's array (one made while x had room)
    *x = append(*x, i);
    bool full = x->len() == x->cap();  // then the result grew: pending, copied out here
    results.push_back(append(*x, -i));
    last.push_back(full || i == 63 ? -i : i + 1);
  }
  std::vector<std::thread> ts;
  for (size_t t = 0; t < 4; t++)
    ts.emplace_back([&, t] {
      for (size_t j = t; j < results.size(); j += 4) {
        L r = std::move(results[j]);
        ASSERT_EQ(r.len(), j + 2);
        ASSERT_EQ(r[j + 1], last[j]);
        for (size_t i = 0; i <= j; i++) ASSERT_EQ(r[i], long(i));
      }
    });
  x.reset();
  for (auto& t : ts) t.join();
  slices::flush_thread();
}

}  // namespace
}  // namespace gort::slices::testing
