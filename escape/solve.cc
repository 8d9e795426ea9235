// escape/solve.cc — the walk that turns the graph into verdicts (Go: escape/solve.go).
//
// WalkAll keeps a LIFO queue of roots, initially every location and the heap. WalkOne(root)
// is a Bellman-Ford style search over incoming edges that finds, for every location l
// reaching root, the fewest dereferences on a path l -> root (derefs < 0: root holds l's
// address). Then:
//   - if root outlives l and l is a parameter, l leaks to root (heap or a result) at that
//     many derefs;
//   - if root outlives l and root holds l's address, l escapes; l is queued again as a root
//     because whatever l points to now reaches the heap through it;
//   - a non-transient root holding a transient location's address makes it non-transient.
// Outlives(root, l): root escapes; or root is a result (unless l is in a closure called
// directly by root's function); or same function and root is in a shallower loop; or l
// belongs to a closure nested in root's function.
// Each location changes state only a bounded number of times (escapes once, derefs only
// decrease within a walk), so the queue drains.
#include <string>

#include "escape/escape.h"

namespace gort::escape {

void Analysis::WalkAll() {
  std::vector<Location*> todo;
  auto enqueue = [&todo](Location* l) {
    if (!l->queued) {
      todo.push_back(l);
      l->queued = true;
    }
  };
  for (Location* l : batchLocs_) enqueue(l);
  enqueue(heap_);
  uint32_t walkgen = 0;
  while (!todo.empty()) {
    Location* root = todo.back();
    todo.pop_back();
    root->queued = false;
    std::vector<Location*> requeue;
    WalkOne(root, ++walkgen, requeue);
    for (Location* l : requeue) enqueue(l);
  }
}

void Analysis::WalkOne(Location* root, uint32_t walkgen, std::vector<Location*>& queue) {
  root->walkgen = walkgen;
  root->derefs = 0;
  root->dst = nullptr;
  std::vector<Location*> todo{root};
  while (!todo.empty()) {
    Location* l = todo.back();
    todo.pop_back();
    int derefs = l->derefs;
    bool addressOf = derefs < 0;
    if (addressOf) {
      derefs = 0;
      if (!root->transient && l->transient) {
        l->transient = false;
        queue.push_back(l);
      }
    }
    if (Outlives(root, l)) {
      if (l->IsParam()) {
        if (opts_.explain && !l->escapes) {
          std::vector<std::string> path = ExplainPath(root, l);
          if (opts_.level >= 2) {
            Emit(LocPos(l), "parameter " + LocName(l) + " leaks to " + LocName(root) +
                                " with derefs=" + std::to_string(derefs) + ":", true);
            for (const std::string& line : path) Emit(LocPos(l), line, true);
          }
          if (l->explanation.empty()) l->explanation = std::move(path);
        }
        LeakTo(l, root, derefs);
      }
      if (addressOf && !l->escapes) {
        if (opts_.explain) {
          std::vector<std::string> path = ExplainPath(root, l);
          if (opts_.level >= 2) {
            Emit(LocPos(l), NodeText(l) + " escapes to heap:", true);
            for (const std::string& line : path) Emit(LocPos(l), line, true);
          }
          l->explanation = std::move(path);
        }
        l->escapes = true;
        queue.push_back(l);
        continue;
      }
    }
    for (size_t i = 0; i < l->edges.size(); i++) {
      Edge& e = l->edges[i];
      if (e.src->escapes) continue;
      int d = derefs + e.derefs;
      if (e.src->walkgen != walkgen || e.src->derefs > d) {
        e.src->walkgen = walkgen;
        e.src->derefs = d;
        e.src->dst = l;
        e.src->dstEdge = static_cast<int>(i);
        todo.push_back(e.src);
      }
    }
  }
}

bool Analysis::Outlives(const Location* l, const Location* other) const {
  if (l->escapes) return true;
  if (l->IsResult()) {
    // A directly called closure's results flow back into its caller's frame.
    if (ContainsClosure(other->fn, l->fn) && prog_.funcs[l->fn].called) return false;
    return true;
  }
  if (l->fn == other->fn && l->loopDepth < other->loopDepth) return true;
  return ContainsClosure(l->fn, other->fn);
}

void Analysis::LeakTo(Location* param, const Location* sink, int derefs) {
  if (!sink->escapes && sink->IsResult() && sink->fn == param->fn &&
      sink->resultIndex - 1 < Leaks::kResults) {
    param->paramEsc.AddResult(sink->resultIndex - 1, derefs);
    return;
  }
  param->paramEsc.AddHeap(derefs);
}

std::vector<std::string> Analysis::ExplainPath(Location* root, Location* src) {
  std::vector<std::string> out;
  std::vector<const Location*> seen;
  for (Location* l = src; l != root && l->dst != nullptr;) {
    for (const Location* s : seen)
      if (s == l) {
        out.push_back("  warning: truncated explanation due to assignment cycle; see golang.org/issue/35518");
        return out;
      }
    seen.push_back(l);
    Location* dst = l->dst;
    const Edge& e = dst->edges[l->dstEdge];
    for (std::string& line : ExplainFlow(dst, l, e.derefs, e.notes)) out.push_back(std::move(line));
    l = dst;
  }
  return out;
}

std::vector<std::string> Analysis::ExplainFlow(const Location* dst, const Location* src, int derefs,
                                               const std::vector<FlowNote>& notes) const {
  std::string ops = derefs < 0 ? "&" : std::string(derefs, '*');
  std::vector<std::string> out{"  flow: " + LocName(dst) + " = " + ops + LocName(src) + ":"};
  for (const FlowNote& n : notes)
    out.push_back("    from " + n.where->text + " (" + n.why + ") at " + prog_.where(n.where->pos));
  return out;
}

}  // namespace gort::escape
