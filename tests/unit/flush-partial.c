/* SPDX-License-Identifier: MIT */
/* Description: dbuf_reader_flush() hands out a partly filled buffer (per-writer: a PARTIAL prefix, later the rest). */
#include "common.h"

int main(int argc, char **argv)
{
	enum dbuf_layout layout = t_layout_arg(argc, argv);
	struct dbuf *db = t_create(layout, 1, 2, 4096, DBUF_ON_FULL_DROP);
	struct dbuf_writer *w = dbuf_writer(db, 0);
	const size_t cap = t_cap(db);
	const bool pw = layout == DBUF_LAYOUT_PER_WRITER;
	struct dbuf_reader_stats rs;
	struct t_stream s = {0};
	struct dbuf_chunk c;

	CHECK_RES(t_write(w, 500, 1), DBUF_OK);
	CHECK_RES(t_write(w, 700, 2), DBUF_OK);
	t_stream_add(&s, 500, 1);
	t_stream_add(&s, 700, 2);
	CHECK_RES(t_next(db, &c), DBUF_EAGAIN); /* not full, not flushed */

	dbuf_reader_flush(db);
	t_take(db, &c);
	CHECK_EQ(c.len, 1200);
	CHECK_EQ(c.seq, 0);
	CHECK_EQ(c.flags, pw ? DBUF_CHUNK_PARTIAL : 0);
	CHECK_STREAM(&s, &c);
	const char *prefix_end = (const char *)c.data + c.len;
	dbuf_reader_release(db, &c);
	CHECK_RES(t_next(db, &c), DBUF_EAGAIN); /* a flush is answered once */
	dbuf_reader_stats(db, &rs);
	CHECK_EQ(rs.flushes, 1);
	CHECK_EQ(rs.chunks, 1);

	/* More blocks, then one that crosses the end of the first buffer. */
	CHECK_RES(t_write(w, 1000, 3), DBUF_OK);
	t_stream_add(&s, 1000, 3);
	CHECK_RES(t_write(w, cap - 1500, 4), DBUF_OK);
	t_stream_add(&s, cap - 1500, 4);
	if (pw) {
		/* The rest of buffer 0: same sequence, no longer partial, right
		 * after the prefix in the same region. */
		t_take(db, &c);
		CHECK_EQ(c.seq, 0);
		CHECK_EQ(c.flags, 0);
		CHECK_EQ(c.len, 1000);
		CHECK_PTR_EQ(c.data, prefix_end);
		CHECK_STREAM(&s, &c);
		dbuf_reader_release(db, &c);
		CHECK_RES(t_next(db, &c), DBUF_EAGAIN);
		dbuf_reader_flush(db);
		t_take(db, &c);
		CHECK_EQ(c.seq, 1);
		CHECK_EQ(c.flags, DBUF_CHUNK_PARTIAL);
		CHECK_EQ(c.len, cap - 1500);
		CHECK_STREAM(&s, &c);
		dbuf_reader_release(db, &c);
	} else {
		/* The flush sealed buffer 0: both blocks went to buffer 1. */
		CHECK_RES(t_next(db, &c), DBUF_EAGAIN);
		dbuf_reader_flush(db);
		t_take(db, &c);
		CHECK_EQ(c.seq, 1);
		CHECK_EQ(c.flags, 0);
		CHECK_EQ(c.len, cap - 500);
		CHECK_STREAM(&s, &c);
		dbuf_reader_release(db, &c);
	}
	CHECK_RES(t_next(db, &c), DBUF_EAGAIN);
	dbuf_reader_stats(db, &rs);
	CHECK_EQ(rs.flushes, 2);

	/* Flushing twice in a row exposes the data once. */
	CHECK_RES(t_write(w, 300, 5), DBUF_OK);
	t_stream_add(&s, 300, 5);
	dbuf_reader_flush(db);
	dbuf_reader_flush(db);
	t_take(db, &c);
	CHECK_EQ(c.len, 300);
	CHECK_STREAM(&s, &c);
	dbuf_reader_release(db, &c);
	int r = t_next(db, &c);
	if (r == 0) {
		/* Only an empty chunk may follow: nothing was committed since. */
		CHECK_EQ(c.len, 0);
		dbuf_reader_release(db, &c);
		r = t_next(db, &c);
	}
	CHECK_RES(r, DBUF_EAGAIN);

	t_close_drain(db, &s, 1);
	return T_EXIT_PASS;
}
