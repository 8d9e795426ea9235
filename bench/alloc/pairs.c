/* pairs.c — the callgrind driver: n malloc(64)+free pairs in one of two patterns.
 *
 *   pairs N 0   malloc, free, malloc, free ... (N pairs, one object live at a time)
 *   pairs N 1   N/100 rounds of 100 mallocs of 64 B, then their 100 frees
 *
 * report_alloc.py runs it under `valgrind --tool=callgrind` with the contender in LD_PRELOAD,
 * for N = 100000 and N = 200000; the difference of the two instruction totals over 100000 is
 * the cost of one pair, start-up and exit cancelled, loop overhead equal for all contenders.
 * The first line printed names the library that serves malloc (a check that the preload took).
 * Every pointer goes through an empty asm, so the compiler cannot drop a malloc/free pair. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

enum { kSize = 64, kRound = 100 };

static void escape(void* p) { __asm__ volatile("" : : "r"(p) : "memory"); }

static void one_at_a_time(long n) {
  for (long i = 0; i < n; i++) {
    void* p = malloc(kSize);
    escape(p);
    free(p);
  }
}

static void rounds_of_100(long n) {
  void* objs[kRound];
  for (long r = 0; r < n / kRound; r++) {
    for (int i = 0; i < kRound; i++) escape(objs[i] = malloc(kSize));
    for (int i = 0; i < kRound; i++) free(objs[i]);
  }
}

static const char* malloc_library(void) {
  Dl_info info;
  return dladdr((void*)&malloc, &info) != 0 && info.dli_fname ? info.dli_fname : "unknown";
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: pairs N MODE   (MODE 0: malloc-free loop, 1: rounds of 100)\n");
    return 2;
  }
  long n = atol(argv[1]);
  int mode = atoi(argv[2]);
  printf("malloc_library %s\n", malloc_library());
  if (mode == 0) one_at_a_time(n);
  else rounds_of_100(n);
  return 0;
}
