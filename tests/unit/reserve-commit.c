/* SPDX-License-Identifier: MIT */
/* Description: dbuf_reserve() hands out the buffer memory itself; dbuf_commit() publishes and counts it. */
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
	struct iovec iov[2];
	void *p1, *p2, *p3, *p4;

	CHECK_EQ(dbuf_regions(db, iov, 2), 2);

	/* Reserve, fill in place, commit: the chunk is that very memory. */
	CHECK_RES(dbuf_reserve(w, 1000, &p1), DBUF_OK);
	dbuf_writer_stats(db, 0, &ws);
	CHECK_EQ(ws.blocks, 0); /* counted at commit, not at reserve */
	CHECK_EQ(ws.bytes, 0);
	t_pattern(p1, 1000, 1);
	dbuf_commit(w);
	t_stream_add(&s, 1000, 1);
	dbuf_writer_stats(db, 0, &ws);
	CHECK_EQ(ws.blocks, 1);
	CHECK_EQ(ws.bytes, 1000);

	/* A plain write and another reservation follow contiguously. */
	CHECK_RES(t_write(w, 500, 2), DBUF_OK);
	t_stream_add(&s, 500, 2);
	CHECK_RES(dbuf_reserve(w, 700, &p2), DBUF_OK);
	CHECK_PTR_EQ(p2, (char *)p1 + 1500);
	t_pattern(p2, 700, 3);
	dbuf_commit(w);
	t_stream_add(&s, 700, 3);

	/* A reservation that does not fit starts at the next buffer's first byte. */
	CHECK_RES(dbuf_reserve(w, cap - 1000, &p3), DBUF_OK);
	unsigned r3 = p3 == iov[0].iov_base ? 0 : 1;
	CHECK_PTR_EQ(p3, iov[r3].iov_base);
	CHECK_PTR_EQ(p1, iov[1 - r3].iov_base);
	t_pattern(p3, cap - 1000, 4);
	dbuf_commit(w);
	t_stream_add(&s, cap - 1000, 4);
	dbuf_writer_stats(db, 0, &ws);
	CHECK_EQ(ws.seals, 1);
	CHECK_EQ(ws.blocks, 4);
	CHECK_EQ(ws.bytes, 2200 + cap - 1000);

	t_take(db, &c);
	CHECK_PTR_EQ(c.data, p1);
	CHECK_EQ(c.len, 2200);
	CHECK_STREAM(&s, &c);
	dbuf_reader_release(db, &c);

	/* Exactly the room left, reserved and committed, then flushed. */
	CHECK_RES(dbuf_reserve(w, 1000, &p4), DBUF_OK);
	CHECK_PTR_EQ(p4, (char *)p3 + cap - 1000);
	t_pattern(p4, 1000, 5);
	dbuf_commit(w);
	t_stream_add(&s, 1000, 5);
	dbuf_reader_flush(db);
	t_take(db, &c);
	CHECK_PTR_EQ(c.data, p3);
	CHECK_EQ(c.len, cap);
	CHECK_STREAM(&s, &c);
	CHECK_EQ(c.flags, layout == DBUF_LAYOUT_PER_WRITER ? DBUF_CHUNK_PARTIAL : 0);
	dbuf_reader_release(db, &c);

	/* DBUF_EFULL from reserve reserves nothing. */
	for (int i = 0; i < 3; i++) {
		void *p = &p;
		int r = dbuf_reserve(w, cap, &p);
		if (r == DBUF_OK) {
			t_pattern(p, cap, 6 + (unsigned)i);
			dbuf_commit(w);
			t_stream_add(&s, cap, 6 + (unsigned)i);
		} else {
			CHECK_RES(r, DBUF_EFULL);
			CHECK_PTR_EQ(p, &p);
		}
	}
	dbuf_writer_stats(db, 0, &ws);
	CHECK_GE(ws.drop_full, 1);

	t_close_drain(db, &s, 1);
	return T_EXIT_PASS;
}
