// escape/graph.h — the location graph of gort's escape analysis (Go: escape/graph.go).
//
// What it is. Escape analysis decides, for every variable and every allocating expression,
// whether its storage may live on the stack. It models the program as a graph: a node (a
// *location*) stands for a variable or for the storage an expression allocates; an edge
// dst <- src carries a dereference count ("derefs"): dst = *src is 1, dst = src is 0,
// dst = &src is -1. Special locations: the heap (everything reachable from it escapes) and
// the blank sink (flows into it are dropped).
//
// How a function batch walks through it:
//  1. walk.cc builds the graph from the IR of a batch (a strongly connected component of
//     the call graph, closures included with their enclosing function). Expression
//     evaluation is driven by *holes*: a hole is "where the value goes" plus how many
//     dereferences to apply; k.addr() / k.deref() / k.note() make derived holes.
//  2. solve.cc walks backwards from every location (the root) and computes, for each
//     location reaching it, the minimal derefs. A location whose address (derefs < 0)
//     reaches a root that outlives it escapes; a parameter reaching a root outside its
//     function leaks (to the heap, or to a result, at that many derefs).
//  3. finish writes the verdicts and each parameter's leak summary, which later batches
//     apply at their call sites instead of walking the callee again.
//
// Invariants: edge.derefs >= -1; a hole's derefs >= -1; an escaping location never gets
// new incoming edges of derefs < 0 (flow marks the source escaping instead); the heap
// location escapes from the start.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "escape/ir.h"

namespace gort::escape {

// Where and why a flow happened, for -m=2, --json and --dot.
struct FlowNote {
  const Node* where;
  std::string why;
};

// Leak summary of a parameter: minimal derefs at which it reaches the heap and each of the
// first kResults results; -1 = never.
class Leaks {
 public:
  static constexpr int kResults = 7;
  Leaks() { v_.fill(-1); }
  int Heap() const { return v_[0]; }
  int Result(int i) const { return v_[1 + i]; }
  void AddHeap(int derefs) { Add(0, derefs); }
  void AddResult(int i, int derefs) { Add(1 + i, derefs); }
  bool Empty() const;
  void Optimize();  // a result leak no shallower than the heap leak adds nothing
 private:
  void Add(int i, int derefs) {
    if (v_[i] < 0 || derefs < v_[i]) v_[i] = derefs;
  }
  std::array<int, 1 + kResults> v_;
};

struct Location;

struct Edge {
  Location* src;
  int derefs;
  std::vector<FlowNote> notes;
};

enum class LocKind { Heap, Blank, Var, Expr, Temp };

struct Location {
  LocKind kind = LocKind::Temp;
  const Node* n = nullptr;  // Expr: the allocating expression
  const Var* var = nullptr; // Var: the variable
  int fn = -1;              // enclosing function
  int loopDepth = 0;
  int resultIndex = 0;      // 1 + index for a result variable
  std::string why;          // reason it must be on the heap (too large, non-constant size)
  std::vector<Edge> edges;  // incoming

  // walk state
  int derefs = 0;
  uint32_t walkgen = 0;
  Location* dst = nullptr;
  int dstEdge = 0;
  bool queued = false;

  bool escapes = false;
  bool transient = false;
  Leaks paramEsc;
  bool captured = false, reassigned = false, addrtaken = false;
  std::vector<std::string> explanation;  // why it escapes / leaks (explain mode)

  bool IsParam() const { return kind == LocKind::Var && var->cls == VarClass::Param; }
  bool IsResult() const { return kind == LocKind::Var && var->cls == VarClass::Result; }
};

struct Hole {
  Hole() = default;
  explicit Hole(Location* d) : dst(d) {}

  Location* dst = nullptr;
  int derefs = 0;
  std::vector<FlowNote> notes;
  bool addrtaken = false;

  Hole Shift(int delta) const;
  Hole Note(const Node* where, const char* why, bool keep) const;
};

// One message of the analysis, in the order the compiler emits them.
struct Message {
  Pos pos;
  std::string text;
  bool explain = false;  // a -m=2 line
};

struct Options {
  int level = 1;         // -m level
  bool explain = false;  // keep notes and paths (-m=2, --json, --dot)
};

}  // namespace gort::escape
