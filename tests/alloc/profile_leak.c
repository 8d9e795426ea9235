/* profile_leak.c — a program with one deliberate leak site among noise, for profile_test.sh.
   It prints the true totals: bytes allocated in all, and bytes still in use at exit.
   With an argument N, it raises signal N after the leak, and again at the end. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void* keep[1 << 18];
static int nkeep;
static unsigned long long allocated, inuse;

/* The leak: 200,000 blocks of 320 bytes, never freed. */
__attribute__((noinline)) void leak_site(size_t n, size_t size) {
  for (size_t i = 0; i < n; i++) {
    keep[nkeep] = malloc(size);
    memset(keep[nkeep], 1, 8);
    nkeep++;
    allocated += size;
    inuse += size;
  }
}

/* Noise: rounds of 256 blocks of 16 to 4015 bytes, all freed. */
__attribute__((noinline)) void noise(int rounds, unsigned seed) {
  void* tmp[256];
  for (int k = 0; k < rounds; k++) {
    for (int i = 0; i < 256; i++) {
      seed = seed * 1103515245u + 12345u;
      const size_t n = 16 + (seed >> 16) % 4000;
      tmp[i] = malloc(n);
      memset(tmp[i], 2, 8);
      allocated += n;
    }
    for (int i = 0; i < 256; i++) free(tmp[i]);
  }
}

/* A small keeper: 1,000 blocks of 100 bytes. */
__attribute__((noinline)) void small_keep(void) {
  for (int i = 0; i < 1000; i++) {
    keep[nkeep++] = malloc(100);
    allocated += 100;
    inuse += 100;
  }
}

int main(int argc, char** argv) {
  const int sig = argc > 1 ? atoi(argv[1]) : 0;
  noise(1000, 1);
  leak_site(200000, 320);
  if (sig != 0) raise(sig);
  small_keep();
  noise(1000, 2);
  if (sig != 0) raise(sig);
  printf("allocated %llu inuse %llu\n", allocated, inuse);
  return 0;
}
