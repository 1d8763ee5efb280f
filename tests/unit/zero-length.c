/* SPDX-License-Identifier: MIT */
/* Description: a zero-length block is DBUF_EZERO, counted in drop_zero, and leaves no trace in the data. */
#include "common.h"

int main(int argc, char **argv)
{
	enum dbuf_layout layout = t_layout_arg(argc, argv);
	struct dbuf *db = t_create(layout, 1, 2, 4096, DBUF_ON_FULL_DROP);
	struct dbuf_writer *w = dbuf_writer(db, 0);
	const size_t cap = t_cap(db);
	struct dbuf_writer_stats ws;
	struct t_stream s = {0};
	struct dbuf_chunk c;
	char byte = 'x';
	void *where = &where;

	CHECK_RES(dbuf_write(w, &byte, 0), DBUF_EZERO);
	CHECK_RES(dbuf_reserve(w, 0, &where), DBUF_EZERO);
	CHECK_PTR_EQ(where, &where);
	CHECK_RES(t_write(w, 10, 1), DBUF_OK);
	t_stream_add(&s, 10, 1);
	CHECK_RES(dbuf_write(w, &byte, 0), DBUF_EZERO);

	/* A zero-length block at the very end of a full buffer seals nothing. */
	CHECK_RES(t_write(w, cap - 10, 2), DBUF_OK);
	t_stream_add(&s, cap - 10, 2);
	CHECK_RES(dbuf_write(w, &byte, 0), DBUF_EZERO);

	dbuf_writer_stats(db, 0, &ws);
	CHECK_EQ(ws.drop_zero, 4);
	CHECK_EQ(ws.blocks, 2);
	CHECK_EQ(ws.bytes, cap);
	CHECK_EQ(ws.seals, 0);
	CHECK_EQ(ws.drop_full + ws.drop_too_big + ws.drop_closed, 0);

	CHECK_RES(t_write(w, 5, 3), DBUF_OK);
	t_stream_add(&s, 5, 3);
	t_take(db, &c);
	CHECK_EQ(c.len, cap);
	CHECK_STREAM(&s, &c);
	dbuf_reader_release(db, &c);

	CHECK_EQ(t_close_drain(db, &s, 1), 1);
	return T_EXIT_PASS;
}
