/* SPDX-License-Identifier: MIT */
/* Description: a chunk of length 0 may be handed out; it must be released like any other for its buffer to recycle. */
#define _GNU_SOURCE
#include "common.h"

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

/*
 * Per-writer: a flush hands out the whole committed prefix; when the writer
 * then seals the buffer without adding to it, the rest is 0 bytes.
 */
static void per_writer(void)
{
	struct dbuf *db = t_create(DBUF_LAYOUT_PER_WRITER, 1, 2, 4096, DBUF_ON_FULL_DROP);
	struct dbuf_writer *w = dbuf_writer(db, 0);
	const size_t cap = t_cap(db);
	struct t_stream s = {0};
	struct dbuf_chunk c, empty;

	CHECK_RES(t_write(w, 1000, 1), DBUF_OK);
	t_stream_add(&s, 1000, 1);
	dbuf_reader_flush(db);
	t_take(db, &c);
	CHECK_EQ(c.flags, DBUF_CHUNK_PARTIAL);
	CHECK_STREAM(&s, &c);
	dbuf_reader_release(db, &c);

	/* Does not fit: seals buffer 0 at 1000, all of it already handed out. */
	CHECK_RES(t_write(w, cap - 500, 2), DBUF_OK);
	t_stream_add(&s, cap - 500, 2);
	t_take(db, &empty);
	CHECK_EQ(empty.len, 0);
	CHECK_EQ(empty.seq, 0);
	CHECK_EQ(empty.flags, 0);

	/* Until the empty chunk is released, buffer 0 is not the writer's. */
	CHECK_RES(t_write(w, 1000, 3), DBUF_EFULL);
	dbuf_reader_release(db, &empty);
	CHECK_RES(t_write(w, 1000, 4), DBUF_OK);
	t_stream_add(&s, 1000, 4);
	t_take(db, &c);
	CHECK_EQ(c.seq, 1);
	CHECK_EQ(c.len, cap - 500);
	CHECK_STREAM(&s, &c);
	dbuf_reader_release(db, &c);

	t_close_drain(db, &s, 1);
}

/*
 * Shared and mutex: no single-threaded sequence gives an empty chunk (a flush
 * of an empty buffer seals nothing), but a flush racing a buffer swap may
 * seal a generation before anything is claimed in it.  Race them for a
 * while: whatever comes out, empty or not, is released, the stream stays
 * intact, and the writer never finds the ring wedged.
 */
struct race {
	struct dbuf *db;
	atomic_bool stop;
	unsigned blocks;   /* written by the writer thread */
	unsigned next;     /* the reader: the next block it expects */
	unsigned chunks, empties;
};

/* Block n has a length and contents that the reader can recompute. */
static size_t race_len(unsigned n)
{
	return 64 + (n % 7) * 200;
}

static void *race_writer(void *arg)
{
	struct race *r = arg;
	struct dbuf_writer *w = dbuf_writer(r->db, 0);
	while (!atomic_load(&r->stop)) {
		CHECK_RES(t_write(w, race_len(r->blocks), r->blocks), DBUF_OK);
		r->blocks++;
	}
	return NULL;
}

/* One poll: checks and releases whatever comes, empty or not. */
static int race_poll(struct race *r)
{
	struct dbuf_chunk c;
	int res = t_next(r->db, &c);
	if (res != 0)
		return res;
	const unsigned char *p = c.data;
	size_t off = 0;
	while (off < c.len) {
		size_t len = race_len(r->next);
		CHECK_LE(off + len, c.len);
		CHECK_PATTERN(p + off, len, r->next, 0);
		off += len;
		r->next++;
	}
	r->empties += c.len == 0;
	r->chunks++;
	dbuf_reader_release(r->db, &c);
	return 0;
}

static void racing(enum dbuf_layout layout)
{
	struct race r = {.db = t_create(layout, 1, 2, 4096, DBUF_ON_FULL_WAIT)};
	unsigned again = 0;
	struct timespec t0, t;
	pthread_t th;
	int res;

	CHECK_EQ(pthread_create(&th, NULL, race_writer, &r), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		dbuf_reader_flush(r.db);
		res = race_poll(&r);
		if (res != 0) {
			CHECK_RES(res, DBUF_EAGAIN);
			again++;
		}
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 < 200);
	atomic_store(&r.stop, true);
	/* Keep reading until the writer is out of any wait for a buffer. */
	while (pthread_tryjoin_np(th, NULL) != 0)
		race_poll(&r);
	dbuf_close(r.db);
	while ((res = race_poll(&r)) != DBUF_ENODATA)
		if (res != 0)
			CHECK_RES(res, DBUF_EAGAIN);
	struct dbuf_writer_stats ws;
	dbuf_writer_stats(r.db, 0, &ws);
	t_log("%u chunks, %u empty, %u polls found nothing, %u blocks, %llu waits, %llu yields",
	      r.chunks, r.empties, again, r.blocks, (unsigned long long)ws.full_waits,
	      (unsigned long long)ws.yields);
	CHECK_GE(r.blocks, 1);
	CHECK_EQ(r.next, r.blocks); /* every block, in order, once */
	dbuf_destroy(r.db);
}

int main(int argc, char **argv)
{
	enum dbuf_layout layout = t_layout_arg(argc, argv);
	if (layout == DBUF_LAYOUT_PER_WRITER)
		per_writer();
	else
		racing(layout);
	return T_EXIT_PASS;
}
