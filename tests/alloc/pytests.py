"""pytests.py — runs modules of CPython's own test suite (Debian's libpython3.11-testsuite) and
prints one line per test with its outcome, so that two runs can be compared byte for byte.

    python3.11 pytests.py test_dict test_set ...

Timings, tracebacks and anything else that may differ from run to run stay off stdout: what
the tests print (some shuffle with an unseeded random) and what a failed or erroring test
raised go to stderr. Exit status 0 even when tests fail: the caller
compares the outcomes with another run's."""
import sys
import unittest


class Outcomes(unittest.TestResult):
    def __init__(self):
        super().__init__()
        self.lines = []

    def _add(self, test, what):
        self.lines.append(f"{test.id()}: {what}")

    def addSuccess(self, test):
        self._add(test, "ok")

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._add(test, "FAIL")
        print(self.failures[-1][1], file=sys.stderr)

    def addError(self, test, err):
        super().addError(test, err)
        self._add(test, "ERROR")
        print(self.errors[-1][1], file=sys.stderr)

    def addSkip(self, test, reason):
        self._add(test, "skipped")

    def addExpectedFailure(self, test, err):
        self._add(test, "expected failure")

    def addUnexpectedSuccess(self, test):
        self._add(test, "unexpected success")


def main(modules):
    from test import support

    support.verbose = False  # what tests print in verbose mode may vary (random input)
    total = 0
    for m in modules:
        result = Outcomes()
        out, sys.stdout = sys.stdout, sys.stderr  # whatever a test prints goes to stderr
        try:
            unittest.defaultTestLoader.loadTestsFromName("test." + m).run(result)
        finally:
            sys.stdout = out
        print("\n".join(result.lines))
        print(f"{m}: {result.testsRun} tests, {len(result.failures)} failed, "
              f"{len(result.errors)} errors", flush=True)
        total += result.testsRun
    print(f"all: {total} tests in {len(modules)} modules")


if __name__ == "__main__":
    main(sys.argv[1:])
