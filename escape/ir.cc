// escape/ir.cc — reader of the IR described in ir.h.
#include "escape/ir.h"

#include <algorithm>
#include <charconv>
#include <set>

namespace gort::escape {

bool Node::has(std::string_view key) const {
  for (const auto& [k, v] : attrs)
    if (k == key) return true;
  return false;
}

std::string_view Node::get(std::string_view key) const {
  for (const auto& [k, v] : attrs)
    if (k == key) return v;
  return {};
}

int Node::num(std::string_view key, int def) const {
  std::string_view v = get(key);
  int out = def;
  if (!v.empty()) std::from_chars(v.data(), v.data() + v.size(), out);
  return out;
}

std::string Program::where(Pos p) const {
  std::string f = p.file >= 0 && p.file < static_cast<int>(files.size()) ? files[p.file] : "?";
  return f + ":" + std::to_string(p.line) + ":" + std::to_string(p.col);
}

namespace {

std::vector<std::string_view> Split(std::string_view line) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (;;) {
    size_t tab = line.find('\t', start);
    out.push_back(line.substr(start, tab - start));
    if (tab == std::string_view::npos) return out;
    start = tab + 1;
  }
}

std::string Unescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); i++) {
    if (s[i] != '\\' || i + 1 == s.size()) {
      out += s[i];
      continue;
    }
    char c = s[++i];
    out += c == 't' ? '\t' : c == 'n' ? '\n' : c;
  }
  return out;
}

bool Int(std::string_view s, int64_t* v) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
  return ec == std::errc() && p == s.data() + s.size();
}

bool ParsePos(std::string_view s, Pos* p) {
  size_t a = s.find(':'), b = s.rfind(':');
  int64_t f, l, c;
  if (a == b || !Int(s.substr(0, a), &f) || !Int(s.substr(a + 1, b - a - 1), &l) ||
      !Int(s.substr(b + 1), &c))
    return false;
  *p = Pos{static_cast<int>(f), static_cast<int>(l), static_cast<int>(c)};
  return true;
}

std::vector<std::string_view> Flags(std::string_view s) {
  std::vector<std::string_view> out;
  if (s == "-") return out;
  size_t start = 0;
  for (;;) {
    size_t comma = s.find(',', start);
    out.push_back(s.substr(start, comma - start));
    if (comma == std::string_view::npos) return out;
    start = comma + 1;
  }
}

class Reader {
 public:
  Reader(Program* p, std::string* err) : p_(p), err_(err) {}

  bool Line(std::string_view line) {
    n_++;
    auto f = Split(line);
    if (n_ == 1) return f.size() == 2 && f[0] == "gortir" && f[1] == "1" ? true : Fail("bad header");
    if (f[0] == "file") return File(f);
    if (f[0] == "note") return NoteRec(f);
    if (f[0] == "extern") return ExternRec(f);
    if (f[0] == "msg") return MsgRec(f);
    if (f[0] == "func") return FuncRec(f);
    if (f[0] == "var") return VarRec(f);
    if (f[0] == "end") return End();
    return NodeRec(f);
  }

  bool Done() {
    if (n_ == 0) return Fail("empty input");
    if (fn_ >= 0) return Fail("missing end");
    for (const Func& f : p_->funcs)
      if (f.parent >= static_cast<int>(p_->funcs.size()) || f.parent >= f.id)
        return Fail("func " + std::to_string(f.id) + ": bad parent");
    for (const Func& f : p_->funcs)
      if (!Check(f.stmts)) return false;
    return true;
  }

 private:
  bool Fail(const std::string& what) {
    *err_ = "line " + std::to_string(n_) + ": " + what;
    return false;
  }

  bool File(const std::vector<std::string_view>& f) {
    if (f.size() != 3) return Fail("bad file record");
    p_->files.emplace_back(Unescape(f[2]));
    return true;
  }

  bool NoteRec(const std::vector<std::string_view>& f) {
    Pos pos;
    if (f.size() != 3 || !ParsePos(f[1], &pos)) return Fail("bad note record");
    p_->notes.emplace_back(pos, Unescape(f[2]));
    return true;
  }

  bool MsgRec(const std::vector<std::string_view>& f) {
    Pos pos;
    if (f.size() != 3 || !ParsePos(f[1], &pos) || fn_ >= 0) return Fail("bad msg record");
    p_->messages.emplace_back(pos, Unescape(f[2]));
    return true;
  }

  // extern NAME LEAKS: LEAKS is "-" or one "h:r0:..:r6" list per receiver and parameter.
  bool ExternRec(const std::vector<std::string_view>& f) {
    if (f.size() != 3 || fn_ >= 0) return Fail("bad extern record");
    std::vector<ExternLeaks> params;
    for (std::string_view list : Flags(f[2])) {
      ExternLeaks l;
      size_t i = 0, start = 0;
      for (; i < l.size(); i++) {
        size_t colon = list.find(':', start);
        int64_t v;
        if (!Int(list.substr(start, colon - start), &v) || v < -1 || v > 255)
          return Fail("bad extern leaks");
        l[i] = static_cast<int>(v);
        if (colon == std::string_view::npos) break;
        start = colon + 1;
      }
      if (i + 1 != l.size()) return Fail("bad extern leaks");
      params.push_back(l);
    }
    p_->externs[Unescape(f[1])] = std::move(params);
    return true;
  }

  bool FuncRec(const std::vector<std::string_view>& f) {
    Func fn;
    int64_t id, parent;
    if (f.size() != 6 || !Int(f[1], &id) || !Int(f[2], &parent) || !ParsePos(f[3], &fn.pos) ||
        id != static_cast<int64_t>(p_->funcs.size()) || fn_ >= 0)
      return Fail("bad func record");
    fn.id = static_cast<int>(id);
    fn.parent = static_cast<int>(parent);
    for (auto flag : Flags(f[4])) {
      fn.body |= flag == "body";
      fn.called |= flag == "called";
      fn.noescape |= flag == "noescape";
      fn.init |= flag == "init";
    }
    fn.name = Unescape(f[5]);
    p_->funcs.push_back(std::move(fn));
    fn_ = static_cast<int>(id);
    stack_.clear();
    return true;
  }

  bool VarRec(const std::vector<std::string_view>& f) {
    Var v;
    int64_t id, size;
    if (f.size() != 7 || fn_ < 0 || !Int(f[1], &id) || !ParsePos(f[3], &v.pos) ||
        !Int(f[5], &size) || id < 0 || id > 1 << 24)
      return Fail("bad var record");
    v.id = static_cast<int>(id);
    v.fn = fn_;
    v.size = size;
    if (f[2] == "param") v.cls = VarClass::Param;
    else if (f[2] == "result") v.cls = VarClass::Result;
    else if (f[2] == "local") v.cls = VarClass::Local;
    else return Fail("bad var class");
    for (auto flag : Flags(f[4])) {
      v.ptr |= flag == "p";
      v.big |= flag == "big";
      v.uintptr |= flag == "uintptr";
    }
    v.name = Unescape(f[6]);
    if (p_->vars.size() <= static_cast<size_t>(id)) p_->vars.resize(id + 1);
    if (!defined_.insert(static_cast<int>(id)).second) return Fail("var defined twice");
    p_->vars[id] = std::move(v);
    p_->funcs[fn_].vars.push_back(static_cast<int>(id));
    return true;
  }

  bool End() {
    if (fn_ < 0) return Fail("end outside func");
    fn_ = -1;
    return true;
  }

  bool NodeRec(const std::vector<std::string_view>& f) {
    int64_t depth;
    Node n;
    if (f.size() != 5 || fn_ < 0 || !Int(f[0], &depth) || !ParsePos(f[2], &n.pos) || depth < 0 ||
        depth > static_cast<int64_t>(stack_.size()))
      return Fail("bad node record");
    n.op = std::string(f[1]);
    for (auto a : Flags(f[3])) {
      size_t eq = a.find('=');
      if (eq == std::string_view::npos) n.attrs.emplace_back(std::string(a), "");
      else n.attrs.emplace_back(std::string(a.substr(0, eq)), std::string(a.substr(eq + 1)));
    }
    n.text = Unescape(f[4]);
    stack_.resize(depth);
    std::vector<Node>& list = depth == 0 ? p_->funcs[fn_].stmts : stack_.back()->kids;
    list.push_back(std::move(n));
    stack_.push_back(&list.back());
    return true;
  }

  // Check: the shape every node must have for the walker (operand counts, references to
  // existing vars and funcs), so that no IR can make the engine index out of range.
  bool Check(const std::vector<Node>& list) {
    for (const Node& n : list)
      if (!CheckNode(n)) return false;
    return true;
  }

  bool CheckNode(const Node& n) {
    static const std::pair<const char*, size_t> kArity[] = {
        {"if", 3}, {"for", 3}, {"range", 4}, {"switch", 1}, {"case", 1}, {"typeswitch", 1},
        {"tcase", 1}, {"scase", 2}, {"send", 2}, {"go", 1}, {"defer", 1}, {"addr", 1},
        {"deref", 1}, {"dot", 1}, {"dotptr", 1}, {"dottype", 1}, {"conv", 1}, {"unsafeval", 1},
        {"conviface", 1}, {"ptrlit", 1}, {"methvalue", 1}, {"index", 2}, {"indexmap", 2},
        {"slice", 1}, {"call", 1}, {"append", 1}, {"copy", 2}, {"panic", 1}, {"unsafeadd", 2}};
    size_t want = 0;
    for (const auto& [op, k] : kArity)
      if (n.op == op) want = k;
    if (n.is("as") || n.is("as2func") || n.is("case")) want = std::max(want, static_cast<size_t>(n.num("n", 1)) + (n.is("as") ? 0 : 1));
    if (n.is("append") && n.has("ddd")) want = 2;
    if (n.kids.size() < want || ((n.is("as") || n.is("as2func")) && n.num("n", 1) < 1))
      return Fail(p_->where(n.pos) + ": node " + n.op + " has too few operands");
    if (n.is("scase") && !n.kids[0].is("block")) return Fail(p_->where(n.pos) + ": bad select case");
    if ((n.is("range") && !n.kids[3].is("block")) || (n.is("if") && !n.kids[1].is("block")) ||
        (n.is("for") && !n.kids[2].is("block")))
      return Fail(p_->where(n.pos) + ": node " + n.op + " without a body block");
    if (n.is("typeswitch"))
      for (size_t i = 1; i < n.kids.size(); i++)
        if (!n.kids[i].is("tcase") || !n.kids[i].kids[0].is("block")) return Fail(p_->where(n.pos) + ": bad type switch");
    if (n.is("switch"))
      for (size_t i = 1; i < n.kids.size(); i++)
        if (!n.kids[i].is("case") || !n.kids[i].kids.back().is("block")) return Fail(p_->where(n.pos) + ": bad switch");
    if (n.is("select"))
      for (const Node& c : n.kids)
        if (!c.is("scase")) return Fail(p_->where(n.pos) + ": bad select");
    if ((n.has("var") || n.is("name") || n.is("dcl")) && !VarOK(n.num("var")))
      return Fail(p_->where(n.pos) + ": bad var reference");
    if (n.has("fn") || n.is("closure")) {
      int fn = n.num("fn");
      if (fn < 0 || fn >= static_cast<int>(p_->funcs.size())) return Fail(p_->where(n.pos) + ": bad func reference");
      if (n.is("closure") && p_->funcs[fn].parent < 0) return Fail(p_->where(n.pos) + ": closure of a top-level func");
    }
    std::string_view caps = n.get("cap");
    while (!caps.empty()) {
      size_t semi = caps.find(';');
      int64_t v;
      if (!Int(caps.substr(0, semi), &v) || !VarOK(static_cast<int>(v)))
        return Fail(p_->where(n.pos) + ": bad capture");
      if (semi == std::string_view::npos) break;
      caps.remove_prefix(semi + 1);
    }
    return Check(n.kids);
  }

  bool VarOK(int v) const {
    return v >= 0 && v < static_cast<int>(p_->vars.size()) && defined_.count(v) != 0;
  }

  std::set<int> defined_;
  Program* p_;
  std::string* err_;
  int n_ = 0, fn_ = -1;
  std::vector<Node*> stack_;  // the path to the last node; pointers stay valid because
                              // only the last node of each level ever gets children
};

}  // namespace

bool ParseIR(std::istream& in, Program* out, std::string* err) {
  Reader r(out, err);
  std::string line;
  while (std::getline(in, line))
    if (!r.Line(line)) return false;
  return r.Done();
}

}  // namespace gort::escape
