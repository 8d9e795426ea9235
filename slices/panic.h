// panic.h — Go's slice panics as C++ exceptions: bounds errors with Go's exact messages.
//
// Go reports a failed index or slice expression with a runtime.boundsError whose text names
// the operation and the numbers ("index out of range [5] with length 3", "slice bounds out
// of range [:7] with capacity 5"). gort throws gort::bounds_error with the same text (what()
// is Go's Error() without the "runtime error: " prefix) and keeps the parts (code, x, y) for
// programs that inspect them. Indices are size_t; one that is negative when read as a signed
// number (a wrapped -1) is printed as Go prints negative indices: "[-1]", no length.
// make() and append() past Go's limits throw gort::length_error ("makeslice: len out of
// range", "growslice: cap out of range").
//
// The throwing functions are out of line and cold, so a checked access costs one compare
// and one never-taken branch on the hot path.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <initializer_list>
#include <string>
#include <string_view>

namespace gort {

// Which check failed, as Go's boundsErrorCode; x and y are the numbers in the message.
enum class bounds_code : uint8_t {
  index,        // s[x]          x < len           "index out of range [x] with length y"
  slice_acap,   // s[:x]         x <= cap          "slice bounds out of range [:x] with capacity y"
  slice_b,      // s[x:y]        x <= y            "slice bounds out of range [x:y]"
  slice3_acap,  // s[::x]        x <= cap          "slice bounds out of range [::x] with capacity y"
  slice3_b,     // s[:x:y]       x <= y            "slice bounds out of range [:x:y]"
  slice3_c,     // s[x:y:]       x <= y            "slice bounds out of range [x:y:]"
};

class bounds_error : public std::out_of_range {
 public:
  bounds_error(bounds_code code, size_t x, size_t y)
      : std::out_of_range(Message(code, x, y)), code_(code), x_(x), y_(y) {}
  bounds_code code() const noexcept { return code_; }
  size_t x() const noexcept { return x_; }
  size_t y() const noexcept { return y_; }

  // Go's text for the error (runtime/error.go, boundsErrorFmts and boundsNegErrorFmts).
  static std::string Message(bounds_code code, size_t x, size_t y) {
    bool neg = static_cast<std::ptrdiff_t>(x) < 0;
    std::string xs = neg ? std::to_string(static_cast<std::ptrdiff_t>(x)) : std::to_string(x);
    std::string ys = std::to_string(y), m;
    switch (code) {
      case bounds_code::index:
        return Join(m, {"index out of range [", xs, "]", neg ? "" : " with length ", neg ? "" : ys});
      case bounds_code::slice_acap:
        return Join(m, {"slice bounds out of range [:", xs, "]", neg ? "" : " with capacity ",
                        neg ? "" : ys});
      case bounds_code::slice_b:
        return Join(m, {"slice bounds out of range [", xs, ":", neg ? "" : ys, "]"});
      case bounds_code::slice3_acap:
        return Join(m, {"slice bounds out of range [::", xs, "]", neg ? "" : " with capacity ",
                        neg ? "" : ys});
      case bounds_code::slice3_b:
        return Join(m, {"slice bounds out of range [:", xs, ":", neg ? "" : ys, "]"});
      case bounds_code::slice3_c:
        return Join(m, {"slice bounds out of range [", xs, ":", neg ? "" : ys, ":]"});
    }
    return "slice bounds out of range";
  }

 private:
  static std::string Join(std::string& m, std::initializer_list<std::string_view> parts) {
    for (std::string_view p : parts) m.append(p);
    return m;
  }

  bounds_code code_;
  size_t x_, y_;
};

// make() with a bad length or capacity, append() past Go's maximum allocation.
class length_error : public std::length_error {
 public:
  using std::length_error::length_error;
};

namespace slices {

[[noreturn, gnu::cold, gnu::noinline]] inline void PanicBounds(bounds_code code, size_t x,
                                                               size_t y) {
  throw bounds_error(code, x, y);
}

[[noreturn, gnu::cold, gnu::noinline]] inline void PanicLength(const char* what) {
  throw length_error(what);
}

}  // namespace slices
}  // namespace gort
