// gort_oracle_regen [GOLDEN...] — rewrites golden files from their oracles (oracles.txt):
// all of them, or the ones named (paths under tests/, as in oracles.txt). A golden file is
// written only when its oracle succeeded; the exit status is 1 when any oracle failed.
#include <algorithm>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "tests/oracle/oracle.h"

namespace gort::oracle {
namespace {

bool Wanted(const Row& row, const std::vector<std::string>& names) {
  return names.empty() || std::find(names.begin(), names.end(), row.golden) != names.end();
}

bool Regenerate(const Row& row) {
  Result run = RunOracle(row);
  if (!run.ok()) {
    std::cerr << row.golden << ": " << run << "\n";
    return false;
  }
  std::string path = TestsPath(row.golden);
  bool same = ReadFile(path) == run.out;
  if (!same) std::ofstream(path, std::ios::binary) << run.out;
  std::cout << row.golden << (same ? ": unchanged\n" : ": rewritten\n");
  return true;
}

int Main(const std::vector<std::string>& names) {
  if (Go().go.empty()) {
    std::cerr << Go().problem << "\n";
    return 1;
  }
  std::cout << "with " << Go().version << " (" << Go().go << ")\n";
  int failed = 0, done = 0;
  for (const Row& row : Rows())
    if (Wanted(row, names)) done++, failed += !Regenerate(row);
  if (done < int(names.size())) std::cerr << "some names are not golden files of oracles.txt\n";
  return failed > 0 || done < int(names.size()) || Rows().empty();
}

}  // namespace
}  // namespace gort::oracle

int main(int argc, char** argv) { return gort::oracle::Main({argv + 1, argv + argc}); }
