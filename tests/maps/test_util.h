// test_util.h — what the maps tests share: Go's splitmix64 key stream and running an oracle.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "tests/maps/splitmix.h"

namespace gort::maps::test {

inline bool have_go() { return std::system("go version >/dev/null 2>&1") == 0; }

// Output of `go run <oracle> <args>`; ok is false when it failed.
inline std::string run_go(const std::string& oracle, const std::string& args, bool& ok) {
  std::string cmd = "cd /tmp && go run " + oracle + " " + args;
  FILE* f = popen(cmd.c_str(), "r");
  std::string out;
  if (f == nullptr) {
    ok = false;
    return out;
  }
  char buf[4096];
  size_t k;
  while ((k = fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, k);
  ok = pclose(f) == 0;
  return out;
}

}  // namespace gort::maps::test
