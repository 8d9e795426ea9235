// escape/ir.h — the typed IR the Go front end (escape/frontend) hands the C++ engine.
//
// The front end type-checks a Go file or package with go/types and lowers it to a tree
// close to what the compiler's escape pass sees after typecheck: conversions to interfaces
// are explicit nodes, method receivers carry their implicit & or *, embedded field paths
// are spelled out, a variadic call's extra arguments form a "... argument" slice literal,
// f(g()) and `return g()` go through temporaries. Every node carries the text and position
// the compiler would print for it, so the engine never needs Go syntax.
//
// Format: UTF-8 text, one record per line, fields separated by one TAB. Text fields escape
// backslash, TAB and newline as \\, \t, \n. Positions are FILE:LINE:COL (FILE indexes the
// `file` records; 0:0:0 = none).
//
//   gortir  1                                   header, version
//   file    IDX  PATH                           one per source file
//   note    POS  MESSAGE                        a construct the front end did not lower
//   msg     POS  MESSAGE                        a -m message the front end decided (index
//                                               bounds check elided), printed as is
//   extern  NAME  LEAKS                         an imported function's escape summary, from
//                                               its export data: per receiver and parameter
//                                               "H:R0:..:R6", the derefs at which it reaches
//                                               the heap and results 0..6 (-1 never);
//                                               lists separated by ",", "-" for none
//   func    ID  PARENT  POS  FLAGS  NAME        PARENT = enclosing func of a closure or -1
//   var     ID  CLASS  POS  FLAGS  SIZE  NAME   CLASS param|result|local; belongs to the
//                                               func above; params in order (receiver
//                                               first), then results, then locals
//   DEPTH   OP  POS  ATTRS  TEXT                a body node; DEPTH 0 = a statement of the
//                                               func above, DEPTH d+1 = operand of the
//                                               last node of depth d
//   end                                         closes the func
//
// func FLAGS: body (has a body), called (a closure called directly), noescape (the
// //go:noescape pragma), init (the package initialiser). var FLAGS: p (the type has
// pointers), big (too large for the stack), uintptr (of type uintptr). FLAGS and ATTRS
// are comma lists or "-"; ATTRS are key or key=value. Node attributes used by every
// expression: p (its type has pointers), u (untyped).
//
// Statements: block{stmts} dcl[var] as[n,why]{lhs x n, rhs...} as2func[n]{lhs x n, call}
//   return{results} if{cond,block,block|none} for{cond|none,block(post)|none,block}
//   range[array]{x,key|none,value|none,block} switch{tag|none,case[n]{exprs x n,block}...}
//   typeswitch{x,tcase[var,iface,direct,p]{block}...} select{scase{block(comm),block}...}
//   send{chan,value} go{call} defer{call} label[looping] unsup{names}
//   staticfunc{closure} (a package-level function literal laid out statically: its body is
//   analysed, the literal allocates nothing)
// Destinations (lhs): name[var,def] global blank dot dotptr index indexmap deref.
// dot and dotptr carry hdrdata when they select reflect.SliceHeader/StringHeader.Data.
// Expressions: lit none name[var] global op{..} addr deref dot dotptr dottype[iface,direct]
//   index[array]{x,i} indexmap{m,k} slice{x,bounds..} conv[fromunsafe] unsafeval
//   conviface[spill] recv call[kind,fn,ext,recv,nres]{callee,args..} append[elemptr,ddd,
//   srcptr] copy[srcptr] panic builtin unsafeadd new[why] makeslice[why] makemap makechan
//   methvalue[fn|ext|iface] ptrlit[why]{lit} structlit arraylit slicelit maplit{k,v,..}
//   closure[fn,cap=ID;ID..] strconv addstr.
// call kind: static (fn=ID of a func record), ext (ext=the imported function's full name,
// e.g. fmt.Println or (*bytes.Buffer).Write), iface (interface method), dyn (function
// value). recv: the first argument is the receiver.
#pragma once

#include <cstdint>
#include <array>
#include <istream>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gort::escape {

struct Pos {
  int file = 0, line = 0, col = 0;
  bool valid() const { return line > 0; }
  auto operator<=>(const Pos&) const = default;
};

struct Node {
  std::string op;
  Pos pos;
  std::vector<std::pair<std::string, std::string>> attrs;
  std::string text;
  std::vector<Node> kids;

  bool is(std::string_view o) const { return op == o; }
  bool has(std::string_view key) const;
  std::string_view get(std::string_view key) const;  // "" when absent
  int num(std::string_view key, int def = -1) const;
};

enum class VarClass { Param, Result, Local };

struct Var {
  int id = 0, fn = 0;
  VarClass cls = VarClass::Local;
  Pos pos;
  bool ptr = false, big = false, uintptr = false;
  int64_t size = 0;
  std::string name;  // "" for unnamed and blank parameters
};

struct Func {
  int id = 0, parent = -1;
  Pos pos;
  bool body = false, called = false, noescape = false, init = false;
  std::string name;
  std::vector<int> vars;   // ids, in record order
  std::vector<Node> stmts;
};

// Leaks of an imported function's parameter: derefs to the heap, then to results 0..6.
using ExternLeaks = std::array<int, 8>;

struct Program {
  std::vector<std::string> files;
  std::map<std::string, std::vector<ExternLeaks>> externs;  // by full name, e.g. fmt.Println
  std::vector<Func> funcs;    // indexed by id
  std::vector<Var> vars;      // indexed by id
  std::vector<std::pair<Pos, std::string>> notes;
  std::vector<std::pair<Pos, std::string>> messages;  // msg records

  std::string where(Pos p) const;  // "path:line:col"
};

// Reads the IR; on malformed input returns false with *err set ("line N: ...").
bool ParseIR(std::istream& in, Program* out, std::string* err);

}  // namespace gort::escape
