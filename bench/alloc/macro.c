/* macro.c — whole-program allocator workloads, one per invocation, shaped like real programs.
 *
 *   macro WORKLOAD [SCALE]    SCALE multiplies the amount of work (default 1; --quick uses less)
 *   macro list                the workloads, one a line
 *
 * Nothing here links gort: report_macro.py runs this binary once per contender, choosing the
 * allocator with LD_PRELOAD (none = glibc). Each invocation:
 *   1. runs one workload (the table `workloads` at the bottom lists them with what they model);
 *   2. prints one JSON line: the workload; time_s, the figure the report ranks (the wall time of
 *      the measured part: for false-sharing the CPU time of its write loops, for the burst
 *      workloads the burst without the trim or the wait); wall_s; user_s, sys_s, minor_faults
 *      and major_faults (getrusage); peak_rss_kib (VmHWM); the checksum; the library serving
 *      malloc (the report checks the preload took); and figures of the workload's own.
 *
 * The checksum. Every object carries a cookie derived from its id alone (never from its address,
 * its size class or the thread that frees it), in its first word and again in its last. Whoever
 * frees an object adds both words to the checksum. Every object a workload allocates is freed
 * exactly once and ids come from per-thread generators seeded by fixed numbers, so the checksum
 * is a function of the workload and the scale only: it must be the same under every allocator,
 * and a different one means an object was overwritten, lost or handed out twice.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define KIB ((size_t)1 << 10)
#define MIB ((size_t)1 << 20)

/* ---- results --------------------------------------------------------------------------------- */

enum { kMaxExtra = 12 };

typedef struct {
  uint64_t checksum;
  double time_s;  /* < 0: the whole run's wall time */
  int n_extra;
  struct {
    const char* key;
    double value;
  } extra[kMaxExtra];
} result;

static void add_extra(result* r, const char* key, double value) {
  if (r->n_extra < kMaxExtra) {
    r->extra[r->n_extra].key = key;
    r->extra[r->n_extra].value = value;
    r->n_extra++;
  }
}

static void die(const char* what) {
  fprintf(stderr, "macro: %s\n", what);
  exit(1);
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Resident set size now, from /proc/self/statm. */
static double rss_mib(void) {
  long pages_total = 0, pages_resident = 0;
  FILE* f = fopen("/proc/self/statm", "r");
  if (f == NULL) return -1;
  int got = fscanf(f, "%ld %ld", &pages_total, &pages_resident);
  fclose(f);
  return got == 2 ? (double)pages_resident * (double)sysconf(_SC_PAGESIZE) / (double)MIB : -1;
}

/* The peak resident set size in KiB: VmHWM of /proc/self/status, the high-water mark of this
 * image. Not ru_maxrss: Linux carries it over an exec, so a child of a large parent (the Python
 * report, which spawns by vfork) would report its parent's peak when that is higher. */
static long peak_rss_kib(void) {
  char line[256];
  long kib = -1;
  FILE* f = fopen("/proc/self/status", "r");
  if (f == NULL) return -1;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "VmHWM: %ld kB", &kib) == 1) break;
  fclose(f);
  return kib;
}

/* ---- random numbers and objects -------------------------------------------------------------- */

/* splitmix64's finaliser: a bijection, so distinct ids give distinct cookies. */
static uint64_t mix(uint64_t x) {
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

typedef struct {
  uint64_t state;
} rng;

static rng rng_seeded(uint64_t seed) { return (rng){mix(seed + 1)}; }

static uint64_t next(rng* r) {
  r->state += 0x9e3779b97f4a7c15ULL;
  return mix(r->state);
}

static size_t below(rng* r, size_t n) { return (size_t)(next(r) % n); }

static size_t between(rng* r, size_t lo, size_t hi) { return lo + below(r, hi - lo + 1); }

/* An object of n >= 16 bytes: word 0 holds cookie(id), word 1 holds n, so any thread can check
 * and free it without knowing where it came from; from 24 bytes on, the last word holds the
 * cookie again, which catches an object overwritten from its end. */
static void* new_object(size_t n, uint64_t id) {
  uint64_t* p = malloc(n);
  if (p == NULL) die("out of memory");
  uint64_t cookie = mix(id);
  p[0] = cookie;
  p[1] = n;
  if (n >= 3 * sizeof cookie) memcpy((char*)p + n - sizeof cookie, &cookie, sizeof cookie);
  return p;
}

/* Frees an object made by new_object; returns what it adds to the checksum. */
static uint64_t free_object(void* obj) {
  if (obj == NULL) return 0;
  uint64_t* p = obj;
  uint64_t last = p[0];
  if (p[1] >= 3 * sizeof last) memcpy(&last, (char*)p + p[1] - sizeof last, sizeof last);
  uint64_t sum = p[0] + last;
  free(p);
  return sum;
}

static long scaled(double scale, long n) {
  long s = (long)((double)n * scale);
  return s > 0 ? s : 1;
}

/* ---- large-churn ----------------------------------------------------------------------------- */

/* 20 live blocks of 5-25 MiB; a random one is replaced by a new block of a random size, which is
 * zero-filled as it would be by a program that fills it (a decoder's frame, a bulk read). The time
 * is that of the replacements: the first 20 blocks are faulted in under every allocator alike. */
enum { kChurnLive = 20 };

static void* churn_block(rng* g, uint64_t id) {
  size_t n = between(g, 5 * MIB, 25 * MIB) & ~(size_t)7;
  uint64_t* p = new_object(n, id);
  memset(p + 2, 0, n - 3 * sizeof *p);  /* all but the header and the trailing cookie */
  return p;
}

static void large_churn(double scale, result* r) {
  void* live[kChurnLive];
  rng g = rng_seeded(1);
  for (int s = 0; s < kChurnLive; s++) live[s] = churn_block(&g, (uint64_t)s);
  long steps = scaled(scale, 20);
  double t0 = now();
  for (long i = 0; i < steps; i++) {
    size_t slot = below(&g, kChurnLive);
    r->checksum += free_object(live[slot]);
    live[slot] = churn_block(&g, (uint64_t)(kChurnLive + i));
  }
  r->time_s = now() - t0;
  for (int s = 0; s < kChurnLive; s++) r->checksum += free_object(live[s]);
  add_extra(r, "replacements", (double)steps);
}

/* ---- xthread: producers hand batches of small objects to consumers --------------------------- */

enum { kXtProducers = 2, kXtConsumers = 2, kXtBatch = 1000, kXtInFlight = 16 };

typedef struct batch {
  struct batch* next;
  void* obj[kXtBatch];
} batch;

/* A bounded FIFO of batches under one mutex: the lock is taken once per 1000 objects. */
typedef struct {
  pthread_mutex_t mu;
  pthread_cond_t nonempty, nonfull;
  batch *head, *tail;
  int count, producers_left;
  long batches_per_producer;
  _Atomic uint64_t checksum;
} xt_queue;

typedef struct {
  xt_queue* q;
  int index;
} xt_arg;

static void xt_push(xt_queue* q, batch* b) {
  pthread_mutex_lock(&q->mu);
  while (q->count == kXtInFlight) pthread_cond_wait(&q->nonfull, &q->mu);
  b->next = NULL;
  if (q->tail) q->tail->next = b;
  else q->head = b;
  q->tail = b;
  q->count++;
  pthread_cond_signal(&q->nonempty);
  pthread_mutex_unlock(&q->mu);
}

/* NULL once every producer is done and the queue is empty. */
static batch* xt_pop(xt_queue* q) {
  pthread_mutex_lock(&q->mu);
  while (q->count == 0 && q->producers_left > 0) pthread_cond_wait(&q->nonempty, &q->mu);
  batch* b = q->head;
  if (b) {
    q->head = b->next;
    if (q->head == NULL) q->tail = NULL;
    q->count--;
    pthread_cond_signal(&q->nonfull);
  }
  pthread_mutex_unlock(&q->mu);
  return b;
}

static void* xt_producer(void* arg) {
  xt_arg* a = arg;
  rng g = rng_seeded(100 + (uint64_t)a->index);
  uint64_t id = (uint64_t)a->index << 40;
  for (long k = 0; k < a->q->batches_per_producer; k++) {
    batch* b = malloc(sizeof *b);
    if (b == NULL) die("out of memory");
    for (int i = 0; i < kXtBatch; i++) b->obj[i] = new_object(between(&g, 16, 128), id++);
    xt_push(a->q, b);
  }
  pthread_mutex_lock(&a->q->mu);
  a->q->producers_left--;
  pthread_cond_broadcast(&a->q->nonempty);
  pthread_mutex_unlock(&a->q->mu);
  return NULL;
}

static void* xt_consumer(void* arg) {
  xt_queue* q = ((xt_arg*)arg)->q;
  uint64_t sum = 0;
  for (batch* b; (b = xt_pop(q)) != NULL;) {
    for (int i = 0; i < kXtBatch; i++) sum += free_object(b->obj[i]);
    free(b);
  }
  atomic_fetch_add(&q->checksum, sum);
  return NULL;
}

static void xthread(double scale, result* r) {
  xt_queue q = {.mu = PTHREAD_MUTEX_INITIALIZER, .nonempty = PTHREAD_COND_INITIALIZER,
                .nonfull = PTHREAD_COND_INITIALIZER, .producers_left = kXtProducers,
                .batches_per_producer = scaled(scale, 1300)};
  pthread_t th[kXtProducers + kXtConsumers];
  xt_arg args[kXtProducers + kXtConsumers];
  for (int i = 0; i < kXtProducers + kXtConsumers; i++) {
    args[i] = (xt_arg){&q, i};
    pthread_create(&th[i], NULL, i < kXtProducers ? xt_producer : xt_consumer, &args[i]);
  }
  for (int i = 0; i < kXtProducers + kXtConsumers; i++) pthread_join(th[i], NULL);
  r->checksum = q.checksum;
  add_extra(r, "objects", (double)(kXtProducers * q.batches_per_producer * kXtBatch));
}

/* ---- thread-churn: short-lived threads passing objects through a shared array ---------------- */

enum { kTcThreads = 4, kTcTransfer = 1024, kTcLocal = 256 };

typedef struct {
  _Atomic(void*) transfer[kTcTransfer];
  _Atomic uint64_t checksum;
  long steps;
} tc_shared;

typedef struct {
  tc_shared* s;
  uint64_t seed;
} tc_arg;

/* Mostly small objects, some of a few KiB, a few of tens of KiB. */
static size_t tc_size(rng* g) {
  size_t k = below(g, 100);
  if (k < 90) return between(g, 16, 256);
  if (k < 99) return between(g, 257, 4 * KIB);
  return between(g, 4 * KIB + 1, 64 * KIB);
}

static void* tc_worker(void* arg) {
  tc_arg* a = arg;
  rng g = rng_seeded(a->seed);
  void* local[kTcLocal] = {0};
  uint64_t sum = 0, id = a->seed << 32;
  for (long i = 0; i < a->s->steps; i++) {
    size_t k = below(&g, 100), slot = below(&g, kTcLocal);
    if (k < 50) {
      sum += free_object(local[slot]);
      local[slot] = new_object(tc_size(&g), id++);
    } else if (k < 80) {
      sum += free_object(local[slot]);
      local[slot] = NULL;
    } else {
      local[slot] = atomic_exchange(&a->s->transfer[below(&g, kTcTransfer)], local[slot]);
    }
  }
  for (int i = 0; i < kTcLocal; i++) sum += free_object(local[i]);
  atomic_fetch_add(&a->s->checksum, sum);
  return NULL;
}

static void thread_churn(double scale, result* r) {
  static tc_shared s;  /* zero: empty transfer slots */
  s.steps = 2000;
  long rounds = scaled(scale, 300);
  for (long round = 0; round < rounds; round++) {
    pthread_t th[kTcThreads];
    tc_arg args[kTcThreads];
    for (int t = 0; t < kTcThreads; t++) {
      args[t] = (tc_arg){&s, (uint64_t)(round * kTcThreads + t + 1)};
      pthread_create(&th[t], NULL, tc_worker, &args[t]);
    }
    for (int t = 0; t < kTcThreads; t++) pthread_join(th[t], NULL);
  }
  uint64_t sum = s.checksum;
  for (int i = 0; i < kTcTransfer; i++) sum += free_object(atomic_exchange(&s.transfer[i], NULL));
  r->checksum = sum;
  add_extra(r, "threads", (double)(rounds * kTcThreads));
}

/* ---- larson: a server's worker threads replacing random slots of a shared array -------------- */

enum { kLaLanes = 4, kLaSlots = 4096 };

typedef struct {
  _Atomic(void*) slot[kLaSlots];
  _Atomic uint64_t checksum;
  long ops, generations;
} la_shared;

/* One thread of a lane. A lane is a chain of threads: each does its ops, then starts its
 * successor (the next job) and ends, so the blocks it allocated are freed by the other lanes and
 * by its successors. A job's thread handle is written by its predecessor before that one ends,
 * so whoever has joined the predecessor may read it. */
typedef struct {
  la_shared* s;
  int lane;
  long generation;
  pthread_t thread;
} la_job;

static void* la_worker(void* arg) {
  la_job* job = arg;
  la_shared* s = job->s;
  rng g = rng_seeded(((uint64_t)job->lane << 32) + (uint64_t)job->generation);
  uint64_t sum = 0, id = ((uint64_t)(job->lane + 1) << 56) + ((uint64_t)job->generation << 32);
  for (long i = 0; i < s->ops; i++) {
    void* p = new_object(between(&g, 16, 512), id++);
    sum += free_object(atomic_exchange(&s->slot[below(&g, kLaSlots)], p));
  }
  atomic_fetch_add(&s->checksum, sum);
  if (job->generation + 1 < s->generations)
    pthread_create(&job[1].thread, NULL, la_worker, &job[1]);
  return NULL;
}

static void larson(double scale, result* r) {
  static la_shared s;
  s.ops = 20000;
  s.generations = scaled(scale, 25);
  rng g = rng_seeded(7);
  for (int i = 0; i < kLaSlots; i++) s.slot[i] = new_object(between(&g, 16, 512), (uint64_t)i);
  la_job* jobs = calloc((size_t)(kLaLanes * s.generations), sizeof *jobs);
  if (jobs == NULL) die("out of memory");
  for (int l = 0; l < kLaLanes; l++) {
    for (long k = 0; k < s.generations; k++) jobs[l * s.generations + k] = (la_job){&s, l, k, 0};
    pthread_create(&jobs[l * s.generations].thread, NULL, la_worker, &jobs[l * s.generations]);
  }
  for (int l = 0; l < kLaLanes; l++)
    for (long k = 0; k < s.generations; k++) pthread_join(jobs[l * s.generations + k].thread, NULL);
  free(jobs);
  uint64_t sum = s.checksum;
  for (int i = 0; i < kLaSlots; i++) sum += free_object(atomic_exchange(&s.slot[i], NULL));
  r->checksum = sum;
  add_extra(r, "threads", (double)(kLaLanes * s.generations));
}

/* ---- frag: short-lived churn around long-lived survivors ------------------------------------- */

enum { kFrShort = 4096, kFrLong = 16384, kFrLongPercent = 3 };

/* Small and medium sizes: a program's strings, nodes, vectors and buffers. */
static size_t fr_size(rng* g) {
  size_t k = below(g, 100);
  if (k < 60) return between(g, 16, 128);
  if (k < 90) return between(g, 129, 2 * KIB);
  return between(g, 2 * KIB + 1, 32 * KIB);
}

static void frag(double scale, result* r) {
  static void* shortlived[kFrShort];
  static void* longlived[kFrLong];
  rng g = rng_seeded(3);
  long steps = scaled(scale, 1600000);
  size_t live_bytes = 0;
  for (long i = 0; i < steps; i++) {
    size_t n = fr_size(&g);
    void** slot = below(&g, 100) < kFrLongPercent ? &longlived[below(&g, kFrLong)]
                                                  : &shortlived[below(&g, kFrShort)];
    if (*slot) live_bytes -= ((uint64_t*)*slot)[1];
    r->checksum += free_object(*slot);
    *slot = new_object(n, (uint64_t)i);
    if (n > 24) memset((uint64_t*)*slot + 2, (int)(i & 0xff), n - 24);  /* the object in use */
    live_bytes += n;
  }
  add_extra(r, "live_mib_at_end", (double)live_bytes / (double)MIB);
  add_extra(r, "rss_mib_at_end", rss_mib());
  for (int i = 0; i < kFrShort; i++) r->checksum += free_object(shortlived[i]);
  for (int i = 0; i < kFrLong; i++) r->checksum += free_object(longlived[i]);
}

/* ---- realloc-grow: buffers grown a byte at a time, like a string builder --------------------- */

enum { kRgMax = 256 * 1024, kRgTogether = 2 };

/* kRgTogether buffers grow side by side (a builder and the text it is parsing, say), one byte
 * per realloc each, up to 256 KiB; each byte is written as it is appended. */
static void realloc_grow(double scale, result* r) {
  long sets = scaled(scale, 32);
  for (long s = 0; s < sets; s++) {
    unsigned char* buf[kRgTogether] = {0};
    for (size_t len = 1; len <= kRgMax; len++) {
      for (int b = 0; b < kRgTogether; b++) {
        unsigned char* p = realloc(buf[b], len);
        if (p == NULL) die("out of memory");
        p[len - 1] = (unsigned char)(len * 31 + (size_t)b * 7 + (size_t)s);
        buf[b] = p;
      }
    }
    for (int b = 0; b < kRgTogether; b++) {
      uint64_t h = 0;
      for (size_t i = 0; i < kRgMax; i++) h = h * 131 + buf[b][i];
      r->checksum += h;
      free(buf[b]);
    }
  }
  add_extra(r, "reallocs", (double)(sets * kRgTogether * kRgMax));
}

/* ---- false-sharing: threads writing their own small objects ---------------------------------- */

/* Two threads (the machine's two cores) write counters in small objects of their own. When
 * objects of both threads share a cache line, every write steals the line from the other core.
 * Two ways an allocator can put them together:
 *   active:  both threads allocate at the same time, each its own objects;
 *   passive: the main thread allocates every object, in a row, and hands them out; each thread
 *            frees its objects and allocates the same sizes again before writing (an allocator
 *            that reuses a freed block in the freeing thread gives back the neighbours). */
enum { kFsThreads = 2, kFsObjects = 4, kFsSize = 24 };

typedef struct {
  pthread_barrier_t* start;
  void** handed;  /* passive: the objects to free first; NULL for active */
  long iterations;
  uint64_t sum;
  double seconds;
  uintptr_t addr[kFsObjects];  /* where its objects were, for shared_objects */
} fs_arg;

/* The loop is timed in the thread's CPU time: a line bouncing between cores stalls the stores,
 * which counts, while time spent waiting for a core on a busy machine does not. */
static double thread_cpu(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void* fs_worker(void* arg) {
  fs_arg* a = arg;
  volatile uint64_t* obj[kFsObjects];
  pthread_barrier_wait(a->start);
  for (int i = 0; i < kFsObjects; i++) {
    if (a->handed) free(a->handed[i]);
    obj[i] = malloc(kFsSize);
    if (obj[i] == NULL) die("out of memory");
    *obj[i] = 0;
    a->addr[i] = (uintptr_t)obj[i];
  }
  pthread_barrier_wait(a->start);
  double t0 = thread_cpu();
  for (long k = 0; k < a->iterations; k++)
    for (int i = 0; i < kFsObjects; i++) *obj[i] += (uint64_t)k;
  a->seconds = thread_cpu() - t0;
  for (int i = 0; i < kFsObjects; i++) {
    a->sum += *obj[i];
    free((void*)obj[i]);
  }
  return NULL;
}

/* Whether objects of kFsSize bytes at x and y touch a common 64-byte cache line. */
static int share_a_line(uintptr_t x, uintptr_t y) {
  return x >> 6 <= (y + kFsSize - 1) >> 6 && y >> 6 <= (x + kFsSize - 1) >> 6;
}

/* How many of the first thread's objects share a cache line with an object of another thread:
 * the allocator's part in false sharing, counted from addresses, so it does not depend on the
 * threads running at the same time (which a busy machine does not promise). */
static int shared_objects(const fs_arg* a) {
  int shared = 0;
  for (int i = 0; i < kFsObjects; i++) {
    int hit = 0;
    for (int t = 1; t < kFsThreads; t++)
      for (int j = 0; j < kFsObjects; j++) hit |= share_a_line(a[0].addr[i], a[t].addr[j]);
    shared += hit;
  }
  return shared;
}

/* Runs both threads; returns the slower one's write-loop CPU time. */
static double fs_phase(long iterations, int passive, uint64_t* sum, int* shared) {
  pthread_barrier_t start;
  pthread_barrier_init(&start, NULL, kFsThreads);
  void* handed[kFsThreads][kFsObjects];
  for (int i = 0; i < kFsObjects && passive; i++)  /* alternating: neighbours change hands */
    for (int t = 0; t < kFsThreads; t++) handed[t][i] = malloc(kFsSize);
  pthread_t th[kFsThreads];
  fs_arg args[kFsThreads];
  for (int t = 0; t < kFsThreads; t++) {
    args[t] = (fs_arg){&start, passive ? handed[t] : NULL, iterations, 0, 0, {0}};
    pthread_create(&th[t], NULL, fs_worker, &args[t]);
  }
  double slowest = 0;
  for (int t = 0; t < kFsThreads; t++) {
    pthread_join(th[t], NULL);
    *sum += args[t].sum;
    if (args[t].seconds > slowest) slowest = args[t].seconds;
  }
  *shared = shared_objects(args);
  pthread_barrier_destroy(&start);
  return slowest;
}

static void false_sharing(double scale, result* r) {
  long iterations = scaled(scale, 10000000);
  int active_shared = 0, passive_shared = 0;
  double active = fs_phase(iterations, 0, &r->checksum, &active_shared);
  double passive = fs_phase(iterations, 1, &r->checksum, &passive_shared);
  r->time_s = active + passive;
  add_extra(r, "active_s", active);
  add_extra(r, "passive_s", passive);
  add_extra(r, "active_shared_objects", active_shared);
  add_extra(r, "passive_shared_objects", passive_shared);
}

/* ---- burst: 1 GiB allocated, written and freed; how much stays resident ---------------------- */

/* Half the bytes in small objects (32 B - 1 KiB), half in large ones (64 KiB - 1 MiB), allocated
 * interleaved, every byte written, then all freed in the order they came. RSS is read before, at
 * the peak, right after the free, and then either after malloc_trim(0) (burst-trim) or after 1, 2
 * and 3 s of doing nothing (burst-wait): a trim changes what the allocator holds, so each is a
 * run of its own. The objects are chained through their third word, so the workload needs no
 * table of its own that would add to the RSS. */
enum { kBurstWaitS = 3 };

static void burst(double scale, result* r, int trim) {
  size_t total = (size_t)((double)(1024 * MIB) * scale), small = 0, large = 0, count = 0;
  rng g = rng_seeded(5);
  uint64_t *head = NULL, *tail = NULL;
  double before = rss_mib(), t0 = now();
  while (small + large < total) {
    int big = large < small;
    size_t n = big ? between(&g, 64 * KIB, MIB) : between(&g, 32, KIB);
    uint64_t* p = new_object(n, count++);
    memset(p + 2, (int)(count & 0xff), n - 24);  /* word 2 onwards, short of the last word */
    p[2] = 0;
    if (tail) tail[2] = (uint64_t)(uintptr_t)p;
    else head = p;
    tail = p;
    *(big ? &large : &small) += n;
  }
  double peak = rss_mib();
  while (head) {
    uint64_t* next = (uint64_t*)(uintptr_t)head[2];
    r->checksum += free_object(head);
    head = next;
  }
  r->time_s = now() - t0;
  double after_free = rss_mib();
  add_extra(r, "burst_mib", (double)(small + large) / (double)MIB);
  add_extra(r, "objects", (double)count);
  add_extra(r, "rss_before_mib", before);
  add_extra(r, "rss_peak_mib", peak);
  add_extra(r, "rss_after_free_mib", after_free);
  if (trim) {
    malloc_trim(0);
    add_extra(r, "rss_after_trim_mib", rss_mib());
    return;
  }
  static const char* keys[kBurstWaitS] = {"rss_after_1s_mib", "rss_after_2s_mib",
                                          "rss_after_3s_mib"};
  for (int s = 0; s < kBurstWaitS; s++) {
    sleep(1);
    add_extra(r, keys[s], rss_mib());
  }
}

static void burst_trim(double scale, result* r) { burst(scale, r, 1); }
static void burst_wait(double scale, result* r) { burst(scale, r, 0); }

/* ---- pairs-large: malloc+free of 64 KiB and 256 KiB ------------------------------------------ */

/* A buffer taken and given back around each request, alternately 64 KiB and 256 KiB; its first
 * and last words are written, as a header and a trailer would be. */
static void pairs_large(double scale, result* r) {
  long n = scaled(scale, 10000000);
  for (long i = 0; i < n; i++) {
    size_t size = (i & 1) ? 256 * KIB : 64 * KIB;
    r->checksum += free_object(new_object(size, (uint64_t)i));
  }
  add_extra(r, "pairs", (double)n);
}

/* ---- main ------------------------------------------------------------------------------------ */

typedef struct {
  const char* name;
  void (*run)(double scale, result* r);
} workload;

static const workload workloads[] = {
    {"large-churn", large_churn}, {"xthread", xthread},        {"thread-churn", thread_churn},
    {"larson", larson},           {"frag", frag},              {"realloc-grow", realloc_grow},
    {"false-sharing", false_sharing}, {"burst-trim", burst_trim}, {"burst-wait", burst_wait},
    {"pairs-large", pairs_large},
};
enum { kWorkloads = sizeof workloads / sizeof workloads[0] };

static const char* malloc_library(void) {
  Dl_info info;
  return dladdr((void*)&malloc, &info) != 0 && info.dli_fname ? info.dli_fname : "unknown";
}

static double seconds_of(struct timeval tv) {
  return (double)tv.tv_sec + (double)tv.tv_usec * 1e-6;
}

static void print_json(const char* name, double scale, double wall, const result* r) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  printf("{\"workload\": \"%s\", \"scale\": %g, \"time_s\": %.6f, \"wall_s\": %.6f, "
         "\"user_s\": %.6f, \"sys_s\": %.6f, \"peak_rss_kib\": %ld, \"minor_faults\": %ld, "
         "\"major_faults\": %ld, \"checksum\": \"%016llx\", \"malloc_library\": \"%s\"",
         name, scale, r->time_s < 0 ? wall : r->time_s, wall, seconds_of(ru.ru_utime),
         seconds_of(ru.ru_stime), peak_rss_kib(), ru.ru_minflt, ru.ru_majflt,
         (unsigned long long)r->checksum, malloc_library());
  for (int i = 0; i < r->n_extra; i++) printf(", \"%s\": %.6g", r->extra[i].key, r->extra[i].value);
  printf("}\n");
}

int main(int argc, char** argv) {
  if (argc == 2 && strcmp(argv[1], "list") == 0) {
    for (int i = 0; i < kWorkloads; i++) printf("%s\n", workloads[i].name);
    return 0;
  }
  double scale = argc == 3 ? atof(argv[2]) : 1.0;
  for (int i = 0; argc >= 2 && argc <= 3 && scale > 0 && i < kWorkloads; i++) {
    if (strcmp(argv[1], workloads[i].name) != 0) continue;
    result r = {.time_s = -1};
    double t0 = now();
    workloads[i].run(scale, &r);
    print_json(workloads[i].name, scale, now() - t0, &r);
    return 0;
  }
  fprintf(stderr, "usage: macro WORKLOAD [SCALE > 0]   (macro list: the workloads)\n");
  return 2;
}
