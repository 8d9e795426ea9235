// escape/escape.h — the analysis of a package, batch by batch (Go: escape/escape.go).
//
//  1. Analyze orders the functions bottom-up: strongly connected components of the static
//     call graph (Tarjan, in declaration order, as the compiler's VisitFuncsBottomUp), each
//     top-level function with its closures.
//  2. For each batch: every variable gets a location (initFunc), the bodies are walked into
//     the graph (walk.cc), closures' captured variables flow into them by value or by
//     reference, storage that cannot be on the stack flows to the heap, then the solver
//     (solve.cc) runs and finish() records verdicts, messages and leak summaries.
//  3. A later batch calling a finished function applies the callee's leak summaries; calls
//     into imported packages use the table in std.cc; anything else is conservative
//     (arguments flow to the heap) and noted on stderr.
#pragma once

#include <map>
#include <set>

#include "escape/graph.h"

namespace gort::escape {

// Summary of an imported function's parameter (std.cc).
struct ExternParam {
  int heap = -1;                                            // derefs to the heap, -1 never
  std::array<int, Leaks::kResults> results{-1, -1, -1, -1, -1, -1, -1};  // to each result
};
// The summary of parameter `param` (the receiver is parameter 0) of an imported function:
// from the export data the front end read (prog.externs), else from the table of std.cc.
// Returns false when neither knows the function.
bool LookupExtern(const Program& prog, const std::string& name, int param, ExternParam* out);

class Analysis {
 public:
  Analysis(const Program& prog, Options opts) : prog_(prog), opts_(opts) {}

  void Run();
  const std::vector<Message>& messages() const { return messages_; }
  const std::vector<std::string>& notes() const { return notes_; }
  // Every location of every batch, for --json and --dot.
  const std::deque<Location>& locations() const { return all_; }
  // Flows of an address into a location already on the heap: the solver needs no edge for
  // them (the source escapes at once), the pictures do. Kept in explain mode only.
  const std::vector<std::pair<const Location*, Edge>>& directEscapes() const { return direct_; }
  std::string LocName(const Location* l) const;   // as in flow lines: {storage for X}
  std::string NodeText(const Location* l) const;  // the variable or expression itself
  std::string FuncName(int fn) const;  // as the compiler prints it: (*T).m, (*T).m.func1

 private:
  friend class Walker;

  // batches
  std::vector<std::vector<int>> BottomUp() const;
  void Batch(const std::vector<int>& fns);
  void InitFunc(int fn);
  void WalkFunc(int fn);
  void FlowClosures();
  void Finish(const std::vector<int>& fns);
  void ParamTag(const Func& fn);

  // solver (solve.cc)
  void WalkAll();
  void WalkOne(Location* root, uint32_t walkgen, std::vector<Location*>& queue);
  bool Outlives(const Location* l, const Location* other) const;
  void LeakTo(Location* param, const Location* sink, int derefs);
  std::vector<std::string> ExplainPath(Location* root, Location* src);

  // graph
  Location* NewLoc(LocKind kind, const Node* n, const Var* v, int fn, int loopDepth,
                   bool transient);
  void Flow(const Hole& k, Location* src);
  Hole HeapHole() { return Hole{heap_}; }
  Hole DiscardHole() { return Hole{blank_}; }
  Location* VarLoc(int var);
  Pos LocPos(const Location* l) const;
  bool InMutualBatch(int fn) const { return state_[fn] != kTagged; }
  bool ContainsClosure(int f, int c) const;  // c is a closure nested in f
  std::vector<std::string> ExplainFlow(const Location* dst, const Location* src, int derefs,
                                       const std::vector<FlowNote>& notes) const;
  void Emit(Pos pos, std::string text, bool explain = false);
  void Note(const std::string& what);

  const Program& prog_;
  Options opts_;
  std::deque<Location> all_;        // every location ever made (stable addresses)
  std::vector<Location*> batchLocs_;
  std::map<int, Location*> varLoc_;
  Location* heap_ = nullptr;   // this batch's heap and blank sink (kept in all_)
  Location* blank_ = nullptr;
  struct Closure {
    Hole k;
    const Node* clo;
  };
  std::vector<Closure> closures_;
  std::map<int, Leaks> summaries_;  // parameter var id -> its leaks, once tagged
  enum State : uint8_t { kUnknown, kPlanned, kStarted, kTagged };
  std::vector<State> state_;
  std::vector<std::pair<const Location*, Edge>> direct_;
  std::vector<Message> messages_;
  std::vector<std::string> notes_;
  std::set<std::string> noted_;
};

}  // namespace gort::escape
