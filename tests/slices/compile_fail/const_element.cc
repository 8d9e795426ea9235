// expect: T must be a non-const object type
#include "slices/slice.h"
int main() {
  gort::slice<const int> s;
  return int(s.len());
}
