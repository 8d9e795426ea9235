// env_test.cc — the GORT_* environment variables, seen from outside: env_child runs with a
// chosen environment; a bad value is reported once on stderr, the default is kept and the
// program works; a good value takes effect.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

extern char** environ;

namespace {

struct ChildRun {
  int status = -1;
  std::string out, err;
};

std::string Slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// Runs env_child with the current environment, GORT_* variables removed, plus `extra`.
ChildRun RunChild(const std::vector<std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; e++)
    if (strncmp(*e, "GORT_", 5) != 0) env.emplace_back(*e);
  env.insert(env.end(), extra.begin(), extra.end());
  std::vector<char*> envp;
  for (auto& s : env) envp.push_back(s.data());
  envp.push_back(nullptr);
  char out[] = "/tmp/gort-env-out-XXXXXX", err[] = "/tmp/gort-env-err-XXXXXX";
  int fo = mkstemp(out), fe = mkstemp(err);
  ChildRun r;
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fo, 1);
    dup2(fe, 2);
    char* argv[] = {const_cast<char*>(GORT_ENV_CHILD), nullptr};
    execve(GORT_ENV_CHILD, argv, envp.data());
    _exit(127);
  }
  waitpid(pid, &r.status, 0);
  close(fo);
  close(fe);
  r.out = Slurp(out);
  r.err = Slurp(err);
  unlink(out);
  unlink(err);
  return r;
}

size_t Count(const std::string& hay, const std::string& needle) {
  size_t n = 0;
  for (size_t at = hay.find(needle); at != std::string::npos; at = hay.find(needle, at + 1)) n++;
  return n;
}

void ExpectWorked(const ChildRun& r) {
  EXPECT_TRUE(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0) << "status " << r.status << "\n" << r.err;
  EXPECT_NE(r.out.find("env_child: ok"), std::string::npos) << r.out;
}

TEST(Env, DefaultsAreQuiet) {
  ChildRun r = RunChild({});
  ExpectWorked(r);
  EXPECT_EQ(r.err, "");
  EXPECT_NE(r.out.find("released: no"), std::string::npos) << "64 MiB retained by default";
}

TEST(Env, GoodValueTakesEffect) {
  ChildRun r = RunChild({"GORT_RETAIN_MB=0"});
  ExpectWorked(r);
  EXPECT_EQ(r.err, "");
  EXPECT_NE(r.out.find("released: yes"), std::string::npos) << "GORT_RETAIN_MB=0 must release at once";
}

TEST(Env, BadValueReportedOnceDefaultKept) {
  for (const char* bad : {"abc", "12x", "-1", "", "99999999999", "18446744073709551616"}) {
    std::string var = std::string("GORT_RETAIN_MB=") + bad;
    ChildRun r = RunChild({var});
    ExpectWorked(r);
    EXPECT_EQ(Count(r.err, "GORT_RETAIN_MB"), 1u) << var << " stderr:\n" << r.err;
    EXPECT_EQ(Count(r.err, "'" + std::string(bad) + "'"), 1u) << "names the value: " << r.err;
    EXPECT_EQ(Count(r.err, "gort: "), 1u) << r.err;
    EXPECT_NE(r.out.find("released: no"), std::string::npos) << var << ": default (16) not kept";
  }
}

TEST(Env, StatsOption) {
  ChildRun on = RunChild({"GORT_STATS=1"});
  ExpectWorked(on);
  EXPECT_EQ(Count(on.err, "gort: heap statistics"), 1u) << on.err;
  EXPECT_NE(on.err.find("thread caches"), std::string::npos) << on.err;
  ChildRun bad = RunChild({"GORT_STATS=2"});
  ExpectWorked(bad);
  EXPECT_EQ(Count(bad.err, "GORT_STATS='2'"), 1u) << bad.err;
  EXPECT_EQ(bad.err.find("heap statistics"), std::string::npos) << "bad value: default (off) kept";
}

TEST(Env, ThreadCacheBudget) {
  ChildRun small = RunChild({"GORT_THREAD_CACHE_KB=64"});
  ExpectWorked(small);
  EXPECT_EQ(small.err, "");
  for (const char* bad : {"63", "4M", "1048577"}) {
    std::string var = std::string("GORT_THREAD_CACHE_KB=") + bad;
    ChildRun r = RunChild({var});
    ExpectWorked(r);
    EXPECT_EQ(Count(r.err, "GORT_THREAD_CACHE_KB='" + std::string(bad) + "'"), 1u) << r.err;
    EXPECT_EQ(Count(r.err, "gort: "), 1u) << r.err;
  }
}

TEST(Env, CheckAndVerboseOptions) {
  ChildRun checked = RunChild({"GORT_CHECK=1"});
  ExpectWorked(checked);  // the child's allocations raise no false alarm
  EXPECT_EQ(checked.err, "");
  ChildRun bad = RunChild({"GORT_CHECK=yes"});
  ExpectWorked(bad);
  EXPECT_EQ(Count(bad.err, "GORT_CHECK='yes'"), 1u) << bad.err;
  ChildRun verbose = RunChild({"GORT_VERBOSE=1", "GORT_RETAIN_MB=32"});
  ExpectWorked(verbose);
  EXPECT_EQ(Count(verbose.err, "gort: GORT_RETAIN_MB=32 (from the environment)"), 1u) << verbose.err;
  EXPECT_EQ(Count(verbose.err, "gort: GORT_CHECK=0 (default)"), 1u) << verbose.err;
  EXPECT_EQ(Count(verbose.err, "gort: GORT_PROFILE is not set"), 1u) << verbose.err;
  EXPECT_NE(verbose.out.find("released: no"), std::string::npos) << "32 MiB retained";
}

TEST(Env, TwoBadValuesEachReportedOnce) {
  ChildRun r = RunChild({"GORT_RETAIN_MB=lots", "GORT_STATS=yes"});
  ExpectWorked(r);
  EXPECT_EQ(Count(r.err, "GORT_RETAIN_MB='lots'"), 1u) << r.err;
  EXPECT_EQ(Count(r.err, "GORT_STATS='yes'"), 1u) << r.err;
}

}  // namespace
