// escape/graph.cc — leak summaries and holes (graph.h).
#include "escape/graph.h"

namespace gort::escape {

bool Leaks::Empty() const {
  for (int x : v_)
    if (x >= 0) return false;
  return true;
}

void Leaks::Optimize() {
  int h = Heap();
  if (h < 0) return;
  for (int i = 0; i < kResults; i++)
    if (Result(i) >= h) v_[1 + i] = -1;
}

Hole Hole::Shift(int delta) const {
  Hole k = *this;
  k.derefs += delta;
  if (k.derefs < -1) k.derefs = -1;  // &&x cannot be written; kept total for safety
  k.addrtaken = delta < 0;
  return k;
}

Hole Hole::Note(const Node* where, const char* why, bool keep) const {
  if (!keep) return *this;
  Hole k = *this;
  k.notes.insert(k.notes.begin(), FlowNote{where, why});
  return k;
}

}  // namespace gort::escape
