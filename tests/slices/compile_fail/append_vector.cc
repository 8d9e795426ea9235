// expect: gort::append_range(s, r)
#include <vector>
#include "slices/slice.h"
int main() {
  gort::slice<int> s;
  std::vector<int> v{1, 2};
  auto t = gort::append(s, v);
  return int(t.len());
}
