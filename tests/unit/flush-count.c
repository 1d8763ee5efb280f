/* SPDX-License-Identifier: MIT */
/* Description: the reader's flushes counter counts only dbuf_reader_flush() calls that sealed or exposed data. */
#include "common.h"

int main(int argc, char **argv)
{
	enum dbuf_layout layout = t_layout_arg(argc, argv);
	struct dbuf *db = t_create(layout, 2, 2, 4096, DBUF_ON_FULL_DROP);
	struct dbuf_reader_stats rs;
	struct dbuf_chunk c;

	/* Nothing written: a flush has nothing to seal or expose. */
	dbuf_reader_flush(db);
	CHECK_RES(t_next(db, &c), DBUF_EAGAIN);
	dbuf_reader_stats(db, &rs);
	CHECK_EQ(rs.chunks, 0);
	CHECK_EQ(rs.flushes, 0);

	/* One block: this flush exposes it. */
	CHECK_RES(t_write(dbuf_writer(db, 1), 100, 1), DBUF_OK);
	dbuf_reader_flush(db);
	t_take(db, &c);
	CHECK_EQ(c.len, 100);
	dbuf_reader_release(db, &c);
	dbuf_reader_stats(db, &rs);
	CHECK_EQ(rs.flushes, 1);

	/* Nothing new since: again nothing to count. */
	dbuf_reader_flush(db);
	CHECK_RES(t_next(db, &c), DBUF_EAGAIN);
	dbuf_reader_stats(db, &rs);
	CHECK_EQ(rs.flushes, 1);

	/* Draining after dbuf_close() is not a dbuf_reader_flush() call. */
	CHECK_RES(t_write(dbuf_writer(db, 0), 200, 2), DBUF_OK);
	dbuf_close(db);
	t_take(db, &c);
	CHECK_EQ(c.len, 200);
	dbuf_reader_release(db, &c);
	CHECK_RES(t_next(db, &c), DBUF_ENODATA);
	dbuf_reader_stats(db, &rs);
	CHECK_EQ(rs.flushes, 1);

	dbuf_destroy(db);
	return T_EXIT_PASS;
}
