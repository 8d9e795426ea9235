// escape/escape.cc — batches, locations, verdicts and leak summaries (escape.h).
#include "escape/escape.h"

#include <algorithm>
#include <functional>

#include "escape/walk.h"

namespace gort::escape {

namespace {

// Calls every func id a body refers to (fn= attributes), in order, looking through closure
// literals into their bodies: a closure belongs to its enclosing function's batch.
void Refs(const Program& p, const std::vector<Node>& list, std::vector<int>* out) {
  for (const Node& n : list) {
    if (n.has("fn")) {
      int fn = n.num("fn");
      if (n.is("closure")) Refs(p, p.funcs[fn].stmts, out);
      else out->push_back(fn);
    }
    Refs(p, n.kids, out);
  }
}

int TopLevel(const Program& p, int fn) {
  while (p.funcs[fn].parent >= 0) fn = p.funcs[fn].parent;
  return fn;
}

void ClosuresOf(const Program& p, const std::vector<Node>& list, std::vector<int>* out) {
  for (const Node& n : list) {
    if (n.is("closure")) {
      int fn = n.num("fn");
      out->push_back(fn);
      ClosuresOf(p, p.funcs[fn].stmts, out);
    }
    ClosuresOf(p, n.kids, out);
  }
}

}  // namespace

// BottomUp lists the batches callees first: Tarjan's algorithm over top-level functions in
// declaration order, each batch a strongly connected component plus its closures.
std::vector<std::vector<int>> Analysis::BottomUp() const {
  const int n = static_cast<int>(prog_.funcs.size());
  std::vector<int> index(n, -1), low(n, 0);
  std::vector<bool> onStack(n, false);
  std::vector<int> stack;
  std::vector<std::vector<int>> out;
  int next = 0;
  std::function<void(int)> visit = [&](int f) {
    index[f] = low[f] = next++;
    stack.push_back(f);
    onStack[f] = true;
    std::vector<int> refs;
    Refs(prog_, prog_.funcs[f].stmts, &refs);
    for (int r : refs) {
      int g = TopLevel(prog_, r);
      if (index[g] < 0) {
        visit(g);
        low[f] = std::min(low[f], low[g]);
      } else if (onStack[g]) {
        low[f] = std::min(low[f], index[g]);
      }
    }
    if (low[f] != index[f]) return;
    std::vector<int> scc;
    size_t i = std::find(stack.begin(), stack.end(), f) - stack.begin();
    for (size_t j = i; j < stack.size(); j++) {
      onStack[stack[j]] = false;
      scc.push_back(stack[j]);
      ClosuresOf(prog_, prog_.funcs[stack[j]].stmts, &scc);
    }
    stack.resize(i);
    out.push_back(std::move(scc));
  };
  for (int f = 0; f < n; f++)
    if (prog_.funcs[f].parent < 0 && index[f] < 0) visit(f);
  return out;
}

void Analysis::Run() {
  for (const auto& [pos, msg] : prog_.notes) Note(prog_.where(pos) + ": " + msg);
  state_.assign(prog_.funcs.size(), kUnknown);
  for (const auto& fns : BottomUp()) Batch(fns);
  // The compiler's walk, after escape analysis, reports the bounds checks it drops.
  for (const auto& [pos, msg] : prog_.messages) Emit(pos, msg);
}

void Analysis::Batch(const std::vector<int>& fns) {
  batchLocs_.clear();
  varLoc_.clear();
  closures_.clear();
  heap_ = &all_.emplace_back();
  heap_->kind = LocKind::Heap;
  heap_->escapes = true;
  blank_ = &all_.emplace_back();
  blank_->kind = LocKind::Blank;
  for (int fn : fns) InitFunc(fn);
  for (int fn : fns)
    if (prog_.funcs[fn].parent < 0) WalkFunc(fn);
  FlowClosures();
  for (Location* l : batchLocs_)
    if (!l->why.empty()) Flow(HeapHole().Shift(-1), l);
  WalkAll();
  Finish(fns);
}

void Analysis::InitFunc(int fn) {
  state_[fn] = kPlanned;
  for (int v : prog_.funcs[fn].vars) {
    const Var& var = prog_.vars[v];
    Location* l = NewLoc(LocKind::Var, nullptr, &var, fn, 1, false);
    if (var.big) l->why = "too large for stack";
    if (var.cls == VarClass::Result) {
      int i = 0;
      for (int w : prog_.funcs[fn].vars)
        if (prog_.vars[w].cls == VarClass::Result && ++i && w == v) l->resultIndex = i;
    }
    varLoc_[v] = l;
  }
}

void Analysis::WalkFunc(int fn) {
  state_[fn] = kStarted;
  Walker w(*this, fn);
  w.Stmts(prog_.funcs[fn].stmts);
}

// FlowClosures decides, now that every assignment and address-of has been seen, whether
// each closure captures a variable by value (small, never reassigned, address never taken)
// or by reference, and flows the variable into the closure accordingly.
void Analysis::FlowClosures() {
  for (const Closure& c : closures_) {
    for (int v : Walker::Captures(*c.clo)) {
      Location* loc = VarLoc(v);
      const Var& var = prog_.vars[v];
      bool byval = !loc->addrtaken && !loc->reassigned && var.size <= 128;
      if (opts_.level > 1)
        Emit(var.pos, prog_.funcs[c.clo->num("fn")].name + " capturing by " +
                          (byval ? "value" : "ref") + ": " + var.name + " (addr=" +
                          (loc->addrtaken ? "true" : "false") + " assign=" +
                          (loc->reassigned ? "true" : "false") + " width=" +
                          std::to_string(var.size) + ")");
      Hole k = c.k;
      if (!byval) k = k.Shift(-1).Note(c.clo, "reference", opts_.explain);
      Flow(k.Note(c.clo, "captured by a closure", opts_.explain), loc);
    }
  }
}

void Analysis::Finish(const std::vector<int>& fns) {
  for (int fn : fns) {
    state_[fn] = kTagged;
    ParamTag(prog_.funcs[fn]);
  }
  for (Location* l : batchLocs_) {
    if (l->kind == LocKind::Var) {
      if (l->escapes && !l->var->name.empty()) Emit(l->var->pos, "moved to heap: " + l->var->name);
    } else if (l->kind == LocKind::Expr) {
      Emit(l->n->pos, l->n->text + (l->escapes ? " escapes to heap" : " does not escape"));
    }
  }
}

void Analysis::ParamTag(const Func& fn) {
  for (int v : fn.vars) {
    const Var& var = prog_.vars[v];
    // A function without a body may keep a uintptr argument's pointee alive (syscalls).
    if (!fn.body && var.cls == VarClass::Param && var.uintptr && !var.name.empty())
      Emit(var.pos, "assuming " + var.name + " is unsafe uintptr");
    if (var.cls != VarClass::Param || !var.ptr) continue;
    Leaks esc;
    if (!fn.body) {
      if (!fn.noescape) esc.AddHeap(0);
      if (!var.name.empty())
        Emit(var.pos, fn.noescape ? var.name + " does not escape" : "leaking param: " + var.name);
      summaries_[v] = esc;
      continue;
    }
    if (var.name.empty()) {
      summaries_[v] = esc;
      continue;
    }
    Location* loc = VarLoc(v);
    esc = loc->paramEsc;
    esc.Optimize();
    summaries_[v] = esc;
    if (loc->escapes) continue;
    if (esc.Empty()) Emit(var.pos, var.name + " does not escape");
    if (int x = esc.Heap(); x >= 0)
      Emit(var.pos, (x == 0 ? "leaking param: " : "leaking param content: ") + var.name);
    int ri = 0;
    for (int w : fn.vars) {
      if (prog_.vars[w].cls != VarClass::Result) continue;
      if (ri < Leaks::kResults && esc.Result(ri) >= 0)
        Emit(var.pos, "leaking param: " + var.name + " to result " + prog_.vars[w].name +
                          " level=" + std::to_string(esc.Result(ri)));
      ri++;
    }
  }
}

// ---- graph ----

Location* Analysis::NewLoc(LocKind kind, const Node* n, const Var* v, int fn, int loopDepth,
                           bool transient) {
  Location& l = all_.emplace_back();
  l.kind = kind;
  l.n = n;
  l.var = v;
  l.fn = fn;
  l.loopDepth = loopDepth;
  l.transient = transient;
  if (n != nullptr) l.why = std::string(n->get("why"));
  batchLocs_.push_back(&l);
  return &l;
}

Location* Analysis::VarLoc(int var) {
  auto it = varLoc_.find(var);
  if (it != varLoc_.end()) return it->second;
  // A variable of a function outside the batch cannot be reached by the IR the front end
  // writes; be conservative if it is.
  Note("variable " + prog_.vars[var].name + " used outside its batch; assuming it escapes");
  Location* l = NewLoc(LocKind::Temp, nullptr, nullptr, prog_.vars[var].fn, 1, false);
  l->escapes = true;
  varLoc_[var] = l;
  return l;
}

void Analysis::Flow(const Hole& k, Location* src) {
  if (k.addrtaken) src->addrtaken = true;
  Location* dst = k.dst;
  if (dst == blank_) return;
  if (dst == src && k.derefs >= 0) return;  // x = x, x = *x, ...
  if (dst->escapes && k.derefs < 0) {      // dst = &src with dst on the heap
    if (opts_.explain && !src->escapes) {
      std::vector<std::string> path = ExplainFlow(dst, src, k.derefs, k.notes);
      if (opts_.level >= 2) {
        Emit(LocPos(src), NodeText(src) + " escapes to heap:", true);
        for (const std::string& line : path) Emit(LocPos(src), line, true);
      }
      src->explanation = std::move(path);
    }
    if (opts_.explain) direct_.push_back({dst, Edge{src, k.derefs, k.notes}});
    src->escapes = true;
    return;
  }
  dst->edges.push_back(Edge{src, k.derefs, k.notes});
}

bool Analysis::ContainsClosure(int f, int c) const {
  if (f == c || c < 0) return false;
  for (int p = prog_.funcs[c].parent; p >= 0; p = prog_.funcs[p].parent)
    if (p == f) return true;
  return false;
}

Pos Analysis::LocPos(const Location* l) const {
  if (l->kind == LocKind::Var) return l->var->pos;
  if (l->n != nullptr) return l->n->pos;
  return Pos{};
}

std::string Analysis::LocName(const Location* l) const {
  switch (l->kind) {
    case LocKind::Heap: return "{heap}";
    case LocKind::Var: return l->var->name;
    case LocKind::Expr: return "{storage for " + l->n->text + "}";
    default: return "{temp}";
  }
}

std::string Analysis::NodeText(const Location* l) const {
  if (l->kind == LocKind::Expr) return l->n->text;
  return LocName(l);
}

// The front end names a method on a pointer *T.m and its closures T.m.func1, T.m.func1.1;
// the compiler writes (*T).m and (*T).m.func1.
std::string Analysis::FuncName(int fn) const {
  int top = fn;
  while (prog_.funcs[top].parent >= 0) top = prog_.funcs[top].parent;
  std::string name = prog_.funcs[top].name;
  if (name.empty() || name[0] != '*') return prog_.funcs[fn].name;
  std::string bare = name.substr(1);
  size_t dot = bare.find('.');
  std::string pretty = dot == std::string::npos ? name : "(*" + bare.substr(0, dot) + ")" + bare.substr(dot);
  if (fn == top) return pretty;
  const std::string& own = prog_.funcs[fn].name;
  return own.rfind(bare, 0) == 0 ? pretty + own.substr(bare.size()) : own;
}

void Analysis::Emit(Pos pos, std::string text, bool explain) {
  messages_.push_back(Message{pos, std::move(text), explain});
}

void Analysis::Note(const std::string& what) {
  if (noted_.insert(what).second) notes_.push_back(what);
}

}  // namespace gort::escape
