/* SPDX-License-Identifier: MIT */
/* Description: under the drop policy every refused block is DBUF_EFULL at once and counted exactly, per writer. */
#include "common.h"

static void check_counts(struct dbuf *db, unsigned id, uint64_t blocks, uint64_t drop_full)
{
	struct dbuf_writer_stats ws;
	dbuf_writer_stats(db, id, &ws);
	CHECK_EQ(ws.blocks, blocks);
	CHECK_EQ(ws.drop_full, drop_full);
	CHECK_EQ(ws.full_waits, 0); /* dropping never waits */
	CHECK_EQ(ws.yields, 0);
	CHECK_EQ(ws.drop_too_big + ws.drop_zero + ws.drop_closed, 0);
}

/* Fills both of writer id's buffers (the shared ones in the other layouts). */
static void fill_two(struct dbuf *db, unsigned id, unsigned tag, struct t_stream *s)
{
	const size_t cap = t_cap(db);
	CHECK_RES(t_write(dbuf_writer(db, id), cap, tag), DBUF_OK);
	CHECK_RES(t_write(dbuf_writer(db, id), cap, tag + 1), DBUF_OK);
	t_stream_add(s, cap, tag);
	t_stream_add(s, cap, tag + 1);
}

int main(int argc, char **argv)
{
	enum dbuf_layout layout = t_layout_arg(argc, argv);
	const bool pw = layout == DBUF_LAYOUT_PER_WRITER;
	/* Created with the wait policy; both writers switch themselves to drop. */
	struct dbuf *db = t_create(layout, 2, 2, 4096, DBUF_ON_FULL_WAIT);
	struct dbuf_writer *w0 = dbuf_writer(db, 0), *w1 = dbuf_writer(db, 1);
	struct t_stream s[2] = {{0}};
	struct dbuf_chunk c;
	void *where;

	dbuf_writer_set_policy(w0, DBUF_ON_FULL_DROP);
	dbuf_writer_set_policy(w1, DBUF_ON_FULL_DROP);
	fill_two(db, 0, 1, &s[0]);

	/* Five refusals, by write and by reserve, each counted once. */
	for (unsigned i = 0; i < 5; i++) {
		if (i % 2)
			CHECK_RES(dbuf_reserve(w0, 10 + i, &where), DBUF_EFULL);
		else
			CHECK_RES(t_write(w0, 10 + i, 50 + i), DBUF_EFULL);
	}
	check_counts(db, 0, 2, 5);

	/* Writer 1: its own buffers per-writer, the same full ones otherwise. */
	if (pw) {
		fill_two(db, 1, 3, &s[1]);
		CHECK_RES(t_write(w1, 1, 60), DBUF_EFULL);
		check_counts(db, 1, 2, 1);
	} else {
		CHECK_RES(t_write(w1, 1, 60), DBUF_EFULL);
		CHECK_RES(t_write(w1, 2, 61), DBUF_EFULL);
		check_counts(db, 1, 0, 2);
	}
	check_counts(db, 0, 2, 5); /* the other writer's drops are not ours */

	/* One buffer back: writer 0 goes on and its counter stops. */
	t_take(db, &c);
	CHECK_EQ(c.writer, pw ? 0 : DBUF_ANY_WRITER);
	CHECK_STREAM(&s[0], &c);
	dbuf_reader_release(db, &c);
	CHECK_RES(t_write(w0, 100, 7), DBUF_OK);
	t_stream_add(&s[0], 100, 7);
	check_counts(db, 0, 3, 5);
	if (!pw) {
		CHECK_RES(t_write(w1, 100, 8), DBUF_OK);
		t_stream_add(&s[0], 100, 8);
		check_counts(db, 1, 1, 2);
	}

	/* Fill again and drop a known number more. */
	CHECK_RES(t_write(w0, t_cap(db) - (pw ? 100 : 200), 9), DBUF_OK);
	t_stream_add(&s[0], t_cap(db) - (pw ? 100 : 200), 9);
	for (unsigned i = 0; i < 7; i++)
		CHECK_RES(t_write(w0, 1, 70), DBUF_EFULL);
	check_counts(db, 0, 4, 12);

	t_close_drain(db, s, pw ? 2 : 1);
	return T_EXIT_PASS;
}
