// check.cc — Fatal and allocation-free printing.
#include "alloc/check.h"

#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace gort::alloc {

void Print(const char* s) {
  size_t n = strlen(s);
  while (n > 0) {
    ssize_t w = write(2, s, n);
    if (w <= 0) return;
    s += w;
    n -= size_t(w);
  }
}

void PrintHex(uintptr_t v) {
  char buf[19] = "0x";
  int i = 17;
  buf[18] = '\0';
  do {
    buf[i--] = "0123456789abcdef"[v & 15];
    v >>= 4;
  } while (v != 0 && i >= 2);
  memmove(buf + 2, buf + i + 1, size_t(17 - i));
  buf[2 + 17 - i] = '\0';
  Print(buf);
}

void PrintDec(uint64_t v) {
  char buf[21];
  int i = 20;
  buf[i] = '\0';
  do {
    buf[--i] = char('0' + v % 10);
    v /= 10;
  } while (v != 0);
  Print(buf + i);
}

void Fatal(const char* what, uintptr_t addr) {
  Print("fatal error: ");
  Print(what);
  if (addr != ~uintptr_t{0}) {
    Print(" ");
    PrintHex(addr);
  }
  Print("\n");
  abort();
}

}  // namespace gort::alloc
