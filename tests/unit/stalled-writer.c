/* SPDX-License-Identifier: MIT */
/* Description: a writer stalled between reserve and commit holds back only its own buffer; the reader never sees its bytes early. */
#include "common.h"

#include <string.h>

/*
 * Shared layout: writer 0 reserves at the start of generation 0 and stalls.
 * Writer 1 fills generations 0, 1 and 2.  The reader must not hand out
 * generation 0 (nor, in order, anything after it) until writer 0 commits,
 * and each such poll counts as a stalled poll.
 */
static void shared(void)
{
	struct dbuf *db = t_create(DBUF_LAYOUT_SHARED, 2, 3, 4096, DBUF_ON_FULL_DROP);
	struct dbuf_writer *w0 = dbuf_writer(db, 0), *w1 = dbuf_writer(db, 1);
	const size_t cap = t_cap(db), blk = cap / 4 - 24;
	struct dbuf_reader_stats rs;
	struct t_stream s = {0};
	struct dbuf_chunk c;
	unsigned tag = 10;
	void *res;

	CHECK_RES(dbuf_reserve(w0, 100, &res), DBUF_OK);
	/* Until commit the reservation holds garbage the reader must not see. */
	memset(res, 0xee, 100);
	t_stream_add(&s, 100, 1);

	/* Generation 0: 100 + 3 blocks; generations 1 and 2: 4 blocks each. */
	for (unsigned i = 0; i < 11; i++) {
		CHECK_RES(t_write(w1, blk, ++tag), DBUF_OK);
		t_stream_add(&s, blk, tag);
	}
	struct dbuf_writer_stats ws;
	dbuf_writer_stats(db, 1, &ws);
	CHECK_EQ(ws.seals, 2); /* writer 1 went on past the stalled buffer */
	CHECK_EQ(ws.blocks, 11);

	for (unsigned i = 1; i <= 3; i++) {
		CHECK_RES(t_next(db, &c), DBUF_EAGAIN);
		dbuf_reader_stats(db, &rs);
		CHECK_EQ(rs.stalled_polls, i);
		CHECK_EQ(rs.chunks, 0);
	}
	/* A flush seals the active generation 2 without waiting for anybody,
	 * and changes nothing for generation 0, which waits for a commit. */
	dbuf_reader_flush(db);
	CHECK_RES(t_next(db, &c), DBUF_EAGAIN);
	dbuf_reader_stats(db, &rs);
	CHECK_EQ(rs.stalled_polls, 4);
	CHECK_EQ(rs.flushes, 1);

	/* The commit releases the whole run, in order. */
	t_pattern(res, 100, 1);
	dbuf_commit(w0);
	t_take(db, &c);
	CHECK_EQ(c.seq, 0);
	CHECK_EQ(c.len, 100 + 3 * blk);
	CHECK_STREAM(&s, &c);
	dbuf_reader_release(db, &c);
	t_take(db, &c);
	CHECK_EQ(c.seq, 1);
	CHECK_EQ(c.len, 4 * blk);
	CHECK_STREAM(&s, &c);
	dbuf_reader_release(db, &c);

	/* Generation 2, sealed by that flush.  Generation 3 is active and
	 * empty: this flush seals nothing and polls find nothing, no stall. */
	t_take(db, &c);
	CHECK_EQ(c.seq, 2);
	CHECK_EQ(c.len, 4 * blk);
	CHECK_STREAM(&s, &c);
	dbuf_reader_release(db, &c);
	dbuf_reader_flush(db);
	CHECK_RES(t_next(db, &c), DBUF_EAGAIN);
	dbuf_reader_stats(db, &rs);
	CHECK_EQ(rs.stalled_polls, 4); /* EAGAIN for a filling buffer is not a stall */
	CHECK_EQ(rs.flushes, 1);

	/* A flush that seals a buffer with an open reservation in it. */
	CHECK_RES(t_write(w1, 300, ++tag), DBUF_OK);
	t_stream_add(&s, 300, tag);
	CHECK_RES(dbuf_reserve(w0, 200, &res), DBUF_OK);
	memset(res, 0xee, 200);
	CHECK_RES(t_write(w1, 400, ++tag), DBUF_OK);
	dbuf_reader_flush(db);
	CHECK_RES(t_next(db, &c), DBUF_EAGAIN);
	dbuf_reader_stats(db, &rs);
	CHECK_EQ(rs.stalled_polls, 5);
	t_pattern(res, 200, 2);
	t_stream_add(&s, 200, 2);
	t_stream_add(&s, 400, tag);
	dbuf_commit(w0);
	t_take(db, &c);
	CHECK_EQ(c.len, 900);
	CHECK_STREAM(&s, &c);
	dbuf_reader_release(db, &c);

	t_close_drain(db, &s, 1);
}

/*
 * Per-writer layout: writer 0's open reservation cannot hold back writer 1,
 * and a flush hands out only what writer 0 committed before it.
 */
static void per_writer(void)
{
	struct dbuf *db = t_create(DBUF_LAYOUT_PER_WRITER, 2, 2, 4096, DBUF_ON_FULL_DROP);
	struct dbuf_writer *w0 = dbuf_writer(db, 0), *w1 = dbuf_writer(db, 1);
	const size_t cap = t_cap(db);
	struct t_stream s[2] = {{0}};
	struct dbuf_chunk c;
	void *res;

	CHECK_RES(t_write(w0, 500, 1), DBUF_OK);
	t_stream_add(&s[0], 500, 1);
	CHECK_RES(dbuf_reserve(w0, 100, &res), DBUF_OK);
	memset(res, 0xee, 100);

	CHECK_RES(t_write(w1, cap, 2), DBUF_OK);
	CHECK_RES(t_write(w1, 10, 3), DBUF_OK); /* seals writer 1's buffer 0 */
	t_stream_add(&s[1], cap, 2);
	t_stream_add(&s[1], 10, 3);
	t_take(db, &c);
	CHECK_EQ(c.writer, 1);
	CHECK_STREAM(&s[1], &c);
	dbuf_reader_release(db, &c);
	CHECK_RES(t_next(db, &c), DBUF_EAGAIN);

	dbuf_reader_flush(db);
	for (unsigned i = 0; i < 2; i++) {
		t_take(db, &c);
		CHECK_EQ(c.flags, DBUF_CHUNK_PARTIAL);
		CHECK_EQ(c.len, c.writer == 0 ? 500 : 10); /* not the open reservation */
		CHECK_STREAM(&s[c.writer], &c);
		dbuf_reader_release(db, &c);
	}
	CHECK_RES(t_next(db, &c), DBUF_EAGAIN);

	t_pattern(res, 100, 4);
	dbuf_commit(w0);
	t_stream_add(&s[0], 100, 4);
	dbuf_reader_flush(db);
	t_take(db, &c);
	CHECK_EQ(c.writer, 0);
	CHECK_EQ(c.len, 100);
	CHECK_STREAM(&s[0], &c);
	dbuf_reader_release(db, &c);

	t_close_drain(db, s, 2);
}

int main(int argc, char **argv)
{
	enum dbuf_layout layout = t_layout_arg(argc, argv);
	switch (layout) {
	case DBUF_LAYOUT_SHARED: shared(); break;
	case DBUF_LAYOUT_PER_WRITER: per_writer(); break;
	default:
		/* The mutex layout's reservation holds the lock: a stalled writer
		 * stalls everybody by design (dbuf.h).  Not registered for it. */
		t_fail(__FILE__, __LINE__, "layout", "not meaningful for %s", argv[1]);
	}
	return T_EXIT_PASS;
}
