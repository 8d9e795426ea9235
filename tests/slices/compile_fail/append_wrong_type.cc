// expect: v must convert to s's element type T
#include "slices/slice.h"
int main() {
  gort::slice<int> s;
  auto t = gort::append(s, "seven");
  return int(t.len());
}
