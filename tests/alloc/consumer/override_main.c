/* override_main.c — linked with the installed gort::override: malloc itself is gort's. */
#include <gort/gort.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
  struct gort_stats before, during, after;
  gort_get_stats(&before);
  char* p = malloc((size_t)4 << 20);
  if (p == NULL) return 1;
  memset(p, 1, (size_t)4 << 20);
  gort_get_stats(&during);
  free(p);
  gort_get_stats(&after);
  if (during.large_inuse < before.large_inuse + ((size_t)4 << 20) || after.large_inuse != before.large_inuse) {
    fprintf(stderr, "consumer_override: FAIL: malloc is not gort's\n");
    return 1;
  }
  printf("consumer_override: ok\n");
  return 0;
}
