/* SPDX-License-Identifier: MIT */
/*
 * dbcap: N pinned writer threads produce blocks into the buffer library,
 * one reader thread persists them with io_uring and keeps the statistics,
 * the main thread waits for a stop condition and writes the JSON document.
 *
 *   writers --dbuf_reserve/commit--> buffer --dbuf_reader_next--> reader
 *   reader --persist_append--> file        reader --counters--> stats
 *
 * The writers' source is synthetic blocks (pcapng output), or with --pcap
 * the packets of a capture file (pcap output, src/source/replay.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "dbuf.h"
#include "options.h"
#include "paths.h"
#include "../persist/format.h"
#include "../persist/pcap.h"
#include "../hotpath.h"
#include "../persist/pcapng.h"
#include "../persist/persist.h"
#include "../source/replay.h"
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
	pthread_t main_thread;              /* main: replay's last writer wakes it */
	const struct capfmt *fmt;           /* main: the output's format (the reader walks it) */
	struct iovec *regions;              /* main: the buffer's regions, registered by persist */

	/* Replay mode: main sets these up before the threads start; read-only after. */
	bool replaying;
	struct replay replay;
	struct replay_cursor **cursors;     /* cursor i belongs to writer i */
	struct input_report input;          /* main; truncated/error after the join */
	char input_error[512];              /* main, after the join */
	bool progress;                      /* main: a progress line on the terminal */

	_Atomic bool go;                    /* main: writers start producing */
	_Atomic bool stop;                  /* main: writers stop producing */
	_Atomic unsigned writers_done;      /* writers: count of finished writers */
	_Atomic int io_error;               /* reader: first fatal I/O error (-errno) */

	unsigned stats_mode;                /* main, before the threads: the capture's permission bits */
	struct io_report io;                /* reader, read by main after the join */
	uint64_t durable;                   /* reader, after the join */
	char error_msg[4200];               /* reader, after the join */
	struct timespec start_real, start_mono;
	uint64_t start_mono_ns;             /* main, before go: pacing's origin */
};

/* Replay writers time the write of one packet in this many (write_latency_ns). */
#define REPLAY_LATENCY_SAMPLE 16u

/* Yields in one wait before an oversubscribed writer naps (dbuf.h, yield_limit). */
#define DBCAP_YIELD_LIMIT 8u

struct writer_arg {
	struct app *app;
	unsigned id;
};

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
 * Replay: the writer's shard of the input file, one pcap record per packet,
 * built in place.  replay_next() reads the mapped file without a syscall;
 * replay_wait() (--speed only) sleeps only when the next packet is due
 * milliseconds ahead, never between reserve and commit.
 */
static void replay_writer(struct app *app, unsigned id)
{
	struct writer_stats *st = &app->ws[id];
	struct dbuf_writer *w = dbuf_writer(app->db, id);
	struct replay_cursor *cur = app->cursors[id];
	const bool pace = app->o.speed > 0;
	struct replay_pkt pk;

	/* relaxed: stop carries no data, it only ends the loop (the join orders the rest) */
	for (uint64_t seq = 0; !atomic_load_explicit(&app->stop, memory_order_relaxed); seq++) {
		if (replay_next(cur, &pk, st) <= 0)
			break;
		/* A packet read is always handed over, even after a stop: read = filtered + generated. */
		if (pace)
			replay_wait(cur, &pk, app->start_mono_ns, &app->stop);
		/*
		 * The write latency of one packet in REPLAY_LATENCY_SAMPLE: two
		 * clock reads cost as much as the rest of a small packet's write.
		 */
		bool timed = seq % REPLAY_LATENCY_SAMPLE == 0;
		uint64_t t0 = timed ? now_ns(CLOCK_MONOTONIC) : 0;
		void *rec;
		int r = dbuf_reserve(w, (size_t)pcapf_rec_size(pk.caplen), &rec);
		if (r == DBUF_OK) {
			uint8_t *data = pcapf_rec_begin(rec, pk.sec, pk.frac, pk.caplen, pk.origlen);
			memcpy(data, pk.data, pk.caplen);
			dbuf_commit(w);
			if (timed)
				hist_record(&st->write_latency, now_ns(CLOCK_MONOTONIC) - t0);
		} else {
			count(&st->dropped_bytes, pk.origlen);
		}
		count(&st->generated, 1);
		count(&st->generated_bytes, pk.origlen);
	}
}

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
	if (app->replaying) {
		replay_writer(app, id);
		/*
		 * The input's end stops the run: the last writer out wakes main
		 * at once (a short file need not wait for main's next tick).
		 */
		if (atomic_fetch_add_explicit(&app->writers_done, 1, memory_order_relaxed) + 1 ==
		    app->o.writers)
			pthread_kill(app->main_thread, SIGUSR1);
		return NULL;
	}

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

/*
 * A record's size is its original length: a synthetic block's is its
 * captured length, a replayed packet's the length on the wire (which -s
 * does not change), so the reader's counts match the writers' either way.
 */
static void count_rec(void *arg, const struct capfmt_rec *rec)
{
	struct reader_stats *rs = arg;
	uint32_t len = rec->origlen;
	count(&rs->blocks, 1);
	count(&rs->block_bytes, len);
	count(&rs->size_count[len <= STATS_MAX_BLOCK ? len : STATS_MAX_BLOCK], 1);
}

static void count_lost(void *arg, const struct capfmt_rec *rec)
{
	struct reader_stats *rs = arg;
	count(&rs->lost_io_blocks, 1);
	count(&rs->lost_io_bytes, rec->origlen);
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
	/* pairs with the acquire loads of io_error in main_loop() and main(): main sees the message */
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
	if (app->fmt->scan_fd(fd, durable, count_rec, rs, &end) == 0 && ftruncate(fd, (off_t)end) == 0)
		fdatasync(fd);
	close(fd);
	atomic_store_explicit(&rs->file_bytes, end, memory_order_relaxed);
	uint64_t now_blocks = atomic_load_explicit(&rs->blocks, memory_order_relaxed);
	uint64_t now_bytes = atomic_load_explicit(&rs->block_bytes, memory_order_relaxed);
	count(&rs->lost_io_blocks, counted_blocks - now_blocks);
	count(&rs->lost_io_bytes, counted_bytes - now_bytes);
}

/*
 * A fatal write error: remember it, and give every held chunk back at once.
 * Persistence has nothing in flight after an error, so the memory is free;
 * holding it would leave writers under the wait policy waiting for room
 * forever.  From here on the reader discards what it takes (counted as lost
 * to the error) until the drain.  Returns true, for `failed = ...`.
 */
static bool reader_abort(struct app *app, int err, struct inflight *ring, unsigned ringsz,
			 unsigned head, unsigned *tail)
{
	reader_fail(app, err, "write");
	while (*tail != head) {
		dbuf_reader_release(app->db, &ring[*tail].chunk);
		*tail = (*tail + 1) % ringsz;
	}
	return true;
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
				failed = reader_abort(app, err, ring, ringsz, head, &tail);
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
				app->fmt->walk(c.data, c.len, count_lost, rs, NULL);
				dbuf_reader_release(app->db, &c);
				continue;
			}
			app->fmt->walk(c.data, c.len, count_rec, rs, NULL);
			count(&rs->file_bytes, c.len);
			struct inflight *f = &ring[head];
			f->chunk = c;
			head = (head + 1) % ringsz;
			err = persist_append(app->persist, c.data, c.len, (int)c.region, f);
			if (err == 0)
				err = reap(app, ring, ringsz, &tail, false);
			if (err) {
				failed = reader_abort(app, err, ring, ringsz, head, &tail);
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
				failed = reader_abort(app, err, ring, ringsz, head, &tail);
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
					failed = reader_abort(app, err, ring, ringsz, head, &tail);
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
			dbuf_cpu_relax();
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
			failed = reader_abort(app, err, ring, ringsz, head, &tail);
		}
	}
	/* Report before closing: close frees the handle. */
	if (!failed) {
		err = persist_write_tail(app->persist);
		if (err) {
			failed = reader_abort(app, err, ring, ringsz, head, &tail);
		}
	}
	persist_report(app->persist, &app->io);
	/* The statistics get the capture's permissions: the same readers (its umask applied). */
	struct stat out_st;
	app->stats_mode = fstat(persist_fd(app->persist), &out_st) == 0 ? out_st.st_mode & 0777 : 0640;
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
	r->mode = app->replaying ? "replay" : "synthetic";
	r->input = app->replaying ? &app->input : NULL;
}

/* --stats -: the final document on standard output.  0 or -errno. */
static int print_stats(const struct run_report *r)
{
	char *text = stats_to_json(r);
	int err = 0;

	if (!text)
		return -ENOMEM;
	if (puts(text) == EOF || fflush(stdout) == EOF)
		err = errno ? -errno : -EIO;
	free(text);
	return err;
}

static int write_stats(struct app *app, bool final, const char *stop_reason, const char *error)
{
	struct dbuf_writer_stats *lib = calloc(app->o.writers, sizeof(*lib));
	struct run_report r;
	int err;

	if (!lib)
		return -ENOMEM;
	fill_report(app, &r, lib, final, stop_reason, error);
	if (!app->o.stats_path)
		err = 0;
	else if (strcmp(app->o.stats_path, STATS_TO_STDOUT) == 0)
		err = final ? print_stats(&r) : 0; /* paths_check() refused --stats-interval */
	else
		err = stats_write_json(&r, app->o.stats_path, app->stats_mode);
	if (err)
		fprintf(stderr, "dbcap: %s: cannot write statistics: %s\n", app->o.stats_path,
			strerror(-err));
	if (final && !app->o.quiet)
		stats_print_summary(&r);
	free(lib);
	return err;
}

/*
 * Replay's progress line on a terminal: packets and bytes read, their rate
 * since the last line, and how far the slowest writer is through the file.
 */
static void show_progress(struct app *app, double t, uint64_t *last_pkts, uint64_t *last_bytes,
			  double *last_t)
{
	uint64_t pkts = 0, bytes = 0, pos = UINT64_MAX;

	for (unsigned i = 0; i < app->o.writers; i++) {
		const struct writer_stats *w = &app->ws[i];
		/* relaxed: each counter is read on its own, a line needs no consistent cut */
		uint64_t off = atomic_load_explicit(&w->input_offset, memory_order_relaxed);

		pkts += atomic_load_explicit(&w->read, memory_order_relaxed);
		bytes += atomic_load_explicit(&w->read_bytes, memory_order_relaxed);
		if (off < pos)
			pos = off;
	}
	double pct = app->replay.size ? 100.0 * (double)pos / (double)app->replay.size : 100.0;
	double dt = t > *last_t ? t - *last_t : 0.0;
	double rate = dt > 0 ? (double)(pkts - *last_pkts) / dt : 0.0;
	double brate = dt > 0 ? (double)(bytes - *last_bytes) / dt : 0.0;
	fprintf(stderr,
		"\rdbcap: %5.1f%% of %s: %" PRIu64 " packets, %.1f MB; %.0f packets/s, %.1f MB/s\033[K",
		pct > 100.0 ? 100.0 : pct, app->o.pcap, pkts, (double)bytes / 1e6, rate, brate / 1e6);
	*last_pkts = pkts;
	*last_bytes = bytes;
	*last_t = t;
}

/*
 * Waits for a stop condition: the count reached (every writer finished its
 * quota; in replay, every writer reached the end of the input or -c), the
 * duration elapsed, SIGINT/SIGTERM, or a fatal I/O error.  Writes the
 * periodic statistics (and replay's progress line) meanwhile.  Returns the
 * stop reason.
 */
static const char *main_loop(struct app *app, const sigset_t *sigs)
{
	const struct dbcap_opts *o = &app->o;
	double next_stats = o->stats_interval > 0 ? o->stats_interval : -1;
	double next_progress = 0.25, progress_t = 0;
	uint64_t progress_pkts = 0, progress_bytes = 0;
	static char reason[32];

	for (;;) {
		struct timespec tick = {0, 50 * 1000 * 1000};
		int sig = sigtimedwait(sigs, NULL, &tick);
		if (sig == SIGUSR1)
			sig = 0; /* replay's writers are done: look now */
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
		if (app->progress && t >= next_progress) {
			show_progress(app, t, &progress_pkts, &progress_bytes, &progress_t);
			next_progress = t + 0.25;
		}
	}
}

/*
 * Replay: opens and checks the input, then one cursor per writer, before
 * anything is created, so that a bad input leaves no output file behind.
 * Returns 0 or the exit status.
 */
static int replay_setup(struct app *app)
{
	const struct dbcap_opts *o = &app->o;
	struct replay_opts ro = {
		.path = o->pcap, .filter = o->filter, .snaplen = o->snaplen,
		.count = o->count, .speed = o->speed, .writers = o->writers,
	};
	char msg[1024];
	int err = replay_open(&app->replay, &ro, msg, sizeof(msg));

	if (err) {
		fprintf(stderr, "dbcap: %s\n", msg);
		return err == REPLAY_BAD_FILTER ? 2 : 1;
	}
	app->cursors = calloc(o->writers, sizeof(*app->cursors));
	if (!app->cursors) {
		fputs("dbcap: out of memory\n", stderr);
		return 1;
	}
	for (unsigned i = 0; i < o->writers; i++) {
		if (replay_cursor_open(&app->replay, i, &app->cursors[i], msg, sizeof(msg)) < 0) {
			fprintf(stderr, "dbcap: %s\n", msg);
			return 1;
		}
	}
	struct input_report *in = &app->input;
	in->path = o->pcap;
	in->format = app->replay.format;
	in->linktype = app->replay.linktype & 0xffffu;
	in->linktype_name = app->replay.linktype_name;
	in->snaplen = app->replay.snaplen_in;
	in->nano = app->replay.nano;
	in->filter = o->filter;
	in->file_bytes = app->replay.size;
	/* A record must fit a buffer; the input's snapshot length bounds its records. */
	if (pcapf_rec_size(app->replay.snaplen) > dbuf_get_config(app->db)->buffer_size)
		fprintf(stderr, "dbcap: warning: %s: a packet of the snapshot length (%" PRIu32
				" bytes) does not fit a %zu-byte buffer; larger packets will be "
				"dropped as too big (raise --buffer-size)\n",
			o->pcap, app->replay.snaplen, dbuf_get_config(app->db)->buffer_size);
	app->progress = !o->quiet && isatty(STDERR_FILENO);
	return 0;
}

/*
 * Replay, after the join: why the writers stopped, and whether the input
 * ended early (a cut or unreadable record).  Returns the stop reason.
 */
static const char *replay_finish(struct app *app, const char *reason)
{
	bool counted = false;

	for (unsigned i = 0; i < app->o.writers; i++) {
		uint64_t good_end;
		const char *err = replay_error(app->cursors[i], &good_end);

		counted |= replay_count_reached(app->cursors[i]);
		if (!err || app->input.truncated)
			continue;
		/* Every writer reads the whole file: the first one's words will do. */
		snprintf(app->input_error, sizeof(app->input_error), "%s", err);
		app->input.truncated = true;
		app->input.error = app->input_error;
		app->input.unread_bytes = app->replay.size - good_end;
	}
	if (strcmp(reason, "count") != 0)
		return reason;
	if (app->input.truncated)
		return "input error";
	return counted ? "count" : "end of input";
}

static int start_threads(struct app *app, struct writer_arg *args)
{
	const struct dbcap_opts *o = &app->o;
	char name[24]; /* "dbcap-w255" fits the kernel's 16 bytes; the slack quiets -Wformat-truncation */
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
	/* Before anything is created: a run that would lose a file, or its report, does not start. */
	rc = paths_check(o);
	if (rc)
		goto out_opts;
	rc = 1;
	if (options_assign_cpus(o) != 0) {
		rc = 2;
		goto out_opts;
	}
	app->replaying = o->pcap != NULL;
	app->fmt = app->replaying ? &capfmt_pcap : &capfmt_pcapng;

	/* Signals go to main alone (sigtimedwait); the threads inherit the mask. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGUSR1);
	app->main_thread = pthread_self();
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	struct dbuf_config bc;
	dbuf_config_init(&bc);
	bc.layout = o->layout;
	bc.writers = o->writers;
	bc.buffers = o->buffers;
	bc.buffer_size = o->buffer_size;
	bc.on_full = o->on_full;
	/*
	 * Writers that share cores with each other or with the reader nap after
	 * a few yields in one wait (dbuf.h, yield_limit): yielding in a loop
	 * took the cores from the reader they wait for (BENCHMARKS.md).
	 */
	bc.yield_limit = o->oversubscribed ? DBCAP_YIELD_LIMIT : 0;
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
		if (o->count && !app->replaying)
			app->quota[i] = o->count / o->writers + (i < o->count % o->writers);
	}
	/* A writer with a zero quota under -c must not run unbounded (replay: -c is global). */
	if (o->count && o->count < o->writers && !app->replaying) {
		fprintf(stderr, "dbcap: -c %llu is smaller than --writers %u\n",
			(unsigned long long)o->count, o->writers);
		rc = 2;
		goto out_buffer;
	}
	hist_init(&app->rs->persist_latency);
	if (app->replaying) {
		rc = replay_setup(app);
		if (rc)
			goto out_buffer;
		rc = 1;
	}

	/* Every region, however many: per-writer has writers x buffers of them. */
	unsigned nregions = dbuf_regions(app->db, NULL, 0);
	app->regions = calloc(nregions, sizeof(*app->regions));
	if (!app->regions) {
		fputs("dbcap: out of memory\n", stderr);
		goto out_buffer;
	}
	dbuf_regions(app->db, app->regions, nregions);
	memset(&po, 0, sizeof(po));
	po.path = o->output;
	po.force = o->force;
	po.engine = o->io_engine;
	po.direct = options_direct(o);
	po.no_sync = !options_sync(o);
	po.depth = o->io_depth;
	/* pcap has no end marker: keep the file a prefix of the stream (DESIGN.md). */
	po.ordered = app->replaying;
	po.regions = app->regions;
	po.nregions = nregions;
	po.latency = &app->rs->persist_latency;
	err = persist_open(&po, &app->persist, msg, sizeof(msg));
	if (err) {
		fprintf(stderr, "%s\n", msg); /* it names the program, the path and the reason */
		goto out_buffer;
	}
	persist_report(app->persist, &app->io);
	/*
	 * Buffered writes through io_uring register the buffer's regions; a
	 * refusal costs speed, not data, but must not pass unnoticed.
	 */
	if (strcmp(app->io.engine, "io_uring") == 0 && !app->io.direct &&
	    !app->io.registered_buffers)
		fprintf(stderr, "dbcap: warning: the %u buffer regions (%zu bytes) are not registered "
				"with io_uring (refused: pinned memory beyond RLIMIT_MEMLOCK, or more "
				"buffers than the kernel allows); writing unregistered\n",
			nregions, (size_t)nregions * dbuf_get_config(app->db)->buffer_size);
	/* The statistics get the capture's permissions: the same readers (its umask applied). */
	struct stat out_st;
	app->stats_mode = fstat(persist_fd(app->persist), &out_st) == 0 ? out_st.st_mode & 0777 : 0640;

	/* The file header is the stream's first chunk, written at once. */
	size_t hcap = 256 + (size_t)o->writers * 64, hlen = 0;
	uint8_t *header = malloc(hcap);
	if (header && app->replaying) {
		memcpy(header, app->replay.header, sizeof(app->replay.header));
		hlen = sizeof(app->replay.header);
	} else if (header) {
		hlen = pcapng_file_header(header, hcap, o->writers, PCAPNG_LINKTYPE_USER0,
					  o->block_max, "dbcap " DBCAP_VERSION);
	}
	err = hlen ? persist_append(app->persist, header, hlen, -1, NULL) : -ENOMEM;
	if (err == 0)
		err = persist_write_tail(app->persist); /* header is freed next */
	free(header);
	if (err) {
		fprintf(stderr, "dbcap: %s: write: %s\n", o->output, strerror(-err));
		uint64_t d;
		persist_close(app->persist, &d);
		if (app->replaying)
			unlink(o->output); /* not one record in it: leave nothing behind */
		goto out_buffer;
	}
	count(&app->rs->file_bytes, hlen);

	clock_gettime(CLOCK_REALTIME, &app->start_real);
	clock_gettime(CLOCK_MONOTONIC, &app->start_mono);
	app->start_mono_ns = now_ns(CLOCK_MONOTONIC);
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
	if (app->progress)
		fputs("\r\033[K", stderr); /* the progress line goes */
	if (app->replaying)
		reason = replay_finish(app, reason);

	/* pairs with the release CAS in reader_fail(); the join also orders it */
	int ioerr = atomic_load_explicit(&app->io_error, memory_order_acquire);
	const char *error = ioerr ? app->error_msg : (err ? "cannot start threads" : NULL);
	if (error)
		fprintf(stderr, "dbcap: %s\n", error);
	if (app->input.truncated)
		fprintf(stderr, "dbcap: warning: %s: %s; the records before it were replayed, "
				"the last %" PRIu64 " bytes were not\n",
			o->pcap, app->input.error, app->input.unread_bytes);
	if (write_stats(app, true, ioerr ? "error" : reason, error) == 0 && !error)
		rc = app->input.truncated ? 3 : 0;

out_buffer:
	for (unsigned i = 0; app->cursors && i < o->writers; i++)
		replay_cursor_close(app->cursors[i]);
	free(app->cursors);
	replay_close(&app->replay);
	free(app->regions);
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
