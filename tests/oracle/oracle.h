// oracle.h — the one runner of the Go oracles, for every suite (alloc, slices, maps).
//
// Fidelity to Go 1.19 is measured against the real runtime: small Go programs
// (tests/*/oracle/*.go) print what the runtime does, their outputs are committed as golden
// files, and the tests compare gort's answers with the golden files always and with a fresh
// run of the oracle when a go toolchain is at hand. oracles.txt, beside this file, is the one
// table of which oracle, with which arguments, writes which golden file.
//
// A live check walks through the runner like this:
//   1. GORT_REQUIRE_GO() finds the toolchain once per process (Go()): $GORT_GO when set
//      (GORT_GO=none turns live checks off), else `go` on PATH, else /usr/lib/go-1.19/bin/go;
//      a go1.19 among them wins over another version. None found: the test is skipped
//      (GTEST_SKIP, with the reason); GORT_GO naming a command that does not run: it fails.
//   2. Live("maps/golden/growth_seq.txt") looks up that golden file's row of oracles.txt and
//      runs `go run growth.go seq 1000000` in the oracle's directory, once per process.
//   3. The run is hermetic and offline: GO* variables of the caller are dropped (GOCACHE and
//      GOTMPDIR kept), then GO111MODULE=off, GOPROXY=off, GOTOOLCHAIN=local; GOCACHE points
//      into the build tree when the user's cache directory is not writable.
//   4. The test asserts run.ok() (streaming the Result prints the command, exit status and
//      stderr), then EXPECT_SAME_LINES(go.out, gort_text): on a difference it prints the
//      first differing line and its number.
// Golden files are read with Golden("slices/golden/grid.txt") (paths under tests/).
//
// Regenerating the golden files (after an oracle changes, on purpose):
//   cmake --build --preset release --target regen_goldens
// runs every row of oracles.txt and rewrites its golden file; gort_oracle_regen GOLDEN...
// (in the build tree, tests/oracle/) rewrites only the ones named. The churn tables of
// maps depend on the hash seed, so they come out different on every run (see growth.go).
#pragma once

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace gort::oracle {

// The go toolchain the runner uses.
struct Toolchain {
  std::string go;       // path of the go command; empty when there is none
  std::string version;  // what `go version` printed
  std::string root;     // what `go env GOROOT` printed (Go's sources are under root/src)
  std::string problem;  // why go is empty
  bool misconfigured = false;  // GORT_GO names a command that does not run: fail, not skip
};
const Toolchain& Go();

// One finished command.
struct Result {
  std::string command;  // as a shell would take it, with the directory it ran in
  int status = -1;      // exit status; 128 + N when signal N killed it; -1 when never started
  std::string out, err;
  bool ok() const { return status == 0; }
};
std::ostream& operator<<(std::ostream& os, const Result& run);  // command, status, stderr

// A row of oracles.txt: `go run <oracle> <args>` prints <golden>. Paths are under tests/.
struct Row {
  std::string golden, oracle;
  std::vector<std::string> args;
};
const std::vector<Row>& Rows();

// `go run <oracle> <args>` in the oracle's directory, hermetically; oracle is under tests/.
Result RunOracle(const Row& row);

// The oracle that writes `golden`, run now (once per process: later calls return the same
// run). A golden file oracles.txt does not list gives a Result that failed and says so.
const Result& Live(std::string_view golden);

// The absolute path of a file under tests/.
std::string TestsPath(std::string_view rel);

// The contents of tests/<golden>; "" and a test failure naming the path when it is unreadable.
std::string Golden(std::string_view golden);

// The contents of a file; "" when it cannot be read.
std::string ReadFile(const std::string& path);

// Exact equality of two texts; the failure names the first line that differs and its number.
// Use through EXPECT_SAME_LINES(want, got).
::testing::AssertionResult SameLines(const char* want_expr, const char* got_expr,
                                     std::string_view want, std::string_view got);

}  // namespace gort::oracle

#define EXPECT_SAME_LINES(want, got) EXPECT_PRED_FORMAT2(::gort::oracle::SameLines, want, got)
#define ASSERT_SAME_LINES(want, got) ASSERT_PRED_FORMAT2(::gort::oracle::SameLines, want, got)

// Skips the test when no go toolchain was found; fails it when GORT_GO is misconfigured.
#define GORT_REQUIRE_GO()                                              \
  do {                                                                 \
    const ::gort::oracle::Toolchain& gort_go_ = ::gort::oracle::Go();  \
    if (gort_go_.misconfigured) FAIL() << gort_go_.problem;            \
    if (gort_go_.go.empty()) GTEST_SKIP() << gort_go_.problem;         \
  } while (0)
