// fastrand.cc — see fastrand.h.
#include "alloc/fastrand.h"

#include <sys/random.h>
#include <time.h>

#include "alloc/thread.h"

namespace gort::alloc {

constinit thread_local uint64_t tl_fastrand __attribute__((tls_model("initial-exec"))) = 0;

uint64_t FastrandSeedThread() {
  uint64_t s = 0;
  if (getrandom(&s, sizeof s, GRND_NONBLOCK) != ssize_t(sizeof s)) {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    s = (ThreadSerial() * 0x9e3779b97f4a7c15ull) ^ uint64_t(ts.tv_nsec) ^
        (uint64_t(ts.tv_sec) << 32) ^ reinterpret_cast<uintptr_t>(&s);
  }
  if (s == 0) s = 1;
  tl_fastrand = s;
  return s;
}

}  // namespace gort::alloc
