// slice.h — gort::slice<T>: Go's slice, with Go's behaviour, as a C++ value type.
//
// A slice is (array, data, len, cap): a counted reference to a backing array (array.h)
// and a window on it. Copies share the array; the array dies with its last slice. What a
// Go programmer knows holds exactly:
//
//   make<T>(len[, cap])   a new array of cap zero values (value-initialised T), len of them
//                         in view. make<T>(0) allocates nothing (Go's zerobase).
//   s.sub(lo, hi)         s[lo:hi], hi may reach cap; s.sub(lo, hi, max) is s[lo:hi:max]
//                         (cap = max - lo); s.sub(lo) is s[lo:]. They share the array.
//   append(s, v...)       1. len + n <= cap: the values are written into the shared array at
//   append(s, t)             [len, len+n) — visible through every slice of that array, as
//                             in Go — and the result shares it.
//                          2. otherwise growslice: a new array of GrowCap(cap, len+n)
//                             (grow.h: Go's rule and size classes), the len elements copied,
//                             the rest zero, then the values written. s keeps the old array.
//   copy(dst, src)        min(len) elements, memmove semantics; returns the count.
//   s[i]                  checked: i >= len throws gort::bounds_error with Go's message.
//                         s.at_unchecked(i) is the hot-loop form without the check.
//
// Results of append on an lvalue. `y := append(x, v)` is `auto y = gort::append(x, v)`, and
// `s = append(s, v)` in a loop must cost what push_back costs, which leaves no room for a
// reference count per element. C++ gives the two spellings one distinguishing step only:
// `auto y = f()` copies from a reference f returns, and does nothing for a value f returns
// (guaranteed elision). So append(x, ...) on a non-const lvalue x returns `const slice<T>&`
// to a slice in a result slot (detail::result<T>): a temporary made by a default argument
// of append, alive until the end of the caller's full expression. How a call goes:
//   1. Room (len + n <= cap): the values are stored at [len, len + n) and the slot's slice
//      is x's array and element 0 with the new len, *borrowed*: no reference of its own
//      (x's keeps the array alive).
//   2. `x = append(x, v)`: copy assignment from a slice with the same array and the same
//      element 0 only moves len and cap (retaining and releasing one array would cancel).
//      Nothing is counted; inlined, the slot lives in registers and step 1 + 2 are a
//      compare, the store and len + 1.
//   3. `auto y = append(x, v)` (also `slice<T> y = ...`, `y = ...`, a by-value parameter,
//      push_back): y is copied from the slot and takes its own reference, so y is an
//      ordinary slice from its first line and x may be reassigned or destroyed next. With
//      room y shares x's array, as in Go.
//   4. Read in the expression (`append(x, v)[i]`, `.len()`, a const slice<T>& parameter):
//      the slot itself, at no cost.
//   5. Growth in place: when append needs more than cap and x holds the only reference to
//      an array whose block ends where x's window ends (array.h, "Unique ownership"), x's
//      array grows: realloc for trivially copyable T (large blocks are remapped, not
//      copied), a new block with moved elements otherwise. x is patched to the new address
//      and keeps its len and cap, so x sees what it saw. In Go the result has an array x
//      does not share, so the slot is *pending*: its array pointer is a stand-in header
//      (rt::NewStandIn, marked kTailPending) naming x's block, which it reads. The mark is
//      seen by the one test every copy already makes (slice::SettleTail, for dirty tails):
//      assigned to x (step 2's case) the window is x's, so x takes len and cap — growth in
//      place cost only the realloc; copied anywhere else (step 3, a sub, an append to it,
//      copy into it) the slot first becomes Go's growslice result: a new array with a copy
//      of the elements, which every later copy of the slot shares.
//   6. Growth by copy (x shared, nil, or not growable in place): Go's growslice. The new
//      array's reference waits in a stand-in too (so every growth path looks alike to the
//      compiler, and step 2 folds): the first copy takes it, the slot releases it if
//      nothing did.
// Why it is safe. Every slice but the slot counts its reference. A borrowed slot names x's
// array while x (an lvalue that outlives the expression) holds it, and an assignment to x
// retains what it copies before releasing what it held. A pending slot reads x's block,
// which x holds. A stand-in is never retained or released: every path that takes a
// reference (copy, copy assignment, sub, append and copy through a const slice) settles a
// marked slice first; the slot frees its stand-in at the end of the expression.
// What does not hold (the price of returning a reference):
//   - A reference bound to the result outlives the slot: `const auto& r = append(x, v)`,
//     `auto&& r = ...` and `for (auto e : append(x, v))` read a dead temporary after the
//     line (as with std::min). Name a copy: `auto r = append(x, v)`, then range over r.
//   - While the slot is pending, it and x share x's block: element writes through the slot
//     (`append(x, v)[0] = 1`, a callee writing through its const slice& parameter) before
//     anything copies it show in x, where Go's result has an array of its own; and a copy
//     or sub of x in the same expression zeroes x's dirty tail from x's len, which the slot
//     can see. Go code does neither with a result it then throws away.
//   - append on a non-const lvalue may rewrite x's header (address, not contents): like an
//     assignment to x, it must not run concurrently with readers of the object x on other
//     threads. std::as_const(x) selects the reading form (a counted result).
//   - x must outlive the full expression (a slice inside a temporary that dies first is no
//     source to borrow from).
// append on a const slice or an rvalue returns a counted slice<T> (an rvalue's reference
// moves into it, and its array grows in place when unique).
//
// Sub-slices are values, counted. s.sub(lo, hi) returns a slice<T> that holds its own
// reference, also as a temporary (`f(s.sub(1, 3))`, `s.sub(1, 3)[0]`). Step 4's view cost
// would need the reference return above, and `for (auto v : s.sub(1, 3))` — Go's most
// common loop — binds a reference to the returned slot, which dies before the loop runs;
// a returned value is kept alive by the loop but is the very object `auto w = s.sub(1, 3)`
// names, so it must be counted from the start. Ranging over sub-slices safely wins; the
// cost is pinned in tests/fastpath (sub against span_sub).
//
// Invariants (check() walks them): data == nullptr iff the slice is nil, and then
// len == cap == 0 and there is no array; len <= cap; with an array, [data, data + cap) lies
// inside its elements; without one (zero capacity), cap == 0. All cap elements of an array
// are constructed, so [len, cap) holds zero values or values written through other slices —
// as far as any slice can see: for trivially copyable T, growth leaves the new tail
// unwritten and marks the array dirty (array.h, "Lazy zeroing"); a dirty array has exactly
// one slice, and the tail past its len is zeroed before anything could show it or share the
// array (copy, sub, an append result becoming a second slice: ops::SettleTail lists them).
// Hazard: a discarded result (`(void)append(s, v)`; Go rejects `append` as a statement)
// leaves the value past s's len, and the next settle of s zeroes it: after a growth of s,
// s.sub(0, cap) then shows 0 where Go shows v.
//
// Retention: like Go, a small slice of a large array keeps all of it alive. clone(s) copies
// the window into an array of its own (s = gort::clone(s) lets the big one go);
// s.array_bytes() tells how much memory a slice keeps alive.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <functional>
#include <initializer_list>
#include <iterator>
#include <ranges>
#include <span>
#include <type_traits>
#include <utility>

#include "slices/array.h"
#include "slices/grow.h"
#include "slices/panic.h"

// GORT_SLICES_POISON_TAILS=1 (the tests) fills lazily zeroed growth tails with 0xA5 bytes.
#ifndef GORT_SLICES_POISON_TAILS
#define GORT_SLICES_POISON_TAILS 0
#endif

namespace gort {

template <class T>
class slice;
namespace slices::detail {
template <class T>
struct ops;
template <class T>
class result;
// Go's runtime.zerobase: where non-nil slices of capacity 0 point.
alignas(64) inline constinit char zerobase[64] = {};
}  // namespace slices::detail

template <class T>
class slice {
  static_assert(std::is_same_v<T, std::remove_cv_t<T>> && std::is_object_v<T>,
                "gort::slice<T>: T must be a non-const object type (Go has no const or "
                "reference elements): write gort::slice<int>, and const gort::slice<int>& "
                "for a read-only view");
  static_assert(std::is_default_constructible_v<T>,
                "gort::slice<T>: T needs a zero value (a default constructor): make and "
                "append's growth fill new elements with it, as Go does");
  using array = slices::rt::array;
  friend struct slices::detail::ops<T>;
  friend class slices::detail::result<T>;

 public:
  using element_type = T;
  using value_type = T;
  using size_type = size_t;
  using difference_type = std::ptrdiff_t;
  using pointer = T*;
  using reference = T&;
  using iterator = T*;
  using const_iterator = const T*;

  // ---- construction: nil, literal, copies --------------------------------------------------

  constexpr slice() noexcept = default;
  constexpr slice(std::nullptr_t) noexcept {}
  slice(std::initializer_list<T> init);  // []T{a, b, c}: len == cap == init.size()

  // (A pending append result splits off first: its fields are read after SettleTail.)
  slice(const slice& o) noexcept {
    o.SettleTail();
    arr_ = o.arr_, data_ = o.data_, len_ = o.len_, cap_ = o.cap_;
    if (arr_) slices::rt::Retain(arr_);
  }
  slice(slice&& o) noexcept : arr_(o.arr_), data_(o.data_), len_(o.len_), cap_(o.cap_) {
    o.Forget();
  }
  // The same array from the same element 0 (`s = append(s, v)` with room, `s = s`): a retain
  // and a release of one array cancel, so only len and cap move. (A dirty tail has one
  // holder, so o is this slice or a borrowed result of it, whose len covers what it wrote.)
  slice& operator=(const slice& o) noexcept {
    if (o.arr_ == arr_ && o.data_ == data_) [[likely]] {
      len_ = o.len_, cap_ = o.cap_;
      return *this;
    }
    return Assign(o);
  }
  slice& operator=(slice&& o) noexcept {
    if (this == &o) return *this;
    array* old = arr_;
    arr_ = o.arr_, data_ = o.data_, len_ = o.len_, cap_ = o.cap_;
    o.Forget();
    if (old) slices::rt::Release(old);
    return *this;
  }
  // Always inlined, also where an exception unwinds: an out-of-line destructor call there
  // takes the slice's address, and the compiler then keeps every local slice in memory.
  GORT_INLINE ~slice() {
    if (arr_) slices::rt::Release(arr_);
  }

  // ---- Go's len, cap, nil ------------------------------------------------------------------

  size_t len() const noexcept { return len_; }
  size_t cap() const noexcept { return cap_; }
  bool is_nil() const noexcept { return data_ == nullptr; }
  friend bool operator==(const slice& s, std::nullptr_t) noexcept { return s.is_nil(); }

  // ---- elements: checked, unchecked, ranges ------------------------------------------------

  T& operator[](size_t i) const {
    if (i >= len_) [[unlikely]] slices::PanicBounds(bounds_code::index, i, len_);
    return data_[i];
  }
  // i < len, unchecked (as data()[i]): elements in [len, cap) are reached through sub, which
  // zeroes a lazily left growth tail first; data()[len] and beyond are not defined.
  T& at_unchecked(size_t i) const noexcept { return data_[i]; }
  T& front() const { return (*this)[0]; }
  T& back() const { return (*this)[len_ - 1]; }

  T* data() const noexcept { return data_; }
  T* begin() const noexcept { return data_; }
  T* end() const noexcept { return data_ + len_; }
  size_t size() const noexcept { return len_; }
  bool empty() const noexcept { return len_ == 0; }
  // A view; std::span<T> sp = s also works (a slice is a contiguous, sized range).
  std::span<T> span() const noexcept { return {data_, len_}; }

  // ---- slicing: s[lo:], s[lo:hi], s[lo:hi:max] ---------------------------------------------

  slice sub(size_t lo) const& { return sub(lo, len_); }
  slice sub(size_t lo) && { return std::move(*this).sub(lo, len_); }
  // (The fields are read before the count changes: a store to the count may alias them.)
  slice sub(size_t lo, size_t hi) const& {
    CheckSub(lo, hi);
    SettleTail();
    array* a = arr_;
    T* d = data_;
    size_t c = cap_;
    if (a) slices::rt::Retain(a);
    return slice(a, d + lo, hi - lo, c - lo);
  }
  slice sub(size_t lo, size_t hi) && {
    CheckSub(lo, hi);
    SettleTail();
    slice r(arr_, data_ + lo, hi - lo, cap_ - lo);
    Forget();
    return r;
  }
  slice sub(size_t lo, size_t hi, size_t max) const& {
    CheckSub3(lo, hi, max);
    SettleTail();
    array* a = arr_;
    T* d = data_;
    if (a) slices::rt::Retain(a);
    return slice(a, d + lo, hi - lo, max - lo);
  }
  slice sub(size_t lo, size_t hi, size_t max) && {
    CheckSub3(lo, hi, max);
    SettleTail();
    slice r(arr_, data_ + lo, hi - lo, max - lo);
    Forget();
    return r;
  }

  // ---- memory ------------------------------------------------------------------------------

  // Bytes of the backing block this slice keeps alive (0 when it has none).
  size_t array_bytes() const noexcept {
    array* a = slices::detail::ops<T>::Real(arr_);
    return a ? slices::rt::ElementOffset(alignof(T)) + a->cap * sizeof(T) : 0;
  }
  // True when both slices keep the same backing array alive (a pending append result has
  // Go's array of its own: it shares with nothing).
  bool shares_array_with(const slice& o) const noexcept { return arr_ && arr_ == o.arr_; }

  // The invariants of the header comment: names the first broken one, "" when they hold
  // (the convention of alloc/check.h).
  const char* check() const noexcept {
    if (data_ == nullptr)
      return !arr_ && len_ == 0 && cap_ == 0 ? "" : "slice: nil data with a length, cap or array";
    if (len_ > cap_) return "slice: len > cap";
    if (!arr_) return cap_ == 0 ? "" : "slice: a capacity without an array";
    array* a = slices::detail::ops<T>::Real(arr_);  // a pending result reads its source's block
    T* first = slices::rt::Elements<T>(a);
    if (data_ < first || data_ + cap_ > first + a->cap)
      return "slice: [data, data + cap) is not inside its array";
    if (a != arr_) return "";
    // A dirty tail (array.h, "Lazy zeroing") implies one reference.
    if (slices::rt::Dirty(arr_) && slices::rt::OwnedHere(arr_) &&
        (arr_->local != 1 || arr_->word.load(std::memory_order_relaxed) != 0))
      return "slice: a dirty array has more than one reference";
    return "";
  }

  friend void swap(slice& a, slice& b) noexcept {
    std::swap(a.arr_, b.arr_), std::swap(a.data_, b.data_);
    std::swap(a.len_, b.len_), std::swap(a.cap_, b.cap_);
  }

 private:
  // Adopts one reference to a (which may be null).
  slice(array* a, T* data, size_t len, size_t cap) noexcept
      : arr_(a), data_(data), len_(len), cap_(cap) {}

  void Forget() noexcept { arr_ = nullptr, data_ = nullptr, len_ = cap_ = 0; }

  // Called before anything that makes a second reference or a window past len (see
  // ops::SettleTail): lazy zeroing (array.h) — growth may have left [data + len, block end)
  // unwritten — and a pending append result, which becomes Go's new array here (the only
  // slices with a pending mark are result slots, never const objects: the cast is sound).
  // The cold call takes the fields by value and returns the array (a new one when a pending
  // result splits off): the slice's address never leaves the caller, so a result slot or a
  // local stays in registers.
  GORT_INLINE void SettleTail() const noexcept {
    if (arr_ && slices::detail::ops<T>::Marked(arr_)) [[unlikely]] {
      array* a = slices::detail::ops<T>::SettleSlow(arr_, data_, len_, cap_);
      if (a != arr_) {
        slice* self = const_cast<slice*>(this);
        self->arr_ = a, self->data_ = slices::rt::Elements<T>(a);
      }
    }
  }

  // Copy assignment but for the same window: also where a pending result comes home.
  GORT_INLINE slice& Assign(const slice& o) noexcept {
    array* a = o.arr_;
    if (a) {
      if (slices::detail::ops<T>::Marked(a)) [[unlikely]] {
        // x = append(x, v) after x grew in place: x's window, x takes len and cap.
        if (slices::detail::ops<T>::Real(a) == arr_ && o.data_ == data_) {
          len_ = o.len_, cap_ = o.cap_;
          return *this;
        }
        o.SettleTail();
        a = o.arr_;
      }
      slices::rt::Retain(a);
    }
    array* old = arr_;
    arr_ = a, data_ = o.data_, len_ = o.len_, cap_ = o.cap_;
    if (old) slices::rt::Release(old);
    return *this;
  }

  GORT_INLINE void CheckSub(size_t lo, size_t hi) const {
    if (hi > cap_) [[unlikely]] slices::PanicBounds(bounds_code::slice_acap, hi, cap_);
    if (lo > hi) [[unlikely]] slices::PanicBounds(bounds_code::slice_b, lo, hi);
  }
  GORT_INLINE void CheckSub3(size_t lo, size_t hi, size_t max) const {
    if (max > cap_) [[unlikely]] slices::PanicBounds(bounds_code::slice3_acap, max, cap_);
    if (hi > max) [[unlikely]] slices::PanicBounds(bounds_code::slice3_b, hi, max);
    if (lo > hi) [[unlikely]] slices::PanicBounds(bounds_code::slice3_c, lo, hi);
  }

  array* arr_ = nullptr;  // one counted reference, or null (nil, or capacity 0); in a
                          // result slot also borrowed, or a pending stand-in (see above)
  T* data_ = nullptr;     // element 0 of the window; null iff nil
  size_t len_ = 0;
  size_t cap_ = 0;
};

namespace slices::detail {

// The algorithms behind make, append, copy and clone; the slow paths are out of line.
template <class T>
struct ops {
  using array = rt::array;
  // Zero bytes are T's zero value and memcpy is its copy: memset, memcpy and realloc apply.
  static constexpr bool kTrivial = std::is_trivially_copyable_v<T> &&
                                   std::is_trivially_default_constructible_v<T> &&
                                   !std::is_member_pointer_v<T>;
  static constexpr bool kRealloc = kTrivial && alignof(T) <= 16;
  // Growth tails are zeroed lazily (array.h): a dirty mark instead of a memset.
  static constexpr bool kLazy = kTrivial;

  // The one test before sharing: a dirty (or busy) tail, or a pending append result. For
  // elements that are never zeroed lazily the tail holds their destroy function or 0, and
  // only a pending result's stand-in holds kTailPending.
  GORT_INLINE static bool Marked(const array* a) noexcept {
    if constexpr (kLazy) return a->tail.load(std::memory_order_acquire) != rt::kTailClean;
    return a->tail.load(std::memory_order_relaxed) == rt::kTailPending;
  }
  static bool Pending(const array* a) noexcept {
    return a && a->tail.load(std::memory_order_relaxed) == rt::kTailPending;
  }
  // The array whose block a slice reads: a pending result's stand-in names its source's.
  static array* Real(array* a) noexcept { return Pending(a) ? a->qnext : a; }

  // The cold half of slice::SettleTail. A pending append result becomes Go's growslice
  // result first: a new array of its len and cap holding a copy of its elements (returned;
  // out of memory here is fatal, as Go's throw). The stand-in it leaves belongs to its slot.
  [[gnu::noinline]] static array* SettleSlow(array* a, T* data, size_t len, size_t cap) noexcept {
    if (Pending(a)) {
      if (array* own = a->prev) {  // growth by copy: the new array is Go's already
        a->prev = nullptr;          // its reference moves from the stand-in to the slot
        a = own, data = rt::Elements<T>(own);
      } else {
        slice<T> r = Exact(data, len, cap);
        a = r.arr_, data = r.data_;
        r.Forget();
      }
    }
    SettleTail(a, data + len);
    return a;
  }

  // The settle point of lazy zeroing. end is the end of the written elements of the only
  // slice of a dirty array (its data + len, or an append result's, which is past it); the
  // one test on a clean array is a load of the header's line that Retain reads anyway.
  // Called before every new reference to the array and every window past len:
  //   slice copy and copy assignment, sub (all forms, also on rvalues: the window moves),
  //   Share / ShareHere / AppendSlow / AppendN (append on a const slice, which may be a
  //   borrowed result slot whose len is past its source's). Clone and the split of a
  //   pending result read only [0, len) and make no reference. The append fast paths on
  //   an lvalue or rvalue write at len and raise it: they keep the invariant without a
  //   check. (A busy tail is being settled by another thread: rt::SettleTail waits.)
  GORT_INLINE static void SettleTail(array* a, T* end) noexcept {
    if constexpr (kLazy) {
      if (a && a->tail.load(std::memory_order_acquire) != rt::kTailClean) [[unlikely]]
        rt::SettleTail(a, end, rt::Elements<T>(a) + a->cap);
    }
  }
  // After growth left [filled, end of block) unwritten in the unique array a. (The tests
  // poison the tail, so a missing settle shows as 0xA5 bytes instead of lucky zeros.)
  static void LeaveTail(array* a, T* filled_end, size_t zero_bytes) noexcept {
    if (zero_bytes == 0) return;
    if constexpr (kLazy) {
      if constexpr (GORT_SLICES_POISON_TAILS)
        std::memset(static_cast<void*>(filled_end), 0xA5, zero_bytes);
      rt::MarkDirty(a);
    } else {
      std::memset(static_cast<void*>(filled_end), 0, zero_bytes);
    }
  }

  static T* Zerobase() noexcept {
    T* p = reinterpret_cast<T*>(zerobase);
    asm("" : "+r"(p));  // never dereferenced (cap 0); keeps GCC's bounds warnings quiet
    return p;
  }

  // The result of an append that fitted: the same array, one more reference. (cap > 0,
  // so there is an array: telling the compiler lets it pair this increment with the
  // decrement of `s = ...` and drop both.)
  GORT_INLINE static slice<T> Share(const slice<T>& s, size_t len) noexcept {
    if (!s.arr_) __builtin_unreachable();
    SettleTail(s.arr_, s.data_ + len);
    rt::Retain(s.arr_);
    return slice<T>(s.arr_, s.data_, len, s.cap_);
  }

  // dst[0, n) = src[0, n) with memmove semantics (the ranges may overlap).
  static void Move(T* dst, const T* src, size_t n) {
    if (n == 0 || dst == src) return;
    if constexpr (kTrivial) {
      std::memmove(static_cast<void*>(dst), static_cast<const void*>(src), n * sizeof(T));
    } else if (std::less<const T*>{}(dst, src)) {
      std::copy(src, src + n, dst);
    } else {
      std::copy_backward(src, src + n, dst + n);
    }
  }

  // A new array of cap elements: [0, n) copied (or moved) from src, the rest zero values.
  // For trivial T, [n, filled) is left for the caller to write at once, and [filled, cap)
  // is a dirty tail (zeroed lazily, array.h): the caller's slice must end at filled.
  static array* NewFrom(size_t cap, T* src, size_t n, bool move, size_t filled) {
    if constexpr (kTrivial) {
      array* a = rt::NewArray(cap, sizeof(T), alignof(T), filled == 0);
      if (filled != 0) {
        T* d = rt::Elements<T>(a);
        if (n) std::memcpy(static_cast<void*>(d), static_cast<const void*>(src), n * sizeof(T));
        LeaveTail(a, d + filled, (cap - filled) * sizeof(T));
      }
      return a;
    } else {
      return NewConstructed(cap, src, n, move);
    }
  }

  static array* NewConstructed(size_t cap, T* src, size_t n, bool move) {
    array* a = rt::NewArray(cap, sizeof(T), alignof(T), false);
    T* d = rt::Elements<T>(a);
    size_t i = 0;
    try {
      for (; i < n; i++) {
        if (move) ::new (static_cast<void*>(d + i)) T(std::move_if_noexcept(src[i]));
        else ::new (static_cast<void*>(d + i)) T(src[i]);
      }
      for (; i < cap; i++) ::new (static_cast<void*>(d + i)) T();
    } catch (...) {
      std::destroy_n(d, i);
      rt::AbandonArray(a);
      throw;
    }
    if constexpr (!std::is_trivially_destructible_v<T>) rt::SetDestroy(a, &rt::DestroyElements<T>);
    return a;
  }

  static size_t GrowCapOrPanic(size_t cap, size_t needed) {
    size_t c = GrowCap(cap, needed, sizeof(T));
    if (c == 0) PanicLength("growslice: cap out of range");
    return c;
  }

  static size_t Needed(size_t len, size_t n) {
    if (n > kMaxAlloc - len) PanicLength("growslice: cap out of range");
    return len + n;
  }

  // growslice: a new array for needed elements; s keeps the old one. Elements [len, needed)
  // are the caller's to write (zero values when T is not trivial).
  static slice<T> Grown(const slice<T>& s, size_t needed) {
    return Grown(s.data_, s.len_, s.cap_, needed);
  }
  static slice<T> Grown(T* data, size_t len, size_t cap, size_t needed) {
    size_t c = GrowCapOrPanic(cap, needed);
    array* a = NewFrom(c, data, len, false, needed);
    return slice<T>(a, rt::Elements<T>(a), len, c);
  }

  // growslice for a source nobody else can see again (an rvalue): when its array is
  // uniquely referenced it grows in place (realloc) or its elements move; s is left nil.
  static slice<T> GrownOwned(slice<T>& s, size_t needed) {
    if (!s.arr_ || !rt::Unique(s.arr_)) return Grown(s, needed);
    size_t c = GrowCapOrPanic(s.cap_, needed), len = s.len_;
    if constexpr (kRealloc) {
      if (s.data_ == rt::Elements<T>(s.arr_)) {
        array* a = rt::Regrow(s.arr_, c, sizeof(T), alignof(T));
        s.Forget();
        T* d = rt::Elements<T>(a);
        LeaveTail(a, d + needed, (c - needed) * sizeof(T));
        return slice<T>(a, d, len, c);
      }
    }
    array* a = NewFrom(c, s.data_, len, true, needed);
    s = slice<T>();
    return slice<T>(a, rt::Elements<T>(a), len, c);
  }

  // Small trivially copyable values travel in registers to the slow path, and the slice
  // as its fields: neither the caller's slice nor its value has to live in memory.
  using value_param = std::conditional_t<kTrivial && sizeof(T) <= 16, T, const T&>;

  // The caller's slice keeps the old array alive: v may point into it. Returns the new
  // array (one reference; its header holds the capacity), so the result travels in a
  // register and the caller's fast path stays free of stores to a result in memory.
  [[gnu::noinline]] static array* AppendGrow(T* data, size_t len, size_t cap, value_param v) {
    slice<T> r = Grown(data, len, cap, len + 1);
    r.data_[len] = v;
    array* a = r.arr_;
    r.Forget();
    return a;
  }

  // The fast case of append(s, v): room (so there is an array), counted by this thread.
  // (A dirty tail takes the slow path, which settles it: the result is a second reference.)
  GORT_INLINE static bool FastAppend(const slice<T>& s) noexcept {
    if constexpr (kLazy) return s.len_ < s.cap_ && rt::OwnedHere(s.arr_) && !rt::Dirty(s.arr_);
    return s.len_ < s.cap_ && rt::OwnedHere(s.arr_);
  }
  GORT_INLINE static slice<T> ShareHere(const slice<T>& s, size_t len) noexcept {
    GORT_SLICES_COUNT(retains);
    s.arr_->local++;
    return slice<T>(s.arr_, s.data_, len, s.cap_);
  }

  // Every other case of append(s, v): room in an array counted atomically (returns s's
  // array, one more reference), or growth (returns the new array).
  [[gnu::noinline]] static array* AppendSlow(array* arr, T* data, size_t len, size_t cap,
                                             value_param v) {
    if (len >= cap) return AppendGrow(data, len, cap, v);
    data[len] = v;
    SettleTail(arr, data + len + 1);
    rt::Retain(arr);
    return arr;
  }
  GORT_INLINE static array* Slow(const slice<T>& s, value_param v) {  // by value: s stays in registers
    return AppendSlow(s.arr_, s.data_, s.len_, s.cap_, v);
  }
  GORT_INLINE static slice<T> Result(const slice<T>& s, array* a, size_t len) noexcept {
    if (a == s.arr_) return slice<T>(a, s.data_, len, s.cap_);
    return Adopt(a, len);
  }

  // The slice over a new array from AppendGrow: element 0 on, len elements, all of it cap.
  GORT_INLINE static slice<T> Adopt(array* a, size_t len) noexcept {
    return slice<T>(a, rt::Elements<T>(a), len, a->cap);
  }

  [[gnu::noinline]] static slice<T> AppendGrowOwned(slice<T>& s, const T& v) {
    T keep(v);  // v may live in s's array, which may move
    slice<T> r = GrownOwned(s, s.len_ + 1);
    r.data_[r.len_++] = std::move(keep);
    return r;
  }

  // append(s, src[0, n)...): src may overlap s's array.
  static slice<T> AppendN(const slice<T>& s, const T* src, size_t n) {
    if (n == 0) return s;
    if (Pending(s.arr_)) Settle(s);  // a pending result is Go's own array before it is shared
    size_t needed = Needed(s.len_, n);
    if (needed <= s.cap_) {
      Move(s.data_ + s.len_, src, n);
      return Share(s, needed);
    }
    slice<T> r = Grown(s, needed);  // s still holds the old array: src stays valid
    Move(r.data_ + s.len_, src, n);
    r.len_ = needed;
    return r;
  }

  // The same for an rvalue s; src must not live in s's array unless another slice holds it.
  static slice<T> AppendNOwned(slice<T>& s, const T* src, size_t n) {
    if (n == 0) return std::move(s);
    size_t needed = Needed(s.len_, n), len = s.len_;
    if (needed <= s.cap_) {
      Move(s.data_ + len, src, n);
      s.len_ = needed;
      return std::move(s);
    }
    slice<T> r = GrownOwned(s, needed);
    Move(r.data_ + len, src, n);
    r.len_ = needed;
    return r;
  }

  // ---- an lvalue source: growth in place, borrowed results ----------------------------------

  // s's array may grow in place for an append that does not fit (needed > cap, so the
  // appended elements overwrite all of [len, cap)): its window ends where the block ends (no
  // room past it that an earlier result may use), and nobody else holds the array. s need
  // not be full: append(s, chunk) with some room left grows in place too.
  static bool CanGrowInPlace(array* arr, T* data, size_t, size_t cap) {
    if (!arr) return false;
    if (data + cap != rt::Elements<T>(arr) + arr->cap) return false;
    return rt::Unique(arr);
  }
  static bool CanGrowInPlace(const slice<T>& s) {
    return CanGrowInPlace(s.arr_, s.data_, s.len_, s.cap_);
  }

  // What a growth of s's array in place (or, for a slow path, by copy) produced.
  //   in place:  arr is s's array at its new address, data s's element 0 there; s keeps its
  //              len and cap, Go's new cap is Elements(arr) + arr->cap - data.
  //   by copy:   (append's slow path only) data == null, arr a new array with one
  //              reference, element 0 on, cap in its header.
  // Two words: returned in registers, so the caller's slice never has to live in memory.
  struct growth {
    array* arr;
    T* data;
  };

  // Grows the array of the window (arr, data, len) to hold c elements from data on
  // (CanGrowInPlace holds). [needed, c) become zero values (a dirty tail for trivial T);
  // [len, needed) are the caller's to write (zero values too when T is not trivial).
  static growth GrowInPlace(array* arr, T* data, size_t len, size_t c, size_t needed) {
    if constexpr (kRealloc) {
      size_t k = data - rt::Elements<T>(arr);
      array* b = rt::Regrow(arr, k + c, sizeof(T), alignof(T));
      T* d = rt::Elements<T>(b) + k;
      LeaveTail(b, d + needed, (c - needed) * sizeof(T));
      return {b, d};
    } else {
      constexpr bool kMove = std::is_nothrow_move_assignable_v<T> || kTrivial;
      array* b = NewFrom(c, data, len, kMove, needed);
      rt::Release(arr);  // the last reference: the moved-from elements die
      return {b, rt::Elements<T>(b)};
    }
  }
  // The same on s, patched to the new address; s keeps len and cap.
  static void GrowInPlace(slice<T>& s, size_t c, size_t needed) {
    growth g = GrowInPlace(s.arr_, s.data_, s.len_, c, needed);
    s.arr_ = g.arr, s.data_ = g.data;
  }

  // The slow path of append(s, v) for an lvalue s, given s's fields (by value: s stays in
  // the caller's registers). Grows s's array in place when it can, else makes a new one.
  [[gnu::noinline]] static growth AppendGrowLvalue(array* arr, T* data, size_t len, size_t cap,
                                                   value_param v) {
    if (!CanGrowInPlace(arr, data, len, cap)) {
      array* a = AppendGrow(data, len, cap, v);  // s keeps the old array: v stays valid
      return {a, nullptr};
    }
    T keep(v);  // v may live in s's array, which moves
    size_t c = GrowCapOrPanic(cap, len + 1);
    growth g = GrowInPlace(arr, data, len, c, len + 1);
    g.data[len] = std::move(keep);
    return g;
  }

  // append(s, v) on a full lvalue s: the out-of-line growth, then s patched and the result
  // pending (in place), or the result holding the new array.
  GORT_INLINE static const slice<T>& GrowLvalue(slice<T>& s, value_param v, result<T>& r) {
    size_t len = s.len_;
    growth g = AppendGrowLvalue(s.arr_, s.data_, len, s.cap_, v);
    if (!g.data) return r.Pend(rt::NewStandIn(g.arr, true), rt::Elements<T>(g.arr), len + 1, g.arr->cap);
    s.arr_ = g.arr, s.data_ = g.data;
    return r.Pend(rt::NewStandIn(g.arr, false), g.data, len + 1,
                  rt::Elements<T>(g.arr) + g.arr->cap - g.data);
  }

  // A pending result, or a borrowed slot with a dirty tail, before it is written or shared.
  static void Settle(const slice<T>& s) noexcept { s.SettleTail(); }
  GORT_INLINE static array* Arr(const slice<T>& s) noexcept { return s.arr_; }

  static bool InArray(const slice<T>& s, const T* p) {
    if (!s.arr_) return false;
    const T* first = rt::Elements<T>(s.arr_);
    return std::less_equal<const T*>{}(first, p) && std::less<const T*>{}(p, first + s.arr_->cap);
  }

  // append(s, src[0, n)...) for an lvalue s; src may overlap s's array.
  static const slice<T>& AppendNLvalue(slice<T>& s, const T* src, size_t n, result<T>& r) {
    size_t len = s.len_;
    if (n == 0) return r.Borrow(s.arr_, s.data_, len, s.cap_);
    size_t needed = Needed(len, n);
    if (needed <= s.cap_) {
      Move(s.data_ + len, src, n);
      return r.Borrow(s.arr_, s.data_, needed, s.cap_);
    }
    if (!InArray(s, src) && CanGrowInPlace(s)) {
      size_t c = GrowCapOrPanic(s.cap_, needed);
      GrowInPlace(s, c, needed);
      Move(s.data_ + len, src, n);
      return r.Pend(rt::NewStandIn(s.arr_, false), s.data_, needed, c);
    }
    slice<T> g = Grown(s, needed);  // s still holds the old array: src stays valid
    Move(g.data_ + len, src, n);
    array* a = g.arr_;
    T* d = g.data_;
    size_t c = g.cap_;
    g.Forget();  // the reference moves into the result's stand-in
    return r.Pend(rt::NewStandIn(a, true), d, needed, c);
  }

  static slice<T> Make(size_t len, size_t cap) {
    if (cap > kMaxAlloc / sizeof(T) || len > cap) {
      if (len > kMaxAlloc / sizeof(T)) PanicLength("makeslice: len out of range");
      PanicLength("makeslice: cap out of range");
    }
    if (cap == 0) return slice<T>(nullptr, Zerobase(), 0, 0);
    array* a = NewFrom(cap, nullptr, 0, false, 0);
    return slice<T>(a, rt::Elements<T>(a), len, cap);
  }

  // A new array with a copy of src, sized as append(nil, src...) sizes it.
  static slice<T> Clone(const T* src, size_t n) {
    if (n == 0) return slice<T>(nullptr, Zerobase(), 0, 0);
    return Exact(src, n, GrowCapOrPanic(0, n));
  }

  // A new array of cap elements holding a copy of src[0, n).
  static slice<T> Exact(const T* src, size_t n, size_t cap) {
    array* a = NewFrom(cap, const_cast<T*>(src), n, false, n);
    return slice<T>(a, rt::Elements<T>(a), n, cap);
  }

  // The result of an append through an rvalue that fitted: s's reference moves over.
  GORT_INLINE static slice<T> Take(slice<T>& s, size_t len) noexcept {
    slice<T> r(s.arr_, s.data_, len, s.cap_);
    s.Forget();
    return r;
  }
};

}  // namespace slices::detail

// ---- the result slot of append on an lvalue ------------------------------------------------
//
// The storage of `append(x, ...)`'s result when x is a non-const lvalue (see "Results of
// append on an lvalue"): a default argument of append, so a temporary of the caller's full
// expression, and append returns a reference to its slice, which is one of
//   borrowed  x's array and element 0, no reference (arr_ == borrowed_, no stand-in);
//   pending   a stand-in header (arr_ == borrowed_ == stand_in_): growth in place (its
//             qnext is x's block) or by copy (its prev holds the new array's reference);
//   owning    after the first copy settled a pending slot: Go's array, one reference.
// At the end: a borrowed or pending slice is forgotten, an owning one released, and the
// stand-in dropped (with the reference it may still hold). The slot's address goes nowhere
// out of line (the cold paths take fields by value), so in `s = append(s, v)` it lives in
// registers and the fit path stores nothing but the element.
namespace slices::detail {

template <class T>
class result {
  using array = rt::array;

 public:
  result() noexcept = default;
  result(const result&) = delete;
  result& operator=(const result&) = delete;
  GORT_INLINE ~result() {
    if (s_.arr_ == borrowed_) s_.Forget();  // borrowed or still pending: not ours to release
    if (stand_in_) [[unlikely]] rt::DropStandIn(stand_in_);
  }

  GORT_INLINE const slice<T>& Borrow(array* a, T* data, size_t len, size_t cap) noexcept {
    Set(a, data, len, cap);
    borrowed_ = a;
    return s_;
  }
  GORT_INLINE const slice<T>& Pend(array* stand_in, T* data, size_t len, size_t cap) noexcept {
    Set(stand_in, data, len, cap);
    borrowed_ = stand_in_ = stand_in;
    return s_;
  }

 private:
  GORT_INLINE void Set(array* a, T* data, size_t len, size_t cap) noexcept {
    s_.arr_ = a, s_.data_ = data, s_.len_ = len, s_.cap_ = cap;
  }

  slice<T> s_;
  array* borrowed_ = nullptr;
  array* stand_in_ = nullptr;
};

}  // namespace slices::detail

template <class T>
slice<T>::slice(std::initializer_list<T> init) {  // a literal's capacity is its length
  if (init.size() != 0) *this = slices::detail::ops<T>::Exact(init.begin(), init.size(), init.size());
  else *this = slices::detail::ops<T>::Make(0, 0);
}

// ---- make ------------------------------------------------------------------------------------

template <class T>
slice<T> make(size_t len) {
  return slices::detail::ops<T>::Make(len, len);
}

template <class T>
slice<T> make(size_t len, size_t cap) {
  return slices::detail::ops<T>::Make(len, cap);
}

// ---- append ----------------------------------------------------------------------------------

// append(s, v): the fast path is a store and one more owner-thread reference. Everything
// else (another thread's array, growth) is one out-of-line call that returns the array, so
// no slow path rejoins the fast one before `s = ...` drops a reference: the compiler sees
// the increment and the decrement back to back and cancels them.
// (A pending result as s — `append(append(x, 1), 2)` after growth — is not counted by
// this thread, so it takes the slow branch, where it becomes Go's array first.)
template <class T>
GORT_INLINE slice<T> append(const slice<T>& s, const std::type_identity_t<T>& v) {
  using ops = slices::detail::ops<T>;
  if (ops::FastAppend(s)) [[likely]] {
    s.data()[s.len()] = v;
    return ops::ShareHere(s, s.len() + 1);
  }
  if (ops::Pending(ops::Arr(s))) [[unlikely]] ops::Settle(s);
  return ops::Result(s, ops::Slow(s, v), s.len() + 1);
}

// The result slot of an lvalue append (a default argument: see "Results of append on an
// lvalue"); callers never name it.
template <class T>
using append_result = slices::detail::result<T>;

// append(s, v) on a non-const lvalue: the fast path is a store; the result borrows s's array
// (no reference count) from a slot that lives until the end of the caller's expression.
// Growth is one out-of-line call that grows s's array in place when it can (s's header is
// patched, the result pending) or returns a new array (the result owns it).
template <class T>
GORT_INLINE const slice<T>& append(slice<T>& s, const std::type_identity_t<T>& v,
                                   append_result<T>&& r = append_result<T>()) {
  using ops = slices::detail::ops<T>;
  size_t len = s.len(), cap = s.cap();
  if (len < cap) [[likely]] {
    s.data()[len] = v;
    return r.Borrow(ops::Arr(s), s.data(), len + 1, cap);
  }
  return ops::GrowLvalue(s, v, r);
}

template <class T>
GORT_INLINE slice<T> append(slice<T>&& s, const std::type_identity_t<T>& v) {
  using ops = slices::detail::ops<T>;
  if (s.len() < s.cap()) [[likely]] {
    s.data()[s.len()] = v;
    return ops::Take(s, s.len() + 1);
  }
  return ops::AppendGrowOwned(s, v);
}

// append(s) is s.
template <class T>
slice<T> append(const slice<T>& s) {
  return s;
}

// append(s, a, b, c...)
template <class T, class... U>
  requires(sizeof...(U) >= 2 && (std::is_convertible_v<U, T> && ...))
slice<T> append(const slice<T>& s, U&&... vs) {
  T tmp[] = {T(std::forward<U>(vs))...};
  return slices::detail::ops<T>::AppendN(s, tmp, sizeof...(U));
}

template <class T, class... U>
  requires(sizeof...(U) >= 2 && (std::is_convertible_v<U, T> && ...))
slice<T> append(slice<T>&& s, U&&... vs) {
  T tmp[] = {T(std::forward<U>(vs))...};
  return slices::detail::ops<T>::AppendNOwned(s, tmp, sizeof...(U));
}

// append(s, t...): t may be s itself, or overlap it.
template <class T>
slice<T> append(const slice<T>& s, const slice<T>& t) {
  return slices::detail::ops<T>::AppendN(s, t.data(), t.len());
}

template <class T>
const slice<T>& append(slice<T>& s, const slice<T>& t, append_result<T>&& r = append_result<T>()) {
  return slices::detail::ops<T>::AppendNLvalue(s, t.data(), t.len(), r);
}

template <class T>
slice<T> append(slice<T>&& s, const slice<T>& t) {
  slice<T> keep = t;  // keeps t's array alive, and makes s's array shared if t is in it
  return slices::detail::ops<T>::AppendNOwned(s, keep.data(), keep.len());
}

// append(s, r...) for any contiguous range of T (std::vector, std::array, std::span...).
template <class T, std::ranges::contiguous_range R>
  requires std::is_same_v<std::ranges::range_value_t<R>, T>
slice<T> append_range(const slice<T>& s, R&& r) {
  return slices::detail::ops<T>::AppendN(s, std::ranges::data(r), std::ranges::size(r));
}

template <class T, std::ranges::contiguous_range R>
  requires std::is_same_v<std::ranges::range_value_t<R>, T>
const slice<T>& append_range(slice<T>& s, R&& r, append_result<T>&& slot = append_result<T>()) {
  return slices::detail::ops<T>::AppendNLvalue(s, std::ranges::data(r), std::ranges::size(r), slot);
}

// What cannot be appended says what to write (a static_assert, under GCC and Clang alike,
// instead of a list of candidates that did not match).
namespace slices::detail {
template <class>
inline constexpr bool kNever = false;
}  // namespace slices::detail

template <class T, class U>
  requires(!std::is_convertible_v<U, T> && !std::is_same_v<std::remove_cvref_t<U>, slice<T>>)
slice<T> append(const slice<T>&, U&&) {
  static_assert(slices::detail::kNever<U>,
                "gort::append(s, v): v must convert to s's element type T. To append another "
                "gort::slice<T> t write gort::append(s, t) (Go's append(s, t...)); for any "
                "other contiguous range r (std::vector, std::array, std::span) write "
                "gort::append_range(s, r)");
  return {};
}

// ---- copy, clone, clip -----------------------------------------------------------------------

// Go's copy: min(len(dst), len(src)) elements, as memmove; returns the count.
template <class T>
size_t copy(const slice<T>& dst, std::type_identity_t<std::span<const T>> src) {
  using ops = slices::detail::ops<T>;
  if (ops::Pending(ops::Arr(dst))) [[unlikely]] ops::Settle(dst);  // writes go to Go's array
  size_t n = std::min(dst.len(), src.size());
  slices::detail::ops<T>::Move(dst.data(), src.data(), n);
  return n;
}

template <class T>
size_t copy(const slice<T>& dst, const slice<T>& src) {
  return copy(dst, std::span<const T>(src));
}

// Go's slices.Clone: a copy in an array of its own (nil stays nil). Lets a big array go:
// s = gort::clone(s).
template <class T>
slice<T> clone(const slice<T>& s) {
  if (s.is_nil()) return {};
  return slices::detail::ops<T>::Clone(s.data(), s.len());
}

// Go's slices.Clip: s[:len:len], so the next append cannot write into shared room.
template <class T>
slice<T> clip(const slice<T>& s) {
  return s.sub(0, s.len(), s.len());
}

template <class T>
slice<T> clip(slice<T>&& s) {
  size_t n = s.len();
  return std::move(s).sub(0, n, n);
}

// Arrays allocated by slices and not yet freed, in the whole process (for tests and stats).
inline int64_t live_arrays() noexcept {
  return slices::rt::LiveArrays();
}

namespace slices {
// Settles this thread's entries on the merge queue now (array.h, step 4) instead of at its
// next allocation or exit: arrays whose last reference another thread dropped are freed.
inline void flush_thread() { rt::Drain(); }
}  // namespace slices

}  // namespace gort
