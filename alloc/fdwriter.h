// fdwriter.h — text to a file descriptor through a buffer on the caller's stack, and the
// files named by GORT_STATS=path and GORT_HEAPMAP.
//
// The statistics table, malloc_stats and the heap map are written from inside the allocator
// (at exit, from a signal handler, with allocator locks held), where nothing may allocate and
// stdio may not be used (its buffers come from malloc). FdWriter keeps a fixed buffer, hands
// full buffers to write(2), and remembers a failed write: the rest is dropped, never retried.
// Invariant: n_ <= sizeof(buf_); ok() is false from the first failed write on.
// Async-signal-safe: it calls write(2) only.
//
// OutputPath: a file named in the environment is written at exit or on a signal, when the
// program may have changed its working directory and, after fork, be one of several
// processes. So a relative name is made absolute against the working directory at start-up,
// and "%p" in it stands for the writing process's id. Open() builds the name in a stack
// buffer and calls open(2): async-signal-safe too.
#pragma once

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>

namespace gort::alloc {

class FdWriter {
 public:
  explicit FdWriter(int fd) : fd_(fd) {}
  ~FdWriter() { Flush(); }
  FdWriter(const FdWriter&) = delete;
  FdWriter& operator=(const FdWriter&) = delete;

  FdWriter& Str(const char* s) {
    while (*s != '\0') Put(*s++);
    return *this;
  }
  // v in decimal, right-aligned in width columns.
  FdWriter& Dec(uint64_t v, int width = 0) {
    char d[20];
    int k = 0;
    do d[k++] = char('0' + v % 10); while ((v /= 10) != 0);
    for (int i = k; i < width; i++) Put(' ');
    while (k > 0) Put(d[--k]);
    return *this;
  }
  // v / 10 with one decimal ("12.5"), right-aligned; for per-mille figures.
  FdWriter& Tenths(uint64_t v, int width = 0) {
    uint64_t whole = v / 10;
    int digits = 1;
    for (uint64_t w = whole; w >= 10; w /= 10) digits++;
    for (int i = digits + 2; i < width; i++) Put(' ');
    Dec(whole);
    Put('.');
    Put(char('0' + v % 10));
    return *this;
  }
  FdWriter& Hex(uint64_t v) {
    char d[16];
    int k = 0;
    do d[k++] = "0123456789abcdef"[v & 15]; while ((v >>= 4) != 0);
    Put('0');
    Put('x');
    while (k > 0) Put(d[--k]);
    return *this;
  }
  FdWriter& Pad(const char* s, int width) {  // s, left-aligned in width columns
    int k = 0;
    for (; s[k] != '\0'; k++) Put(s[k]);
    for (; k < width; k++) Put(' ');
    return *this;
  }
  void Flush() {
    const char* p = buf_;
    while (n_ > 0 && ok_) {
      ssize_t w = write(fd_, p, n_);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) ok_ = false;
      else p += w, n_ -= size_t(w);
    }
    n_ = 0;
  }
  bool ok() const { return ok_; }

 private:
  void Put(char c) {
    if (n_ == sizeof(buf_)) Flush();
    buf_[n_++] = c;
  }
  int fd_;
  bool ok_ = true;
  size_t n_ = 0;
  char buf_[2048];
};

class OutputPath {
 public:
  static constexpr size_t kMax = 4096;
  // Start-up: spec is the variable's text. False (and no name) when it does not fit.
  bool Init(const char* spec) {
    n_ = 0;
    if (spec[0] != '/') {
      if (getcwd(path_, kMax) == nullptr) return false;
      while (path_[n_] != '\0') n_++;
      if (!Append("/")) return false;
    }
    if (!Append(spec)) return false;
    set_ = true;
    return true;
  }
  bool set() const { return set_; }
  const char* spec() const { return path_; }  // before %p is replaced
  // Opens the file for writing (created, truncated), the name followed by suffix; -1 and
  // errno when it cannot. name receives the name opened (at least kMax + 32 bytes).
  int Open(const char* suffix, char* name) const {
    size_t k = 0;
    for (size_t i = 0; i < n_ && k + 24 < kMax + 32; i++) {
      if (path_[i] == '%' && path_[i + 1] == 'p') {
        k = PutDec(name, k, uint64_t(getpid()));
        i++;
      } else {
        name[k++] = path_[i];
      }
    }
    for (; *suffix != '\0' && k + 1 < kMax + 32; suffix++) name[k++] = *suffix;
    name[k] = '\0';
    return open(name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  }
  static size_t PutDec(char* out, size_t k, uint64_t v) {
    char d[20];
    int j = 0;
    do d[j++] = char('0' + v % 10); while ((v /= 10) != 0);
    while (j > 0) out[k++] = d[--j];
    return k;
  }

 private:
  bool Append(const char* s) {
    for (; *s != '\0'; s++) {
      if (n_ + 1 >= kMax) return false;
      path_[n_++] = *s;
    }
    path_[n_] = '\0';
    return true;
  }
  char path_[kMax] = {};
  size_t n_ = 0;
  bool set_ = false;
};

}  // namespace gort::alloc
