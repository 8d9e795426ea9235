// oracle.cc — finding go, running an oracle hermetically, golden files, comparing texts.
// The design is at the top of oracle.h.
#include "tests/oracle/oracle.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

extern char** environ;

namespace gort::oracle {
namespace {

constexpr const char* kFallbackGo = "/usr/lib/go-1.19/bin/go";

std::string Parent(const std::string& path) {
  size_t i = path.find_last_of('/');
  if (i == std::string::npos || path == "/") return "";
  return i == 0 ? "/" : path.substr(0, i);
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

bool ReadInto(const std::string& path, std::string* text) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  *text = ss.str();
  return true;
}

// --- The environment of a run -------------------------------------------------------------

// The directory, or the nearest ancestor that exists, is writable (go creates the rest).
bool Writable(std::string dir) {
  while (!dir.empty() && access(dir.c_str(), F_OK) != 0) dir = Parent(dir);
  return !dir.empty() && access(dir.c_str(), W_OK) == 0;
}

// Go's default build cache is $XDG_CACHE_HOME/go-build, else $HOME/.cache/go-build.
bool UserCacheWritable() {
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  if (xdg != nullptr && *xdg != '\0') return *xdg == '/' && Writable(xdg);
  const char* home = std::getenv("HOME");
  return home != nullptr && *home == '/' && Writable(std::string(home) + "/.cache");
}

// The caller's variables, less Go's own (GOFLAGS, GOROOT, GOOS, GODEBUG, ...): only a usable
// GOCACHE and GOTMPDIR pass. gort's GORT_* variables pass.
bool Keep(std::string_view var) {
  if (!var.starts_with("GO") || var.starts_with("GORT_")) return true;
  if (var.starts_with("GOCACHE=")) return var != "GOCACHE=" && var != "GOCACHE=off";
  return var.starts_with("GOTMPDIR=");
}

std::vector<std::string> HermeticEnv() {
  std::vector<std::string> env;
  bool cache = false;
  for (char** e = environ; *e != nullptr; e++) {
    if (!Keep(*e)) continue;
    env.emplace_back(*e);
    cache |= env.back().starts_with("GOCACHE=");
  }
  for (const char* v : {"GO111MODULE=off", "GOPROXY=off", "GOTOOLCHAIN=local"}) env.emplace_back(v);
  if (!cache && !UserCacheWritable()) env.emplace_back("GOCACHE=" GORT_ORACLE_GOCACHE);
  return env;
}

// --- Running a command --------------------------------------------------------------------

std::string Quote(const std::string& word) {
  if (!word.empty() && word.find_first_of(" '\"\\$`*?;&|<>()") == std::string::npos) return word;
  std::string q = "'";
  for (char c : word) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string CommandLine(const std::vector<std::string>& argv, const std::string& dir) {
  std::string line = "cd ";
  line += Quote(dir);
  line += " &&";
  for (const auto& word : argv) (line += ' ') += Quote(word);
  return line;
}

std::vector<char*> Pointers(std::vector<std::string>& words) {
  std::vector<char*> p;
  for (auto& w : words) p.push_back(w.data());
  p.push_back(nullptr);
  return p;
}

// After fork: only async-signal-safe calls.
[[noreturn]] void Child(char* const* argv, char* const* env, const char* dir, int out, int err) {
  int in = open("/dev/null", O_RDONLY);
  if (in >= 0) dup2(in, 0);
  dup2(out, 1);
  dup2(err, 2);
  const char* why = "oracle runner: cannot enter the directory\n";
  if (chdir(dir) == 0) {
    execve(argv[0], argv, env);
    why = "oracle runner: cannot execute the command\n";
  }
  ssize_t ignored = write(2, why, std::strlen(why));
  (void)ignored;
  _exit(127);
}

// The exit status (128 + N for signal N), or -1 with errno when the command did not start.
int ForkExec(std::vector<std::string> argv, const std::string& dir, int out, int err) {
  std::vector<std::string> env = HermeticEnv();
  std::vector<char*> av = Pointers(argv), ev = Pointers(env);
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) Child(av.data(), ev.data(), dir.c_str(), out, err);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string Contents(FILE* f) {
  std::string text;
  if (f == nullptr || std::fseek(f, 0, SEEK_SET) != 0) return text;
  char buf[65536];
  for (size_t k; (k = std::fread(buf, 1, sizeof buf, f)) > 0;) text.append(buf, k);
  return text;
}

// argv[0] is a path. stdout and stderr go to unnamed temporary files, so neither pipe can
// fill up while the other is read.
Result Spawn(const std::vector<std::string>& argv, const std::string& dir) {
  Result run;
  run.command = CommandLine(argv, dir);
  FILE* out = std::tmpfile();
  FILE* err = std::tmpfile();
  if (out != nullptr && err != nullptr) run.status = ForkExec(argv, dir, fileno(out), fileno(err));
  if (run.status == -1) run.err = std::string("could not start: ") + std::strerror(errno);
  run.out = Contents(out);
  if (run.status != -1) run.err = Contents(err);
  for (FILE* f : {out, err})
    if (f != nullptr) std::fclose(f);
  return run;
}

// "`command` exited with status N (version); stderr: ..." (stderr cut at 4000 bytes).
std::string Describe(const Result& run, std::string_view version) {
  std::ostringstream os;
  os << "`" << run.command << "` ";
  if (run.status == -1) os << "did not run";
  else os << "exited with status " << run.status;
  if (!version.empty()) os << " (" << version << ")";
  constexpr size_t kMaxErr = 4000;
  if (!run.err.empty()) os << "; stderr:\n" << run.err.substr(0, kMaxErr);
  if (run.err.size() > kMaxErr) os << "\n[" << run.err.size() - kMaxErr << " more bytes]";
  return os.str();
}

// --- Finding go ---------------------------------------------------------------------------

std::vector<std::string> OnPath(const std::string& name) {
  std::vector<std::string> found;
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path != nullptr ? path : "");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    std::string file = (dir.empty() ? "." : dir) + "/" + name;
    if (access(file.c_str(), X_OK) == 0) found.push_back(file);
  }
  return found;
}

// "go version go1.19 ..." or "go version go1.19.N ...".
bool IsGo119(const Toolchain& t) {
  std::string_view v = t.version, want = "go version go1.19";
  if (!v.starts_with(want) || v.size() == want.size()) return false;
  return v[want.size()] == '.' || v[want.size()] == ' ';
}

// `go version` runs: fills t and returns true; else why it did not.
bool Probe(const std::string& go, Toolchain& t, std::string& why) {
  Result version = Spawn({go, "version"}, "/");
  if (!version.ok()) {
    why = Describe(version, "");
    return false;
  }
  t.go = go;
  t.version = Trim(version.out);
  t.root = Trim(Spawn({go, "env", "GOROOT"}, "/").out);
  return true;
}

Toolchain FromGortGo(const std::string& go) {
  Toolchain t;
  if (go == "none") {
    t.problem = "GORT_GO=none: live runs of the Go oracles are off";
    return t;
  }
  std::vector<std::string> found = go.find('/') == std::string::npos ? OnPath(go) : std::vector{go};
  std::string why = "not found on PATH";
  if (found.empty() || !Probe(found[0], t, why)) {
    t.misconfigured = true;
    t.problem = "GORT_GO=" + go + " does not run (unset it, or GORT_GO=none to skip): " + why;
  }
  return t;
}

// The first go that runs, from PATH then the fallback; a go1.19 wins over other versions.
Toolchain Find() {
  if (const char* forced = std::getenv("GORT_GO"); forced != nullptr && *forced != '\0')
    return FromGortGo(forced);
  std::vector<std::string> candidates = OnPath("go");
  candidates.push_back(kFallbackGo);
  Toolchain best;
  for (const auto& go : candidates) {
    Toolchain t;
    std::string why;
    if (!Probe(go, t, why)) continue;
    if (best.go.empty() || (!IsGo119(best) && IsGo119(t))) best = t;
    if (IsGo119(best)) break;
  }
  if (best.go.empty())
    best.problem = std::string("go is not installed (GORT_GO unset, no go on PATH, no ") +
                   kFallbackGo + "): live runs of the Go oracles skipped";
  return best;
}

std::vector<Row> ParseRows(const std::string& text) {
  std::vector<Row> rows;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line.substr(0, line.find('#')));
    Row row;
    if (!(words >> row.golden >> row.oracle)) continue;
    for (std::string arg; words >> arg;) row.args.push_back(arg);
    rows.push_back(row);
  }
  return rows;
}

Result Failed(std::string command, std::string why) {
  return Result{.command = std::move(command), .status = -1, .out = "", .err = std::move(why)};
}

// First line that differs: its number, and the line itself in `text` (or a note).
std::string LineAt(std::string_view text, size_t start) {
  if (start >= text.size()) return "(end of text)";
  size_t end = text.find('\n', start);
  std::string line = "\"";
  (line += text.substr(start, end - start)) += '"';
  return end == std::string_view::npos ? line + " (no newline at the end)" : line;
}

size_t Lines(std::string_view text) {
  size_t n = 0;
  for (char c : text) n += c == '\n';
  return n + (!text.empty() && text.back() != '\n');
}

}  // namespace

const Toolchain& Go() {
  static const Toolchain toolchain = Find();
  return toolchain;
}

std::ostream& operator<<(std::ostream& os, const Result& run) {
  return os << Describe(run, Go().version);
}

std::string TestsPath(std::string_view rel) { return std::string(GORT_TESTS_DIR "/") += rel; }

const std::vector<Row>& Rows() {
  static const std::vector<Row> rows = ParseRows(ReadFile(TestsPath("oracle/oracles.txt")));
  return rows;
}

Result RunOracle(const Row& row) {
  std::string file = TestsPath(row.oracle), dir = Parent(file);
  std::vector<std::string> argv = {Go().go, "run", file.substr(dir.size() + 1)};
  argv.insert(argv.end(), row.args.begin(), row.args.end());
  if (Go().go.empty()) return Failed(CommandLine(argv, dir), Go().problem);
  return Spawn(argv, dir);
}

const Result& Live(std::string_view golden) {
  static std::mutex mu;
  static std::map<std::string, Result, std::less<>> runs;
  std::lock_guard lock(mu);
  if (auto it = runs.find(golden); it != runs.end()) return it->second;
  auto row = std::ranges::find(Rows(), golden, &Row::golden);
  std::string unlisted = std::string(golden) + " is not listed in oracles.txt";
  Result run = row != Rows().end() ? RunOracle(*row) : Failed("(no oracle)", unlisted);
  return runs.emplace(golden, std::move(run)).first->second;
}

std::string Golden(std::string_view golden) {
  std::string text;
  if (!ReadInto(TestsPath(golden), &text))
    ADD_FAILURE() << "cannot read golden file " << TestsPath(golden);
  return text;
}

std::string ReadFile(const std::string& path) {
  std::string text;
  ReadInto(path, &text);
  return text;
}

::testing::AssertionResult SameLines(const char* want_expr, const char* got_expr,
                                     std::string_view want, std::string_view got) {
  if (want == got) return ::testing::AssertionSuccess();
  size_t i = 0, line = 1, start = 0;
  for (; i < want.size() && i < got.size() && want[i] == got[i]; i++)
    if (want[i] == '\n') line++, start = i + 1;
  return ::testing::AssertionFailure()
         << want_expr << " and " << got_expr << " differ first at line " << line << " (they have "
         << Lines(want) << " and " << Lines(got) << " lines):\n  " << want_expr << ": "
         << LineAt(want, start) << "\n  " << got_expr << ": " << LineAt(got, start);
}

}  // namespace gort::oracle
