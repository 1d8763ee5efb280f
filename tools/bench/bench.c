/* SPDX-License-Identifier: MIT */
/*
 * dbcap-bench: the buffer library's three layouts against the bare
 * primitives that bound them and a Concurrency Kit ring, in one process,
 * with the same threads, the same pinning and the same writer loop.
 *
 * One run = one contender x one workload x one writer count x one sink, for
 * a fixed wall-clock window.  The matrix is walked repeat by repeat, and
 * inside a repeat the contenders of one (workload, writers) cell run back to
 * back in a shuffled order, so that a noisy neighbour hurts them alike.
 * docs/BENCHMARKS.md says what each contender is and how to read the output.
 *
 * Threads of a run: W writers (writer i pinned to allowed CPU i mod n) and
 * one reader (pinned to the last CPU when the writers leave one free, else
 * unpinned: dbcap's own policy).  Bare contenders have no data to read, but
 * they get the same reader thread, idling with the same back-off, so that
 * the process layout is the same.
 *
 * Timing: per-write latency is read with the TSC (x86: lfence; rdtsc /
 * rdtscp; lfence), calibrated against CLOCK_MONOTONIC at start-up; other
 * architectures use clock_gettime() through the vDSO.  Never a syscall per
 * sample.  A write is timed with probability ~1/N (N = --sample): the gap
 * to the next timed write is uniform in [1, 2N-1], so the sampling cannot
 * lock onto a periodic event such as a buffer swap every 2^k writes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "dbuf.h"
#include "../../src/persist/persist.h"
#include "../../src/util/hist.h"
#include "../../src/util/splitmix.h"

#ifndef BENCH_HAVE_CK
#define BENCH_HAVE_CK 0
#endif
/*
 * ck_ring synchronises with inline assembly that ThreadSanitizer cannot
 * see, so under TSan every block handed through it would be reported as a
 * race.  The ck contender is skipped there (and said so in the output).
 */
#if defined(__SANITIZE_THREAD__)
#define BENCH_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define BENCH_TSAN 1
#endif
#endif
#ifndef BENCH_TSAN
#define BENCH_TSAN 0
#endif
#if BENCH_HAVE_CK && !BENCH_TSAN
#define BENCH_CK 1
#include <ck_ring.h>
#else
#define BENCH_CK 0
#endif

#define CACHELINE 64
#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)
#define ALWAYS_INLINE inline __attribute__((always_inline))

/* ------------------------------------------------------------ contenders */

enum contender {
	C_PER_WRITER, /* dbuf, per-writer layout */
	C_SHARED,     /* dbuf, shared layout */
	C_MUTEX,      /* dbuf, mutex layout */
	C_BARE_STORE, /* copy + release store to a line only this writer writes */
	C_BARE_FAA,   /* copy + fetch_add on one word all writers share */
	C_BARE_MUTEX, /* copy + lock, increment, unlock of one mutex */
	C_CK,         /* ck_ring MPSC of pointers to pooled blocks */
	NCONTENDERS
};

static const char *const contender_names[NCONTENDERS] = {
	"per-writer", "shared", "mutex", "bare-store", "bare-faa", "bare-mutex", "ck-ring",
};

static bool is_lib(enum contender k)
{
	return k <= C_MUTEX;
}

static bool is_bare(enum contender k)
{
	return k >= C_BARE_STORE && k <= C_BARE_MUTEX;
}

enum sink { S_NULL, S_MEMCPY, S_DISK_DIRECT, S_DISK_BUFFERED, NSINKS };
static const char *const sink_names[NSINKS] = {"null", "memcpy", "disk-direct", "disk-buffered"};

static bool is_disk(enum sink s)
{
	return s == S_DISK_DIRECT || s == S_DISK_BUFFERED;
}

struct workload {
	char name[48];
	uint32_t min, max; /* uniform in [min, max]; fixed when equal */
};

/* ----------------------------------------------------------------- options */

#define MAX_LIST 16
#define MAX_WRITERS 64

struct opts {
	bool contender[NCONTENDERS];
	struct workload wl[MAX_LIST];
	unsigned nwl;
	unsigned writers[MAX_LIST], nwriters;
	unsigned disk_writers[MAX_LIST], ndisk_writers;
	bool sink[NSINKS];
	double duration, disk_duration;
	unsigned repeat, disk_repeat;
	unsigned sample;        /* mean stride between timed writes */
	size_t buffer_size;
	unsigned buffers;
	unsigned io_depth;
	const char *dir;
	const char *json;
	uint64_t seed;
	bool disk_drop;         /* disk sinks: drop policy (else wait) */
	bool smoke;
	bool quiet;
};

/* ------------------------------------------------------------------ timing */

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts); /* vDSO: no syscall */
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#if defined(__x86_64__) || defined(__i386__)
#define BENCH_CLOCK "tsc"
/* lfence keeps rdtsc from running ahead of the work before it, and the
 * work after it from starting before it. */
static ALWAYS_INLINE uint64_t tick_begin(void)
{
	__builtin_ia32_lfence();
	uint64_t t = __builtin_ia32_rdtsc();
	__builtin_ia32_lfence();
	return t;
}

/* rdtscp waits until everything before it has executed. */
static ALWAYS_INLINE uint64_t tick_end(void)
{
	unsigned aux;
	uint64_t t = __builtin_ia32_rdtscp(&aux);
	__builtin_ia32_lfence();
	return t;
}

#else
#define BENCH_CLOCK "clock_gettime"
static inline uint64_t tick_begin(void)
{
	return mono_ns();
}

static inline uint64_t tick_end(void)
{
	return mono_ns();
}
#endif

static double ns_per_tick = 1.0; /* set once by calibrate(), read-only after */
static uint64_t timer_floor_ns;  /* median of an empty timed interval */

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = {(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/*
 * Ticks per nanosecond from two (monotonic, tick) pairs 100 ms apart; the
 * median of three rounds, so that one preemption between the two reads of a
 * pair cannot skew it.  Then the cost of an empty timed interval, which is
 * the floor under every latency we report.
 */
static void calibrate(void)
{
	double r[3];
	for (int i = 0; i < 3; i++) {
		uint64_t n0 = mono_ns(), t0 = tick_begin();
		sleep_ns(100000000u / 3);
		uint64_t n1 = mono_ns(), t1 = tick_begin();
		r[i] = (double)(n1 - n0) / (double)(t1 - t0);
	}
	qsort(r, 3, sizeof(r[0]), cmp_double);
	ns_per_tick = r[1];

	enum { N = 2001 };
	static uint64_t d[N];
	for (int i = 0; i < N; i++) {
		uint64_t a = tick_begin();
		uint64_t b = tick_end();
		d[i] = b - a;
	}
	qsort(d, N, sizeof(d[0]), cmp_u64);
	timer_floor_ns = (uint64_t)((double)d[N / 2] * ns_per_tick);
}

static ALWAYS_INLINE uint64_t ticks_to_ns(uint64_t t)
{
	return (uint64_t)((double)t * ns_per_tick);
}

/* xorshift64*: the sampling gaps and the random sizes. */
static ALWAYS_INLINE uint64_t rng_next(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * UINT64_C(0x2545f4914f6cdd1d);
}

static double thread_cpu_s(void)
{
	struct rusage ru;
	if (getrusage(RUSAGE_THREAD, &ru) != 0)
		return 0;
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* ------------------------------------------------------- one run's state */

#define SIZES 4096u /* entries in a writer's size table (a power of two) */
#define SRC_LEN 10240u
#define SPIN_LIMIT 1024u /* the library's default: polls before sched_yield() */

#if BENCH_CK
/* A pooled block of the ck contender: header, then the data. */
struct ck_block {
	uint32_t len;
	uint32_t owner; /* the writer whose pool it returns to */
	char data[];
};

/*
 * A writer's pool.  Its free ring is single-producer (the consumer, which
 * returns blocks) and single-consumer (the owning writer, which takes them).
 */
struct ck_pool {
	alignas(CACHELINE) struct ck_ring free;
	struct ck_ring_buffer *free_buf;
	char *mem;
	size_t slot, nblocks, bytes;
};
#endif

struct run;

/* One writer.  Owned by its thread while the run lasts; main reads it after the join. */
struct wctx {
	alignas(CACHELINE) struct run *run;
	unsigned id;
	int cpu;
	struct dbuf_writer *w;
	const uint32_t *sizes;
	const char *src;
	char *priv;          /* bare: the private copy target */
	size_t priv_size;
#if BENCH_CK
	struct ck_pool *pool;
#endif
	/* results */
	uint64_t blocks, bytes, drops, waits, yields;
	double cpu_s;
	struct hist lat;
	/* bare-store: the word only this writer stores, on a line of its own */
	alignas(CACHELINE) _Atomic uint64_t mine;
};

struct run {
	/* Read-only while the threads run. */
	const struct opts *o;
	enum contender k;
	enum sink sink;
	const struct workload *wl;
	unsigned nw;
	bool drop;          /* drop policy (disk sinks); else wait */
	struct dbuf *db;
	struct wctx *w;     /* [nw] */
	char path[4200];    /* disk sinks: the file */
#if BENCH_CK
	struct ck_pool *pools;
	struct ck_ring_buffer *ring_buf;
#endif

	alignas(CACHELINE) _Atomic unsigned ready; /* threads: one each when set up */
	alignas(CACHELINE) _Atomic bool go;        /* main: start the loops */
	alignas(CACHELINE) _Atomic bool stop;      /* main: writers stop */
	alignas(CACHELINE) _Atomic bool closed;    /* main: writers joined; the reader drains */
	/* bare-faa: the one word every writer adds to */
	alignas(CACHELINE) _Atomic uint64_t faa_word;
	/* bare-mutex: the lock and what it protects */
	alignas(CACHELINE) pthread_mutex_t mx;
	uint64_t mx_count;
#if BENCH_CK
	/* ck-ring: the MPSC ring itself (it pads its own fields apart) */
	alignas(CACHELINE) struct ck_ring ring;
#endif
	/* reader-owned results, read by main after the join */
	alignas(CACHELINE) uint64_t r_chunks, r_bytes, r_blocks;
	double r_cpu_s;
	uint64_t persisted;  /* disk: bytes in the file at close */
	int r_err;           /* 0, or the -errno that ended the reader */
	const char *r_what;
	struct hist plat;    /* disk: persistence write latency */
	char *sinkbuf;       /* memcpy sink: where the reader copies to */
	size_t sinkbuf_size;
};

/* ------------------------------------------------------------ the writers */

#if BENCH_CK
/* One step of the wait policy (the library's): false means drop the block now. */
static bool wait_step(struct wctx *c, unsigned *step)
{
	if (c->run->drop)
		return false;
	if (*step == 0)
		c->waits++;
	if (*step < SPIN_LIMIT) {
		dbuf_cpu_relax();
	} else {
		c->yields++;
		sched_yield();
	}
	(*step)++;
	return true;
}

static ALWAYS_INLINE int ck_write(struct wctx *c, const char *src, uint32_t len)
{
	struct run *run = c->run;
	unsigned step = 0;
	void *p = NULL;

	while (!ck_ring_dequeue_spsc(&c->pool->free, c->pool->free_buf, &p))
		if (!wait_step(c, &step))
			return DBUF_EFULL;
	struct ck_block *b = p;
	b->len = len;
	memcpy(b->data, src, len);
	/*
	 * The ring has a slot for every pooled block of every writer, so it
	 * is never full; a failure would be a bug in this program.
	 */
	if (!ck_ring_enqueue_mpsc(&run->ring, run->ring_buf, b))
		abort();
	return DBUF_OK;
}
#endif

/*
 * The operation under test.  Inlined into the loop with k a constant, so
 * each contender's loop is specialised and carries no dispatch.
 */
static ALWAYS_INLINE int op(struct wctx *c, const enum contender k, const char *src,
			    uint32_t len, size_t *off, uint64_t *n)
{
	switch (k) {
	case C_PER_WRITER:
	case C_SHARED:
	case C_MUTEX:
		return dbuf_write(c->w, src, len);
	case C_BARE_STORE:
	case C_BARE_FAA:
	case C_BARE_MUTEX:
		/* The same copy as dbuf_write(), into a buffer of the same size. */
		if (*off + len > c->priv_size)
			*off = 0;
		memcpy(c->priv + *off, src, len);
		*off += len;
		if (k == C_BARE_STORE) {
			/* What the per-writer layout's commit is: publish progress on our own line. */
			atomic_store_explicit(&c->mine, ++*n, memory_order_release);
		} else if (k == C_BARE_FAA) {
			/* What the shared layout's claim is: one RMW on a word all writers hit. */
			atomic_fetch_add_explicit(&c->run->faa_word, len, memory_order_acq_rel);
		} else {
			pthread_mutex_lock(&c->run->mx);
			c->run->mx_count += len;
			pthread_mutex_unlock(&c->run->mx);
		}
		return DBUF_OK;
	case C_CK:
#if BENCH_CK
		return ck_write(c, src, len);
#endif
	default:
		return DBUF_EZERO;
	}
}

/* The one writer loop every contender runs. */
static ALWAYS_INLINE void loop(struct wctx *c, const enum contender k)
{
	struct run *run = c->run;
	const uint32_t *sizes = c->sizes;
	const char *src = c->src;
	const uint64_t span = 2u * run->o->sample - 1u;
	uint64_t rng = splitmix64(run->o->seed ^ 0x5eed ^ c->id) | 1;
	uint64_t blocks = 0, bytes = 0, drops = 0, n = 0;
	uint64_t next = rng_next(&rng) % span;
	size_t off = 0;

	/* relaxed: stop carries no data, the join orders everything after it */
	for (uint64_t i = 0; !atomic_load_explicit(&run->stop, memory_order_relaxed); i++) {
		uint32_t len = sizes[i & (SIZES - 1)];
		int r;

		if (UNLIKELY(i == next)) {
			uint64_t t0 = tick_begin();
			r = op(c, k, src, len, &off, &n);
			uint64_t t1 = tick_end();
			if (r == DBUF_OK)
				hist_record(&c->lat, ticks_to_ns(t1 - t0));
			next = i + 1 + rng_next(&rng) % span;
		} else {
			r = op(c, k, src, len, &off, &n);
		}
		if (LIKELY(r == DBUF_OK)) {
			blocks++;
			bytes += len;
		} else {
			drops++;
		}
	}
	c->blocks = blocks;
	c->bytes = bytes;
	c->drops = drops;
}

/* One specialised copy of the loop per kind of operation. */
static __attribute__((noinline)) void loop_lib(struct wctx *c)
{
	loop(c, C_PER_WRITER); /* the same call for all three layouts */
}

static __attribute__((noinline)) void loop_store(struct wctx *c)
{
	loop(c, C_BARE_STORE);
}

static __attribute__((noinline)) void loop_faa(struct wctx *c)
{
	loop(c, C_BARE_FAA);
}

static __attribute__((noinline)) void loop_mutex(struct wctx *c)
{
	loop(c, C_BARE_MUTEX);
}

static __attribute__((noinline)) void loop_ck(struct wctx *c)
{
	loop(c, C_CK);
}

static void wait_go(struct run *run)
{
	atomic_fetch_add_explicit(&run->ready, 1, memory_order_relaxed);
	/* pairs with the release store of go in run_once(): the setup is visible */
	while (!atomic_load_explicit(&run->go, memory_order_acquire))
		sched_yield();
}

static void *writer_main(void *arg)
{
	struct wctx *c = arg;

	wait_go(c->run);
	double cpu0 = thread_cpu_s();
	switch (c->run->k) {
	case C_PER_WRITER:
	case C_SHARED:
	case C_MUTEX: loop_lib(c); break;
	case C_BARE_STORE: loop_store(c); break;
	case C_BARE_FAA: loop_faa(c); break;
	case C_BARE_MUTEX: loop_mutex(c); break;
	default: loop_ck(c); break;
	}
	c->cpu_s = thread_cpu_s() - cpu0;
	return NULL;
}

/* ------------------------------------------------------------ the reader */

/* The reader's back-off when nothing is ready: dbcap's reader does the same. */
static void backoff(unsigned *idle)
{
	++*idle;
	if (*idle < 64) {
		dbuf_cpu_relax();
	} else if (*idle < 128) {
		sched_yield();
	} else {
		sleep_ns(*idle < 1024 ? 20000 : 200000);
	}
}

static bool closed(struct run *run)
{
	/* pairs with the release store of closed in run_once(): the writers
	 * were joined before it, so everything they enqueued is visible. */
	return atomic_load_explicit(&run->closed, memory_order_acquire);
}

static void sink_copy(struct run *run, size_t *off, const void *data, size_t len)
{
	if (*off + len > run->sinkbuf_size)
		*off = 0;
	memcpy(run->sinkbuf + *off, data, len);
	*off += len;
}

static void reader_fail(struct run *run, int err, const char *what)
{
	if (!run->r_err) {
		run->r_err = err;
		run->r_what = what;
	}
}

static int open_persist(struct run *run, struct persist **p, const struct iovec *regions,
			unsigned nregions)
{
	struct persist_opts po;
	char msg[512];

	memset(&po, 0, sizeof(po));
	po.path = run->path;
	po.force = true;
	po.engine = IO_ENGINE_URING;
	/* The smoke test may run on a filesystem without O_DIRECT: take what it has. */
	po.direct = run->sink == S_DISK_BUFFERED ? IO_OFF :
		    run->o->smoke ? IO_AUTO : IO_ON;
	po.depth = run->o->io_depth;
	po.regions = regions;
	po.nregions = nregions;
	po.latency = &run->plat;
	int err = persist_open(&po, p, msg, sizeof(msg));
	if (err) {
		fprintf(stderr, "dbcap-bench: %s: %s\n", po.path, msg);
		return err;
	}
	/* persist prints nothing: the fallback warning is the caller's to give. */
	struct io_report rep;
	persist_report(*p, &rep);
	if (rep.fallback_reason)
		fprintf(stderr, "dbcap-bench: warning: io_uring unavailable (%s); writing with pwrite\n",
			rep.fallback_reason);
	return 0;
}

/* Library, null or memcpy sink: take each chunk, (copy it out,) release it. */
static void read_lib_mem(struct run *run)
{
	size_t off = 0;
	unsigned idle = 0;

	for (;;) {
		struct dbuf_chunk ch;
		int r = dbuf_reader_next(run->db, &ch);
		if (r == 0) {
			idle = 0;
			run->r_chunks++;
			run->r_bytes += ch.len;
			if (run->sink == S_MEMCPY)
				sink_copy(run, &off, ch.data, ch.len);
			dbuf_reader_release(run->db, &ch);
			continue;
		}
		if (r == DBUF_ENODATA)
			break;
		backoff(&idle);
	}
}

/* Chunks handed to persistence, released in order as it gives them back. */
struct held {
	struct dbuf_chunk *ring;
	unsigned cap, head, tail;
};

static int lib_reap(struct run *run, struct persist *p, struct held *h, bool wait)
{
	void *cookies[64];
	int n = persist_reap(p, cookies, 64, wait);
	for (int i = 0; i < n; i++) {
		if (!cookies[i])
			continue;
		dbuf_reader_release(run->db, cookies[i]);
		h->tail++;
	}
	return n < 0 ? n : 0;
}

/* Library, disk sink: append each chunk with io_uring, release it when persistence is done with it. */
static void read_lib_disk(struct run *run)
{
	struct iovec regions[DBUF_MAX_BUFFERS * 4];
	unsigned nregions = dbuf_regions(run->db, regions, DBUF_MAX_BUFFERS * 4);
	struct persist *p = NULL;
	struct held h = {0};
	unsigned idle = 0;
	bool failed = false;
	int err;

	if (nregions > DBUF_MAX_BUFFERS * 4)
		nregions = 0; /* too many to register: write unregistered */
	h.cap = dbuf_regions(run->db, NULL, 0) + run->o->io_depth + 8;
	h.ring = calloc(h.cap, sizeof(*h.ring));
	err = h.ring ? open_persist(run, &p, regions, nregions) : -ENOMEM;
	if (err) {
		reader_fail(run, err, "open");
		failed = true;
	}
	for (;;) {
		if (!failed && h.head - h.tail == h.cap) {
			err = lib_reap(run, p, &h, true);
			if (err) {
				reader_fail(run, err, "write");
				failed = true;
			}
			continue;
		}
		struct dbuf_chunk ch;
		int r = dbuf_reader_next(run->db, &ch);
		if (r == 0) {
			idle = 0;
			run->r_chunks++;
			run->r_bytes += ch.len;
			if (failed) {
				dbuf_reader_release(run->db, &ch);
				continue;
			}
			struct dbuf_chunk *slot = &h.ring[h.head++ % h.cap];
			*slot = ch;
			err = persist_append(p, ch.data, ch.len, (int)ch.region, slot);
			if (!err)
				err = lib_reap(run, p, &h, false);
			if (err) {
				reader_fail(run, err, "write");
				failed = true;
			}
			continue;
		}
		if (r == DBUF_ENODATA)
			break;
		if (!failed && h.head != h.tail && lib_reap(run, p, &h, false) != 0) {
			reader_fail(run, -EIO, "write");
			failed = true;
		}
		backoff(&idle);
	}
	while (!failed && h.head != h.tail) {
		err = lib_reap(run, p, &h, true);
		if (err) {
			reader_fail(run, err, "write");
			failed = true;
		}
	}
	if (p) {
		uint64_t durable = 0;
		err = persist_close(p, &durable);
		if (err)
			reader_fail(run, err, "close");
		run->persisted = durable;
	}
	/* After a failure: give back what persistence still held. */
	while (h.head != h.tail)
		dbuf_reader_release(run->db, &h.ring[h.tail++ % h.cap]);
	free(h.ring);
}

#if BENCH_CK
/*
 * ck-ring, any sink.  Blocks arrive one pointer at a time from anywhere in
 * the pools, so the disk sink first packs them into staging buffers that it
 * appends whole (a C programmer with a pointer ring would do the same; the
 * library hands out contiguous chunks instead).
 */
#define CK_STAGES 8u
#define CK_STAGE_SIZE ((size_t)1 << 20)

struct ck_stage {
	char *mem;
	size_t fill;
	unsigned cur;
	bool busy[CK_STAGES];
	unsigned id[CK_STAGES]; /* the cookies: pointers to these name the stage */
};

static int ck_reap(struct persist *p, struct ck_stage *st, bool wait)
{
	void *cookies[64];
	int n = persist_reap(p, cookies, 64, wait);
	for (int i = 0; i < n; i++)
		if (cookies[i])
			st->busy[*(unsigned *)cookies[i]] = false;
	return n < 0 ? n : 0;
}

static int ck_stage_flush(struct persist *p, struct ck_stage *st)
{
	if (st->fill == 0)
		return 0;
	unsigned s = st->cur;
	st->busy[s] = true;
	int err = persist_append(p, st->mem + (size_t)s * CK_STAGE_SIZE, st->fill, -1, &st->id[s]);
	st->cur = (s + 1) % CK_STAGES;
	st->fill = 0;
	while (!err && st->busy[st->cur])
		err = ck_reap(p, st, true);
	return err;
}

/* One block from the ring: into the sink, then back to its owner's pool. */
static void ck_take(struct run *run, struct persist *p, struct ck_stage *st, size_t *off,
		    bool *failed, struct ck_block *b)
{
	run->r_blocks++;
	run->r_bytes += b->len;
	if (run->sink == S_MEMCPY) {
		sink_copy(run, off, b->data, b->len);
	} else if (is_disk(run->sink) && !*failed) {
		int err = 0;
		if (st->fill + b->len > CK_STAGE_SIZE)
			err = ck_stage_flush(p, st);
		if (err) {
			reader_fail(run, err, "write");
			*failed = true;
		} else {
			memcpy(st->mem + (size_t)st->cur * CK_STAGE_SIZE + st->fill, b->data, b->len);
			st->fill += b->len;
		}
	}
	/* The free ring has room for every block of the pool: it cannot be full. */
	struct ck_pool *pool = &run->pools[b->owner];
	if (!ck_ring_enqueue_spsc(&pool->free, pool->free_buf, b))
		abort();
}

static void read_ck(struct run *run)
{
	struct persist *p = NULL;
	struct ck_stage st = {0};
	size_t off = 0;
	unsigned idle = 0;
	bool disk = is_disk(run->sink), failed = false;
	int err = 0;

	if (disk) {
		void *mem = NULL;
		if (posix_memalign(&mem, 4096, CK_STAGES * CK_STAGE_SIZE) != 0)
			err = -ENOMEM;
		st.mem = mem;
		for (unsigned i = 0; i < CK_STAGES; i++)
			st.id[i] = i;
		if (!err)
			err = open_persist(run, &p, NULL, 0);
		if (err) {
			reader_fail(run, err, "open");
			failed = true;
		}
	}
	for (;;) {
		/*
		 * Load closed before trying the ring: the writers were joined
		 * before it was set, so if it is set and the ring is empty after
		 * it, nothing more will come.
		 */
		bool done = closed(run);
		void *v = NULL;
		if (ck_ring_dequeue_mpsc(&run->ring, run->ring_buf, &v)) {
			idle = 0;
			ck_take(run, p, &st, &off, &failed, v);
			continue;
		}
		if (done)
			break;
		if (disk && !failed && ck_reap(p, &st, false) != 0) {
			reader_fail(run, -EIO, "write");
			failed = true;
		}
		backoff(&idle);
	}
	if (disk) {
		if (!failed) {
			err = ck_stage_flush(p, &st);
			if (err)
				reader_fail(run, err, "write");
		}
		if (p) {
			uint64_t durable = 0;
			err = persist_close(p, &durable);
			if (err)
				reader_fail(run, err, "close");
			run->persisted = durable;
		}
		free(st.mem);
	}
}
#endif

/* Bare contenders: nothing to read; idle like a reader that finds nothing. */
static void read_idle(struct run *run)
{
	unsigned idle = 0;
	while (!closed(run))
		backoff(&idle);
}

static void *reader_main(void *arg)
{
	struct run *run = arg;

	wait_go(run);
	double cpu0 = thread_cpu_s();
	if (is_lib(run->k)) {
		if (is_disk(run->sink))
			read_lib_disk(run);
		else
			read_lib_mem(run);
	} else if (is_bare(run->k)) {
		read_idle(run);
	} else {
#if BENCH_CK
		read_ck(run);
#endif
	}
	run->r_cpu_s = thread_cpu_s() - cpu0;
	return NULL;
}

/* ---------------------------------------------------------------- set-up */

static unsigned ncpus;
static int cpus[1024];

static void find_cpus(void)
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof(set), &set) != 0) {
		ncpus = 1;
		cpus[0] = -1;
		return;
	}
	for (int i = 0; i < CPU_SETSIZE && ncpus < 1024; i++)
		if (CPU_ISSET(i, &set))
			cpus[ncpus++] = i;
}

static int spawn(pthread_t *t, void *(*fn)(void *), void *arg, int cpu)
{
	pthread_attr_t attr;
	cpu_set_t set;
	int err = pthread_attr_init(&attr);
	if (err)
		return -err;
	if (cpu >= 0) {
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
	}
	err = pthread_create(t, &attr, fn, arg);
	pthread_attr_destroy(&attr);
	return -err;
}

/* Anonymous memory, every page touched now so that no fault lands in a run. */
static void *prefaulted(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	memset(p, 0x5a, size);
	return p;
}

static uint32_t *make_sizes(const struct workload *wl, uint64_t seed, unsigned writer)
{
	uint32_t *s = malloc(SIZES * sizeof(*s));
	uint64_t rng = splitmix64(seed ^ ((uint64_t)writer << 32) ^ 0x512e5) | 1;
	if (!s)
		return NULL;
	for (unsigned i = 0; i < SIZES; i++)
		s[i] = wl->min + (uint32_t)(rng_next(&rng) % ((uint64_t)wl->max - wl->min + 1));
	return s;
}

#if BENCH_CK
static unsigned pow2_above(size_t n)
{
	unsigned p = 2;
	while (p <= n)
		p *= 2;
	return p;
}

/*
 * Pools as large as one writer's buffers in the per-writer layout, cut in
 * cache-line-aligned slots of the largest block; the MPSC ring has room for
 * every block of every pool.
 */
static int ck_setup(struct run *run)
{
	size_t slot = (sizeof(struct ck_block) + run->wl->max + CACHELINE - 1) & ~(size_t)(CACHELINE - 1);
	size_t bytes = run->o->buffer_size * run->o->buffers;
	size_t total = 0;

	run->pools = aligned_alloc(CACHELINE, run->nw * sizeof(*run->pools));
	if (!run->pools)
		return -ENOMEM;
	memset(run->pools, 0, run->nw * sizeof(*run->pools));
	for (unsigned i = 0; i < run->nw; i++) {
		struct ck_pool *pool = &run->pools[i];
		pool->slot = slot;
		pool->nblocks = bytes / slot;
		if (pool->nblocks < 4)
			pool->nblocks = 4;
		pool->bytes = pool->nblocks * slot;
		pool->mem = prefaulted(pool->bytes);
		unsigned fsize = pow2_above(pool->nblocks);
		pool->free_buf = calloc(fsize, sizeof(*pool->free_buf));
		if (!pool->mem || !pool->free_buf)
			return -ENOMEM;
		ck_ring_init(&pool->free, fsize);
		for (size_t b = 0; b < pool->nblocks; b++) {
			struct ck_block *blk = (struct ck_block *)(pool->mem + b * slot);
			blk->owner = i;
			ck_ring_enqueue_spsc(&pool->free, pool->free_buf, blk);
		}
		total += pool->nblocks;
		run->w[i].pool = pool;
	}
	unsigned rsize = pow2_above(total);
	run->ring_buf = calloc(rsize, sizeof(*run->ring_buf));
	if (!run->ring_buf)
		return -ENOMEM;
	ck_ring_init(&run->ring, rsize);
	return 0;
}

static void ck_teardown(struct run *run)
{
	if (run->pools)
		for (unsigned i = 0; i < run->nw; i++) {
			if (run->pools[i].mem)
				munmap(run->pools[i].mem, run->pools[i].bytes);
			free(run->pools[i].free_buf);
		}
	free(run->pools);
	free(run->ring_buf);
}
#endif

/* ------------------------------------------------------------- results */

struct result {
	enum contender k;
	enum sink sink;
	unsigned wl, nw, repeat;
	bool drop;
	double window_s, drain_s;
	uint64_t blocks, bytes, drops, waits, yields;
	double wcpu_s, rcpu_s;
	uint64_t r_chunks, r_blocks, r_bytes, persisted, stalled_polls;
	uint64_t lat[5]; /* p50, p99, p99.9, p99.99, max (ns) */
	uint64_t lat_count;
	uint64_t plat_p50, plat_p99;
	const char *error;
};

static const double quantiles[4] = {0.5, 0.99, 0.999, 0.9999};

/* Adds the buckets of src to dst: both are owned by this thread now. */
static void hist_add(struct hist *dst, const struct hist *src)
{
#define LD(p) atomic_load_explicit(p, memory_order_relaxed)
#define ST(p, v) atomic_store_explicit(p, v, memory_order_relaxed)
	for (unsigned i = 0; i < HIST_BUCKETS; i++)
		if (LD(&src->bucket[i]))
			ST(&dst->bucket[i], LD(&dst->bucket[i]) + LD(&src->bucket[i]));
	ST(&dst->count, LD(&dst->count) + LD(&src->count));
	ST(&dst->sum, LD(&dst->sum) + LD(&src->sum));
	if (LD(&src->max) > LD(&dst->max))
		ST(&dst->max, LD(&src->max));
	if (LD(&src->min) < LD(&dst->min))
		ST(&dst->min, LD(&src->min));
#undef LD
#undef ST
}

/* Everything measured for one cell of the matrix, over its repeats. */
struct cell {
	enum contender k;
	enum sink sink;
	unsigned wl, nw;
	bool used;
	unsigned n;
	double bps[32], gbps[32], cpu_per_gb[32], drops_ps[32];
	struct hist lat; /* merged over writers and repeats */
};

static struct cell *cells;
static unsigned ncells;

static struct cell *cell_of(enum contender k, enum sink s, unsigned wl, unsigned nw)
{
	for (unsigned i = 0; i < ncells; i++) {
		struct cell *c = &cells[i];
		if (c->k == k && c->sink == s && c->wl == wl && c->nw == nw)
			return c;
	}
	return NULL;
}

/* -------------------------------------------------------------- one run */

static void run_free(struct run *run)
{
	if (run->w) {
		for (unsigned i = 0; i < run->nw; i++) {
			free((void *)run->w[i].sizes);
			if (run->w[i].priv)
				munmap(run->w[i].priv, run->w[i].priv_size);
		}
	}
#if BENCH_CK
	ck_teardown(run);
#endif
	if (run->db)
		dbuf_destroy(run->db);
	if (run->sinkbuf)
		munmap(run->sinkbuf, run->sinkbuf_size);
	free(run->w);
	pthread_mutex_destroy(&run->mx);
	free(run);
}

static const char *src_block; /* SRC_LEN bytes every writer copies from */

static int run_once(const struct opts *o, enum contender k, enum sink s, unsigned wli,
		    unsigned nw, unsigned repeat, struct result *res)
{
	const struct workload *wl = &o->wl[wli];
	struct run *run = aligned_alloc(CACHELINE, sizeof(*run));
	pthread_t wt[MAX_WRITERS], rt;
	unsigned started = 0;
	bool reader_started = false;
	int err = 0;

	memset(res, 0, sizeof(*res));
	res->k = k;
	res->sink = s;
	res->wl = wli;
	res->nw = nw;
	res->repeat = repeat;
	if (!run)
		return -ENOMEM;
	memset(run, 0, sizeof(*run));
	run->o = o;
	run->k = k;
	run->sink = s;
	run->wl = wl;
	run->nw = nw;
	/* Null and memcpy sinks wait (the library's default); disk sinks per --disk-policy. */
	run->drop = is_disk(s) && o->disk_drop;
	res->drop = run->drop;
	pthread_mutex_init(&run->mx, NULL);
	hist_init(&run->plat);
	snprintf(run->path, sizeof(run->path), "%s/dbcap-bench-%ld.dat", o->dir, (long)getpid());

	run->w = aligned_alloc(CACHELINE, nw * sizeof(*run->w));
	if (!run->w) {
		err = -ENOMEM;
		goto out;
	}
	memset(run->w, 0, nw * sizeof(*run->w));
	if (is_lib(k)) {
		struct dbuf_config bc;
		dbuf_config_init(&bc);
		bc.layout = k == C_PER_WRITER ? DBUF_LAYOUT_PER_WRITER :
			    k == C_SHARED     ? DBUF_LAYOUT_SHARED :
						DBUF_LAYOUT_MUTEX;
		bc.writers = nw;
		bc.buffers = o->buffers;
		bc.buffer_size = o->buffer_size;
		bc.on_full = run->drop ? DBUF_ON_FULL_DROP : DBUF_ON_FULL_WAIT;
		err = dbuf_create(&bc, &run->db);
		if (err)
			goto out;
	}
	for (unsigned i = 0; i < nw; i++) {
		struct wctx *c = &run->w[i];
		c->run = run;
		c->id = i;
		c->cpu = cpus[i % ncpus];
		c->src = src_block;
		c->sizes = make_sizes(wl, o->seed + repeat, i);
		hist_init(&c->lat);
		atomic_init(&c->mine, 0);
		if (!c->sizes) {
			err = -ENOMEM;
			goto out;
		}
		if (run->db)
			c->w = dbuf_writer(run->db, i);
		if (is_bare(k)) {
			c->priv_size = o->buffer_size * o->buffers;
			c->priv = prefaulted(c->priv_size);
			if (!c->priv) {
				err = -ENOMEM;
				goto out;
			}
		}
	}
#if BENCH_CK
	if (k == C_CK) {
		err = ck_setup(run);
		if (err)
			goto out;
	}
#endif
	if (s == S_MEMCPY) {
		run->sinkbuf_size = o->buffer_size;
		run->sinkbuf = prefaulted(run->sinkbuf_size);
		if (!run->sinkbuf) {
			err = -ENOMEM;
			goto out;
		}
	}

	/* dbcap's placement: the reader gets a core of its own when one is left. */
	int rcpu = nw < ncpus ? cpus[ncpus - 1] : -1;
	err = spawn(&rt, reader_main, run, rcpu);
	if (err)
		goto out;
	reader_started = true;
	for (; started < nw; started++) {
		err = spawn(&wt[started], writer_main, &run->w[started], run->w[started].cpu);
		if (err)
			break;
	}
	while (atomic_load_explicit(&run->ready, memory_order_relaxed) < started + 1)
		sleep_ns(100000);

	uint64_t t0 = mono_ns();
	/* pairs with the acquire load of go in wait_go() */
	atomic_store_explicit(&run->go, true, memory_order_release);
	if (!err)
		sleep_ns((uint64_t)((is_disk(s) ? o->disk_duration : o->duration) * 1e9));
	/* relaxed: see loop() */
	atomic_store_explicit(&run->stop, true, memory_order_relaxed);
	uint64_t t1 = mono_ns();
	for (unsigned i = 0; i < started; i++)
		pthread_join(wt[i], NULL);
	if (run->db)
		dbuf_close(run->db);
	/* pairs with the acquire load in closed(): the writers are joined */
	atomic_store_explicit(&run->closed, true, memory_order_release);
	pthread_join(rt, NULL);
	reader_started = false;
	uint64_t t2 = mono_ns();
	if (err)
		goto out;

	res->window_s = (double)(t1 - t0) / 1e9;
	res->drain_s = (double)(t2 - t1) / 1e9;
	struct hist *lat = malloc(sizeof(*lat));
	if (!lat) {
		err = -ENOMEM;
		goto out;
	}
	hist_init(lat);
	for (unsigned i = 0; i < nw; i++) {
		struct wctx *c = &run->w[i];
		res->blocks += c->blocks;
		res->bytes += c->bytes;
		res->drops += c->drops;
		res->waits += c->waits;
		res->yields += c->yields;
		res->wcpu_s += c->cpu_s;
		hist_add(lat, &c->lat);
		if (run->db) {
			struct dbuf_writer_stats ws;
			dbuf_writer_stats(run->db, i, &ws);
			res->waits += ws.full_waits;
			res->yields += ws.yields;
		}
	}
	for (int q = 0; q < 4; q++)
		res->lat[q] = hist_quantile(lat, quantiles[q]);
	res->lat[4] = atomic_load_explicit(&lat->max, memory_order_relaxed);
	res->lat_count = atomic_load_explicit(&lat->count, memory_order_relaxed);
	res->rcpu_s = run->r_cpu_s;
	res->r_chunks = run->r_chunks;
	res->r_blocks = run->r_blocks;
	res->r_bytes = run->r_bytes;
	res->persisted = run->persisted;
	if (run->db) {
		struct dbuf_reader_stats rs;
		dbuf_reader_stats(run->db, &rs);
		res->stalled_polls = rs.stalled_polls;
	}
	res->plat_p50 = hist_quantile(&run->plat, 0.5);
	res->plat_p99 = hist_quantile(&run->plat, 0.99);

	/* Nothing may be lost between the writers and the sink. */
	if (run->r_err) {
		static char msg[128];
		snprintf(msg, sizeof(msg), "reader: %s: %s", run->r_what, strerror(-run->r_err));
		res->error = msg;
	} else if (!is_bare(k) && run->r_bytes != res->bytes) {
		res->error = "the reader got a different byte count than the writers committed";
	} else if (is_disk(s) && run->persisted != res->bytes) {
		res->error = "the file holds a different byte count than the writers committed";
	} else if (res->blocks == 0) {
		res->error = "no block was written";
	}

	struct cell *cl = cell_of(k, s, wli, nw);
	if (cl && cl->n < 32) {
		double gb = (double)res->bytes / 1e9;
		cl->bps[cl->n] = (double)res->blocks / res->window_s;
		cl->gbps[cl->n] = gb / res->window_s;
		cl->cpu_per_gb[cl->n] = gb > 0 ? (res->wcpu_s + res->rcpu_s) / gb : 0;
		cl->drops_ps[cl->n] = (double)res->drops / res->window_s;
		cl->n++;
		hist_add(&cl->lat, lat);
	}
	free(lat);

out:
	if (reader_started) {
		atomic_store_explicit(&run->stop, true, memory_order_relaxed);
		atomic_store_explicit(&run->closed, true, memory_order_release);
		pthread_join(rt, NULL);
	}
	if (is_disk(s))
		unlink(run->path);
	run_free(run);
	return err;
}

/* ----------------------------------------------------------------- JSON */

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void json_result(FILE *f, const struct opts *o, const struct result *r)
{
	double gb = (double)r->bytes / 1e9;
	fprintf(f, "    {\"contender\": \"%s\", \"workload\": \"%s\", \"writers\": %u, \"sink\": \"%s\", "
		   "\"repeat\": %u, \"policy\": \"%s\",\n",
		contender_names[r->k], o->wl[r->wl].name, r->nw,
		is_bare(r->k) ? "none" : sink_names[r->sink], r->repeat, r->drop ? "drop" : "wait");
	fprintf(f, "     \"window_s\": %.6f, \"drain_s\": %.6f, \"blocks\": %" PRIu64 ", \"bytes\": %" PRIu64
		   ", \"drops\": %" PRIu64 ", \"waits\": %" PRIu64 ", \"yields\": %" PRIu64 ",\n",
		r->window_s, r->drain_s, r->blocks, r->bytes, r->drops, r->waits, r->yields);
	fprintf(f, "     \"blocks_per_s\": %.1f, \"gb_per_s\": %.6f, \"drops_per_s\": %.1f, "
		   "\"cpu_writers_s\": %.6f, \"cpu_reader_s\": %.6f, \"cpu_s_per_gb\": %.6f,\n",
		r->window_s > 0 ? (double)r->blocks / r->window_s : 0,
		r->window_s > 0 ? gb / r->window_s : 0,
		r->window_s > 0 ? (double)r->drops / r->window_s : 0, r->wcpu_s, r->rcpu_s,
		gb > 0 ? (r->wcpu_s + r->rcpu_s) / gb : 0);
	fprintf(f, "     \"latency_ns\": {\"samples\": %" PRIu64 ", \"p50\": %" PRIu64 ", \"p99\": %" PRIu64
		   ", \"p99_9\": %" PRIu64 ", \"p99_99\": %" PRIu64 ", \"max\": %" PRIu64 "},\n",
		r->lat_count, r->lat[0], r->lat[1], r->lat[2], r->lat[3], r->lat[4]);
	fprintf(f, "     \"reader\": {\"chunks\": %" PRIu64 ", \"blocks\": %" PRIu64 ", \"bytes\": %" PRIu64
		   ", \"stalled_polls\": %" PRIu64 ", \"persisted_bytes\": %" PRIu64 ", \"persist_gb_per_s\": %.6f, "
		   "\"write_latency_p50_ns\": %" PRIu64 ", \"write_latency_p99_ns\": %" PRIu64 "},\n",
		r->r_chunks, r->r_blocks, r->r_bytes, r->stalled_polls, r->persisted,
		r->window_s + r->drain_s > 0 ? (double)r->persisted / 1e9 / (r->window_s + r->drain_s) : 0,
		r->plat_p50, r->plat_p99);
	fprintf(f, "     \"error\": ");
	if (r->error)
		json_str(f, r->error);
	else
		fputs("null", f);
	fputs("}", f);
}

static double median(double *v, unsigned n)
{
	double t[32];
	if (n == 0)
		return 0;
	memcpy(t, v, n * sizeof(*v));
	qsort(t, n, sizeof(*t), cmp_double);
	return n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
}

static double vmin(const double *v, unsigned n)
{
	double m = n ? v[0] : 0;
	for (unsigned i = 1; i < n; i++)
		m = v[i] < m ? v[i] : m;
	return m;
}

static double vmax(const double *v, unsigned n)
{
	double m = n ? v[0] : 0;
	for (unsigned i = 1; i < n; i++)
		m = v[i] > m ? v[i] : m;
	return m;
}

/* The latency spectrum: quantiles 1 - 10^-x for x = 0 .. 5 by 0.25, then max. */
static void json_spectrum(FILE *f, const struct hist *h)
{
	fputs("[", f);
	for (int i = 0; i <= 20; i++) {
		double q = 1.0 - pow(10.0, -(double)i / 4.0);
		fprintf(f, "%s[%.8f, %" PRIu64 "]", i ? ", " : "", q, hist_quantile(h, q));
	}
	fprintf(f, ", [1.0, %" PRIu64 "]]", atomic_load_explicit(&h->max, memory_order_relaxed));
}

static void json_cell(FILE *f, const struct opts *o, const struct cell *c)
{
	fprintf(f, "    {\"contender\": \"%s\", \"workload\": \"%s\", \"writers\": %u, \"sink\": \"%s\", "
		   "\"runs\": %u,\n",
		contender_names[c->k], o->wl[c->wl].name, c->nw,
		is_bare(c->k) ? "none" : sink_names[c->sink], c->n);
	fprintf(f, "     \"blocks_per_s\": {\"median\": %.1f, \"min\": %.1f, \"max\": %.1f},\n",
		median((double *)c->bps, c->n), vmin(c->bps, c->n), vmax(c->bps, c->n));
	fprintf(f, "     \"gb_per_s\": {\"median\": %.6f, \"min\": %.6f, \"max\": %.6f},\n",
		median((double *)c->gbps, c->n), vmin(c->gbps, c->n), vmax(c->gbps, c->n));
	fprintf(f, "     \"cpu_s_per_gb\": %.6f, \"drops_per_s\": %.1f,\n",
		median((double *)c->cpu_per_gb, c->n), median((double *)c->drops_ps, c->n));
	fprintf(f, "     \"latency_ns\": {\"samples\": %" PRIu64, atomic_load_explicit(&c->lat.count, memory_order_relaxed));
	const char *names[4] = {"p50", "p99", "p99_9", "p99_99"};
	for (int q = 0; q < 4; q++)
		fprintf(f, ", \"%s\": %" PRIu64, names[q], hist_quantile(&c->lat, quantiles[q]));
	fprintf(f, ", \"max\": %" PRIu64 ", \"spectrum\": ", atomic_load_explicit(&c->lat.max, memory_order_relaxed));
	json_spectrum(f, &c->lat);
	fputs("}}", f);
}

/* ------------------------------------------------------------- the matrix */

struct job {
	enum contender k;
	enum sink sink;
	unsigned wl, nw, repeat;
};

static struct job *jobs;
static unsigned njobs, jobs_cap;

static int add_job(enum contender k, enum sink s, unsigned wl, unsigned nw, unsigned repeat)
{
	if (njobs == jobs_cap) {
		unsigned cap = jobs_cap ? jobs_cap * 2 : 256;
		struct job *j = realloc(jobs, cap * sizeof(*j));
		if (!j)
			return -ENOMEM;
		jobs = j;
		jobs_cap = cap;
	}
	jobs[njobs++] = (struct job){k, s, wl, nw, repeat};
	if (!cell_of(k, s, wl, nw)) {
		struct cell *c = realloc(cells, (ncells + 1) * sizeof(*c));
		if (!c)
			return -ENOMEM;
		cells = c;
		memset(&cells[ncells], 0, sizeof(cells[ncells]));
		cells[ncells].k = k;
		cells[ncells].sink = s;
		cells[ncells].wl = wl;
		cells[ncells].nw = nw;
		hist_init(&cells[ncells].lat);
		ncells++;
	}
	return 0;
}

/* Shuffles jobs[from, to) with a seeded Fisher-Yates. */
static void shuffle(unsigned from, unsigned to, uint64_t *rng)
{
	for (unsigned i = to; i > from + 1; i--) {
		unsigned j = from + (unsigned)(rng_next(rng) % (i - from));
		struct job t = jobs[i - 1];
		jobs[i - 1] = jobs[j];
		jobs[j] = t;
	}
}

static bool contender_available(enum contender k)
{
	return k != C_CK || BENCH_CK;
}

/*
 * Repeat-major: every cell gets its r-th run before any gets its r+1-th,
 * and within one (workload, writers, sink group) the contenders are
 * shuffled, so slow drifts of the machine spread over all of them.
 */
static int build_matrix(const struct opts *o)
{
	uint64_t rng = splitmix64(o->seed ^ 0xbe7c4) | 1;
	int err = 0;

	for (unsigned r = 0; r < o->repeat; r++)
		for (unsigned wl = 0; wl < o->nwl; wl++)
			for (unsigned wi = 0; wi < o->nwriters; wi++) {
				unsigned nw = o->writers[wi], from = njobs;
				for (int k = 0; k < NCONTENDERS && !err; k++) {
					if (!o->contender[k] || !contender_available(k))
						continue;
					if (is_bare(k)) {
						if (o->sink[S_NULL] || o->sink[S_MEMCPY])
							err = add_job(k, S_NULL, wl, nw, r);
						continue;
					}
					for (int s = S_NULL; s <= S_MEMCPY && !err; s++)
						if (o->sink[s])
							err = add_job(k, s, wl, nw, r);
				}
				shuffle(from, njobs, &rng);
			}
	for (unsigned r = 0; r < o->disk_repeat; r++)
		for (unsigned wl = 0; wl < o->nwl; wl++)
			for (unsigned wi = 0; wi < o->ndisk_writers; wi++) {
				unsigned nw = o->disk_writers[wi], from = njobs;
				for (int k = 0; k < NCONTENDERS && !err; k++) {
					if (!o->contender[k] || !contender_available(k) || is_bare(k))
						continue;
					for (int s = S_DISK_DIRECT; s <= S_DISK_BUFFERED && !err; s++)
						if (o->sink[s])
							err = add_job(k, s, wl, nw, r);
				}
				shuffle(from, njobs, &rng);
			}
	return err;
}

/* --------------------------------------------------------------- options */

static void usage(FILE *f)
{
	fputs("usage: dbcap-bench [options]\n"
	      "  --contenders LIST  per-writer,shared,mutex,bare-store,bare-faa,bare-mutex,ck-ring\n"
	      "                     (default: all)\n"
	      "  --workloads LIST   sizes in bytes or rand (10..10000), or MIN-MAX (default 16,64,1500,rand)\n"
	      "  --writers LIST     writer counts (default 1..2 x online CPUs)\n"
	      "  --sinks LIST       null,memcpy,disk-direct,disk-buffered (default all)\n"
	      "  --disk-writers LIST  writer counts for the disk sinks (default: the CPU count)\n"
	      "  --duration S       seconds per run, null/memcpy (default 0.2)\n"
	      "  --disk-duration S  seconds per run, disk sinks (default 1)\n"
	      "  --repeat N         runs per cell, null/memcpy (default 5)\n"
	      "  --disk-repeat N    runs per cell, disk sinks (default 3)\n"
	      "  --sample N         time one write in N on average (default 32)\n"
	      "  --buffer-size B    bytes per buffer (default 4 MiB)\n"
	      "  --buffers K        buffers (per writer in per-writer) (default 2)\n"
	      "  --io-depth N       disk sinks: writes in flight (default 4)\n"
	      "  --disk-policy P    disk sinks: wait or drop when every buffer is busy (default wait)\n"
	      "  --dir DIR          disk sinks write a scratch file here (default .)\n"
	      "  --json FILE        results (default: standard output)\n"
	      "  --seed N           workload and order seed (default 1)\n"
	      "  --smoke            seconds-long self-check of every contender and sink\n"
	      "  -q, --quiet        no progress on standard error\n",
	      f);
}

static int parse_list_u(const char *s, unsigned *out, unsigned *n, unsigned max)
{
	char *end;
	*n = 0;
	while (*s) {
		unsigned long v = strtoul(s, &end, 10);
		if (end == s || v == 0 || v > max || *n == MAX_LIST)
			return -1;
		out[(*n)++] = (unsigned)v;
		s = *end == ',' ? end + 1 : end;
		if (*end && *end != ',')
			return -1;
	}
	return *n ? 0 : -1;
}

static int parse_workloads(const char *s, struct opts *o)
{
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", s);
	o->nwl = 0;
	for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		struct workload *w = &o->wl[o->nwl];
		if (o->nwl == MAX_LIST)
			return -1;
		if (strcmp(t, "rand") == 0) {
			w->min = 10;
			w->max = 10000;
			snprintf(w->name, sizeof(w->name), "rand");
		} else {
			char *end;
			unsigned long a = strtoul(t, &end, 10), b = a;
			if (*end == '-')
				b = strtoul(end + 1, &end, 10);
			if (*end || a == 0 || b < a || b > SRC_LEN)
				return -1;
			w->min = (uint32_t)a;
			w->max = (uint32_t)b;
			if (a == b)
				snprintf(w->name, sizeof(w->name), "%lu", a);
			else
				snprintf(w->name, sizeof(w->name), "%lu-%lu", a, b);
		}
		o->nwl++;
	}
	return o->nwl ? 0 : -1;
}

static int parse_names(const char *s, const char *const *names, int n, bool *out)
{
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", s);
	for (int i = 0; i < n; i++)
		out[i] = false;
	for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		int i;
		for (i = 0; i < n && strcmp(t, names[i]) != 0; i++)
			;
		if (i == n)
			return -1;
		out[i] = true;
	}
	return 0;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{"contenders", required_argument, NULL, 'C'}, {"workloads", required_argument, NULL, 'W'},
		{"writers", required_argument, NULL, 'n'},    {"sinks", required_argument, NULL, 'S'},
		{"disk-writers", required_argument, NULL, 'N'}, {"duration", required_argument, NULL, 'd'},
		{"disk-duration", required_argument, NULL, 'D'}, {"repeat", required_argument, NULL, 'r'},
		{"disk-repeat", required_argument, NULL, 'R'}, {"sample", required_argument, NULL, 's'},
		{"buffer-size", required_argument, NULL, 'b'}, {"buffers", required_argument, NULL, 'k'},
		{"io-depth", required_argument, NULL, 'i'},   {"dir", required_argument, NULL, 'o'},
		{"disk-policy", required_argument, NULL, 'p'},
		{"json", required_argument, NULL, 'j'},       {"seed", required_argument, NULL, 'e'},
		{"smoke", no_argument, NULL, 'm'},            {"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},             {NULL, 0, NULL, 0},
	};
	bool set_w = false, set_dw = false;
	int c, li = 0;

	memset(o, 0, sizeof(*o));
	for (int k = 0; k < NCONTENDERS; k++)
		o->contender[k] = true;
	for (int s = 0; s < NSINKS; s++)
		o->sink[s] = true;
	parse_workloads("16,64,1500,rand", o);
	o->duration = 0.2;
	o->disk_duration = 1.0;
	o->repeat = 5;
	o->disk_repeat = 3;
	o->sample = 32;
	o->buffer_size = DBUF_DEFAULT_BUFFER_SIZE;
	o->buffers = DBUF_DEFAULT_BUFFERS;
	o->io_depth = 4;
	o->dir = ".";
	o->seed = 1;

	while ((c = getopt_long(argc, argv, "qh", lo, &li)) != -1) {
		int bad = 0;
		switch (c) {
		case 'C': bad = parse_names(optarg, contender_names, NCONTENDERS, o->contender); break;
		case 'W': bad = parse_workloads(optarg, o); break;
		case 'n': bad = parse_list_u(optarg, o->writers, &o->nwriters, MAX_WRITERS); set_w = true; break;
		case 'N': bad = parse_list_u(optarg, o->disk_writers, &o->ndisk_writers, MAX_WRITERS); set_dw = true; break;
		case 'S': bad = parse_names(optarg, sink_names, NSINKS, o->sink); break;
		case 'd': o->duration = atof(optarg); bad = !(o->duration > 0); break;
		case 'D': o->disk_duration = atof(optarg); bad = !(o->disk_duration > 0); break;
		case 'r': o->repeat = (unsigned)atoi(optarg); bad = o->repeat < 1 || o->repeat > 32; break;
		case 'R': o->disk_repeat = (unsigned)atoi(optarg); bad = o->disk_repeat < 1 || o->disk_repeat > 32; break;
		case 's': o->sample = (unsigned)atoi(optarg); bad = o->sample < 1; break;
		case 'b': o->buffer_size = (size_t)strtoull(optarg, NULL, 0); bad = o->buffer_size < 4096; break;
		case 'k': o->buffers = (unsigned)atoi(optarg); bad = o->buffers < 2 || o->buffers > 64; break;
		case 'i': o->io_depth = (unsigned)atoi(optarg); bad = o->io_depth < 2; break;
		case 'o': o->dir = optarg; break;
		case 'p':
			o->disk_drop = strcmp(optarg, "drop") == 0;
			bad = !o->disk_drop && strcmp(optarg, "wait") != 0;
			break;
		case 'j': o->json = optarg; break;
		case 'e': o->seed = strtoull(optarg, NULL, 0); break;
		case 'm': o->smoke = true; break;
		case 'q': o->quiet = true; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -1;
		}
		if (bad) {
			fprintf(stderr, "dbcap-bench: bad value for --%s: %s\n", lo[li].name, optarg);
			usage(stderr);
			return -1;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return -1;
	}
	if (o->smoke) {
		/* Every contender and sink, two workloads, tiny runs: seconds even under a sanitizer. */
		if (!set_w) {
			o->writers[0] = 1;
			o->writers[1] = 2;
			o->nwriters = 2;
		}
		if (!set_dw) {
			o->disk_writers[0] = 2;
			o->ndisk_writers = 1;
		}
		parse_workloads("16,rand", o);
		o->duration = 0.02;
		o->disk_duration = 0.05;
		o->repeat = 1;
		o->disk_repeat = 1;
		o->buffer_size = 256 * 1024;
		o->disk_drop = true; /* the other policy than null/memcpy: both paths run */
		set_w = set_dw = true;
	}
	if (!set_w) {
		o->nwriters = 0;
		for (unsigned i = 1; i <= 2 * ncpus && i <= MAX_WRITERS && o->nwriters < MAX_LIST; i++)
			o->writers[o->nwriters++] = i;
	}
	if (!set_dw) {
		o->disk_writers[0] = ncpus < MAX_WRITERS ? ncpus : MAX_WRITERS;
		o->ndisk_writers = 1;
	}
	return 0;
}

/* ------------------------------------------------------------------ main */

int main(int argc, char **argv)
{
	struct opts o;
	FILE *out = stdout;
	int failures = 0;

	find_cpus();
	if (parse_opts(argc, argv, &o) != 0)
		return 2;
	char *src = malloc(SRC_LEN);
	if (!src)
		return 1;
	for (unsigned i = 0; i < SRC_LEN; i++)
		src[i] = (char)splitmix64(i);
	src_block = src;
	calibrate();
	if (build_matrix(&o) != 0) {
		fputs("dbcap-bench: out of memory\n", stderr);
		return 1;
	}
	if (o.json) {
		out = fopen(o.json, "w");
		if (!out) {
			fprintf(stderr, "dbcap-bench: %s: %s\n", o.json, strerror(errno));
			return 1;
		}
	}

	struct utsname un;
	uname(&un);
	time_t now = time(NULL);
	char date[64];
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	fprintf(out, "{\n  \"schema\": \"dbcap-bench/1\",\n  \"date\": \"%s\",\n  \"kernel\": ", date);
	json_str(out, un.release);
	fprintf(out, ",\n  \"machine\": {\"cpus\": %u, \"clock\": \"%s\", \"tsc_ghz\": %.6f, "
		     "\"timer_floor_ns\": %" PRIu64 "},\n",
		ncpus, BENCH_CLOCK, 1.0 / ns_per_tick, timer_floor_ns);
	fprintf(out, "  \"params\": {\"duration_s\": %g, \"disk_duration_s\": %g, \"repeat\": %u, "
		     "\"disk_repeat\": %u, \"sample_every\": %u, \"buffer_size\": %zu, \"buffers\": %u, "
		     "\"io_depth\": %u, \"seed\": %" PRIu64 ", \"smoke\": %s, \"spin_limit\": %u, "
		     "\"disk_policy\": \"%s\",\n",
		o.duration, o.disk_duration, o.repeat, o.disk_repeat, o.sample, o.buffer_size,
		o.buffers, o.io_depth, o.seed, o.smoke ? "true" : "false", SPIN_LIMIT,
		o.disk_drop ? "drop" : "wait");
	fprintf(out, "             \"ck\": %s, \"ck_note\": ", BENCH_CK ? "true" : "false");
	json_str(out, BENCH_CK ? "ck_ring MPSC, Concurrency Kit" :
		      BENCH_HAVE_CK ? "skipped: ck_ring's inline-assembly atomics are invisible to ThreadSanitizer" :
				      "skipped: Concurrency Kit (libck-dev) not found at build time");
	fputs(",\n             \"workloads\": [", out);
	for (unsigned i = 0; i < o.nwl; i++)
		fprintf(out, "%s{\"name\": \"%s\", \"min\": %u, \"max\": %u}", i ? ", " : "",
			o.wl[i].name, o.wl[i].min, o.wl[i].max);
	fputs("]},\n  \"runs\": [\n", out);

	uint64_t t_start = mono_ns();
	for (unsigned j = 0; j < njobs; j++) {
		struct job *jb = &jobs[j];
		struct result r;
		int err = run_once(&o, jb->k, jb->sink, jb->wl, jb->nw, jb->repeat, &r);
		if (err) {
			fprintf(stderr, "dbcap-bench: %s %s %u writers %s: %s\n", contender_names[jb->k],
				o.wl[jb->wl].name, jb->nw, sink_names[jb->sink], strerror(-err));
			failures++;
			continue;
		}
		if (r.error) {
			fprintf(stderr, "dbcap-bench: FAIL %s %s %u writers %s: %s\n",
				contender_names[r.k], o.wl[r.wl].name, r.nw, sink_names[r.sink], r.error);
			failures++;
		}
		json_result(out, &o, &r);
		fputs(j + 1 < njobs ? ",\n" : "\n", out);
		if (!o.quiet)
			fprintf(stderr, "[%u/%u %.0fs] %-10s %-5s w=%u %-13s %12.0f blocks/s %8.3f GB/s p99.9 %" PRIu64 " ns\n",
				j + 1, njobs, (double)(mono_ns() - t_start) / 1e9, contender_names[r.k],
				o.wl[r.wl].name, r.nw, is_bare(r.k) ? "-" : sink_names[r.sink],
				(double)r.blocks / r.window_s, (double)r.bytes / 1e9 / r.window_s, r.lat[2]);
	}
	fputs("  ],\n  \"cells\": [\n", out);
	for (unsigned i = 0; i < ncells; i++) {
		json_cell(out, &o, &cells[i]);
		fputs(i + 1 < ncells ? ",\n" : "\n", out);
	}
	fprintf(out, "  ],\n  \"elapsed_s\": %.1f,\n  \"failures\": %d\n}\n",
		(double)(mono_ns() - t_start) / 1e9, failures);
	if (out != stdout)
		fclose(out);
	free(src);
	free(jobs);
	free(cells);
	if (failures)
		fprintf(stderr, "dbcap-bench: %d run(s) failed\n", failures);
	return failures ? 1 : 0;
}
