// escape/main.cc — `gort-escape`, the command behind `./gort escape`.
//
//   gort-escape [-m | -m=2] [--json | --dot] FILE.go | PKGDIR
//   gort-escape [-m | -m=2] [--json | --dot] --ir FILE.ir      (IR already lowered)
//
// It runs the front end (gort-escape-frontend, found beside this executable) on the Go
// source, reads the IR from its output, analyses it and prints:
//   -m     the compiler's -m lines, in the compiler's order ("file:line:col: message")
//   -m=2   the same plus the flow explanations of -m=2
//   --json every location with its verdict and the path that decided it
//   --dot  the location graph in Graphviz form, escaping locations filled
// Exit status: 0 done, 2 bad usage or input (malformed Go is reported as file:line:col by
// the front end). Notes about constructs analysed conservatively go to stderr.
// Nothing else is executed: the Go toolchain is never run.
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include "escape/escape.h"

extern char** environ;

namespace gort::escape {
namespace {

struct Args {
  int level = 1;
  bool json = false, dot = false;
  std::string input, ir;
};

int Usage() {
  std::cerr << "usage: gort escape [-m | -m=2] [--json | --dot] FILE.go|PKGDIR\n";
  return 2;
}

bool ParseArgs(int argc, char** argv, Args* a) {
  for (int i = 1; i < argc; i++) {
    std::string s = argv[i];
    if (s == "-m") a->level = 1;
    else if (s == "-m=2" || s == "-m=3") a->level = 2;
    else if (s == "--json") a->json = true;
    else if (s == "--dot") a->dot = true;
    else if (s == "--ir" && i + 1 < argc) a->ir = argv[++i];
    else if (!s.empty() && s[0] == '-') return false;
    else if (a->input.empty()) a->input = s;
    else return false;
  }
  return a->json + a->dot <= 1 && (a->input.empty() != a->ir.empty());
}

std::string SelfDir() {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return ".";
  std::string p(buf, n);
  return p.substr(0, p.rfind('/'));
}

// RunFrontend spawns the front end and collects its standard output (the IR). Its
// standard error (diagnostics) is passed through.
bool RunFrontend(const std::string& input, std::string* ir, int* status) {
  std::string fe = SelfDir() + "/gort-escape-frontend";
  int fds[2];
  if (pipe(fds) != 0) return false;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
  posix_spawn_file_actions_addclose(&fa, fds[0]);
  posix_spawn_file_actions_addclose(&fa, fds[1]);
  char* argv[] = {fe.data(), const_cast<char*>(input.c_str()), nullptr};
  pid_t pid;
  int err = posix_spawn(&pid, fe.c_str(), &fa, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  close(fds[1]);
  if (err != 0) {
    close(fds[0]);
    std::cerr << "gort escape: cannot run " << fe << ": " << std::strerror(err) << "\n";
    *status = 2;
    return false;
  }
  char buf[65536];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) != 0;) {
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    ir->append(buf, n);
  }
  close(fds[0]);
  int ws = 0;
  while (waitpid(pid, &ws, 0) < 0 && errno == EINTR) {
  }
  *status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 2;
  return *status == 0;
}

std::string Quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\', out += c;
    else if (c == '\n') out += "\\n";
    else if (c == '\t') out += "\\t";
    else if (static_cast<unsigned char>(c) < 0x20) out += ' ';
    else out += c;
  }
  return out + "\"";
}

const char* KindName(LocKind k) {
  switch (k) {
    case LocKind::Heap: return "heap";
    case LocKind::Blank: return "blank";
    case LocKind::Var: return "var";
    case LocKind::Expr: return "alloc";
    default: return "temp";
  }
}

void PrintJSON(const Program& p, const Analysis& a) {
  std::cout << "{\"messages\": [";
  const char* sep = "";
  for (const Message& m : a.messages()) {
    if (m.explain) continue;
    std::cout << sep << "\n  {\"pos\": " << Quote(p.where(m.pos)) << ", \"msg\": " << Quote(m.text) << "}";
    sep = ",";
  }
  std::cout << "],\n\"locations\": [";
  sep = "";
  for (const Location& l : a.locations()) {
    if (l.kind != LocKind::Var && l.kind != LocKind::Expr) continue;
    Pos pos = l.kind == LocKind::Var ? l.var->pos : l.n->pos;
    std::cout << sep << "\n  {\"kind\": \"" << KindName(l.kind) << "\", \"name\": " << Quote(a.LocName(&l))
              << ", \"func\": " << Quote(p.funcs[l.fn].name) << ", \"pos\": " << Quote(p.where(pos))
              << ", \"escapes\": " << (l.escapes ? "true" : "false") << ", \"loopDepth\": " << l.loopDepth;
    if (l.kind == LocKind::Var && l.var->cls == VarClass::Param) {
      std::cout << ", \"leaks\": {\"heap\": " << l.paramEsc.Heap() << ", \"results\": [";
      for (int i = 0; i < Leaks::kResults; i++) std::cout << (i ? ", " : "") << l.paramEsc.Result(i);
      std::cout << "]}";
    }
    std::cout << ", \"path\": [";
    const char* s2 = "";
    for (const std::string& line : l.explanation) {
      std::cout << s2 << Quote(line);
      s2 = ", ";
    }
    std::cout << "]}";
    sep = ",";
  }
  std::cout << "],\n\"notes\": [";
  sep = "";
  for (const std::string& n : a.notes()) {
    std::cout << sep << Quote(n);
    sep = ", ";
  }
  std::cout << "]}\n";
}

// PrintDot draws the location graph: one cluster per function, one heap for all batches,
// escaping locations filled; an edge dst <- src is labelled with its operation (& address,
// * per dereference, = plain) and why the flow happened. Dashed edges are addresses that went
// straight into the heap (no edge in the solver's graph: the source escaped at once).
void PrintDot(const Analysis& a) {
  auto id = [](const Location* l) {
    if (l->kind == LocKind::Heap) return std::string("heap");
    std::ostringstream o;  // not "L" + to_string: GCC 12 warns -Wrestrict inside libstdc++ there
    o << 'L' << reinterpret_cast<uintptr_t>(l);
    return o.str();
  };
  auto label = [](const Edge& e) {
    std::string ops = e.derefs < 0 ? "&" : e.derefs == 0 ? "=" : std::string(e.derefs, '*');
    return e.notes.empty() ? ops : ops + " " + e.notes.front().why;
  };
  std::cout << "digraph escape {\n  rankdir=LR;\n  node [shape=box, fontname=monospace];\n"
            << "  heap [label=\"{heap}\", shape=ellipse, style=filled, fillcolor=\"#f4a6a6\"];\n";
  std::map<int, std::vector<const Location*>> byFunc;
  std::set<const Location*> drawn;
  for (const auto& [dst, e] : a.directEscapes()) drawn.insert(e.src);
  for (const Location& l : a.locations()) {
    if (l.kind == LocKind::Heap || l.kind == LocKind::Blank) continue;
    if (l.kind == LocKind::Temp && l.edges.empty() && !drawn.count(&l)) continue;
    byFunc[l.fn].push_back(&l);
  }
  for (const auto& [fn, locs] : byFunc) {
    std::cout << "  subgraph cluster_" << fn << " {\n    label=" << Quote(a.FuncName(fn))
              << "; style=rounded; color=\"#999999\";\n";
    for (const Location* l : locs)
      std::cout << "    " << id(l) << " [label=" << Quote(a.LocName(l))
                << (l->escapes ? ", style=filled, fillcolor=\"#f4a6a6\"" : "") << "];\n";
    std::cout << "  }\n";
  }
  for (const Location& l : a.locations())
    for (const Edge& e : l.edges)
      std::cout << "  " << id(e.src) << " -> " << id(&l) << " [label=" << Quote(label(e)) << "];\n";
  for (const auto& [dst, e] : a.directEscapes())
    std::cout << "  " << id(e.src) << " -> " << id(dst) << " [label=" << Quote(label(e))
              << ", style=dashed];\n";
  std::cout << "}\n";
}

int Main(int argc, char** argv) {
  Args args;
  if (!ParseArgs(argc, argv, &args)) return Usage();
  std::string ir;
  if (!args.ir.empty()) {
    std::ifstream f(args.ir);
    if (!f) {
      std::cerr << args.ir << ": cannot read\n";
      return 2;
    }
    std::stringstream ss;
    ss << f.rdbuf();
    ir = ss.str();
  } else {
    int status = 0;
    if (!RunFrontend(args.input, &ir, &status)) return 2;
  }
  Program prog;
  std::string err;
  std::istringstream in(ir);
  if (!ParseIR(in, &prog, &err)) {
    std::cerr << "gort escape: malformed IR: " << err << "\n";
    return 2;
  }
  Options opts{args.level, args.level >= 2 || args.json || args.dot};
  Analysis a(prog, opts);
  a.Run();
  for (const std::string& n : a.notes()) std::cerr << "gort escape: note: " << n << "\n";
  if (args.json) PrintJSON(prog, a);
  else if (args.dot) PrintDot(a);
  else
    for (const Message& m : a.messages()) std::cout << prog.where(m.pos) << ": " << m.text << "\n";
  return 0;
}

}  // namespace
}  // namespace gort::escape

int main(int argc, char** argv) { return gort::escape::Main(argc, argv); }
