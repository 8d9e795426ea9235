// escape/std.cc — escape summaries of imported standard-library functions.
//
// The compiler reads these from the export data of the imported package (each parameter's
// leak tag). So does gort: the front end decodes the tags from the export data Go 1.19
// installs under $GOROOT/pkg (escape/frontend/exportdata.go) and hands them over in the IR
// (Program::externs); those come first. The reviewed table below covers the common
// functions when no export data is installed (newer Go releases ship none): each row is
// what the compiler's -m flag reports for the function in Go 1.19, the parameter's
// dereference count to the heap and to results 0 and 1 (-1: never). Parameters without
// pointers are not listed. A call to an imported function found in neither is analysed
// conservatively (every argument escapes) and noted on stderr.
#include <string_view>

#include "escape/escape.h"

namespace gort::escape {

namespace {

struct Row {
  std::string_view fn;
  int param;
  int heap, r0, r1;
};

constexpr Row kTable[] = {
    // fmt: the ... argument's contents (the boxed values) escape; formats do not.
    {"fmt.Print", 0, 1, -1, -1},
    {"fmt.Println", 0, 1, -1, -1},
    {"fmt.Printf", 0, -1, -1, -1},
    {"fmt.Printf", 1, 1, -1, -1},
    {"fmt.Sprint", 0, 1, -1, -1},
    {"fmt.Sprintln", 0, 1, -1, -1},
    {"fmt.Sprintf", 0, -1, -1, -1},
    {"fmt.Sprintf", 1, 1, -1, -1},
    {"fmt.Errorf", 0, -1, -1, -1},
    {"fmt.Errorf", 1, 1, -1, -1},
    {"fmt.Fprint", 0, 0, -1, -1},
    {"fmt.Fprint", 1, 1, -1, -1},
    {"fmt.Fprintln", 0, 0, -1, -1},
    {"fmt.Fprintln", 1, 1, -1, -1},
    {"fmt.Fprintf", 0, 0, -1, -1},
    {"fmt.Fprintf", 1, -1, -1, -1},
    {"fmt.Fprintf", 2, 1, -1, -1},
    // errors.New keeps its text in a heap-allocated errorString.
    {"errors.New", 0, 0, -1, -1},
    // strings: searching and comparing keep nothing; trimming may return its argument.
    {"strings.Contains", 0, -1, -1, -1},
    {"strings.Contains", 1, -1, -1, -1},
    {"strings.HasPrefix", 0, -1, -1, -1},
    {"strings.HasPrefix", 1, -1, -1, -1},
    {"strings.HasSuffix", 0, -1, -1, -1},
    {"strings.HasSuffix", 1, -1, -1, -1},
    {"strings.Index", 0, -1, -1, -1},
    {"strings.Index", 1, -1, -1, -1},
    {"strings.IndexByte", 0, -1, -1, -1},
    {"strings.Compare", 0, -1, -1, -1},
    {"strings.Compare", 1, -1, -1, -1},
    {"strings.EqualFold", 0, -1, -1, -1},
    {"strings.EqualFold", 1, -1, -1, -1},
    {"strings.TrimSpace", 0, -1, 0, -1},
    {"strings.TrimPrefix", 0, -1, 0, -1},
    {"strings.TrimPrefix", 1, -1, -1, -1},
    {"strings.TrimSuffix", 0, -1, 0, -1},
    {"strings.TrimSuffix", 1, -1, -1, -1},
    // runtime
    {"runtime.KeepAlive", 0, -1, -1, -1},
};

}  // namespace

bool LookupExtern(const Program& prog, const std::string& name, int param, ExternParam* out) {
  if (auto it = prog.externs.find(name); it != prog.externs.end()) {
    if (param < 0 || param >= static_cast<int>(it->second.size())) return false;
    const ExternLeaks& l = it->second[param];
    out->heap = l[0];
    for (int i = 0; i < Leaks::kResults; i++) out->results[i] = l[1 + i];
    return true;
  }
  bool known = false;
  for (const Row& r : kTable) {
    if (r.fn != name) continue;
    known = true;
    if (r.param == param) {
      *out = ExternParam{r.heap, {r.r0, r.r1, -1, -1, -1, -1, -1}};
      return true;
    }
  }
  // sync/atomic's functions are assembly without //go:noescape: every pointer leaks.
  if (!known && name.rfind("sync/atomic.", 0) == 0 && name.find('(') == std::string::npos) {
    *out = ExternParam{0, {-1, -1, -1, -1, -1, -1, -1}};
    return true;
  }
  if (known) *out = ExternParam{};  // a listed function's unlisted parameter has no pointers
  return known;
}

}  // namespace gort::escape
