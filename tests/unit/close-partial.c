/* SPDX-License-Identifier: MIT */
/* Description: after dbuf_close() the reader gets every committed byte, partial buffers too, then DBUF_ENODATA. */
#include "common.h"

#define NW 3

int main(int argc, char **argv)
{
	enum dbuf_layout layout = t_layout_arg(argc, argv);
	struct dbuf *db = t_create(layout, NW, 3, 4096, DBUF_ON_FULL_DROP);
	const size_t cap = t_cap(db);
	const bool pw = layout == DBUF_LAYOUT_PER_WRITER;
	struct t_stream s[NW] = {{0}};
	struct dbuf_writer_stats ws;
	struct dbuf_chunk c;
	unsigned tag = 0;
	void *where;

	/* Writer 0 fills more than one buffer; the others leave a few blocks. */
	for (unsigned i = 0; i < 5; i++) {
		CHECK_RES(t_write(dbuf_writer(db, 0), cap / 3, ++tag), DBUF_OK);
		t_stream_add(&s[0], cap / 3, tag);
	}
	for (unsigned wi = 1; wi < NW; wi++) {
		CHECK_RES(t_write(dbuf_writer(db, wi), 100 * wi, ++tag), DBUF_OK);
		t_stream_add(&s[pw ? wi : 0], 100 * wi, tag);
	}
	CHECK_RES(dbuf_reserve(dbuf_writer(db, 1), 77, &where), DBUF_OK);
	t_pattern(where, 77, ++tag);
	dbuf_commit(dbuf_writer(db, 1));
	t_stream_add(&s[pw ? 1 : 0], 77, tag);

	/* Before close only writer 0's first, sealed buffer is ready. */
	t_take(db, &c);
	CHECK_EQ(c.len, 3 * (cap / 3));
	CHECK_STREAM(&s[0], &c);
	dbuf_reader_release(db, &c);
	CHECK_RES(t_next(db, &c), DBUF_EAGAIN);

	dbuf_close(db);

	/* Every writer's later call is refused and counted. */
	for (unsigned wi = 0; wi < NW; wi++) {
		CHECK_RES(t_write(dbuf_writer(db, wi), 10, 99), DBUF_ECLOSED);
		CHECK_RES(dbuf_reserve(dbuf_writer(db, wi), 10, &where), DBUF_ECLOSED);
		dbuf_writer_stats(db, wi, &ws);
		CHECK_EQ(ws.drop_closed, 2);
	}

	unsigned chunks = t_drain_closed(db, s, pw ? NW : 1);
	CHECK_EQ(chunks, pw ? NW : 1);

	struct dbuf_reader_stats rs;
	dbuf_reader_stats(db, &rs);
	CHECK_EQ(rs.chunks, chunks + 1);
	CHECK_EQ(rs.bytes, 5 * (cap / 3) + 100 + 200 + 77);

	for (unsigned i = 0; i < NW; i++)
		t_stream_free(&s[i]);
	dbuf_destroy(db);
	return T_EXIT_PASS;
}
