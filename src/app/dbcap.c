/* SPDX-License-Identifier: MIT */
/*
 * dbcap: N pinned writer threads produce blocks into the buffer library,
 * one reader thread persists them with io_uring and keeps the statistics,
 * the main thread waits for a stop condition and writes the JSON document.
 *
 *   writers --dbuf_reserve/commit--> buffer --dbuf_reader_next--> reader
 *   reader --persist_append--> file        reader --counters--> stats
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "dbuf.h"
#include "options.h"
#include "../persist/pcapng.h"
#include "../persist/persist.h"
#include "../source/synth.h"
#include "../stats/stats.h"

#ifndef DBCAP_VERSION
#define DBCAP_VERSION "0.1.0"
#endif

/* Everything the threads share.  Each field names who writes it. */
struct app {
	struct dbcap_opts o;                /* main, before the threads start */
	struct dbuf *db;                    /* main */
	struct persist *persist;            /* reader (after main opened it) */
	struct writer_stats *ws;            /* each writer its own element */
	struct reader_stats *rs;            /* reader */
	uint64_t *quota;                    /* main: blocks per writer under -c, 0 = none */
	pthread_t *writer_threads, reader_thread;

	_Atomic bool go;                    /* main: writers start producing */
	_Atomic bool stop;                  /* main: writers stop producing */
	_Atomic unsigned writers_done;      /* writers: count of finished writers */
	_Atomic int io_error;               /* reader: first fatal I/O error (-errno) */
	_Atomic bool reader_done;           /* reader: drained and closed the file */

	struct io_report io;                /* reader, read by main after the join */
	uint64_t durable;                   /* reader, after the join */
	char error_msg[4200];               /* reader, after the join */
	struct timespec start_real, start_mono;
};

struct writer_arg {
	struct app *app;
	unsigned id;
};

static uint64_t now_ns(clockid_t clk)
{
	/* CLOCK_MONOTONIC and CLOCK_REALTIME are served by the vDSO: no syscall. */
	struct timespec ts;
	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#endif
}

static void count(_Atomic uint64_t *c, uint64_t v)
{
	/* Single writer per counter: relaxed load + store, no lock prefix. */
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + v,
			      memory_order_relaxed);
}

static void pin_and_name(pthread_t t, int cpu, const char *name)
{
	if (cpu >= 0) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		int err = pthread_setaffinity_np(t, sizeof(set), &set);
		if (err)
			fprintf(stderr, "dbcap: warning: cannot pin %s to CPU %d: %s\n", name, cpu,
				strerror(err));
	}
	pthread_setname_np(t, name);
}

/* ---------------------------------------------------------------- writers */

/*
 * The steady-state loop makes no syscall: clock_gettime goes through the
 * vDSO, the buffer calls are lock-free, the statistics are plain stores.
 * The one exception is sched_yield() inside dbuf_reserve() under the wait
 * policy when every buffer is busy.  tests/e2e/no-syscalls.sh checks it.
 */
static void *writer_main(void *argp)
{
	struct writer_arg *wa = argp;
	struct app *app = wa->app;
	const unsigned id = wa->id;
	const struct dbcap_opts *o = &app->o;
	struct writer_stats *st = &app->ws[id];
	struct dbuf_writer *w = dbuf_writer(app->db, id);
	const uint64_t quota = app->quota[id];
	uint64_t sink = id;

	atomic_store_explicit(&st->tid, (int)syscall(SYS_gettid), memory_order_relaxed);
	/* pairs with the release store of go in main(): the setup is visible */
	while (!atomic_load_explicit(&app->go, memory_order_acquire))
		sched_yield();

	/* relaxed: stop carries no data, it only ends the loop (the join orders the rest) */
	for (uint64_t seq = 0; !atomic_load_explicit(&app->stop, memory_order_relaxed); seq++) {
		if (quota && seq >= quota)
			break;
		uint32_t len = synth_size(o->seed, id, seq, o->block_min, o->block_max);
		uint64_t t0 = now_ns(CLOCK_MONOTONIC);
		void *rec;
		int r = dbuf_reserve(w, pcapng_epb_size(len), &rec);
		if (r == DBUF_OK) {
			uint8_t *data = pcapng_epb_begin(rec, id, now_ns(CLOCK_REALTIME), len, len);
			synth_fill(o->seed, id, seq, data, len);
			pcapng_epb_end(rec, len);
			dbuf_commit(w);
			hist_record(&st->write_latency, now_ns(CLOCK_MONOTONIC) - t0);
		} else {
			/* Counted by reason inside the library; we add the bytes. */
			count(&st->dropped_bytes, len);
		}
		count(&st->generated, 1);
		count(&st->generated_bytes, len);
		if (o->writer_work)
			sink = synth_work(sink, o->writer_work);
	}
	/* Keep the auxiliary work from being optimised away. */
	if (sink == 42)
		fputs("", stderr);
	atomic_fetch_add_explicit(&app->writers_done, 1, memory_order_relaxed);
	return NULL;
}

/* ----------------------------------------------------------------- reader */

/* A chunk handed to persistence, waiting for its memory to be reusable. */
struct inflight {
	struct dbuf_chunk chunk;
};

static void count_epb(void *arg, uint32_t iface, const uint8_t *data, uint32_t caplen)
{
	struct reader_stats *rs = arg;
	count(&rs->blocks, 1);
	count(&rs->block_bytes, caplen);
	count(&rs->size_count[caplen <= STATS_MAX_BLOCK ? caplen : STATS_MAX_BLOCK], 1);
}

static void count_lost(void *arg, uint32_t iface, const uint8_t *data, uint32_t caplen)
{
	struct reader_stats *rs = arg;
	count(&rs->lost_io_blocks, 1);
	count(&rs->lost_io_bytes, caplen);
}

/* Releases, in order, the chunks whose memory persistence gave back. */
static int reap(struct app *app, struct inflight *ring, unsigned ringsz, unsigned *tail,
		bool wait)
{
	void *cookies[64];
	int n = persist_reap(app->persist, cookies, 64, wait);
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		struct inflight *f = cookies[i];
		if (!f)
			continue; /* the file header */
		dbuf_reader_release(app->db, &f->chunk);
		*tail = (*tail + 1) % ringsz;
	}
	return 0;
}

static void reader_fail(struct app *app, int err, const char *what)
{
	int zero = 0;
	/* pairs with the acquire load of io_error in main_loop(): main sees the message */
	snprintf(app->error_msg, sizeof(app->error_msg), "%s: %s: %s", app->o.output, what,
		 strerror(-err));
	atomic_compare_exchange_strong_explicit(&app->io_error, &zero, err, memory_order_release,
						memory_order_relaxed);
}

/*
 * After a write error: the file holds a valid prefix of durable bytes.  Cut
 * it back to its last complete block and recount what is really in it.
 */
static void salvage(struct app *app, uint64_t durable)
{
	struct reader_stats *rs = app->rs;
	int fd = open(app->o.output, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	uint64_t end = 0;

	if (fd < 0)
		return;
	/* The file is the truth: forget what we counted and count what is there. */
	uint64_t counted_blocks = atomic_load_explicit(&rs->blocks, memory_order_relaxed);
	uint64_t counted_bytes = atomic_load_explicit(&rs->block_bytes, memory_order_relaxed);
	atomic_store_explicit(&rs->blocks, 0, memory_order_relaxed);
	atomic_store_explicit(&rs->block_bytes, 0, memory_order_relaxed);
	for (unsigned i = 0; i <= STATS_MAX_BLOCK; i++)
		atomic_store_explicit(&rs->size_count[i], 0, memory_order_relaxed);
	if (pcapng_scan_fd(fd, durable, count_epb, rs, &end) == 0 && ftruncate(fd, (off_t)end) == 0)
		fdatasync(fd);
	close(fd);
	atomic_store_explicit(&rs->file_bytes, end, memory_order_relaxed);
	uint64_t now_blocks = atomic_load_explicit(&rs->blocks, memory_order_relaxed);
	uint64_t now_bytes = atomic_load_explicit(&rs->block_bytes, memory_order_relaxed);
	count(&rs->lost_io_blocks, counted_blocks - now_blocks);
	count(&rs->lost_io_bytes, counted_bytes - now_bytes);
}

static void *reader_main(void *argp)
{
	struct app *app = argp;
	struct reader_stats *rs = app->rs;
	const struct dbcap_opts *o = &app->o;
	/* One slot per buffer region is enough: the library never hands out more. */
	unsigned ringsz = dbuf_regions(app->db, NULL, 0) + o->io_depth + 64;
	struct inflight *ring = calloc(ringsz, sizeof(*ring));
	unsigned head = 0, tail = 0, idle = 0;
	uint64_t flush_every = (uint64_t)(o->flush_age * 1e9);
	uint64_t next_flush = now_ns(CLOCK_MONOTONIC) + flush_every, sink = 0;
	bool failed = false, tail_dirty = false;
	int err;

	if (!ring) {
		reader_fail(app, -ENOMEM, "reader");
		failed = true;
	}
	for (;;) {
		struct dbuf_chunk c;
		if (!failed && (head + 1) % ringsz == tail) {
			/* Every slot holds a chunk in flight: wait for one. */
			err = reap(app, ring, ringsz, &tail, true);
			if (err) {
				reader_fail(app, err, "write");
				failed = true;
			}
			continue;
		}
		int r = dbuf_reader_next(app->db, &c);

		if (r == 0) {
			idle = 0;
			count(&rs->chunks, 1);
			count(&rs->chunk_bytes, c.len);
			if (failed) {
				/* Nothing reaches the file any more: count and recycle. */
				pcapng_walk(c.data, c.len, count_lost, rs, NULL);
				dbuf_reader_release(app->db, &c);
				continue;
			}
			pcapng_walk(c.data, c.len, count_epb, rs, NULL);
			count(&rs->file_bytes, c.len);
			struct inflight *f = &ring[head];
			f->chunk = c;
			head = (head + 1) % ringsz;
			err = persist_append(app->persist, c.data, c.len, (int)c.region, f);
			if (err == 0)
				err = reap(app, ring, ringsz, &tail, false);
			if (err) {
				reader_fail(app, err, "write");
				failed = true;
			}
			tail_dirty = true;
			if (o->reader_work)
				sink = synth_work(sink + c.len, o->reader_work);
			continue;
		}
		if (r == DBUF_ENODATA)
			break;

		/* Nothing ready: collect completions, flush by age, back off. */
		if (!failed && head != tail) {
			err = reap(app, ring, ringsz, &tail, false);
			if (err) {
				reader_fail(app, err, "write");
				failed = true;
			}
		}
		uint64_t now = now_ns(CLOCK_MONOTONIC);
		if (now >= next_flush) {
			dbuf_reader_flush(app->db);
			count(&rs->flushes, 1);
			next_flush = now + flush_every;
			/* Idle with unwritten bytes: write the tail so data ages boundedly. */
			if (!failed && tail_dirty && idle > 0) {
				err = persist_write_tail(app->persist);
				if (err == 0)
					err = reap(app, ring, ringsz, &tail, false);
				if (err) {
					reader_fail(app, err, "write");
					failed = true;
				}
				tail_dirty = false;
			}
		}
		/*
		 * Back off: a short spin catches a writer finishing its commit,
		 * then yield, then sleep, so a stalled writer or an idle source
		 * never costs the reader a whole core.
		 */
		idle++;
		if (idle < 64)
			cpu_relax();
		else if (idle < 128)
			sched_yield();
		else {
			struct timespec ts = {0, idle < 1024 ? 20000 : 200000};
			nanosleep(&ts, NULL);
		}
	}

	/* Drained: the writers are gone.  Finish the file. */
	while (!failed && head != tail) {
		err = reap(app, ring, ringsz, &tail, true);
		if (err) {
			reader_fail(app, err, "write");
			failed = true;
		}
	}
	/* Report before closing: close frees the handle. */
	if (!failed) {
		err = persist_write_tail(app->persist);
		if (err) {
			reader_fail(app, err, "write");
			failed = true;
		}
	}
	persist_report(app->persist, &app->io);
	err = persist_close(app->persist, &app->durable);
	app->persist = NULL;
	if (err && !failed) {
		reader_fail(app, err, "close");
		app->io.error = err;
		app->io.error_op = "close";
	}
	if (err || failed) {
		/* Release what is still held so the buffer is consistent. */
		while (head != tail) {
			dbuf_reader_release(app->db, &ring[tail].chunk);
			tail = (tail + 1) % ringsz;
		}
		salvage(app, app->durable);
	}
	if (sink == 42)
		fputs("", stderr);
	free(ring);
	atomic_store_explicit(&app->reader_done, true, memory_order_release); /* pairs with main's acquire load */
	return NULL;
}

/* ------------------------------------------------------------------- main */

static double elapsed(const struct app *app)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - app->start_mono.tv_sec) +
	       (double)(t.tv_nsec - app->start_mono.tv_nsec) / 1e9;
}

static void fill_report(struct app *app, struct run_report *r, struct dbuf_writer_stats *lib,
			bool final, const char *stop_reason, const char *error)
{
	memset(r, 0, sizeof(*r));
	r->version = DBCAP_VERSION;
	r->start_real = app->start_real;
	clock_gettime(CLOCK_REALTIME, &r->end_real);
	r->duration_seconds = elapsed(app);
	r->final = final;
	r->stop_reason = stop_reason;
	r->error = error;
	r->opts = &app->o;
	r->buf = dbuf_get_config(app->db);
	r->mlock_result = dbuf_mlock_result(app->db);
	r->reader_cpu = app->o.reader_cpu;
	r->oversubscribed = app->o.oversubscribed;
	r->nwriters = app->o.writers;
	r->writers = app->ws;
	for (unsigned i = 0; i < app->o.writers; i++)
		dbuf_writer_stats(app->db, i, &lib[i]);
	r->lib = lib;
	r->reader = app->rs;
	dbuf_reader_stats(app->db, &r->lib_reader);
	/* Engine fields are known from the open; the counters from the reader's end. */
	r->io = app->io;
	r->output = app->o.output;
}

static int write_stats(struct app *app, bool final, const char *stop_reason, const char *error)
{
	struct dbuf_writer_stats *lib = calloc(app->o.writers, sizeof(*lib));
	struct run_report r;
	int err;

	if (!lib)
		return -ENOMEM;
	fill_report(app, &r, lib, final, stop_reason, error);
	err = app->o.stats_path ? stats_write_json(&r, app->o.stats_path) : 0;
	if (err)
		fprintf(stderr, "dbcap: %s: cannot write statistics: %s\n", app->o.stats_path,
			strerror(-err));
	if (final && !app->o.quiet)
		stats_print_summary(&r);
	free(lib);
	return err;
}

/*
 * Waits for a stop condition: the count reached (every writer finished its
 * quota), the duration elapsed, SIGINT/SIGTERM, or a fatal I/O error.
 * Writes the periodic statistics meanwhile.  Returns the stop reason.
 */
static const char *main_loop(struct app *app, const sigset_t *sigs)
{
	const struct dbcap_opts *o = &app->o;
	double next_stats = o->stats_interval > 0 ? o->stats_interval : -1;
	static char reason[32];

	for (;;) {
		struct timespec tick = {0, 50 * 1000 * 1000};
		int sig = sigtimedwait(sigs, NULL, &tick);
		if (sig > 0) {
			snprintf(reason, sizeof(reason), "signal %s", sig == SIGINT ? "SIGINT" : "SIGTERM");
			return reason;
		}
		/* pairs with the release CAS in reader_fail() */
		if (atomic_load_explicit(&app->io_error, memory_order_acquire))
			return "error";
		if (atomic_load_explicit(&app->writers_done, memory_order_relaxed) == o->writers)
			return "count";
		double t = elapsed(app);
		if (o->duration > 0 && t >= o->duration)
			return "duration";
		if (next_stats > 0 && t >= next_stats) {
			write_stats(app, false, NULL, NULL);
			next_stats += o->stats_interval;
		}
	}
}

static int start_threads(struct app *app, struct writer_arg *args)
{
	const struct dbcap_opts *o = &app->o;
	char name[16];
	int err = pthread_create(&app->reader_thread, NULL, reader_main, app);

	if (err)
		return -err;
	pin_and_name(app->reader_thread, o->reader_cpu, "dbcap-reader");
	for (unsigned i = 0; i < o->writers; i++) {
		args[i].app = app;
		args[i].id = i;
		app->ws[i].cpu = o->cpus[i];
		err = pthread_create(&app->writer_threads[i], NULL, writer_main, &args[i]);
		if (err)
			return -err; /* the caller stops and joins what started */
		snprintf(name, sizeof(name), "dbcap-w%u", i);
		pin_and_name(app->writer_threads[i], o->cpus[i], name);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct app *app = calloc(1, sizeof(*app));
	struct writer_arg *args = NULL;
	struct persist_opts po;
	char msg[512];
	sigset_t sigs;
	int rc = 1, err;

	if (!app) {
		fputs("dbcap: out of memory\n", stderr);
		return 1;
	}
	options_defaults(&app->o);
	err = options_parse(&app->o, argc, argv);
	if (err) {
		rc = err > 0 ? 0 : 2;
		goto out_opts;
	}
	struct dbcap_opts *o = &app->o;
	if (options_assign_cpus(o) != 0) {
		rc = 2;
		goto out_opts;
	}

	/* Signals go to main alone (sigtimedwait); the threads inherit the mask. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	struct dbuf_config bc;
	dbuf_config_init(&bc);
	bc.layout = o->layout;
	bc.writers = o->writers;
	bc.buffers = o->buffers;
	bc.buffer_size = o->buffer_size;
	bc.on_full = o->on_full;
	err = dbuf_create(&bc, &app->db);
	if (err) {
		fprintf(stderr, "dbcap: cannot create the buffer: %s\n", strerror(-err));
		goto out_opts;
	}
	if (dbuf_mlock_result(app->db))
		fprintf(stderr, "dbcap: warning: buffers not locked in memory (mlock: %s); "
				"page faults may add latency\n",
			strerror(-dbuf_mlock_result(app->db)));

	app->ws = aligned_alloc(64, o->writers * sizeof(*app->ws));
	app->rs = aligned_alloc(64, sizeof(*app->rs));
	app->quota = calloc(o->writers, sizeof(*app->quota));
	app->writer_threads = calloc(o->writers, sizeof(*app->writer_threads));
	args = calloc(o->writers, sizeof(*args));
	if (!app->ws || !app->rs || !app->quota || !app->writer_threads || !args) {
		fputs("dbcap: out of memory\n", stderr);
		goto out_buffer;
	}
	memset(app->ws, 0, o->writers * sizeof(*app->ws));
	memset(app->rs, 0, sizeof(*app->rs));
	for (unsigned i = 0; i < o->writers; i++) {
		hist_init(&app->ws[i].write_latency);
		app->ws[i].cpu = -1;
		if (o->count)
			app->quota[i] = o->count / o->writers + (i < o->count % o->writers);
	}
	/* A writer with a zero quota under -c must not run unbounded. */
	if (o->count && o->count < o->writers) {
		fprintf(stderr, "dbcap: -c %llu is smaller than --writers %u\n",
			(unsigned long long)o->count, o->writers);
		rc = 2;
		goto out_buffer;
	}
	hist_init(&app->rs->persist_latency);

	struct iovec regions[DBUF_MAX_BUFFERS];
	unsigned nregions = dbuf_regions(app->db, regions, DBUF_MAX_BUFFERS);
	memset(&po, 0, sizeof(po));
	po.path = o->output;
	po.force = o->force;
	po.engine = o->io_engine;
	po.direct = o->direct;
	po.depth = o->io_depth;
	po.regions = nregions <= DBUF_MAX_BUFFERS ? regions : NULL;
	po.nregions = nregions <= DBUF_MAX_BUFFERS ? nregions : 0;
	po.latency = &app->rs->persist_latency;
	err = persist_open(&po, &app->persist, msg, sizeof(msg));
	if (err) {
		fprintf(stderr, "dbcap: %s\n", msg);
		goto out_buffer;
	}
	persist_report(app->persist, &app->io);

	/* The file header is the stream's first chunk, written at once. */
	size_t hcap = 256 + (size_t)o->writers * 64, hlen = 0;
	uint8_t *header = malloc(hcap);
	if (header)
		hlen = pcapng_file_header(header, hcap, o->writers, PCAPNG_LINKTYPE_USER0,
					  o->block_max, "dbcap " DBCAP_VERSION);
	err = hlen ? persist_append(app->persist, header, hlen, -1, NULL) : -ENOMEM;
	if (err == 0)
		err = persist_write_tail(app->persist); /* header is freed next */
	free(header);
	if (err) {
		fprintf(stderr, "dbcap: %s: write: %s\n", o->output, strerror(-err));
		uint64_t d;
		persist_close(app->persist, &d);
		goto out_buffer;
	}
	count(&app->rs->file_bytes, hlen);

	clock_gettime(CLOCK_REALTIME, &app->start_real);
	clock_gettime(CLOCK_MONOTONIC, &app->start_mono);
	err = start_threads(app, args);
	/* pairs with the acquire load of go in writer_main() */
	atomic_store_explicit(&app->go, true, memory_order_release);

	const char *reason = err ? "error" : main_loop(app, &sigs);
	if (err)
		fprintf(stderr, "dbcap: cannot start threads: %s\n", strerror(-err));

	/* Stop: writers first, then the reader drains every committed byte. */
	atomic_store_explicit(&app->stop, true, memory_order_relaxed); /* see writer_main() */
	for (unsigned i = 0; i < o->writers; i++)
		if (app->writer_threads[i])
			pthread_join(app->writer_threads[i], NULL);
	dbuf_close(app->db);
	pthread_join(app->reader_thread, NULL);

	/* pairs with the release CAS in reader_fail(); the join also orders it */
	int ioerr = atomic_load_explicit(&app->io_error, memory_order_acquire);
	const char *error = ioerr ? app->error_msg : (err ? "cannot start threads" : NULL);
	if (error)
		fprintf(stderr, "dbcap: %s\n", error);
	if (write_stats(app, true, ioerr ? "error" : reason, error) == 0 && !error)
		rc = 0;

out_buffer:
	dbuf_destroy(app->db);
	free(app->ws);
	free(app->rs);
	free(app->quota);
	free(app->writer_threads);
	free(args);
out_opts:
	options_free(&app->o);
	free(app);
	return rc;
}
