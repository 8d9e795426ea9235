// escape/walk.h — the walker that turns one function body into graph edges (walk.cc).
#pragma once

#include "escape/escape.h"

namespace gort::escape {

class Walker {
 public:
  Walker(Analysis& a, int fn);
  void Stmts(const std::vector<Node>& list);

 private:
  Hole K(const Hole& k, const Node& where, const char* why) const;
  void Block(const Node& n);
  void Stmt(const Node& n);
  Hole Dcl(int var);
  void Range(const Node& n);
  void TypeSwitch(const Node& n);
  void Unsupported(const Node& n);

  Hole Addr(const Node* n);
  std::vector<Hole> Addrs(const std::vector<const Node*>& dsts);
  void AssignHeap(const Node& src, const char* why, const Node& where);
  void AssignList(const std::vector<const Node*>& dsts, const std::vector<const Node*>& srcs,
                  const char* why, const Node& where);
  void Reassigned(const std::vector<Hole>& ks, const std::vector<const Node*>& dsts,
                  const Node& where, bool range);
  bool SelfAssign(const Node* dst, const Node* src) const;

  void Expr(Hole k, const Node& n);
  void Discard(const Node& n);
  void UnsafeValue(const Hole& k, const Node& n);
  Hole Spill(const Hole& k, const Node& n);
  Hole Later(const Hole& k);
  Hole Tee(const std::vector<Hole>& ks);
  Hole DotType(const Hole& k, const Node& n) const;
  void Closure(Hole k, const Node& n);
  void MethodValue(const Hole& k, const Node& n);

  static bool IsCall(const Node& n);
  void Call(const std::vector<Hole>* ks, const Node& n, const Hole* wrapper);
  void Argument(const Hole& k, const Node& call, const Node& arg);
  void WrapArg(const Hole& k, const Node& arg);
  Hole TagHole(const std::vector<Hole>* ks, const Node& call, int arg);
  Hole ExternHole(const std::vector<Hole>* ks, const std::string& name, int arg);
  void GoDefer(const Node& n);

 public:
  static std::vector<int> Captures(const Node& closure);

 private:
  Analysis& a_;
  int fn_;
  int loopDepth_ = 1;
  const Hole* wrapper_ = nullptr;  // the go/defer wrapper closure being filled
};

}  // namespace gort::escape
