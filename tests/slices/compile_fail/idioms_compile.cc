// expect: (compiles)
// The Go idioms of tests/slices/idioms.h, which slices_test runs under GCC, must compile under
// every compiler this test is given (Clang among them).
#include "tests/slices/idioms.h"
int main() { return gort::slices::testing::GoIdioms().empty(); }
