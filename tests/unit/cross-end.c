/* SPDX-License-Identifier: MIT */
/* Description: a block crossing the end seals the buffer at its start offset and lands in the next buffer. */
#include "common.h"

static void one_writer(enum dbuf_layout layout)
{
	struct dbuf *db = t_create(layout, 1, 2, 4096, DBUF_ON_FULL_DROP);
	struct dbuf_writer *w = dbuf_writer(db, 0);
	const size_t cap = t_cap(db);
	const size_t a = cap * 3 / 4, b = cap / 2; /* a + b > cap */
	struct iovec iov[2];
	struct dbuf_writer_stats ws;
	struct dbuf_chunk c1, c2;

	CHECK_EQ(dbuf_regions(db, iov, 2), 2); /* one writer: K regions in every layout */
	CHECK_RES(t_write(w, a, 1), DBUF_OK);
	dbuf_writer_stats(db, 0, &ws);
	CHECK_EQ(ws.seals, 0);
	CHECK_RES(t_write(w, b, 2), DBUF_OK); /* the crossing claim starts at a */
	dbuf_writer_stats(db, 0, &ws);
	CHECK_EQ(ws.seals, 1);
	CHECK_EQ(ws.blocks, 2);
	CHECK_EQ(ws.bytes, a + b);

	t_take(db, &c1);
	CHECK_EQ(c1.len, a); /* the buffer's length is where the crossing claim started */
	CHECK_EQ(c1.seq, 0);
	CHECK_EQ(c1.flags, 0);
	CHECK_PTR_EQ(c1.data, iov[c1.region].iov_base);
	CHECK_PATTERN(c1.data, c1.len, 1, 0);
	dbuf_reader_release(db, &c1);

	/* The crossing block is whole at the start of the next buffer. */
	CHECK_RES(t_next(db, &c2), DBUF_EAGAIN);
	dbuf_reader_flush(db);
	t_take(db, &c2);
	CHECK_EQ(c2.len, b);
	CHECK_EQ(c2.seq, 1);
	CHECK_NE(c2.region, c1.region);
	CHECK_PTR_EQ(c2.data, iov[c2.region].iov_base);
	CHECK_PATTERN(c2.data, c2.len, 2, 0);
	dbuf_reader_release(db, &c2);
	dbuf_destroy(db);
}

/*
 * Two writers sharing buffers: the sealer is whichever writer's claim crosses
 * the end, and only its seals counter moves.  Per-writer: each writer seals
 * only its own buffers.
 */
static void two_writers(enum dbuf_layout layout)
{
	struct dbuf *db = t_create(layout, 2, 2, 4096, DBUF_ON_FULL_DROP);
	struct dbuf_writer *w0 = dbuf_writer(db, 0), *w1 = dbuf_writer(db, 1);
	const size_t cap = t_cap(db);
	struct dbuf_writer_stats s0, s1;
	struct dbuf_chunk c;

	CHECK_RES(t_write(w0, cap - 100, 10), DBUF_OK);
	CHECK_RES(t_write(w1, 200, 11), DBUF_OK);
	dbuf_writer_stats(db, 0, &s0);
	dbuf_writer_stats(db, 1, &s1);
	CHECK_EQ(s0.seals, 0);
	if (layout == DBUF_LAYOUT_PER_WRITER) {
		CHECK_EQ(s1.seals, 0); /* writer 1 has its own, empty buffer */
		CHECK_RES(t_write(w0, 200, 12), DBUF_OK);
		dbuf_writer_stats(db, 0, &s0);
		CHECK_EQ(s0.seals, 1);
		t_take(db, &c);
		CHECK_EQ(c.writer, 0);
		CHECK_EQ(c.len, cap - 100);
		CHECK_PATTERN(c.data, c.len, 10, 0);
		dbuf_reader_release(db, &c);
	} else {
		CHECK_EQ(s1.seals, 1); /* writer 1's claim crossed the end */
		t_take(db, &c);
		CHECK_EQ(c.len, cap - 100);
		CHECK_PATTERN(c.data, c.len, 10, 0);
		dbuf_reader_release(db, &c);
		dbuf_reader_flush(db);
		t_take(db, &c);
		CHECK_EQ(c.len, 200);
		CHECK_EQ(c.seq, 1);
		CHECK_PATTERN(c.data, c.len, 11, 0);
		dbuf_reader_release(db, &c);
	}
	dbuf_destroy(db);
}

int main(int argc, char **argv)
{
	enum dbuf_layout layout = t_layout_arg(argc, argv);
	one_writer(layout);
	two_writers(layout);
	return T_EXIT_PASS;
}
