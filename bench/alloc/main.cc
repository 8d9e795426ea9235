// main.cc — bench-alloc's entry: registers every case and records which library serves malloc.
//
// bench-alloc never links an allocator; the contender is whatever the dynamic linker binds
// malloc to (LD_PRELOAD, or glibc). The context key "malloc_library" in the JSON output names
// that library (dladdr on malloc), so report.py can check the preload really took effect.
#include <dlfcn.h>

#include <cstdlib>
#include <string>

#include "bench/alloc/common.h"

namespace bench {

double MinTime() {
  const char* s = getenv("BENCH_MIN_TIME");
  double t = s != nullptr ? atof(s) : 0.0;
  return t > 0 ? t : 0.2;
}

std::string MallocLibrary() {
  Dl_info info{};
  void* sym = reinterpret_cast<void*>(&malloc);
  if (dladdr(sym, &info) == 0 || info.dli_fname == nullptr) return "unknown";
  return info.dli_fname;
}

}  // namespace bench

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::AddCustomContext("malloc_library", bench::MallocLibrary());
  bench::RegisterSingle();
  bench::RegisterThreads();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
