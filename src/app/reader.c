/* SPDX-License-Identifier: MIT */
/*
 * The reader thread: takes the buffer's chunks in order, hands them to
 * persistence (src/persist) and counts what reaches the file.
 *
 * A chunk's memory stays the library's until persistence has written it, so
 * the reader keeps the chunks in flight in a ring, in the order it took them:
 *
 *   ring[tail] .. ring[head-1]   handed to persist_append(), not yet reaped
 *
 * reap() gives chunks back to the buffer (dbuf_reader_release()) as
 * persistence reports their writes done; those come back in order.
 *
 * The states and what moves between them:
 *
 *   PERSISTING --a fatal write error (reader_abort())--> DISCARDING
 *   PERSISTING --a second stop signal (app.abort_drain)--> ABORTING
 *   any of them --DBUF_ENODATA (closed and drained, writers joined)--> FINISHING
 *
 *   PERSISTING  Each chunk is counted, appended and kept in the ring.  With
 *               the ring full the reader first waits for a completion.
 *               With nothing to take it reaps, flushes the buffer by age,
 *               writes persistence's tail when idle, and backs off.
 *   DISCARDING  (rd.failed) The ring was emptied at once; each chunk taken
 *               is counted as lost to the error and released, so writers
 *               under the wait policy never wait for room forever.
 *   ABORTING    (rd.aborted) The writers are gone and main wants out now:
 *               what was handed to persistence is still written, each chunk
 *               still in the buffer is counted as dropped (aborted) and
 *               released unwritten.
 *   FINISHING   Waits for every write in flight, writes the tail, closes
 *               the file; after an error cuts it back to its last complete
 *               record (salvage()).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <limits.h>
#include <pthread.h>

#include "app.h"
#include "../util/hotpath.h"
#include "../source/synth.h"

/*
 * Where a chunk appended ends in the stream, and the reader's counts up to
 * and including it: after a write error on a file that cannot be read back
 * (a filesystem shut down), what the kernel acknowledged is counted from
 * these, to the last whole chunk (salvage()).  The last CHUNK_MARKS chunks
 * are kept, far more than can be in flight.
 */
struct chunk_mark {
	uint64_t end, blocks, bytes;
};
#define CHUNK_MARKS 16384u

/* A chunk handed to persistence, waiting for its memory to be reusable. */
struct inflight {
	struct dbuf_chunk chunk;
};

/*
 * Rotation: a chunk is cut into segments, one per file it goes to (-C cuts
 * between records when the next one would take the file past its size).
 */
struct seg {
	size_t off, len;
	uint64_t records, record_bytes;
	uint64_t first_ns, last_ns;
};

/* The reader thread's own state; nobody else reads it. */
struct reader {
	struct app *app;
	struct inflight *ring;
	unsigned ringsz, head, tail;
	unsigned idle;          /* polls in a row that found nothing */
	uint64_t flush_every;   /* ns: --flush-age */
	uint64_t next_flush;    /* CLOCK_MONOTONIC ns of the next flush by age */
	uint64_t sink;          /* --reader-work's result, kept from the optimiser */
	bool failed;            /* DISCARDING: a fatal error happened */
	bool aborted;           /* ABORTING: a second stop signal */
	bool tail_dirty;        /* bytes appended since the tail was last written */
	bool stranded;          /* writes the kernel never completed hold chunks (persist.h) */
	struct chunk_mark *marks; /* a ring of CHUNK_MARKS, or NULL (no memory) */
	uint64_t nmarks;        /* marks pushed so far; the next goes to nmarks % CHUNK_MARKS */
	/* Rotation (app->rot): the chunk's segments, and the file as the walk cuts it. */
	struct seg *segs;
	unsigned nsegs, segcap;
	bool segs_oom;          /* no room for another segment: the rest stays in the last */
	uint64_t cut_bytes, cut_records;
	struct io_report io_prev; /* the counters of the files already closed */
	bool full;              /* --min-free stopped the writing for good (--on-full wait) */
};

static void push_mark(struct reader *rd)
{
	struct reader_stats *rs = rd->app->rs;
	struct chunk_mark *m;

	if (!rd->marks)
		return;
	m = &rd->marks[rd->nmarks++ % CHUNK_MARKS];
	m->end = persist_appended(rd->app->persist);
	/* relaxed: the reader is these counters' only writer */
	m->blocks = atomic_load_explicit(&rs->blocks, memory_order_relaxed);
	m->bytes = atomic_load_explicit(&rs->block_bytes, memory_order_relaxed);
}

/*
 * The counts at the last whole chunk within the first durable bytes (all
 * zero when the marks do not reach back that far).
 */
static struct chunk_mark acknowledged(const struct reader *rd, uint64_t durable)
{
	struct chunk_mark none = {0, 0, 0};
	uint64_t oldest = rd->nmarks > CHUNK_MARKS ? rd->nmarks - CHUNK_MARKS : 0;

	for (uint64_t i = rd->nmarks; rd->marks && i > oldest; i--) {
		const struct chunk_mark *m = &rd->marks[(i - 1) % CHUNK_MARKS];

		if (m->end <= durable)
			return *m;
	}
	return none;
}

/*
 * A record's size is its original length: a synthetic block's is its
 * captured length, a replayed packet's the length on the wire (which -s
 * does not change), so the reader's counts match the writers' either way.
 */
static void count_rec(void *arg, const struct capfmt_rec *rec)
{
	struct reader_stats *rs = arg;
	uint32_t len = rec->origlen;
	counter_add(&rs->blocks, 1);
	counter_add(&rs->block_bytes, len);
	counter_add(&rs->size_count[len <= STATS_MAX_BLOCK ? len : STATS_MAX_BLOCK], 1);
}

static void count_lost(void *arg, const struct capfmt_rec *rec)
{
	struct reader_stats *rs = arg;
	counter_add(&rs->lost_io_blocks, 1);
	counter_add(&rs->lost_io_bytes, rec->origlen);
}

static void count_aborted(void *arg, const struct capfmt_rec *rec)
{
	struct reader_stats *rs = arg;
	counter_add(&rs->lost_abort_blocks, 1);
	counter_add(&rs->lost_abort_bytes, rec->origlen);
}

/* Releases, in order, the chunks whose memory persistence gave back. */
static int reap(struct reader *rd, bool wait)
{
	void *cookies[64];
	int n = persist_reap(rd->app->persist, cookies, 64, wait);
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		struct inflight *f = cookies[i];
		if (!f)
			continue; /* the file header */
		dbuf_reader_release(rd->app->db, &f->chunk);
		rd->tail = (rd->tail + 1) % rd->ringsz;
	}
	return 0;
}

static void reader_fail(struct app *app, int err, const char *what)
{
	int zero = 0;
	/* The message first: the release CAS below publishes it. */
	if (app->stream_out && err == -EPIPE)
		snprintf(app->error_msg, sizeof(app->error_msg),
			 "%s: the reader of the capture went away (%s: %s); what it did not "
			 "take is counted as lost", strcmp(app->o.output, "-") == 0 ?
			 "standard output" : app->o.output, what, strerror(-err));
	else
		/* A rotating run names the file being written, not -w's template. */
		snprintf(app->error_msg, sizeof(app->error_msg), "%s: %s: %s",
			 app->rot ? rotate_current_path(app) : app->o.output, what, strerror(-err));
	/* pairs with the acquire loads of io_error in wait_for_stop() and report_run() */
	atomic_compare_exchange_strong_explicit(&app->io_error, &zero, err, memory_order_release,
						memory_order_relaxed);
}

/*
 * After a write error: the file holds a valid prefix of durable bytes (the
 * writes the kernel acknowledged, contiguous from the start).  Cut it back
 * to its last complete block and recount what is really in it.  When the
 * file cannot be read back, cut or synced (a filesystem shut down answers
 * EIO to everything), count what the kernel acknowledged instead, to the
 * last whole chunk, and say that the file was not verified: what it holds
 * after a remount is what the filesystem had committed, which may be less.
 */
struct recount {
	uint64_t blocks, bytes;
};

static void recount_rec(void *arg, const struct capfmt_rec *rec)
{
	struct recount *n = arg;

	n->blocks++;
	n->bytes += rec->origlen;
}

/*
 * salvage() of a rotating run's current file: the earlier files are
 * complete, so only this file's count changes.  The exact size counts keep
 * the records cut off (docs/FAILURES.md).
 */
static void salvage_file(struct app *app, int fd, uint64_t durable)
{
	struct reader_stats *rs = app->rs;
	struct recount n = {0, 0};
	uint64_t end = 0, had = rotate_file_records(app);

	/*
	 * A file that cannot be read back, cut and synced (a filesystem shut
	 * down answers EIO to each) keeps the counts handed over, and the
	 * document says it was not verified.
	 */
	if (app->fmt->scan_fd(fd, durable, recount_rec, &n, &end) != 0 ||
	    ftruncate(fd, (off_t)end) != 0 || fdatasync(fd) != 0) {
		app->file_unverified = true;
		return;
	}
	if (had >= n.blocks) {
		uint64_t lost = had - n.blocks;
		struct stats_rotation ro;
		struct stats_file *files;
		uint64_t rec_bytes = 0;

		/* The file's record bytes, from its entry (the reader's own, up to date). */
		if (rotate_snapshot(app, &ro, &files) && ro.nfiles)
			rec_bytes = files[ro.nfiles - 1].record_bytes;
		free(files);
		uint64_t lost_bytes = rec_bytes >= n.bytes ? rec_bytes - n.bytes : 0;
		/* relaxed: the reader is these counters' only writer; main reads them after the join */
		atomic_store_explicit(&rs->blocks, atomic_load_explicit(&rs->blocks, memory_order_relaxed) - lost,
				      memory_order_relaxed);
		atomic_store_explicit(&rs->block_bytes,
				      atomic_load_explicit(&rs->block_bytes, memory_order_relaxed) - lost_bytes,
				      memory_order_relaxed);
		counter_add(&rs->lost_io_blocks, lost);
		counter_add(&rs->lost_io_bytes, lost_bytes);
	}
	/* relaxed: the reader is file_bytes' only writer; main reads it after the join */
	uint64_t fb = atomic_load_explicit(&rs->file_bytes, memory_order_relaxed);
	uint64_t cur = rotate_file_bytes(app);
	atomic_store_explicit(&rs->file_bytes, fb - (cur > end ? cur - end : 0), memory_order_relaxed);
	rotate_recount(app, n.blocks, n.bytes, end);
}

static void salvage(struct reader *rd, uint64_t durable)
{
	struct app *app = rd->app;
	struct reader_stats *rs = app->rs;
	int fd = open(rotate_current_path(app), O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	uint64_t end = 0;
	bool verified = false;

	if (app->rot) {
		/*
		 * The earlier files are complete; only the current one is
		 * recounted.  One that cannot be read back keeps the counts
		 * handed over, and the document says it was not verified.
		 */
		if (fd >= 0) {
			salvage_file(app, fd, durable);
			close(fd);
		} else {
			app->file_unverified = true;
		}
		return;
	}
	/*
	 * The file is the truth: forget what we counted and count what is
	 * there.  relaxed: the reader is these counters' only writer, and main
	 * reads them after joining it.
	 */
	uint64_t counted_blocks = atomic_load_explicit(&rs->blocks, memory_order_relaxed);
	uint64_t counted_bytes = atomic_load_explicit(&rs->block_bytes, memory_order_relaxed);
	if (fd >= 0) {
		atomic_store_explicit(&rs->blocks, 0, memory_order_relaxed);
		atomic_store_explicit(&rs->block_bytes, 0, memory_order_relaxed);
		for (unsigned i = 0; i <= STATS_MAX_BLOCK; i++)
			atomic_store_explicit(&rs->size_count[i], 0, memory_order_relaxed);
		verified = app->fmt->scan_fd(fd, durable, count_rec, rs, &end) == 0 &&
			   ftruncate(fd, (off_t)end) == 0 && fdatasync(fd) == 0;
		close(fd);
	}
	if (!verified) {
		struct chunk_mark m = acknowledged(rd, durable);

		atomic_store_explicit(&rs->blocks, m.blocks, memory_order_relaxed);
		atomic_store_explicit(&rs->block_bytes, m.bytes, memory_order_relaxed);
		end = m.end;
		app->file_unverified = true;
	}
	atomic_store_explicit(&rs->file_bytes, end, memory_order_relaxed);
	uint64_t now_blocks = atomic_load_explicit(&rs->blocks, memory_order_relaxed);
	uint64_t now_bytes = atomic_load_explicit(&rs->block_bytes, memory_order_relaxed);
	counter_add(&rs->lost_io_blocks, counted_blocks - now_blocks);
	counter_add(&rs->lost_io_bytes, counted_bytes - now_bytes);
}

/* stream_salvage()'s walk: the first skip records were taken, the rest are lost. */
struct uncount {
	struct reader_stats *rs;
	uint64_t skip;
};

static void uncount_rec(void *argp, const struct capfmt_rec *rec)
{
	struct uncount *u = argp;
	struct reader_stats *rs = u->rs;
	uint32_t len = rec->origlen;

	if (u->skip > 0) {
		u->skip--;
		return;
	}
	/* A counter of the reader's own, taken back: the sum wraps to the smaller value. */
	counter_add(&rs->blocks, (uint64_t)0 - 1);
	counter_add(&rs->block_bytes, (uint64_t)0 - len);
	counter_add(&rs->size_count[len <= STATS_MAX_BLOCK ? len : STATS_MAX_BLOCK],
		    (uint64_t)0 - 1);
	count_lost(rs, rec);
}

/*
 * salvage() for a stream (-w -, a FIFO) after a write error: there is no
 * file to read back, but the chunks still in the ring are the end of the
 * stream, and persistence knows how much of it the stream took (durable;
 * write(2) writes in order).  A record that it did not take whole is taken
 * out of the counts and counted as lost; file_bytes becomes what it took.
 * Before release_all(): the chunks' memory is still the reader's.
 */
static void stream_salvage(struct reader *rd)
{
	struct app *app = rd->app;
	struct reader_stats *rs = app->rs;
	uint64_t durable = persist_durable(app->persist);
	/* relaxed: the reader is file_bytes' only writer */
	uint64_t end = atomic_load_explicit(&rs->file_bytes, memory_order_relaxed);
	uint64_t start = end;

	for (unsigned i = rd->tail; i != rd->head; i = (i + 1) % rd->ringsz)
		start -= rd->ring[i].chunk.len;
	for (unsigned i = rd->tail; i != rd->head; i = (i + 1) % rd->ringsz) {
		const struct dbuf_chunk *c = &rd->ring[i].chunk;
		size_t took = durable <= start ? 0 : durable - start >= c->len ? c->len :
			      (size_t)(durable - start);

		if (took < c->len) {
			/* The records within what it took stay counted; the others are lost. */
			struct uncount u = {.rs = rs};
			app->fmt->walk(c->data, took, NULL, NULL, &u.skip);
			app->fmt->walk(c->data, c->len, uncount_rec, &u, NULL);
		}
		start += c->len;
	}
	atomic_store_explicit(&rs->file_bytes, durable < end ? durable : end, memory_order_relaxed);
}

/* Gives back every chunk still in the ring, oldest first. */
static void release_all(struct reader *rd)
{
	while (rd->tail != rd->head) {
		dbuf_reader_release(rd->app->db, &rd->ring[rd->tail].chunk);
		rd->tail = (rd->tail + 1) % rd->ringsz;
	}
}

/*
 * PERSISTING -> DISCARDING on a fatal write error: remember it, and give
 * every held chunk back at once.  Persistence has nothing in flight after an
 * error, so the memory is free; holding it would leave writers under the
 * wait policy waiting for room forever.  err 0: nothing happened.
 */
static void reader_abort(struct reader *rd, int err)
{
	if (!err)
		return;
	struct io_report r;

	/* persistence's own word for what failed: "write", "io_uring_wait_cqe", ... */
	persist_report(rd->app->persist, &r);
	reader_fail(rd->app, err, r.error_op ? r.error_op : "write");
	/*
	 * Writes the kernel never completed (persist_stranded()) may still
	 * read their chunks: those stay held, never handed back to writers.
	 */
	rd->stranded |= persist_stranded(rd->app->persist) > 0;
	if (rd->app->stream_out)
		stream_salvage(rd);
	if (!rd->stranded)
		release_all(rd);
	rd->failed = true;
}

/* Takes back what count_rec() counted of records that were not written. */
static void uncount(struct reader_stats *rs, const struct capfmt_rec *rec)
{
	uint32_t len = rec->origlen;
	_Atomic uint64_t *size = &rs->size_count[len <= STATS_MAX_BLOCK ? len : STATS_MAX_BLOCK];

	/* relaxed: the reader is these counters' only writer (stats.h) */
	atomic_store_explicit(&rs->blocks, atomic_load_explicit(&rs->blocks, memory_order_relaxed) - 1,
			      memory_order_relaxed);
	atomic_store_explicit(&rs->block_bytes,
			      atomic_load_explicit(&rs->block_bytes, memory_order_relaxed) - len,
			      memory_order_relaxed);
	atomic_store_explicit(size, atomic_load_explicit(size, memory_order_relaxed) - 1,
			      memory_order_relaxed);
}

static void uncount_lost(void *arg, const struct capfmt_rec *rec)
{
	uncount(arg, rec);
	count_lost(arg, rec);
}

static void uncount_min_free(void *arg, const struct capfmt_rec *rec)
{
	struct reader_stats *rs = arg;

	uncount(rs, rec);
	counter_add(&rs->lost_min_free_blocks, 1);
	counter_add(&rs->lost_min_free_bytes, rec->origlen);
}

static void count_min_free(void *arg, const struct capfmt_rec *rec)
{
	struct reader_stats *rs = arg;

	counter_add(&rs->lost_min_free_blocks, 1);
	counter_add(&rs->lost_min_free_bytes, rec->origlen);
}

/* Adds the io counters of a closed file to those of the files before it. */
static void io_add(struct io_report *sum, const struct io_report *r)
{
	sum->submissions += r->submissions;
	sum->completions += r->completions;
	sum->short_writes += r->short_writes;
	sum->retries += r->retries;
	sum->bytes_written += r->bytes_written;
	if (r->max_in_flight > sum->max_in_flight)
		sum->max_in_flight = r->max_in_flight;
}

/*
 * Rotation: ends the current file (every write done, closed and synced as
 * the run says, renamed, its sidecar and hook) and opens the next one.  A
 * failure is the run's, as a write error is: DISCARDING.
 */
static void rotate_file(struct reader *rd)
{
	struct app *app = rd->app;
	struct io_report r;
	char msg[PATH_MAX * 2 + 128];
	uint64_t durable;
	int err;

	while (!rd->failed && rd->head != rd->tail)
		reader_abort(rd, reap(rd, true));
	if (rd->failed)
		return;
	err = persist_write_tail(app->persist);
	if (err) {
		reader_abort(rd, err);
		return;
	}
	persist_report(app->persist, &r);
	io_add(&rd->io_prev, &r);
	err = persist_close(app->persist, &durable);
	app->persist = NULL;
	if (err) {
		snprintf(msg, sizeof(msg), "close");
		goto failed;
	}
	err = rotate_end(app, true, options_sync(&app->o), msg, sizeof(msg));
	if (err)
		goto failed;
	err = output_next(app, msg, sizeof(msg));
	if (err)
		goto failed;
	rd->tail_dirty = false;
	return;
failed:
	/* pairs with the acquire loads of io_error in wait_for_stop() and report_run() */
	snprintf(app->error_msg, sizeof(app->error_msg), "%.1000s: rotation: %.3000s: %s",
		 app->o.output, msg, strerror(-err));
	int zero = 0;
	atomic_compare_exchange_strong_explicit(&app->io_error, &zero, err, memory_order_release,
						memory_order_relaxed);
	release_all(rd);
	rd->failed = true;
}

/* The rotation's walk: counts each record and cuts the chunk where -C says. */
static void cut_rec(void *arg, const struct capfmt_rec *rec)
{
	struct reader *rd = arg;
	struct app *app = rd->app;
	uint64_t ts = rotate_rec_ns(app, rec);

	count_rec(app->rs, rec);
	if (app->o.file_size && rd->cut_records > 0 &&
	    rd->cut_bytes + rec->reclen > app->o.file_size && !rd->segs_oom) {
		if (rd->nsegs == rd->segcap) {
			unsigned cap = rd->segcap ? 2 * rd->segcap : 16;
			struct seg *grown = realloc(rd->segs, cap * sizeof(*grown));

			if (!grown)
				rd->segs_oom = true; /* the file grows past -C rather than lose data */
			else
				rd->segs = grown, rd->segcap = cap;
		}
		if (!rd->segs_oom) {
			struct seg *prev = &rd->segs[rd->nsegs - 1];

			rd->segs[rd->nsegs++] = (struct seg){.off = prev->off + prev->len};
			rd->cut_bytes = app->header_len;
			rd->cut_records = 0;
		}
	}
	struct seg *g = &rd->segs[rd->nsegs - 1];
	if (!g->records)
		g->first_ns = ts;
	g->last_ns = ts;
	g->records++;
	g->record_bytes += rec->origlen;
	g->len += rec->reclen;
	rd->cut_bytes += rec->reclen;
	rd->cut_records++;
}

/* Hands segment g of chunk c to persistence (cookie: the chunk's slot, or NULL). */
static void append_seg(struct reader *rd, const struct dbuf_chunk *c, const struct seg *g,
		       struct inflight *cookie)
{
	struct app *app = rd->app;

	rotate_records(app, g->records, g->record_bytes, g->first_ns, g->last_ns);
	rotate_data(app, (const uint8_t *)c->data + g->off, g->len);
	counter_add(&app->rs->file_bytes, g->len);
	if (cookie) {
		cookie->chunk = *c;
		rd->head = (rd->head + 1) % rd->ringsz;
	}
	int err = persist_append(app->persist, (const uint8_t *)c->data + g->off, g->len, (int)c->region, cookie);
	if (err == 0)
		err = reap(rd, false);
	reader_abort(rd, err);
	rd->tail_dirty = true;
}

/*
 * --min-free found no file left to remove: under --on-full drop the
 * segment is dropped (counted) and the next one tries again; under wait the
 * run stops (main is told), and nothing more is written.
 */
static void min_free_full(struct reader *rd)
{
	struct app *app = rd->app;

	if (app->o.on_full == DBUF_ON_FULL_DROP || rd->full)
		return;
	rd->full = true;
	/* relaxed: main only decides to stop on it; the joins order the rest */
	atomic_store_explicit(&app->min_free_stop, true, memory_order_relaxed);
	pthread_kill(app->main_thread, DBCAP_SIG_WAKE);
}

/* PERSISTING, rotating: the chunk goes to one file or, cut by -C, to several. */
static void take_chunk_rotating(struct reader *rd, const struct dbuf_chunk *c)
{
	struct app *app = rd->app;
	struct reader_stats *rs = app->rs;
	int pending = -1;

	if (rotate_due(app))
		rotate_file(rd);
	if (rd->failed || rd->full) {
		app->fmt->walk(c->data, c->len, rd->failed ? count_lost : count_min_free, rs, NULL);
		dbuf_reader_release(app->db, c);
		return;
	}
	if (!rd->segcap) {
		rd->segs = malloc(16 * sizeof(*rd->segs));
		rd->segcap = rd->segs ? 16 : 0;
		if (!rd->segs) {
			reader_abort(rd, -ENOMEM);
			take_chunk_rotating(rd, c);
			return;
		}
	}
	rd->nsegs = 1;
	rd->segs_oom = false;
	rd->segs[0] = (struct seg){.off = 0};
	rd->cut_bytes = rotate_file_bytes(app);
	rd->cut_records = rotate_file_records(app);
	app->fmt->walk(c->data, c->len, cut_rec, rd, NULL);

	for (unsigned i = 0; i < rd->nsegs; i++) {
		const struct seg *g = &rd->segs[i];

		if (i > 0 && !rd->failed) {
			if (pending >= 0)
				append_seg(rd, c, &rd->segs[pending], NULL);
			pending = -1;
			rotate_file(rd);
		}
		if (rd->failed) {
			app->fmt->walk((const uint8_t *)c->data + g->off, g->len, uncount_lost, rs, NULL);
			continue;
		}
		if (rd->full || rotate_make_room(app, g->len) < 0) {
			app->fmt->walk((const uint8_t *)c->data + g->off, g->len, uncount_min_free, rs, NULL);
			min_free_full(rd);
			continue;
		}
		if (pending >= 0)
			append_seg(rd, c, &rd->segs[pending], NULL);
		pending = (int)i;
	}
	/* The last segment written carries the chunk: it comes back once all of it is written. */
	if (pending >= 0 && !rd->failed)
		append_seg(rd, c, &rd->segs[pending], &rd->ring[rd->head]);
	else if (!rd->failed)
		dbuf_reader_release(app->db, c); /* nothing of it is in flight */
	else if (pending >= 0)
		app->fmt->walk((const uint8_t *)c->data + rd->segs[pending].off, rd->segs[pending].len, uncount_lost, rs,
			       NULL), dbuf_reader_release(app->db, c);
	else
		dbuf_reader_release(app->db, c);
}

/* PERSISTING or DISCARDING: a chunk was taken from the buffer. */
static void take_chunk(struct reader *rd, const struct dbuf_chunk *c)
{
	struct app *app = rd->app;
	struct reader_stats *rs = app->rs;

	rd->idle = 0;
	counter_add(&rs->chunks, 1);
	counter_add(&rs->chunk_bytes, c->len);
	if (app->rot && !rd->aborted) {
		take_chunk_rotating(rd, c);
		if (app->o.reader_work)
			rd->sink = synth_work(rd->sink + c->len, app->o.reader_work);
		return;
	}
	if (rd->failed || rd->aborted) {
		/* Nothing reaches the file any more: count and recycle. */
		app->fmt->walk(c->data, c->len, rd->failed ? count_lost : count_aborted, rs, NULL);
		dbuf_reader_release(app->db, c);
		return;
	}
	app->fmt->walk(c->data, c->len, count_rec, rs, NULL);
	counter_add(&rs->file_bytes, c->len);
	struct inflight *f = &rd->ring[rd->head];
	f->chunk = *c;
	rd->head = (rd->head + 1) % rd->ringsz;
	int err = persist_append(app->persist, c->data, c->len, (int)c->region, f);
	push_mark(rd);
	if (err == 0)
		err = reap(rd, false);
	reader_abort(rd, err);
	rd->tail_dirty = true;
	if (app->o.reader_work)
		rd->sink = synth_work(rd->sink + c->len, app->o.reader_work);
}

/*
 * Nothing ready: collect completions, flush the buffer by age (and, idle
 * with unwritten bytes, write the tail so data ages boundedly).
 */
static void nothing_ready(struct reader *rd)
{
	struct app *app = rd->app;

	if (!rd->failed && rd->head != rd->tail)
		reader_abort(rd, reap(rd, false));
	if (app->rot) {
		/* A quiet span still ends on time (-G), and a SIGHUP is answered now. */
		if (!rd->failed && !rd->full && !rd->aborted && rotate_due(app))
			rotate_file(rd);
	}
	uint64_t now = now_ns(CLOCK_MONOTONIC);
	if (now < rd->next_flush)
		return;
	dbuf_reader_flush(app->db);
	counter_add(&app->rs->flushes, 1);
	/* -z: finished commands reaped, queued ones started, at the flush's pace (no syscall per poll). */
	rotate_hooks_poll(app);
	rd->next_flush = now + rd->flush_every;
	if (!rd->failed && rd->tail_dirty && rd->idle > 0) {
		int err = persist_write_tail(app->persist);
		if (err == 0)
			err = reap(rd, false);
		reader_abort(rd, err);
		rd->tail_dirty = false;
	}
}

/*
 * Back off: a short spin catches a writer finishing its commit, then
 * yield, then sleep, so a stalled writer or an idle source never costs the
 * reader a whole core.
 */
static void back_off(struct reader *rd)
{
	rd->idle++;
	if (rd->idle < 64)
		dbuf_cpu_relax();
	else if (rd->idle < 128)
		sched_yield();
	else {
		struct timespec ts = {0, rd->idle < 1024 ? 20000 : 200000};
		nanosleep(&ts, NULL);
	}
}

/* FINISHING: the writers are gone and the buffer drained.  Finish the file. */
static void finish(struct reader *rd)
{
	struct app *app = rd->app;
	int err;

	while (!rd->failed && rd->head != rd->tail)
		reader_abort(rd, reap(rd, true));
	if (!app->persist) {
		/* A rotation failed between two files: nothing is open. */
		release_all(rd);
		/* The counts of the files closed, all of them (their error too). */
		app->io.submissions = app->io.completions = app->io.bytes_written = 0;
		app->io.short_writes = app->io.retries = 0;
		app->io.max_in_flight = 0;
		io_add(&app->io, &rd->io_prev);
		return;
	}
	/* Report before closing: close frees the handle. */
	if (!rd->failed)
		reader_abort(rd, persist_write_tail(app->persist));
	persist_report(app->persist, &app->io);
	rd->stranded |= persist_stranded(app->persist) > 0;
	io_add(&app->io, &rd->io_prev);
	err = persist_close(app->persist, &app->durable);
	app->persist = NULL;
	if (err && !rd->failed) {
		reader_fail(app, err, "close");
		app->io.error = err;
		app->io.error_op = "close";
	}
	if (err || rd->failed) {
		/* Release what is still held so the buffer is consistent. */
		if (!rd->stranded)
			release_all(rd);
		/* A stream has no file to read back: stream_salvage() counted at the error. */
		if (!app->stream_out)
			salvage(rd, app->durable);
	}
	if (app->rot) {
		/* The last file is complete too: its final name (no digest after a salvage). */
		char msg[PATH_MAX * 2 + 128];

		err = rotate_end(app, !(err || rd->failed), options_sync(&app->o), msg, sizeof(msg));
		if (err && !rd->failed) {
			snprintf(app->error_msg, sizeof(app->error_msg), "%.1000s: %.3000s", app->o.output, msg);
			int zero = 0;
			/* pairs with the acquire loads of io_error in wait_for_stop() and report_run() */
			atomic_compare_exchange_strong_explicit(&app->io_error, &zero, err,
								memory_order_release, memory_order_relaxed);
		}
		rotate_hooks_poll(app);
	}
}

void *reader_main(void *argp)
{
	struct app *app = argp;
	const struct dbcap_opts *o = &app->o;
	struct reader rd = {.app = app};

	/* One slot per buffer region is enough: the library never hands out more. */
	rd.ringsz = dbuf_regions(app->db, NULL, 0) + o->io_depth + 64;
	rd.ring = calloc(rd.ringsz, sizeof(*rd.ring));
	/* Without it an unreadable file after an error counts nothing as written. */
	rd.marks = calloc(CHUNK_MARKS, sizeof(*rd.marks));
	/* The file header: in the stream before any chunk. */
	if (app->persist)
		push_mark(&rd);
	rd.flush_every = (uint64_t)(o->flush_age * 1e9);
	rd.next_flush = now_ns(CLOCK_MONOTONIC) + rd.flush_every;
	if (!rd.ring) {
		reader_fail(app, -ENOMEM, "reader");
		rd.failed = true;
	}
	for (;;) {
		struct dbuf_chunk c;
		if (!rd.failed && (rd.head + 1) % rd.ringsz == rd.tail) {
			/* Every slot holds a chunk in flight: wait for one. */
			reader_abort(&rd, reap(&rd, true));
			continue;
		}
		/*
		 * Loaded before the poll: if every writer had returned before it,
		 * "closed and drained" is final.  pairs with the release store in
		 * stop_threads(), after the joins.
		 */
		bool joined = atomic_load_explicit(&app->writers_joined, memory_order_acquire);
		/* relaxed: a request; nothing is read on the strength of it */
		rd.aborted |= atomic_load_explicit(&app->abort_drain, memory_order_relaxed);
		int r = dbuf_reader_next(app->db, &c);
		if (r == 0) {
			take_chunk(&rd, &c);
			continue;
		}
		if (r == DBUF_ENODATA && joined)
			break;
		nothing_ready(&rd);
		back_off(&rd);
	}
	finish(&rd);
	if (rd.sink == 42)
		fputs("", stderr);
	free(rd.segs);
	free(rd.ring);
	free(rd.marks);
	/* pairs with the acquire load in stop_threads(); the signal ends main's wait at once */
	atomic_store_explicit(&app->reader_finished, true, memory_order_release);
	pthread_kill(app->main_thread, DBCAP_SIG_WAKE);
	return NULL;
}
