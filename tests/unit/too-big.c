/* SPDX-License-Identifier: MIT */
/* Description: a block larger than buffer_size is DBUF_ETOOBIG, counted in drop_too_big, and wedges nothing. */
#include "common.h"

#include <stdint.h>

int main(int argc, char **argv)
{
	enum dbuf_layout layout = t_layout_arg(argc, argv);
	struct dbuf *db = t_create(layout, 2, 2, 4096, DBUF_ON_FULL_WAIT);
	struct dbuf_writer *w = dbuf_writer(db, 0);
	const size_t cap = t_cap(db);
	struct dbuf_writer_stats ws;
	struct t_stream s = {0};
	struct dbuf_chunk c;
	void *where = &where;

	/* Into an empty buffer, a partly filled one, via write and via reserve. */
	CHECK_RES(t_write(w, cap + 1, 1), DBUF_ETOOBIG);
	CHECK_RES(t_write(w, 100, 2), DBUF_OK);
	t_stream_add(&s, 100, 2);
	CHECK_RES(t_write(w, cap + 1, 3), DBUF_ETOOBIG);
	CHECK_RES(dbuf_reserve(w, cap + 1, &where), DBUF_ETOOBIG);
	CHECK_PTR_EQ(where, &where); /* nothing reserved, nothing written back */
	CHECK_RES(dbuf_reserve(w, SIZE_MAX, &where), DBUF_ETOOBIG);
	/* Far beyond 32 bits: the library must not truncate the length. */
	CHECK_RES(dbuf_write(w, &where, (size_t)UINT32_MAX + 2), DBUF_ETOOBIG);

	dbuf_writer_stats(db, 0, &ws);
	CHECK_EQ(ws.drop_too_big, 5);
	CHECK_EQ(ws.blocks, 1);
	CHECK_EQ(ws.bytes, 100);
	CHECK_EQ(ws.seals, 0);
	CHECK_EQ(ws.drop_full + ws.drop_zero + ws.drop_closed, 0);

	/* Nothing wedged: normal blocks go on, for this and the other writer. */
	CHECK_RES(t_write(w, 200, 5), DBUF_OK);
	t_stream_add(&s, 200, 5);
	if (layout != DBUF_LAYOUT_PER_WRITER) {
		CHECK_RES(t_write(dbuf_writer(db, 1), 300, 6), DBUF_OK);
		t_stream_add(&s, 300, 6);
	}
	/* A block of exactly buffer_size is not too big. */
	CHECK_RES(t_write(w, cap, 7), DBUF_OK);
	t_stream_add(&s, cap, 7);
	t_take(db, &c);
	CHECK_EQ(c.len, layout == DBUF_LAYOUT_PER_WRITER ? 300 : 600);
	CHECK_STREAM(&s, &c);
	dbuf_reader_release(db, &c);

	dbuf_writer_stats(db, 0, &ws);
	CHECK_EQ(ws.drop_too_big, 5);
	CHECK_EQ(ws.blocks, 3);

	t_close_drain(db, &s, 1);
	return T_EXIT_PASS;
}
