// profile.cc — see profile.h for the design.
#include "alloc/profile.h"

#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <link.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include <atomic>
#include <cstring>

#include "alloc/check.h"
#include "alloc/fastrand.h"
#include "alloc/fdwriter.h"
#include "alloc/lock.h"
#include "alloc/malloc.h"
#include "alloc/mheap.h"
#include "alloc/os.h"
#include "alloc/span.h"

namespace gort::alloc {

namespace {

constexpr int kMaxDepth = 48;
constexpr uint32_t kMaxRecords = 1 << 14;  // a power of two

struct Record {
  uint64_t hash;
  uint32_t depth;
  bool used;
  uintptr_t pcs[kMaxDepth];
  double alloc_objects, alloc_bytes, free_objects, free_bytes;
};

constinit Lock g_lock{LockRank::kProfile};
constinit uint64_t g_rate = 0;  // 0: off
constinit const char* g_path = nullptr;
constinit std::atomic<bool> g_warm{false};
constinit Record* g_records = nullptr;  // kMaxRecords, mapped at init; [0]: stacks not kept
// The text of the object holding the allocator: frames inside it are not the caller's.
constinit uintptr_t g_self_lo = 0, g_self_hi = 0;

// ---- arithmetic without libm -----------------------------------------------------------

// ln(x) for x > 0: x = m 2^e with m in [1, 2); ln m = 2 atanh((m-1)/(m+1)), a series in t^2
// that converges fast for t <= 1/3.
double Ln(double x) {
  uint64_t bits;
  memcpy(&bits, &x, 8);
  const int e = int((bits >> 52) & 0x7ff) - 1023;
  bits = (bits & ((uint64_t{1} << 52) - 1)) | (uint64_t{1023} << 52);
  double m;
  memcpy(&m, &bits, 8);
  const double t = (m - 1) / (m + 1), t2 = t * t;
  double term = t, sum = 0;
  for (int k = 1; k < 40; k += 2) {
    sum += term / k;
    term *= t2;
  }
  return 2 * sum + e * 0.6931471805599453;
}

// exp(x) for x <= 0: x = k ln2 + r with |r| <= ln2 / 2, a Taylor series for e^r.
double Exp(double x) {
  if (x < -700) return 0;
  const int k = int(x / 0.6931471805599453 - 0.5);
  const double r = x - k * 0.6931471805599453;
  double term = 1, sum = 1;
  for (int i = 1; i < 20; i++) {
    term *= r / i;
    sum += term;
  }
  uint64_t bits = uint64_t(k + 1023) << 52;
  double p;
  memcpy(&p, &bits, 8);
  return sum * p;
}

// How many allocations of size bytes one sample stands for.
double Weight(size_t size) {
  const double q = 1 - Exp(-double(size) / double(g_rate));
  return q > 0 ? 1 / q : 1;
}

// ---- stacks ------------------------------------------------------------------------------

int FindSelf(dl_phdr_info* info, size_t, void* data) {
  const uintptr_t me = reinterpret_cast<uintptr_t>(data);
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_LOAD || !(ph.p_flags & PF_X)) continue;
    const uintptr_t lo = info->dlpi_addr + ph.p_vaddr, hi = lo + ph.p_memsz;
    if (me >= lo && me < hi) {
      // Linked into a program, the allocator shares its text: cut nothing by address then.
      const bool shared = info->dlpi_name != nullptr && info->dlpi_name[0] != '\0';
      if (shared) g_self_lo = lo, g_self_hi = hi;
      return 1;
    }
  }
  return 0;
}

uint64_t HashPcs(const uintptr_t* pcs, int n) {
  uint64_t h = 0x9e3779b97f4a7c15ull ^ uint64_t(n);
  for (int i = 0; i < n; i++) h = (h ^ pcs[i]) * 0xbf58476d1ce4e5b9ull, h ^= h >> 31;
  return h;
}

// The record for this stack (created if new); [0] when the table is full. REQUIRES g_lock.
uint32_t Intern(const uintptr_t* pcs, int n) {
  const uint64_t h = HashPcs(pcs, n);
  for (uint32_t i = 0, j = uint32_t(h) & (kMaxRecords - 1); i < kMaxRecords / 2;
       i++, j = (j + 1) & (kMaxRecords - 1)) {
    if (j == 0) continue;
    Record& r = g_records[j];
    if (!r.used) {
      r.used = true;
      r.hash = h;
      r.depth = uint32_t(n);
      memcpy(r.pcs, pcs, sizeof(uintptr_t) * size_t(n));
      return j;
    }
    if (r.hash == h && r.depth == uint32_t(n) && memcmp(r.pcs, pcs, sizeof(uintptr_t) * size_t(n)) == 0)
      return j;
  }
  return 0;
}

}  // namespace

Lock& ProfileLock() { return g_lock; }

void ProfileInit(uint64_t rate, const char* path) {
  if (rate == 0) return;
  g_records = static_cast<Record*>(os::MapMeta(sizeof(Record) * kMaxRecords));
  if (g_records == nullptr) {
    Print("gort: cannot map the heap profile's table; profiling is off\n");
    return;
  }
  g_records[0].used = true;
  g_rate = rate;
  g_path = path;
}

void ProfileWarmUp() {
  if (g_rate == 0 || g_warm.load(std::memory_order_relaxed)) return;
  void* pcs[4];
  backtrace(pcs, 4);  // loads libgcc_s: allocates, as an ordinary caller
  dl_iterate_phdr(FindSelf, reinterpret_cast<void*>(&MallocSampled));
  g_warm.store(true, std::memory_order_release);
}

int64_t ProfileNextSample() {
  if (g_rate == 0) return kNoSample;
  // -rate ln(u), u uniform in (0, 1]
  const double u = (double(fastrand64() >> 11) + 1) * (1.0 / 9007199254740992.0);
  const double d = -double(g_rate) * Ln(u);
  return d < 1 ? 1 : d > 9e18 ? kNoSample : int64_t(d);
}

bool ProfileOn() { return g_rate != 0; }

void* MallocSampled(size_t size) {
  mcache* c = &tl_mcache;
  // A thread's first malloc (its countdown starts below 0) reads the options before anything
  // is handed out, and is not sampled: its countdown was no draw.
  const bool first = c->state == kCacheUnset;
  if (GORT_UNLIKELY(first)) EnsureInit();
  if (g_check) return CheckedMalloc(size);
  c->sample_left = ProfileNextSample();
  if (first || g_rate == 0 || size > kMaxRequest) return MallocUnsampled(size);
  mspan* s = SampleSpan(size, size);
  if (s == nullptr) {
    errno = ENOMEM;
    return nullptr;
  }
  return reinterpret_cast<void*>(s->base);
}

mspan* SampleSpan(size_t size, size_t room) {
  const size_t pages = room == 0 ? 1 : (room + kPageSize - 1) >> kPageShift;
  mspan* s = g_mheap.AllocSpan(pages, 1, SpanState::kLarge, 0);
  if (s == nullptr) return nullptr;
  s->reqsize = size;
  uintptr_t pcs[kMaxDepth + 8];
  int n = 0;
  if (g_warm.load(std::memory_order_acquire))
    n = backtrace(reinterpret_cast<void**>(pcs), kMaxDepth + 8);
  int skip = 0;
  if (g_self_hi != 0) {
    while (skip < n && pcs[skip] >= g_self_lo && pcs[skip] < g_self_hi) skip++;
  } else {
    skip = n < 3 ? n : 3;  // SampleSpan, MallocSampled and malloc's own frame (checked mode
                           // has two more, left in the stack)
  }
  n -= skip;
  if (n > kMaxDepth) n = kMaxDepth;
  const double w = Weight(size);
  {
    LockGuard g(g_lock);
    const uint32_t rec = Intern(pcs + skip, n);
    Record& r = g_records[rec];
    r.alloc_objects += w;
    r.alloc_bytes += w * double(size);
    s->profile = rec + 1;
    s->profile_size = size;
  }
  return s;
}

void ProfileFree(mspan* s) {
  const double w = Weight(s->profile_size);
  LockGuard g(g_lock);
  Record& r = g_records[s->profile - 1];
  r.free_objects += w;
  r.free_bytes += w * double(s->profile_size);
  s->profile = 0;
}

// ---- writing -----------------------------------------------------------------------------

namespace {

// A growable buffer in its own mapping.
struct Buf {
  uint8_t* p = nullptr;
  size_t n = 0, cap = 0;
  bool ok = true;
  void Reserve(size_t more) {
    if (n + more <= cap || !ok) return;
    size_t c = cap ? cap : 1 << 16;
    while (c < n + more) c *= 2;
    void* q = p ? mremap(p, cap, c, MREMAP_MAYMOVE)
                : mmap(nullptr, c, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (q == MAP_FAILED) {
      ok = false;
      return;
    }
    p = static_cast<uint8_t*>(q);
    cap = c;
  }
  void Byte(uint8_t b) {
    Reserve(1);
    if (ok) p[n++] = b;
  }
  void Bytes(const void* s, size_t k) {
    Reserve(k);
    if (ok) memcpy(p + n, s, k), n += k;
  }
  void Varint(uint64_t v) {
    while (v >= 0x80) Byte(uint8_t(v | 0x80)), v >>= 7;
    Byte(uint8_t(v));
  }
  void Free() {
    if (p) munmap(p, cap);
    p = nullptr;
  }
};

// protobuf: field key, then the value.
void Key(Buf& b, uint32_t field, uint32_t wire) { b.Varint(uint64_t(field) << 3 | wire); }
void Int(Buf& b, uint32_t field, uint64_t v) {
  if (v == 0) return;
  Key(b, field, 0);
  b.Varint(v);
}
void Message(Buf& out, uint32_t field, const Buf& m) {
  Key(out, field, 2);
  out.Varint(m.n);
  out.Bytes(m.p, m.n);
}

// The string table: strings are appended as they are first met; lookups are linear, which is
// fine for the few strings a profile has (names of types, units and mapped files).
struct Strings {
  Buf out;  // field 6 entries, ready to append to the profile
  const char* s[512];
  uint32_t n = 0;
  uint64_t Id(const char* str) {
    for (uint32_t i = 0; i < n; i++)
      if (strcmp(s[i], str) == 0) return i;
    if (n == 512) return 0;
    s[n] = str;
    const size_t len = strlen(str);
    Key(out, 6, 2);
    out.Varint(len);
    out.Bytes(str, len);
    return n++;
  }
};

struct Mapping {
  uintptr_t lo, hi, off;
  char path[256];
};

// The executable mappings of /proc/self/maps (read with read(2): no allocation).
int ReadMappings(Mapping* m, int max) {
  const int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  static char buf[1 << 16];  // the line being parsed spans at most one refill
  size_t have = 0;
  int n = 0;
  bool eof = false;
  while (n < max) {
    if (!eof && have < sizeof buf / 2) {
      const ssize_t k = read(fd, buf + have, sizeof buf - have);
      if (k <= 0) eof = true;
      else have += size_t(k);
    }
    char* nl = static_cast<char*>(memchr(buf, '\n', have));
    if (nl == nullptr) break;
    *nl = '\0';
    // start-end perms offset dev inode path
    char* q = buf;
    auto hex = [&]() {
      uintptr_t v = 0;
      for (;; q++) {
        const char ch = *q;
        const int d = ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
        if (d < 0) break;
        v = v * 16 + uintptr_t(d);
      }
      return v;
    };
    Mapping mp{};
    mp.lo = hex();
    q++;
    mp.hi = hex();
    q++;
    const bool exec = q[2] == 'x';
    q += 5;
    mp.off = hex();
    // the path is the sixth field, after dev and inode and a run of spaces
    char* path = buf;
    int spaces = 0;
    for (char* t = buf; *t; t++)
      if (*t == ' ' && ++spaces == 5) {
        path = t + 1;
        break;
      }
    while (*path == ' ') path++;
    if (exec && spaces == 5 && *path == '/') {
      const size_t len = strnlen(path, sizeof mp.path - 1);
      memcpy(mp.path, path, len);
      mp.path[len] = '\0';
      m[n++] = mp;
    }
    const size_t used = size_t(nl + 1 - buf);
    memmove(buf, nl + 1, have - used);
    have -= used;
  }
  close(fd);
  return n;
}

// zlib's allocation functions: a bump arena in a mapping of its own.
struct Arena {
  uint8_t* p;
  size_t used, cap;
};
voidpf ZAlloc(voidpf opaque, uInt items, uInt size) {
  Arena* a = static_cast<Arena*>(opaque);
  const size_t want = (size_t(items) * size + 15) & ~size_t{15};
  if (a->used + want > a->cap) return Z_NULL;
  void* r = a->p + a->used;
  a->used += want;
  return r;
}
void ZFree(voidpf, voidpf) {}

bool WriteAll(int fd, const uint8_t* p, size_t n) {
  while (n > 0) {
    const ssize_t k = write(fd, p, n);
    if (k < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += k, n -= size_t(k);
  }
  return true;
}


// The profile to path; from a signal handler, only if the table's lock is free soon.
bool Write(const char* path, bool from_signal) {
  if (g_rate == 0 || g_records == nullptr) {
    errno = EINVAL;
    return false;
  }
  // A signal handler must not wait for the lock: the thread it interrupted may hold it.
  if (!from_signal) {
    g_lock.lock();
  } else if (!g_lock.try_lock_for(Lock::kSignalTries)) {
    errno = EBUSY;
    return false;
  }
  static Mapping maps[512];  // under g_lock below
  Buf prof, tmp, sample;
  Strings strs;
  strs.Id("");
  bool ok;
  {
    const int nmaps = ReadMappings(maps, 512);
    // sample_type x4, period_type, period
    const char* types[4][2] = {{"alloc_objects", "count"}, {"alloc_space", "bytes"},
                               {"inuse_objects", "count"}, {"inuse_space", "bytes"}};
    for (auto& t : types) {
      tmp.n = 0;
      Int(tmp, 1, strs.Id(t[0]));
      Int(tmp, 2, strs.Id(t[1]));
      Message(prof, 1, tmp);
    }
    // Mappings: id i+1.
    for (int i = 0; i < nmaps; i++) {
      tmp.n = 0;
      Int(tmp, 1, uint64_t(i + 1));
      Int(tmp, 2, maps[i].lo);
      Int(tmp, 3, maps[i].hi);
      Int(tmp, 4, maps[i].off);
      Int(tmp, 5, strs.Id(maps[i].path));
      Message(prof, 3, tmp);
    }
    // Samples, and one location per frame (id = running number; pprof merges equal
    // addresses). A return address is the instruction after the call: the location takes
    // the call's own address (pc - 1), as pprof expects of every frame but a leaf.
    uint64_t next_loc = 1;
    for (uint32_t i = 0; i < kMaxRecords; i++) {
      const Record& r = g_records[i];
      if (!r.used || r.alloc_objects == 0) continue;
      sample.n = 0;
      Key(sample, 1, 2);
      tmp.n = 0;
      for (uint32_t f = 0; f < r.depth; f++) tmp.Varint(next_loc + f);
      sample.Varint(tmp.n);
      sample.Bytes(tmp.p, tmp.n);
      const int64_t v[4] = {int64_t(r.alloc_objects + 0.5), int64_t(r.alloc_bytes + 0.5),
                            int64_t(r.alloc_objects - r.free_objects + 0.5),
                            int64_t(r.alloc_bytes - r.free_bytes + 0.5)};
      Key(sample, 2, 2);
      tmp.n = 0;
      for (int64_t x : v) tmp.Varint(uint64_t(x < 0 ? 0 : x));
      sample.Varint(tmp.n);
      sample.Bytes(tmp.p, tmp.n);
      Message(prof, 2, sample);
      for (uint32_t f = 0; f < r.depth; f++) {
        const uintptr_t addr = r.pcs[f] - 1;
        tmp.n = 0;
        Int(tmp, 1, next_loc + f);
        for (int m = 0; m < nmaps; m++)
          if (addr >= maps[m].lo && addr < maps[m].hi) {
            Int(tmp, 2, uint64_t(m + 1));
            break;
          }
        Int(tmp, 3, addr);
        Message(prof, 4, tmp);
      }
      next_loc += r.depth;
    }
    g_lock.unlock();
  }
  // period_type space/bytes, period = the sampling rate, time
  tmp.n = 0;
  Int(tmp, 1, strs.Id("space"));
  Int(tmp, 2, strs.Id("bytes"));
  Message(prof, 11, tmp);
  Int(prof, 12, g_rate);
  timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  Int(prof, 9, uint64_t(now.tv_sec) * 1000000000 + uint64_t(now.tv_nsec));
  prof.Bytes(strs.out.p, strs.out.n);
  ok = prof.ok && tmp.ok && sample.ok && strs.out.ok;

  // gzip it.
  Buf gz;
  Arena arena{nullptr, 0, size_t{1} << 20};
  if (ok) {
    void* a = mmap(nullptr, arena.cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ok = a != MAP_FAILED;
    arena.p = static_cast<uint8_t*>(a);
  }
  if (ok) {
    z_stream z{};
    z.zalloc = ZAlloc;
    z.zfree = ZFree;
    z.opaque = &arena;
    ok = deflateInit2(&z, 6, Z_DEFLATED, 15 + 16 /* gzip */, 8, Z_DEFAULT_STRATEGY) == Z_OK;
    if (ok) {
      gz.Reserve(deflateBound(&z, uLong(prof.n)));
      z.next_in = prof.p;
      z.avail_in = uInt(prof.n);
      z.next_out = gz.p;
      z.avail_out = uInt(gz.cap);
      ok = gz.ok && deflate(&z, Z_FINISH) == Z_STREAM_END;
      gz.n = z.total_out;
      deflateEnd(&z);
    }
    munmap(arena.p, arena.cap);
  }
  if (ok) {
    const int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    ok = fd >= 0 && WriteAll(fd, gz.p, gz.n);
    const int saved = errno;
    if (fd >= 0) close(fd);
    errno = saved;
  } else if (errno == 0) {
    errno = ENOMEM;
  }
  prof.Free(), tmp.Free(), sample.Free(), strs.out.Free(), gz.Free();
  return ok;
}

// GORT_PROFILE_SIGNAL's handler: the profile to GORT_PROFILE's path with .1, .2, ...
std::atomic<uint32_t> g_signal_dumps{0};

void OnSignal(int) {
  const int saved = errno;
  char name[OutputPath::kMax + 32];
  size_t n = 0;
  for (const char* c = g_path; *c != '\0' && n < OutputPath::kMax; c++) name[n++] = *c;
  name[n++] = '.';
  name[OutputPath::PutDec(name, n, g_signal_dumps.fetch_add(1) + 1)] = '\0';
  if (!Write(name, /*from_signal=*/true)) {
    Print("gort: heap profile not written to ");
    Print(name);
    Print(errno == EBUSY ? ": the profile was busy (its lock is held)\n" : ": the write failed\n");
  }
  errno = saved;
}

}  // namespace

bool ProfileWrite(const char* path) { return Write(path, /*from_signal=*/false); }

void ProfileInitSignal(uint64_t sig) {
  if (sig == 0) return;
  if (g_rate == 0 || g_path == nullptr || g_path[0] == '\0') {
    Print("gort: GORT_PROFILE_SIGNAL needs GORT_PROFILE=path; ignoring it\n");
    return;
  }
  os::HandleSignal(int(sig), OnSignal, "GORT_PROFILE_SIGNAL");
}

void ProfileAtExit() {
  if (g_rate == 0 || g_path == nullptr || g_path[0] == '\0') return;
  if (!ProfileWrite(g_path)) {
    Print("gort: cannot write the heap profile to ");
    Print(g_path);
    Print("\n");
  }
}

}  // namespace gort::alloc
