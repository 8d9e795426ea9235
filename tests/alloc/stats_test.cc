// stats_test.cc — gort_get_stats, mallinfo2/mallinfo, malloc_stats and the heap walk, linked
// with gort::override.
//
// What is checked: the per-class and large figures move by exactly what the test allocated
// (the test is the only thread with a cache, so "in use" is exact: gort.h); the equations
// beside struct gort_stats hold; the heap walk tiles the heap and its sums are mheap's own
// counters; a walk stays well-formed while other threads allocate and free; the visitor may
// allocate; the text outputs carry the figures.
#include <malloc.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "alloc/gort.h"
#include "tests/alloc/test_util.h"

namespace {

constexpr int kCls112 = 9;  // malloc(100) -> the 112-byte class
constexpr int kN = 5000;
void* g_objs[kN];

gort_stats Now() {
  static gort_stats s;  // 5 KiB: off the stack of the threads tests start
  gort_get_stats(&s);
  return s;
}

void ExpectEquations(const gort_stats& s) {
  EXPECT_EQ(s.reserved, s.small_spans + s.large_inuse + s.large_parked + s.free_bytes);
  EXPECT_EQ(s.resident, s.reserved - s.free_released);
  EXPECT_EQ(s.free_released, s.free_bytes - s.free_resident);
  EXPECT_EQ(s.inuse, s.small_inuse + s.large_inuse);
  EXPECT_EQ(s.mapped, s.reserved + s.meta);
  uint64_t spans = 0, inuse = 0;
  for (int c = 1; c < GORT_NUM_CLASSES; c++) {
    const gort_class_stats& k = s.classes[c];
    EXPECT_EQ(k.span_bytes, k.spans * k.span_pages * 8192) << "class " << c;
    EXPECT_LE(k.objects_out, k.objects) << "class " << c;
    EXPECT_EQ(k.objects_inuse + k.objects_cached, k.objects_out) << "class " << c;
    EXPECT_EQ(k.inuse_bytes, k.objects_inuse * k.size) << "class " << c;
    EXPECT_EQ(k.frag_bytes, k.span_bytes - k.inuse_bytes) << "class " << c;
    spans += k.span_bytes;
    inuse += k.inuse_bytes;
  }
  EXPECT_EQ(spans, s.small_spans);
  EXPECT_EQ(inuse, s.small_inuse);
}

TEST(Stats, SmallObjectsCountedExactly) {
  gort_stats before = Now();
  ExpectEquations(before);
  for (int i = 0; i < kN; i++) g_objs[i] = malloc(100);
  gort_stats held = Now();
  ExpectEquations(held);
  const gort_class_stats &b = before.classes[kCls112], &h = held.classes[kCls112];
  EXPECT_EQ(h.size, 112u);
  EXPECT_EQ(h.objects_inuse - b.objects_inuse, uint64_t(kN));
  EXPECT_EQ(h.inuse_bytes - b.inuse_bytes, uint64_t(kN) * 112);
  EXPECT_GE(h.spans - b.spans, uint64_t(kN) / 73);  // 73 objects of 112 bytes per 8 KiB span
  EXPECT_EQ(held.small_inuse - before.small_inuse, uint64_t(kN) * 112);
  for (int i = 0; i < kN; i++) free(g_objs[i]);
  gort_stats after = Now();
  ExpectEquations(after);
  EXPECT_EQ(after.classes[kCls112].objects_inuse, b.objects_inuse);
}

TEST(Stats, LargeObjectsCountedExactly) {
  gort_stats before = Now();
  void* p[3];
  for (void*& q : p) q = malloc(size_t{3} << 20);  // past a thread cache's parking limit
  gort_stats held = Now();
  ExpectEquations(held);
  EXPECT_EQ(held.large_objects - before.large_objects, 3u);
  EXPECT_EQ(held.large_inuse - before.large_inuse, uint64_t{9} << 20);
  EXPECT_EQ(held.inuse - before.inuse, uint64_t{9} << 20);
  for (void* q : p) free(q);
  gort_stats after = Now();
  ExpectEquations(after);
  EXPECT_EQ(after.large_objects, before.large_objects);
  EXPECT_EQ(after.large_inuse, before.large_inuse);
}

TEST(Stats, MallinfoMatchesStats) {
  struct mallinfo2 m0 = mallinfo2();
  for (int i = 0; i < kN; i++) g_objs[i] = malloc(100);
  void* big = malloc(size_t{3} << 20);
  struct mallinfo2 m1 = mallinfo2();
  gort_stats s = Now();
  EXPECT_EQ(m1.uordblks - m0.uordblks, size_t(kN) * 112);
  EXPECT_EQ(m1.hblks - m0.hblks, 1u);
  EXPECT_EQ(m1.hblkhd - m0.hblkhd, size_t{3} << 20);
  EXPECT_EQ(m1.arena, m1.uordblks + m1.fordblks);
  EXPECT_EQ(m1.uordblks, s.small_inuse);
  EXPECT_EQ(m1.arena, s.small_spans + s.free_resident);
  EXPECT_EQ(m1.keepcost, s.free_resident);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  struct mallinfo mi = mallinfo();  // int fields: the same figures while they fit
#pragma GCC diagnostic pop
  EXPECT_EQ(size_t(mi.uordblks), m1.uordblks);
  EXPECT_EQ(size_t(mi.hblks), m1.hblks);
  free(big);
  for (int i = 0; i < kN; i++) free(g_objs[i]);
}

// Captures what fn writes on fd 2.
template <class Fn>
std::string CaptureStderr(Fn fn) {
  char path[] = "/tmp/gort-stats-XXXXXX";
  int fd = mkstemp(path);
  EXPECT_GE(fd, 0);
  int saved = dup(2);
  dup2(fd, 2);
  fn();
  dup2(saved, 2);
  close(saved);
  std::string out(size_t(lseek(fd, 0, SEEK_END)), '\0');
  pread(fd, out.data(), out.size(), 0);
  close(fd);
  unlink(path);
  return out;
}

TEST(Stats, MallocStatsPrintsGlibcLinesAndTheTable) {
  for (int i = 0; i < kN; i++) g_objs[i] = malloc(100);
  std::string out = CaptureStderr([] { malloc_stats(); });
  for (int i = 0; i < kN; i++) free(g_objs[i]);
  for (const char* want : {"Arena 0:\n", "system bytes     = ", "in use bytes     = ",
                           "Total (incl. mmap):\n", "max mmap regions = ",
                           "gort: heap statistics", "thread caches"})
    EXPECT_NE(out.find(want), std::string::npos) << want << "\n" << out;
  // The 112-byte class's row: class, size, pages, spans, objects, in use >= kN.
  size_t row = out.find("\n    9   112     1 ");
  ASSERT_NE(row, std::string::npos) << out;
  unsigned long cls, size, pages, spans, objects, inuse;
  ASSERT_EQ(sscanf(out.c_str() + row, "%lu %lu %lu %lu %lu %lu", &cls, &size, &pages, &spans,
                   &objects, &inuse), 6);
  EXPECT_GE(inuse, static_cast<unsigned long>(kN));
  EXPECT_LT(inuse, static_cast<unsigned long>(kN) + 1000) << "in use counts the test's objects, not the spans'";
}

struct WalkSums {
  uint64_t spans = 0, bytes[4] = {}, free_resident = 0, small_out = 0;
  uintptr_t end = 0;
  bool rising = true, sane = true;
};

int Sum(const gort_span_info* s, void* arg) {
  auto* w = static_cast<WalkSums*>(arg);
  w->spans++;
  w->rising = w->rising && s->base >= w->end && s->pages > 0 && s->base % 8192 == 0;
  w->end = s->base + s->pages * 8192;
  w->bytes[s->kind] += s->pages * 8192;
  if (s->kind == GORT_SPAN_FREE) {
    w->free_resident += s->resident;
    w->sane = w->sane && s->resident <= s->pages * 8192 && s->size_class == 0;
  } else if (s->kind == GORT_SPAN_SMALL) {
    w->small_out += s->objects_out;
    w->sane = w->sane && s->size_class >= 1 && s->size_class < GORT_NUM_CLASSES &&
              s->objects_out <= s->objects && s->objects > 0 &&
              s->objects * s->object_size <= s->pages * 8192;
  } else {
    w->sane = w->sane && s->object_size == s->pages * 8192 && s->size_class == 0;
  }
  return 0;
}

TEST(HeapWalk, SumsAreTheHeapsCounters) {
  for (int i = 0; i < kN; i++) g_objs[i] = malloc(100);
  void* big = malloc(size_t{3} << 20);
  WalkSums w;
  ASSERT_EQ(gort_heap_walk(Sum, &w), 0);
  gort_stats s = Now();
  EXPECT_TRUE(w.rising) << "spans overlap or are out of order";
  EXPECT_TRUE(w.sane);
  EXPECT_EQ(w.bytes[GORT_SPAN_SMALL], s.small_spans);
  EXPECT_EQ(w.bytes[GORT_SPAN_LARGE], s.large_inuse);
  EXPECT_EQ(w.bytes[GORT_SPAN_PARKED], s.large_parked);
  EXPECT_EQ(w.bytes[GORT_SPAN_FREE], s.free_bytes);
  EXPECT_EQ(w.free_resident, s.free_resident);
  EXPECT_EQ(w.bytes[0] + w.bytes[1] + w.bytes[2] + w.bytes[3], s.reserved)
      << "the spans tile the heap's address ranges";
  uint64_t out = 0;
  for (int c = 1; c < GORT_NUM_CLASSES; c++) out += s.classes[c].objects_out;
  EXPECT_EQ(w.small_out, out);
  free(big);
  for (int i = 0; i < kN; i++) free(g_objs[i]);
}

TEST(HeapWalk, StopsWhenTheVisitorSaysAndTheVisitorMayAllocate) {
  int calls = 0;
  auto stop_third = [](const gort_span_info*, void* arg) -> int {
    int* n = static_cast<int*>(arg);
    void* p = malloc(size_t(64) << (*n % 12));  // small and large, while walking
    free(p);
    return ++*n == 3 ? 42 : 0;
  };
  EXPECT_EQ(gort_heap_walk(stop_third, &calls), 42);
  EXPECT_EQ(calls, 3);
}

TEST(HeapWalk, HeapmapFileHasEverySpan) {
  char path[] = "/tmp/gort-heapmap-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  ASSERT_EQ(gort_heapmap_write(path), 0);
  FILE* f = fopen(path, "r");
  ASSERT_NE(f, nullptr);
  char line[256];
  unsigned long spans = 0, end = ~0ul, classes = 0;
  while (fgets(line, sizeof line, f) != nullptr) {
    if (strncmp(line, "span ", 5) == 0) spans++;
    if (strncmp(line, "class ", 6) == 0) classes++;
    if (strncmp(line, "end ", 4) == 0) end = strtoul(line + 4, nullptr, 10);
  }
  fclose(f);
  unlink(path);
  EXPECT_EQ(end, spans);
  EXPECT_GT(spans, 0u);
  EXPECT_EQ(classes, static_cast<unsigned long>(GORT_NUM_CLASSES - 1));
  EXPECT_EQ(gort_heapmap_write("/nonexistent-dir/heapmap.txt"), -1);
}

// Walks and statistics while four threads allocate and free objects of every kind.
TEST(HeapWalkThreads, WalkStaysWellFormedWhileThreadsAllocate) {
  std::atomic<bool> stop{false};
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; t++) {
    ts.emplace_back([&, t] {
      gort_test::Rng r(uint64_t(t) + 1);
      void* ps[256] = {};
      while (!stop.load(std::memory_order_relaxed)) {
        void*& p = ps[r.Below(256)];
        free(p);
        size_t n = r.Chance(5) ? r.Range(40000, 3000000) : r.Below(3000) + 1;
        p = malloc(n);
        memset(p, 1, n < 4096 ? n : 4096);
      }
      for (void* p : ps) free(p);
    });
  }
  for (int i = 0; i < 200; i++) {
    WalkSums w;
    ASSERT_EQ(gort_heap_walk(Sum, &w), 0);
    ASSERT_TRUE(w.rising) << "walk " << i;
    ASSERT_TRUE(w.sane) << "walk " << i;
    gort_stats s = Now();  // one snapshot: its equations hold whatever the threads do
    ExpectEquations(s);
    if (HasFailure()) break;
  }
  stop = true;
  for (auto& t : ts) t.join();
}

}  // namespace
