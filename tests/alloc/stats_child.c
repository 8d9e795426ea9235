/* stats_child.c — a program for stats_exit_test.sh, run under LD_PRELOAD=libgort.so.
 *
 *   stats_child [close-stderr | reuse-stderr FILE] [chdir DIR] [raise SIGNO]
 *
 * Holds 5000 objects of 100 bytes (the 112-byte class) and 3 blocks of 3 MiB until it exits,
 * prints "holding 5000 x 100, 3 x 3145728", then does what its arguments say: close fd 2
 * (as coreutils do before exit); or close it and open FILE, which takes descriptor 2, and
 * write "mine\n" there; change directory; raise a signal (GORT_HEAPMAP_SIGNAL's). */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void* held[5003];

int main(int argc, char** argv) {
  for (int i = 0; i < 5000; i++) held[i] = malloc(100);
  for (int i = 5000; i < 5003; i++) held[i] = malloc(3u << 20);
  for (int i = 0; i < 5003; i++)
    if (held[i] == NULL) return 1;
  printf("holding 5000 x 100, 3 x 3145728\n");
  fflush(stdout);
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "close-stderr") == 0) {
      close(2);
    } else if (strcmp(argv[i], "reuse-stderr") == 0 && i + 1 < argc) {
      close(2);
      int fd = open(argv[++i], O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd != 2) return 3;
      if (write(fd, "mine\n", 5) != 5) return 4;
    } else if (strcmp(argv[i], "chdir") == 0 && i + 1 < argc) {
      if (chdir(argv[++i]) != 0) return 5;
    } else if (strcmp(argv[i], "raise") == 0 && i + 1 < argc) {
      raise(atoi(argv[++i]));
    } else {
      return 2;
    }
  }
  return 0;
}
