// escape/walk.cc — from IR to the location graph (Go: escape/stmt.go, expr.go, assign.go,
// call.go). One Walker per function body; a closure's body is walked by its own Walker
// when its literal is reached, as the compiler does.
//
// Every expression is evaluated into a hole k: "its value flows to k.dst after k.derefs
// dereferences". Values without pointers flow nowhere (k becomes the blank hole), so only
// pointer flows build edges.
#include "escape/walk.h"

namespace gort::escape {

namespace {
bool Is(const Node* n, std::string_view op) { return n != nullptr && n->op == op; }
}  // namespace

Walker::Walker(Analysis& a, int fn) : a_(a), fn_(fn) {}

Hole Walker::K(const Hole& k, const Node& where, const char* why) const {
  return k.Note(&where, why, a_.opts_.explain);
}

// ---- statements ----

void Walker::Block(const Node& n) {
  int old = loopDepth_;
  Stmts(n.kids);
  loopDepth_ = old;
}

void Walker::Stmts(const std::vector<Node>& list) {
  for (const Node& s : list) Stmt(s);
}

void Walker::Stmt(const Node& n) {
  const std::string& op = n.op;
  if (op == "block") return Block(n);
  if (op == "dcl") return void(Dcl(n.num("var")));
  if (op == "label") {
    if (n.has("looping")) loopDepth_++;
    return;
  }
  if (op == "if") {
    Discard(n.kids[0]);
    Block(n.kids[1]);
    if (n.kids[2].is("block")) Block(n.kids[2]);
    return;
  }
  if (op == "for") {
    loopDepth_++;
    Discard(n.kids[0]);
    if (n.kids[1].is("block")) Stmts(n.kids[1].kids);
    Block(n.kids[2]);
    loopDepth_--;
    return;
  }
  if (op == "range") return Range(n);
  if (op == "switch") {
    Discard(n.kids[0]);
    for (size_t i = 1; i < n.kids.size(); i++) {
      const Node& c = n.kids[i];
      for (size_t j = 0; j + 1 < c.kids.size(); j++) Discard(c.kids[j]);
      Block(c.kids.back());
    }
    return;
  }
  if (op == "typeswitch") return TypeSwitch(n);
  if (op == "select") {
    for (const Node& c : n.kids) {
      Stmts(c.kids[0].kids);
      Block(c.kids[1]);
    }
    return;
  }
  if (op == "send") {
    Discard(n.kids[0]);
    AssignHeap(n.kids[1], "send", n);
    return;
  }
  if (op == "as") {
    size_t nl = n.num("n", 1);
    std::vector<const Node*> dsts, srcs;
    for (size_t i = 0; i < n.kids.size(); i++) (i < nl ? dsts : srcs).push_back(&n.kids[i]);
    std::string why(n.get("why"));
    AssignList(dsts, srcs, why.empty() ? "assign" : why.c_str(), n);
    return;
  }
  if (op == "as2func") {
    size_t nl = n.num("n", 1);
    std::vector<const Node*> dsts;
    for (size_t i = 0; i < nl; i++) dsts.push_back(&n.kids[i]);
    std::vector<Hole> ks = Addrs(dsts);
    Call(&ks, n.kids[nl], nullptr);
    Reassigned(ks, dsts, n, false);
    return;
  }
  if (op == "return") {
    std::vector<const Node*> srcs;
    for (const Node& r : n.kids) srcs.push_back(&r);
    if (srcs.empty()) return;
    std::vector<Hole> ks;
    for (int v : a_.prog_.funcs[fn_].vars)
      if (a_.prog_.vars[v].cls == VarClass::Result) ks.push_back(Hole{a_.VarLoc(v)});
    for (size_t i = 0; i < ks.size() && i < srcs.size(); i++) Expr(K(ks[i], n, "return"), *srcs[i]);
    return;
  }
  if (op == "staticfunc") return a_.WalkFunc(n.kids[0].num("fn"));  // body only: no closure value
  if (op == "go" || op == "defer") return GoDefer(n);
  if (op == "unsup") return Unsupported(n);
  if (IsCall(n)) return Call(nullptr, n, nullptr);
  Discard(n);
}

Hole Walker::Dcl(int var) {
  Location* l = a_.VarLoc(var);
  l->loopDepth = loopDepth_;
  return Hole{l};
}

void Walker::Range(const Node& n) {
  Location* tmp = a_.NewLoc(LocKind::Temp, nullptr, nullptr, fn_, loopDepth_, false);
  Expr(Hole{tmp}, n.kids[0]);
  loopDepth_++;
  std::vector<const Node*> dsts{&n.kids[1], &n.kids[2]};
  std::vector<Hole> ks = Addrs(dsts);
  if (n.has("array")) a_.Flow(K(ks[1], n, "range"), tmp);
  else a_.Flow(K(ks[1].Shift(1), n, "range-deref"), tmp);
  Reassigned(ks, dsts, n, true);
  Block(n.kids[3]);
  loopDepth_--;
}

void Walker::TypeSwitch(const Node& n) {
  std::vector<Hole> ks;
  for (size_t i = 1; i < n.kids.size(); i++) {
    const Node& c = n.kids[i];
    if (!c.has("var")) continue;
    Hole k = Dcl(c.num("var"));
    if (c.has("p")) ks.push_back(K(DotType(k, c), c, "switch case"));
  }
  Expr(Tee(ks), n.kids[0]);
  for (size_t i = 1; i < n.kids.size(); i++) Block(n.kids[i].kids[0]);
}

void Walker::Unsupported(const Node& n) {
  for (const Node& name : n.kids)
    if (name.is("name")) a_.Flow(K(a_.HeapHole().Shift(-1), n, "unsupported construct"), a_.VarLoc(name.num("var")));
}

// ---- assignments ----

Hole Walker::Addr(const Node* n) {
  if (n == nullptr || Is(n, "none") || Is(n, "blank")) return a_.DiscardHole();
  const std::string& op = n->op;
  if (op == "name") return Hole{a_.VarLoc(n->num("var"))};
  if (op == "dot") return Addr(&n->kids[0]);
  if (op == "index") {
    Discard(n->kids[1]);
    if (n->has("array")) return Addr(&n->kids[0]);
    Discard(n->kids[0]);
  } else if (op == "deref" || op == "dotptr") {
    Discard(*n);
  } else if (op == "indexmap") {
    Discard(n->kids[0]);
    AssignHeap(n->kids[1], "key of map put", *n);
  }
  return a_.HeapHole();  // globals, and anything reached through a pointer
}

std::vector<Hole> Walker::Addrs(const std::vector<const Node*>& dsts) {
  std::vector<Hole> ks;
  for (const Node* d : dsts) ks.push_back(Addr(d));
  return ks;
}

void Walker::AssignHeap(const Node& src, const char* why, const Node& where) {
  Expr(K(a_.HeapHole(), where, why), src);
}

void Walker::AssignList(const std::vector<const Node*>& dsts, const std::vector<const Node*>& srcs,
                        const char* why, const Node& where) {
  std::vector<Hole> ks = Addrs(dsts);
  for (size_t i = 0; i < ks.size(); i++) {
    const Node* src = i < srcs.size() ? srcs[i] : nullptr;
    if (src == nullptr) continue;
    Hole k = ks[i];
    if (dsts[i]->is("dotptr") && dsts[i]->has("hdrdata")) {  // h.Data = uintptr(p) keeps p
      UnsafeValue(K(a_.HeapHole(), where, why), *src);
      continue;
    }
    if (SelfAssign(dsts[i], src)) {
      a_.Emit(where.pos, a_.FuncName(fn_) + " ignoring self-assignment in " + where.text);
      k = a_.DiscardHole();
    }
    Expr(K(k, where, why), *src);
  }
  Reassigned(ks, dsts, where, false);
}

void Walker::Reassigned(const std::vector<Hole>& ks, const std::vector<const Node*>& dsts,
                        const Node& where, bool range) {
  for (size_t i = 0; i < ks.size(); i++) {
    if (!range && Is(dsts[i], "name") && dsts[i]->has("def")) continue;
    ks[i].dst->reassigned = true;
  }
}

namespace {
bool SameSafe(const Node& a, const Node& b) {
  if (a.op != b.op) return false;
  if (a.is("name")) return a.num("var") == b.num("var");
  if (a.is("global")) return a.text == b.text;
  if (a.is("dot") || a.is("dotptr") || a.is("deref")) return a.text == b.text && SameSafe(a.kids[0], b.kids[0]);
  return false;
}
bool Affects(const Node& n) {
  if (n.is("name") || n.is("lit") || n.is("global")) return false;
  if (n.is("op") || n.is("index") || n.is("conv") || n.is("dot") || n.is("dotptr") || n.is("deref")) {
    for (const Node& k : n.kids)
      if (Affects(k)) return true;
    return false;
  }
  return true;
}
const Node* PtrBase(const Node& n) {  // X of *X or X.f through a pointer, if X is a name
  if ((n.is("deref") || n.is("dotptr")) && n.kids[0].is("name")) return &n.kids[0];
  return nullptr;
}
}  // namespace

// The compiler ignores assignments of a value to itself through the same pointer
// (p.buf = p.buf[1:], p.x = p.y): they move nothing (Go: isSelfAssign).
bool Walker::SelfAssign(const Node* dst, const Node* src) const {
  if (dst == nullptr || src == nullptr) return false;
  if (src->is("slice")) {
    const Node* d = PtrBase(*dst);
    const Node* s = PtrBase(src->kids[0]);
    if (d && s && d->num("var") == s->num("var")) return true;
  }
  if (dst->op != src->op) return false;
  if (dst->is("dot") || dst->is("dotptr")) return SameSafe(dst->kids[0], src->kids[0]);
  if (dst->is("index"))
    return !Affects(dst->kids[1]) && !Affects(src->kids[1]) && SameSafe(dst->kids[0], src->kids[0]);
  return false;
}

// ---- expressions ----

void Walker::Discard(const Node& n) { Expr(a_.DiscardHole(), n); }

Hole Walker::Spill(const Hole& k, const Node& n) {
  Location* loc = a_.NewLoc(LocKind::Expr, &n, nullptr, fn_, loopDepth_, true);
  a_.Flow(K(k.Shift(-1), n, "spill"), loc);
  return Hole{loc};
}

Hole Walker::Later(const Hole& k) {
  Location* loc = a_.NewLoc(LocKind::Temp, nullptr, nullptr, fn_, loopDepth_, false);
  a_.Flow(k, loc);
  return Hole{loc};
}

Hole Walker::Tee(const std::vector<Hole>& ks) {
  if (ks.empty()) return a_.DiscardHole();
  if (ks.size() == 1) return ks[0];
  Location* loc = a_.NewLoc(LocKind::Temp, nullptr, nullptr, fn_, loopDepth_, true);
  for (const Hole& k : ks) a_.Flow(k, loc);
  return Hole{loc};
}

Hole Walker::DotType(const Hole& k, const Node& n) const {
  return n.has("iface") || n.has("direct") ? k : k.Shift(1);
}

bool Walker::IsCall(const Node& n) {
  static const char* ops[] = {"call", "append", "copy", "panic", "builtin", "unsafeadd"};
  for (const char* o : ops)
    if (n.op == o) return true;
  return false;
}

void Walker::Expr(Hole k, const Node& n) {
  if (k.derefs >= 0 && !n.has("p") && !n.has("u")) k.dst = a_.DiscardHole().dst;
  const std::string& op = n.op;
  if (op == "lit" || op == "none" || op == "global" || op == "blank") return;
  if (op == "name") return a_.Flow(k, a_.VarLoc(n.num("var")));
  if (op == "op" || op == "recv" || op == "makechan") {
    for (const Node& x : n.kids) Discard(x);
    return;
  }
  if (op == "addr") return Expr(K(k.Shift(-1), n, "address-of"), n.kids[0]);
  if (op == "deref") return Expr(K(k.Shift(1), n, "indirection"), n.kids[0]);
  if (op == "dot") return Expr(K(k, n, "dot"), n.kids[0]);
  if (op == "dotptr") return Expr(K(k.Shift(1), n, "dot of pointer"), n.kids[0]);
  if (op == "dottype") return Expr(K(DotType(k, n), n, "dot"), n.kids[0]);
  if (op == "index") {
    if (n.has("array")) Expr(K(k, n, "fixed-array-index-of"), n.kids[0]);
    else Expr(K(k.Shift(1), n, "dot of pointer"), n.kids[0]);
    Discard(n.kids[1]);
    return;
  }
  if (op == "indexmap") {
    Discard(n.kids[0]);
    Discard(n.kids[1]);
    return;
  }
  if (op == "slice") {
    Expr(K(k, n, "slice"), n.kids[0]);
    for (size_t i = 1; i < n.kids.size(); i++) Discard(n.kids[i]);
    return;
  }
  if (op == "conv") return Expr(k, n.kids[0]);
  if (op == "unsafeval") return UnsafeValue(k, n.kids[0]);
  if (op == "conviface") {
    if (n.has("spill")) k = Spill(k, n);
    return Expr(K(k, n, "interface-converted"), n.kids[0]);
  }
  if (IsCall(n)) {
    std::vector<Hole> ks{k};
    return Call(&ks, n, nullptr);
  }
  if (op == "new") return void(Spill(k, n));
  if (op == "makeslice" || op == "makemap" || op == "strconv" || op == "addstr") {
    Spill(k, n);
    for (const Node& x : n.kids) Discard(x);
    return;
  }
  if (op == "ptrlit") return Expr(Spill(k, n), n.kids[0]);
  if (op == "structlit" || op == "arraylit") {
    const char* why = op == "structlit" ? "struct literal element" : "array literal element";
    for (const Node& x : n.kids) Expr(K(k, n, why), x);
    return;
  }
  if (op == "slicelit") {
    k = Spill(k, n);
    for (const Node& x : n.kids) Expr(K(k, n, "slice-literal-element"), x);
    return;
  }
  if (op == "maplit") {
    Spill(k, n);
    for (size_t i = 0; i < n.kids.size(); i++)
      AssignHeap(n.kids[i], i % 2 == 0 ? "map literal key" : "map literal value", n);
    return;
  }
  if (op == "closure") return Closure(k, n);
  if (op == "methvalue") return MethodValue(k, n);
  if (op == "unsup") return Unsupported(n);
  a_.Note(a_.prog_.where(n.pos) + ": unsupported IR node " + op + "; assuming it escapes");
  for (const Node& x : n.kids) AssignHeap(x, "unsupported", n);
}

void Walker::UnsafeValue(const Hole& k, const Node& n) {
  if (n.is("conv")) {
    if (n.has("fromunsafe")) Expr(k, n.kids[0]);
    else Discard(n.kids[0]);
  } else if ((n.is("dot") || n.is("dotptr")) && n.has("hdrdata")) {
    Expr(K(k.Shift(1), n, "reflect.Header.Data"), n.kids[0]);  // the pointer the header holds
  } else if (n.is("op")) {
    for (const Node& x : n.kids) UnsafeValue(k, x);
  } else {
    Discard(n);
  }
}

void Walker::Closure(Hole k, const Node& n) {
  k = Spill(k, n);
  a_.closures_.push_back({k, &n});
  for (int v : Captures(n)) {
    Location* loc = a_.VarLoc(v);
    if (!loc->captured) {
      loc->captured = true;
      if (loc->loopDepth == loopDepth_) loc->reassigned = false;
    }
  }
  a_.WalkFunc(n.num("fn"));
}

std::vector<int> Walker::Captures(const Node& n) {
  std::vector<int> out;
  std::string_view s = n.get("cap");
  while (!s.empty()) {
    size_t semi = s.find(';');
    out.push_back(std::stoi(std::string(s.substr(0, semi))));
    if (semi == std::string_view::npos) break;
    s.remove_prefix(semi + 1);
  }
  return out;
}

void Walker::MethodValue(const Hole& k, const Node& n) {
  Hole closureK = Spill(k, n);
  Hole paramK = a_.HeapHole();  // results of a method value go to the heap (Go: ks of heap holes)
  if (n.has("fn")) {
    int fn = n.num("fn");
    const Func& f = a_.prog_.funcs[fn];
    int recv = f.vars.empty() ? -1 : f.vars[0];
    if (a_.InMutualBatch(fn)) {
      paramK = recv >= 0 ? Hole{a_.VarLoc(recv)} : a_.DiscardHole();
    } else if (recv >= 0) {
      Leaks l = a_.summaries_[recv];
      int d = l.Heap();
      for (int i = 0; i < Leaks::kResults; i++)
        if (l.Result(i) >= 0 && (d < 0 || l.Result(i) < d)) d = l.Result(i);
      paramK = d < 0 ? a_.DiscardHole() : a_.HeapHole().Shift(d);
    }
  } else if (n.has("ext")) {
    paramK = ExternHole(nullptr, std::string(n.get("ext")), 0);
  }
  Expr(Tee({paramK, closureK}), n.kids[0]);
}

// ---- calls ----

Hole Walker::TagHole(const std::vector<Hole>* ks, const Node& call, int arg) {
  std::string_view kind = call.get("kind");
  if (kind == "static") {
    int fn = call.num("fn");
    std::vector<int> params;
    for (int v : a_.prog_.funcs[fn].vars)
      if (a_.prog_.vars[v].cls == VarClass::Param) params.push_back(v);
    if (arg >= static_cast<int>(params.size())) return a_.HeapHole();
    int pv = params[arg];
    if (a_.InMutualBatch(fn))
      return a_.prog_.vars[pv].name.empty() ? a_.DiscardHole() : Hole{a_.VarLoc(pv)};
    const Leaks& esc = a_.summaries_[pv];
    std::vector<Hole> tags;
    if (esc.Heap() >= 0) tags.push_back(a_.HeapHole().Shift(esc.Heap()));
    if (ks != nullptr)
      for (int i = 0; i < Leaks::kResults && i < static_cast<int>(ks->size()); i++)
        if (esc.Result(i) >= 0) tags.push_back((*ks)[i].Shift(esc.Result(i)));
    return Tee(tags);
  }
  if (kind == "ext") return ExternHole(ks, std::string(call.get("ext")), arg);
  return a_.HeapHole();
}

Hole Walker::ExternHole(const std::vector<Hole>* ks, const std::string& name, int arg) {
  ExternParam p;
  if (!LookupExtern(a_.prog_, name, arg, &p)) {
    a_.Note("no escape summary for " + name + "; assuming its arguments escape");
    return a_.HeapHole();
  }
  std::vector<Hole> tags;
  if (p.heap >= 0) tags.push_back(a_.HeapHole().Shift(p.heap));
  if (ks != nullptr)
    for (size_t i = 0; i < p.results.size() && i < ks->size(); i++)
      if (p.results[i] >= 0) tags.push_back((*ks)[i].Shift(p.results[i]));
  return Tee(tags);
}

// Argument passes one argument. Inside a go/defer wrapper the argument is first copied
// into a temporary that the wrapper closure captures by value.
void Walker::Argument(const Hole& k, const Node& call, const Node& arg) {
  Hole kk = K(k, call, "call parameter");
  if (wrapper_ == nullptr || arg.is("lit") || arg.is("none")) return Expr(kk, arg);
  if (arg.is("slicelit")) {  // the elements of "... argument" are wrapped one by one
    Hole sk = Spill(kk, arg);
    for (const Node& x : arg.kids) WrapArg(K(sk, arg, "slice-literal-element"), x);
    return;
  }
  WrapArg(kk, arg);
}

void Walker::WrapArg(const Hole& k, const Node& arg) {
  if (arg.is("lit")) return;
  Location* tmp = a_.NewLoc(LocKind::Temp, nullptr, nullptr, fn_, loopDepth_, false);
  Expr(Hole{tmp}, arg);
  a_.Flow(K(*wrapper_, arg, "captured by a closure"), tmp);
  a_.Flow(k, tmp);
}

void Walker::Call(const std::vector<Hole>* ks, const Node& n, const Hole* wrapper) {
  const Hole* saved = wrapper_;
  wrapper_ = wrapper;
  const std::string& op = n.op;
  const std::vector<Node>& kids = n.kids;
  auto k0 = [&] { return ks != nullptr && !ks->empty() ? (*ks)[0] : a_.DiscardHole(); };
  if (op == "call") {
    if (ks != nullptr && n.get("kind") == "static" && a_.InMutualBatch(n.num("fn"))) {
      size_t i = 0;
      for (int v : a_.prog_.funcs[n.num("fn")].vars)
        if (a_.prog_.vars[v].cls == VarClass::Result && i < ks->size())
          a_.Flow((*ks)[i++], a_.VarLoc(v));
    }
    Argument(a_.DiscardHole(), n, kids[0]);
    for (size_t i = 1; i < kids.size(); i++) Argument(TagHole(ks, n, static_cast<int>(i - 1)), n, kids[i]);
  } else if (op == "append") {
    Hole appendee = k0();
    if (n.has("elemptr")) appendee = Tee({appendee, K(a_.HeapHole().Shift(1), n, "appendee slice")});
    Argument(appendee, n, kids[0]);
    if (n.has("ddd")) {
      Hole appended = n.has("srcptr") ? K(a_.HeapHole().Shift(1), n, "appended slice...") : a_.DiscardHole();
      Argument(appended, n, kids[1]);
    } else {
      for (size_t i = 1; i < kids.size(); i++) Argument(a_.HeapHole(), n, kids[i]);
    }
  } else if (op == "copy") {
    Argument(a_.DiscardHole(), n, kids[0]);
    Argument(n.has("srcptr") ? K(a_.HeapHole().Shift(1), n, "copied slice") : a_.DiscardHole(), n, kids[1]);
  } else if (op == "panic") {
    Argument(a_.HeapHole(), n, kids[0]);
  } else if (op == "unsafeadd") {
    Argument(k0(), n, kids[0]);
    Argument(a_.DiscardHole(), n, kids[1]);
  } else {  // builtin: len, cap, print, delete, close, recover, ...
    for (const Node& x : kids) Argument(a_.DiscardHole(), n, x);
  }
  wrapper_ = saved;
}

void Walker::GoDefer(const Node& n) {
  Hole k = a_.HeapHole();
  if (n.is("defer") && loopDepth_ == 1) k = Later(a_.DiscardHole());
  const Node& call = n.kids[0];
  // go f() / defer f() of a function without parameters and results: the function value
  // itself is what outlives the statement.
  if (call.is("call") && call.kids.size() == 1 && call.num("nres", 0) == 0 && !call.has("recv"))
    return Expr(k, call.kids[0]);
  Location* wrapper = a_.NewLoc(LocKind::Temp, nullptr, nullptr, fn_, loopDepth_, true);
  a_.Flow(K(k.Shift(-1), n, "spill"), wrapper);
  Hole wk{wrapper};
  Call(nullptr, call, &wk);
}

}  // namespace gort::escape
