/* SPDX-License-Identifier: MIT */
/* Description: blocks that sum exactly to buffer_size fill one buffer; the next block goes to the next one. */
#include "common.h"

int main(int argc, char **argv)
{
	enum dbuf_layout layout = t_layout_arg(argc, argv);
	struct dbuf *db = t_create(layout, 1, 2, 4096, DBUF_ON_FULL_DROP);
	struct dbuf_writer *w = dbuf_writer(db, 0);
	const size_t cap = t_cap(db);
	const size_t q = cap / 4;
	struct t_stream s = {0};
	struct dbuf_writer_stats ws;
	struct dbuf_chunk c;

	/* Four blocks, the last one exactly up to the end. */
	CHECK_RES(t_write(w, q, 1), DBUF_OK);
	CHECK_RES(t_write(w, q, 2), DBUF_OK);
	CHECK_RES(t_write(w, q, 3), DBUF_OK);
	CHECK_RES(t_write(w, cap - 3 * q, 4), DBUF_OK);
	t_stream_add(&s, q, 1);
	t_stream_add(&s, q, 2);
	t_stream_add(&s, q, 3);
	t_stream_add(&s, cap - 3 * q, 4);
	dbuf_writer_stats(db, 0, &ws);
	CHECK_EQ(ws.seals, 0);
	CHECK_EQ(ws.blocks, 4);
	CHECK_EQ(ws.bytes, cap);

	/* One more byte does not fit: it seals the full buffer and opens the next. */
	CHECK_RES(t_write(w, 1, 5), DBUF_OK);
	t_stream_add(&s, 1, 5);
	dbuf_writer_stats(db, 0, &ws);
	CHECK_EQ(ws.seals, 1);
	CHECK_EQ(ws.drop_full, 0);

	t_take(db, &c);
	CHECK_EQ(c.len, cap);
	CHECK_EQ(c.seq, 0);
	CHECK_EQ(c.flags, 0);
	CHECK_STREAM(&s, &c);
	dbuf_reader_release(db, &c);
	CHECK_RES(t_next(db, &c), DBUF_EAGAIN); /* the 1-byte block's buffer is filling */

	/* Fill buffer 1 exactly, then a block of exactly buffer_size. */
	CHECK_RES(t_write(w, cap - 1, 6), DBUF_OK);
	t_stream_add(&s, cap - 1, 6);
	dbuf_writer_stats(db, 0, &ws);
	CHECK_EQ(ws.seals, 1);
	CHECK_RES(t_write(w, cap, 7), DBUF_OK);
	t_stream_add(&s, cap, 7);
	dbuf_writer_stats(db, 0, &ws);
	CHECK_EQ(ws.seals, 2);

	t_take(db, &c);
	CHECK_EQ(c.len, cap);
	CHECK_EQ(c.seq, 1);
	CHECK_STREAM(&s, &c);
	dbuf_reader_release(db, &c);

	/* The whole-buffer block is alone in buffer 2, sealed by the next block. */
	CHECK_RES(t_write(w, 1, 8), DBUF_OK);
	t_stream_add(&s, 1, 8);
	t_take(db, &c);
	CHECK_EQ(c.len, cap);
	CHECK_EQ(c.seq, 2);
	CHECK_STREAM(&s, &c);
	dbuf_reader_release(db, &c);

	dbuf_writer_stats(db, 0, &ws);
	CHECK_EQ(ws.seals, 3);
	CHECK_EQ(ws.blocks, 8);
	CHECK_EQ(ws.drop_full + ws.drop_too_big + ws.drop_zero + ws.drop_closed, 0);

	t_close_drain(db, &s, 1);
	return T_EXIT_PASS;
}
