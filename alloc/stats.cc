// stats.cc — see stats.h.
#include "alloc/stats.h"

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "alloc/check.h"
#include "alloc/fdwriter.h"
#include "alloc/heapwalk.h"
#include "alloc/mcache.h"
#include "alloc/mcentral.h"
#include "alloc/mheap.h"
#include "alloc/options.h"
#include "alloc/os.h"

namespace gort::alloc {

namespace {

enum StatsMode { kStatsOff, kStatsStderr, kStatsFile };
StatsMode g_mode = kStatsOff;
int g_fd = -1;              // kStatsStderr: the duplicate of the start-up stderr
dev_t g_dev = 0;            // which file that stderr was
ino_t g_ino = 0;
OutputPath g_path;          // kStatsFile

bool IsStartupStderr(int fd) {
  struct stat st;
  return fd >= 0 && fstat(fd, &st) == 0 && st.st_dev == g_dev && st.st_ino == g_ino;
}

// Spans, summed into out (REQUIRES: the walk's locks held).
void SumSpans(gort_stats* out) {
  gort_span_info batch[64];
  uintptr_t from = 0;
  do {
    size_t k = GatherSpans(from, batch, 64, &from);
    for (size_t i = 0; i < k; i++) {
      const gort_span_info& s = batch[i];
      const uint64_t bytes = uint64_t(s.pages) * kPageSize;
      switch (s.kind) {
        case GORT_SPAN_FREE:
          out->free_runs++;
          break;
        case GORT_SPAN_SMALL: {
          gort_class_stats& c = out->classes[s.size_class];
          c.spans++;
          c.objects += s.objects;
          c.objects_out += s.objects_out;
          break;
        }
        case GORT_SPAN_LARGE:
          out->large_objects++;
          out->large_inuse += bytes;
          break;
        case GORT_SPAN_PARKED:
          out->large_parked += bytes;
          break;
      }
    }
  } while (from != 0);
}

}  // namespace

void GetStats(gort_stats* out) {
  memset(out, 0, sizeof(*out));
  {
    HeapLocks locks;
    const mheap::Stats& h = g_mheap.StatsLocked();
    out->reserved = h.reserved;
    out->free_bytes = h.free_bytes;
    out->free_resident = h.free_resident;
    out->small_spans = h.small_spans;
    for (int c = 1; c < kNumClasses; c++)
      out->classes[c].objects_cached = g_mcentral[c].StatsLocked().slots * ClassBatch(c);
    SumSpans(out);
  }
  const mcache& own = tl_mcache;  // the caller's cache: only this thread changes it
  for (int c = 1; c < kNumClasses; c++) {
    gort_class_stats& s = out->classes[c];
    if (own.state == kCacheActive) s.objects_cached += own.Len(uint32_t(c));
    if (s.objects_cached > s.objects_out) s.objects_cached = s.objects_out;
    s.size = kClassSize[c];
    s.span_pages = kClassPages[c];
    s.objects_inuse = s.objects_out - s.objects_cached;
    s.span_bytes = s.spans * kClassPages[c] * kPageSize;
    s.inuse_bytes = s.objects_inuse * s.size;
    s.frag_bytes = s.span_bytes - s.inuse_bytes;
    out->small_inuse += s.inuse_bytes;
  }
  const os::Counters oc = os::GetCounters();
  out->released = oc.released;
  out->meta = oc.meta;
  out->mapped = out->reserved + out->meta;
  out->free_released = out->free_bytes - out->free_resident;
  out->resident = out->reserved - out->free_released;
  out->inuse = out->small_inuse + out->large_inuse;
  out->thread_caches = CacheCount();
}

void PrintStats(int fd) {
  gort_stats s;
  GetStats(&s);
  FdWriter w(fd);
  w.Str("gort: heap statistics (pid ").Dec(uint64_t(getpid())).Str(")\n");
  w.Str("class  size pages    spans    objects     in use     cached   span bytes"
        " in-use bytes  frag%\n");
  for (int c = 1; c < kNumClasses; c++) {
    const gort_class_stats& k = s.classes[c];
    if (k.spans == 0) continue;
    w.Dec(uint64_t(c), 5).Dec(k.size, 6).Dec(k.span_pages, 6).Dec(k.spans, 9);
    w.Dec(k.objects, 11).Dec(k.objects_inuse, 11).Dec(k.objects_cached, 11);
    w.Dec(k.span_bytes, 13).Dec(k.inuse_bytes, 13);
    w.Tenths(k.span_bytes == 0 ? 0 : k.frag_bytes * 1000 / k.span_bytes, 7).Str("\n");
  }
  w.Str("large objects ").Dec(s.large_objects).Str(", ").Dec(s.large_inuse);
  w.Str(" bytes; parked in thread caches ").Dec(s.large_parked).Str(" bytes\n");
  w.Pad("mapped", 14).Dec(s.mapped, 14).Str("  (heap address space ").Dec(s.reserved);
  w.Str(", metadata ").Dec(s.meta).Str(")\n");
  w.Pad("resident", 14).Dec(s.resident, 14);
  w.Str("  (at most: spans, and free pages not returned to the OS)\n");
  w.Pad("in use", 14).Dec(s.inuse, 14).Str("  (small ").Dec(s.small_inuse);
  w.Str(", large ").Dec(s.large_inuse).Str(")\n");
  w.Pad("free", 14).Dec(s.free_bytes, 14).Str("  (resident ").Dec(s.free_resident);
  w.Str(", returned to the OS ").Dec(s.free_released).Str(", in ").Dec(s.free_runs);
  w.Str(" runs)\n");
  w.Pad("released", 14).Dec(s.released, 14).Str("  (returned to the OS since start)\n");
  w.Pad("thread caches", 14).Dec(s.thread_caches, 14).Str("\n");
}

MallInfo GetMallInfo() {
  gort_stats s;
  GetStats(&s);
  MallInfo m{};
  m.arena = s.small_spans + s.free_resident;
  m.ordblks = s.free_runs;
  m.hblks = s.large_objects;
  m.hblkhd = s.large_inuse + s.large_parked;
  for (int c = 1; c < kNumClasses; c++) m.fsmblks += s.classes[c].objects_cached * kClassSize[c];
  m.uordblks = s.small_inuse;
  m.fordblks = m.arena - m.uordblks;
  m.keepcost = s.free_resident;
  return m;
}

void PrintMallocStats(int fd) {
  const MallInfo m = GetMallInfo();
  {
    FdWriter w(fd);  // glibc's lines and widths, for programs that read them
    w.Str("Arena 0:\nsystem bytes     = ").Dec(m.arena, 10);
    w.Str("\nin use bytes     = ").Dec(m.uordblks, 10);
    w.Str("\nTotal (incl. mmap):\nsystem bytes     = ").Dec(m.arena + m.hblkhd, 10);
    w.Str("\nin use bytes     = ").Dec(m.uordblks + m.hblkhd, 10);
    w.Str("\nmax mmap regions = ").Dec(m.hblks, 10);
    w.Str("\nmax mmap bytes   = ").Dec(m.hblkhd, 10).Str("\n");
  }
  PrintStats(fd);
}

void StatsInit() {
  const char* v = GetOptionText(kOptStats);
  if (v == nullptr || strcmp(v, "0") == 0) return;
  if (strcmp(v, "1") == 0) {
    struct stat st;
    if (fstat(2, &st) != 0) return;  // no stderr to print on
    g_dev = st.st_dev;
    g_ino = st.st_ino;
    int low = 512;
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 1024) low = int(rl.rlim_cur / 2);
    g_fd = fcntl(2, F_DUPFD_CLOEXEC, low);
    if (g_fd < 0) g_fd = fcntl(2, F_DUPFD_CLOEXEC, 3);
    g_mode = kStatsStderr;
    return;
  }
  if (strchr(v, '/') != nullptr) {
    if (g_path.Init(v)) g_mode = kStatsFile;
    else Print("gort: ignoring GORT_STATS: the path is too long, or the working directory unknown\n");
    return;
  }
  Print("gort: ignoring GORT_STATS='");
  Print(v);
  Print("': want 0, 1, or a file path (with a '/'); using 0\n");
}

void StatsAtExit() {
  if (g_mode == kStatsStderr) {
    if (IsStartupStderr(g_fd)) PrintStats(g_fd);
    else if (IsStartupStderr(2)) PrintStats(2);
  } else if (g_mode == kStatsFile) {
    char name[OutputPath::kMax + 32];
    const int fd = g_path.Open("", name);
    if (fd < 0) {
      Print("gort: cannot write heap statistics to ");
      Print(name);
      Print("\n");
      return;
    }
    PrintStats(fd);
    close(fd);
  }
}

}  // namespace gort::alloc
