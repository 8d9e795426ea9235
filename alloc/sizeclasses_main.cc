// gort-sizeclasses — prints the size-class table with its waste, like Go's sizeclasses.go
// header: bytes per object and span, objects, tail waste, worst-case waste, alignment, and
// the thread-cache batch and limit derived from each class.
#include <cstdio>

#include "alloc/sizeclasses.h"

using namespace gort::alloc;

int main() {
  std::printf("%5s %9s %10s %7s %10s %9s %9s %6s %9s\n", "class", "bytes/obj", "bytes/span",
              "objects", "tail waste", "max waste", "min align", "batch", "cache lim");
  for (int c = 1; c < kNumClasses; c++) {
    size_t size = kClassSize[c], span = kClassPages[c] * kPageSize, n = ClassObjects(c);
    size_t tail = span - n * size;
    size_t prev = kClassSize[c - 1];
    // Worst case: every object holds prev+1 bytes.
    double maxwaste = double(span - (prev + 1) * n) / double(span) * 100.0;
    size_t align = size & (~size + 1);
    if (align > kPageSize) align = kPageSize;
    std::printf("%5d %9zu %10zu %7zu %10zu %8.2f%% %9zu %6u %9u\n", c, size, span, n, tail,
                maxwaste, align, ClassBatch(c), ClassCacheLimit(c));
  }
  return 0;
}
