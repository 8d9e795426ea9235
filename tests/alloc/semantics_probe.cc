// semantics_probe.cc — prints what the C allocation surface does at its corner cases, one
// line per case, so glibc_semantics.sh can compare gort against glibc live.
//
// The same source runs three ways: plain (glibc, the reference), linked with gort::override,
// and plain under LD_PRELOAD=libgort.so. Only what glibc promises is printed — NULL or not,
// errno, alignment reached, usable size covered — never addresses or exact usable sizes.
// The first line says whose malloc answered, so a comparison cannot pass by accident.
#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "tests/alloc/test_util.h"

namespace {

using gort_test::CeilPow2;
using gort_test::FundamentalAlign;
using gort_test::IsAligned;

constexpr size_t kHalf = SIZE_MAX / 2 + 1;

std::string ErrnoName(int e) {
  switch (e) {
    case 0: return "0";
    case ENOMEM: return "ENOMEM";
    case EINVAL: return "EINVAL";
    default: return std::to_string(e);
  }
}

void Line(const std::string& what, const std::string& outcome) {
  printf("%-44s %s\n", what.c_str(), outcome.c_str());
}

// "NULL ENOMEM", or "ok" plus any broken promise; frees p.
std::string Outcome(void* p, size_t align, size_t want) {
  if (p == nullptr) return "NULL " + ErrnoName(errno);
  std::string s = "ok";
  if (!IsAligned(p, align)) s += " misaligned(want " + std::to_string(align) + ")";
  if (malloc_usable_size(p) < want) s += " short";
  if (errno != 0) s += " errno=" + ErrnoName(errno);
  memset(p, 0x77, want);
  free(p);
  return s;
}

std::string Z(size_t n) {
  if (n == SIZE_MAX) return "SIZE_MAX";
  if (n == kHalf) return "2^63";
  if (n == kHalf + 1) return "2^63+1";
  return std::to_string(n);
}

void Malloc() {
  for (size_t n : {size_t{0}, size_t{1}, size_t{24}, size_t{32768}, size_t{32769}, size_t{1} << 22,
                   SIZE_MAX, SIZE_MAX - 4096, kHalf, size_t{PTRDIFF_MAX} + 1, size_t{1} << 50}) {
    errno = 0;
    Line("malloc(" + Z(n) + ")", Outcome(malloc(n), FundamentalAlign(n), n));
  }
  // Alignment of plain malloc, over several blocks of each size (C23: any type that fits).
  for (size_t n : {size_t{8}, size_t{16}, size_t{24}, size_t{40}, size_t{48}, size_t{100}, size_t{1000}}) {
    bool ok = true;
    void* ps[8];
    for (void*& p : ps) ok = (p = malloc(n)) != nullptr && IsAligned(p, FundamentalAlign(n)) && ok;
    for (void* p : ps) free(p);
    Line("malloc(" + Z(n) + ") x8 aligned to " + std::to_string(FundamentalAlign(n)), ok ? "yes" : "NO");
  }
  void* a = malloc(0);
  void* b = malloc(0);
  Line("malloc(0) twice: distinct", a != nullptr && b != nullptr && a != b ? "yes" : "no");
  free(a);
  free(b);
  errno = 4321;
  free(malloc(100));
  free(malloc(size_t{1} << 21));
  free(nullptr);
  Line("errno after malloc+free", errno == 4321 ? "unchanged" : ErrnoName(errno));
}

void Calloc() {
  const size_t pairs[][2] = {{0, 0}, {0, 10}, {10, 0}, {3, 7}, {kHalf, 2}, {2, kHalf}, {SIZE_MAX, SIZE_MAX},
                             {size_t{1} << 32, size_t{1} << 32}, {1, SIZE_MAX}, {size_t{1} << 20, 3}};
  for (const auto& pr : pairs) {
    errno = 0;
    size_t n = pr[0] * pr[1];
    void* p = calloc(pr[0], pr[1]);
    bool zero = p == nullptr || gort_test::AllZero(p, n);
    Line("calloc(" + Z(pr[0]) + ", " + Z(pr[1]) + ")", Outcome(p, FundamentalAlign(n), 0) + (zero ? "" : " DIRTY"));
  }
}

void Realloc() {
  errno = 0;
  Line("realloc(NULL, 0)", Outcome(realloc(nullptr, 0), 1, 0));
  Line("realloc(NULL, 100)", Outcome(realloc(nullptr, 100), 16, 100));
  for (size_t n : {size_t{100}, size_t{1} << 20}) {
    void* p = malloc(n);
    errno = 0;
    void* q = realloc(p, 0);
    Line("realloc(malloc(" + Z(n) + "), 0)", q == nullptr ? "NULL " + ErrnoName(errno) : "non-NULL");
    free(q);
    for (size_t huge : {SIZE_MAX, kHalf}) {
      p = malloc(n);
      gort_test::Fill(p, n, n);
      errno = 0;
      q = realloc(p, huge);
      std::string s = q == nullptr ? "NULL " + ErrnoName(errno) : "non-NULL";
      s += gort_test::Intact(p, n, n) ? ", block kept" : ", block LOST";
      Line("realloc(malloc(" + Z(n) + "), " + Z(huge) + ")", s);
      free(q == nullptr ? p : q);
    }
  }
  errno = 0;
  void* p = malloc(10);
  Line("reallocarray(p, 2^63, 2)", Outcome(reallocarray(p, kHalf, 2), 1, 0));
  free(p);
  Line("reallocarray(NULL, 3, 5)", Outcome(reallocarray(nullptr, 3, 5), 1, 15));
}

void PosixMemalign() {
  for (size_t a : {size_t{0}, size_t{1}, size_t{2}, size_t{4}, size_t{8}, size_t{12}, size_t{16}, size_t{24},
                   size_t{48}, size_t{64}, size_t{4096}, size_t{4097}, size_t{1} << 20, kHalf, SIZE_MAX}) {
    for (size_t n : {size_t{1}, size_t{100}}) {
      void* out = &out;
      errno = 0;
      int rc = posix_memalign(&out, a, n);
      std::string s = "rc=" + ErrnoName(rc);
      if (rc == 0) s += " " + Outcome(out, a, n);
      else s += out == &out ? " out untouched" : " out CHANGED";
      Line("posix_memalign(" + Z(a) + ", " + Z(n) + ")", s);
    }
  }
  void* out = &out;
  Line("posix_memalign(16, SIZE_MAX)", "rc=" + ErrnoName(posix_memalign(&out, 16, SIZE_MAX)));
}

// memalign and aligned_alloc (the same function in glibc 2.36).
void Memalign() {
  for (size_t a : {size_t{0}, size_t{1}, size_t{3}, size_t{8}, size_t{12}, size_t{16}, size_t{24}, size_t{48},
                   size_t{100}, size_t{4096}, size_t{5000}, size_t{65537}, size_t{1} << 21, kHalf, kHalf + 1,
                   SIZE_MAX}) {
    for (size_t n : {size_t{1}, size_t{1000}, size_t{100000}}) {
      size_t want = a <= 1 ? 1 : a > kHalf ? 1 : CeilPow2(a);
      errno = 0;
      Line("memalign(" + Z(a) + ", " + Z(n) + ")", Outcome(memalign(a, n), want, n));
      errno = 0;
      Line("aligned_alloc(" + Z(a) + ", " + Z(n) + ")", Outcome(aligned_alloc(a, n), want, n));
    }
  }
  errno = 0;
  Line("memalign(64, SIZE_MAX)", Outcome(memalign(64, SIZE_MAX), 64, 0));
}

void Pages() {
  const size_t page = size_t(sysconf(_SC_PAGESIZE));
  for (size_t n : {size_t{0}, size_t{1}, page - 1, page, page + 1, size_t{100000}, SIZE_MAX, SIZE_MAX - page}) {
    errno = 0;
    Line("valloc(" + Z(n) + ")", Outcome(valloc(n), page, n == SIZE_MAX ? 0 : n));
    errno = 0;
    size_t whole = n > SIZE_MAX - page ? 0 : (n + page - 1) / page * page;
    Line("pvalloc(" + Z(n) + ")", Outcome(pvalloc(n), page, whole));
  }
  Line("malloc_usable_size(NULL)", std::to_string(malloc_usable_size(nullptr)));
}

// Whose malloc is this? glibc's, or someone's interposed on it.
std::string Owner() {
  void* libc = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
  void* theirs = libc == nullptr ? nullptr : dlsym(libc, "malloc");
  void* ours = dlsym(RTLD_DEFAULT, "malloc");
  return ours != nullptr && ours == theirs ? "glibc" : "interposed";
}

}  // namespace

int main() {
  printf("malloc: %s\n", Owner().c_str());
  Malloc();
  Calloc();
  Realloc();
  PosixMemalign();
  Memalign();
  Pages();
  return 0;
}
