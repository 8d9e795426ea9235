/* main.c — a C program using the installed gort: gort_malloc and friends, malloc untouched.
 * Prints "consumer: ok" and exits 0 when every allocation went where it should. */
#include <gort/gort.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIB ((size_t)1 << 20)

static int failed = 0;
static void check(int ok, const char* what) {
  if (!ok) {
    fprintf(stderr, "consumer: FAIL: %s\n", what);
    failed = 1;
  }
}

static uint64_t large_inuse(void) {
  struct gort_stats s;
  gort_get_stats(&s);
  return s.large_inuse;
}

int main(void) {
  uint64_t base = large_inuse();
  char* p = gort_malloc(4 * MIB);
  check(p != NULL, "gort_malloc(4 MiB)");
  memset(p, 0x5a, 4 * MIB);
  check(large_inuse() >= base + 4 * MIB, "gort_malloc's block shows in gort's heap");
  check(gort_malloc_usable_size(p) >= 4 * MIB, "gort_malloc_usable_size");
  p = gort_realloc(p, 8 * MIB);
  check(p != NULL && p[4 * MIB - 1] == 0x5a, "gort_realloc keeps contents");
  gort_free(p);
  check(large_inuse() == base, "gort_free gives the block back");

  void* q = gort_calloc(1000, 1000);
  check(q != NULL && ((char*)q)[999999] == 0, "gort_calloc");
  gort_free(q);
  void* a = NULL;
  check(gort_posix_memalign(&a, 4096, 100) == 0 && ((uintptr_t)a & 4095) == 0, "gort_posix_memalign");
  gort_free(a);

  /* Linking gort::alloc must leave the program's malloc alone. */
  void* m = malloc(4 * MIB);
  check(m != NULL && large_inuse() == base, "malloc is not gort's");
  free(m);

  if (!failed) printf("consumer: ok\n");
  return failed;
}
