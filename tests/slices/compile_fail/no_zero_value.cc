// expect: T needs a zero value
#include "slices/slice.h"
struct Handle {
  explicit Handle(int fd) : fd(fd) {}
  int fd;
};
int main() {
  gort::slice<Handle> s;
  return int(s.len());
}
