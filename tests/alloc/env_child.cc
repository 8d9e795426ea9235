// env_child.cc — a small program for env_test: it allocates through malloc (gort::override),
// from two threads, and reports whether freeing 1 MiB released memory to the OS — which
// shows the GORT_RETAIN_MB in force (16 MiB by default: no release; 0: release at once).
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "tests/alloc/test_util.h"

namespace {

bool Churn(unsigned seed) {
  gort_test::Rng r(seed);
  void* ps[64] = {};
  for (int i = 0; i < 20000; i++) {
    void*& p = ps[r.Below(64)];
    free(p);
    size_t n = r.Chance(2) ? r.Range(40000, 200000) : r.Below(2000);
    p = malloc(n);
    if (p == nullptr) return false;
    memset(p, 1, n);
  }
  for (void* p : ps) free(p);
  return true;
}

}  // namespace

int main() {
  bool ok = true;
  std::thread t([&] { ok = Churn(1) && ok; });
  ok = Churn(2) && ok;
  t.join();
  gort_stats before{}, after{};
  gort_get_stats(&before);
  void* p = malloc(size_t{1} << 20);
  if (p == nullptr) return 1;
  memset(p, 7, size_t{1} << 20);
  free(p);
  gort_get_stats(&after);
  printf("released: %s\n", after.released > before.released ? "yes" : "no");
  printf("env_child: %s\n", ok ? "ok" : "allocation failed");
  return ok ? 0 : 1;
}
