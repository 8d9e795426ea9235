// new_delete_test.cc — every replaceable operator new and delete goes to gort, and the C++
// failure policy: a huge new calls the new-handler until it gives up, then throws
// std::bad_alloc; the nothrow forms return nullptr instead.
//
// Linked with gort::override. A block is known to be gort's because gort_malloc_usable_size
// accepts it (a foreign pointer stops the program) and large ones show in gort's statistics.
#include <new>
#include <string>

#include <gtest/gtest.h>

#include "tests/alloc/test_util.h"

namespace gort_test {
namespace {

constexpr size_t kBig = size_t{4} << 20;   // shows in large_inuse
constexpr size_t kHuge = size_t{1} << 62;  // no heap can give this
constexpr std::align_val_t kAl{256};

// Checks p came from gort with room for n bytes, writes it, and records the large bytes.
void Use(void* p, size_t n) {
  ASSERT_NE(p, nullptr);
  EXPECT_GE(gort_malloc_usable_size(p), n);
  memset(p, 0x3c, n);
  Escape(p);
}

// Runs alloc(n) then release(p, n) for a small and a large n; the large one must show in the
// heap's large bytes while live and be gone after.
template <typename A, typename R>
void RoundTrip(const char* what, A alloc, R release) {
  for (size_t n : {size_t{1}, size_t{100}, size_t{5000}, kBig}) {
    uint64_t before = LargeInUse();
    void* p = alloc(n);
    Use(p, n);
    if (n == kBig) {
      EXPECT_GE(LargeInUse(), before + kBig) << what << ": not from gort's heap";
    }
    release(p, n);
    EXPECT_EQ(LargeInUse(), before) << what << ": delete did not give the block back";
  }
}

TEST(NewDelete, PlainForms) {
  RoundTrip("new/delete", [](size_t n) { return ::operator new(n); },
            [](void* p, size_t) { ::operator delete(p); });
  RoundTrip("new/sized delete", [](size_t n) { return ::operator new(n); },
            [](void* p, size_t n) { ::operator delete(p, n); });
  RoundTrip("new[]/delete[]", [](size_t n) { return ::operator new[](n); },
            [](void* p, size_t) { ::operator delete[](p); });
  RoundTrip("new[]/sized delete[]", [](size_t n) { return ::operator new[](n); },
            [](void* p, size_t n) { ::operator delete[](p, n); });
}

TEST(NewDelete, NothrowForms) {
  RoundTrip("nothrow new/delete", [](size_t n) { return ::operator new(n, std::nothrow); },
            [](void* p, size_t) { ::operator delete(p, std::nothrow); });
  RoundTrip("nothrow new[]/delete[]", [](size_t n) { return ::operator new[](n, std::nothrow); },
            [](void* p, size_t) { ::operator delete[](p, std::nothrow); });
}

TEST(NewDelete, AlignedForms) {
  auto aligned = [](void* p) { EXPECT_TRUE(IsAligned(p, size_t(kAl))) << p; };
  RoundTrip("aligned new/delete", [&](size_t n) { void* p = ::operator new(n, kAl); aligned(p); return p; },
            [](void* p, size_t) { ::operator delete(p, kAl); });
  RoundTrip("aligned new/sized delete", [](size_t n) { return ::operator new(n, kAl); },
            [](void* p, size_t n) { ::operator delete(p, n, kAl); });
  RoundTrip("aligned new[]/delete[]", [&](size_t n) { void* p = ::operator new[](n, kAl); aligned(p); return p; },
            [](void* p, size_t) { ::operator delete[](p, kAl); });
  RoundTrip("aligned new[]/sized delete[]", [](size_t n) { return ::operator new[](n, kAl); },
            [](void* p, size_t n) { ::operator delete[](p, n, kAl); });
  RoundTrip("aligned nothrow new/delete",
            [&](size_t n) { void* p = ::operator new(n, kAl, std::nothrow); aligned(p); return p; },
            [](void* p, size_t) { ::operator delete(p, kAl, std::nothrow); });
  RoundTrip("aligned nothrow new[]/delete[]",
            [&](size_t n) { void* p = ::operator new[](n, kAl, std::nothrow); aligned(p); return p; },
            [](void* p, size_t) { ::operator delete[](p, kAl, std::nothrow); });
}

// new and delete expressions, not just direct operator calls.
TEST(NewDelete, Expressions) {
  struct Obj {
    char bytes[kBig];
  };
  uint64_t before = LargeInUse();
  Obj* o = new Obj;
  Use(o, sizeof *o);
  EXPECT_GE(LargeInUse(), before + kBig);
  delete o;
  EXPECT_EQ(LargeInUse(), before);
  int* a = new int[kBig / sizeof(int)]();
  Use(a, kBig);
  delete[] a;
  EXPECT_EQ(LargeInUse(), before);
  std::string s(kBig, 'x');
  EXPECT_GE(LargeInUse(), before + kBig);
  EXPECT_GE(gort_malloc_usable_size(s.data()), kBig);
}

// The handler counts its calls and uninstalls itself on the third.
int g_calls = 0;
void CountingHandler() {
  if (++g_calls == 3) std::set_new_handler(nullptr);
}
void ThrowingHandler() {
  g_calls++;
  throw std::bad_alloc();
}

template <typename F>
void ExpectBadAllocAfterHandler(const char* what, F f) {
  g_calls = 0;
  std::set_new_handler(CountingHandler);
  EXPECT_THROW(f(), std::bad_alloc) << what;
  EXPECT_EQ(g_calls, 3) << what << ": the new-handler must be called until it uninstalls itself";
  EXPECT_EQ(std::get_new_handler(), nullptr);
}

volatile size_t g_huge = kHuge;  // the compiler must not see the size

TEST(NewDelete, HugeNewCallsHandlerThenThrows) {
  ExpectBadAllocAfterHandler("new", [] { Escape(::operator new(g_huge)); });
  ExpectBadAllocAfterHandler("new[]", [] { Escape(::operator new[](g_huge)); });
  ExpectBadAllocAfterHandler("aligned new", [] { Escape(::operator new(g_huge, kAl)); });
  ExpectBadAllocAfterHandler("aligned new[]", [] { Escape(::operator new[](g_huge, kAl)); });
  ExpectBadAllocAfterHandler("new char[]", [] { Escape(new char[g_huge]); });
  std::set_new_handler(nullptr);
  EXPECT_THROW(Escape(::operator new(g_huge)), std::bad_alloc) << "no handler: throws at once";
}

TEST(NewDelete, HugeNothrowReturnsNull) {
  std::set_new_handler(nullptr);
  EXPECT_EQ(::operator new(g_huge, std::nothrow), nullptr);
  EXPECT_EQ(::operator new[](g_huge, std::nothrow), nullptr);
  EXPECT_EQ(::operator new(g_huge, kAl, std::nothrow), nullptr);
  EXPECT_EQ(::operator new[](g_huge, kAl, std::nothrow), nullptr);
  EXPECT_EQ(new (std::nothrow) char[g_huge], nullptr);
  // With a handler: called until it gives up, then nullptr.
  g_calls = 0;
  std::set_new_handler(CountingHandler);
  EXPECT_EQ(::operator new(g_huge, std::nothrow), nullptr);
  EXPECT_EQ(g_calls, 3);
  // A handler that throws bad_alloc: the nothrow form swallows it and returns nullptr.
  for (int form = 0; form < 4; form++) {
    g_calls = 0;
    std::set_new_handler(ThrowingHandler);
    void* p = form == 0   ? ::operator new(g_huge, std::nothrow)
              : form == 1 ? ::operator new[](g_huge, std::nothrow)
              : form == 2 ? ::operator new(g_huge, kAl, std::nothrow)
                          : ::operator new[](g_huge, kAl, std::nothrow);
    EXPECT_EQ(p, nullptr) << "form " << form;
    EXPECT_EQ(g_calls, 1) << "form " << form;
  }
  std::set_new_handler(nullptr);
}

// The handler is for failures only: it must not run while memory is there.
TEST(NewDelete, HandlerNotCalledOnSuccess) {
  g_calls = 0;
  std::set_new_handler(ThrowingHandler);
  for (size_t n : {size_t{0}, size_t{1}, size_t{100000}, kBig}) {
    void* p = ::operator new(n);
    void* q = ::operator new(n, kAl);
    Use(p, n);
    Use(q, n);
    ::operator delete(p);
    ::operator delete(q, kAl);
  }
  EXPECT_EQ(g_calls, 0);
  std::set_new_handler(nullptr);
}

}  // namespace
}  // namespace gort_test
