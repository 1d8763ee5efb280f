/* SPDX-License-Identifier: MIT */
/* Description: the reader may hold up to K chunks unreleased; next() then says EAGAIN, never a duplicate. */
#include "common.h"

#define K 3

static void expect_again(struct dbuf *db, const struct dbuf_chunk *held, unsigned n)
{
	struct dbuf_chunk c;
	for (unsigned i = 0; i < 3; i++) {
		int r = t_next(db, &c);
		if (r == 0) {
			for (unsigned h = 0; h < n; h++)
				if (c.seq == held[h].seq || c.data == held[h].data)
					t_fail(__FILE__, __LINE__, "no duplicate",
					       "chunk seq %llu at %p handed out again",
					       (unsigned long long)c.seq, c.data);
		}
		CHECK_RES(r, DBUF_EAGAIN);
	}
}

int main(int argc, char **argv)
{
	enum dbuf_layout layout = t_layout_arg(argc, argv);
	struct dbuf *db = t_create(layout, 1, K, 4096, DBUF_ON_FULL_DROP);
	struct dbuf_writer *w = dbuf_writer(db, 0);
	const size_t cap = t_cap(db);
	struct dbuf_chunk held[K];
	struct t_stream s = {0};
	unsigned tag = 0;

	/* Seal generations 0 and 1; the writer is in generation 2. */
	for (unsigned i = 0; i < 3; i++) {
		CHECK_RES(t_write(w, cap, ++tag), DBUF_OK);
		t_stream_add(&s, cap, tag);
	}
	t_take(db, &held[0]);
	t_take(db, &held[1]);
	CHECK_EQ(held[0].seq, 0);
	CHECK_EQ(held[1].seq, 1);
	CHECK_NE(held[0].region, held[1].region);
	CHECK_STREAM(&s, &held[0]);
	CHECK_STREAM(&s, &held[1]);
	expect_again(db, held, 2);

	/* Generation 3 needs buffer 0, still held: the block is dropped, but
	 * generation 2 got sealed on the way and is ready. */
	CHECK_RES(t_write(w, 10, 50), DBUF_EFULL);
	t_take(db, &held[2]);
	CHECK_EQ(held[2].seq, 2);
	CHECK_EQ(held[2].len, cap);
	CHECK_STREAM(&s, &held[2]);
	expect_again(db, held, 3);
	CHECK_RES(t_write(w, 10, 51), DBUF_EFULL);

	/* The held data is intact while held. */
	for (unsigned i = 0; i < K; i++)
		CHECK_PATTERN(held[i].data, held[i].len, i + 1, 0);

	/* Release in order; each release frees exactly one buffer. */
	dbuf_reader_release(db, &held[0]);
	CHECK_RES(t_write(w, cap, ++tag), DBUF_OK); /* generation 3, buffer 0 */
	t_stream_add(&s, cap, tag);
	CHECK_RES(t_write(w, 1, 52), DBUF_EFULL);   /* generation 4 needs buffer 1 */
	dbuf_reader_release(db, &held[1]);
	CHECK_RES(t_write(w, 1, ++tag), DBUF_OK);
	t_stream_add(&s, 1, tag);
	dbuf_reader_release(db, &held[2]);

	struct dbuf_writer_stats ws;
	dbuf_writer_stats(db, 0, &ws);
	CHECK_EQ(ws.drop_full, 3);

	t_close_drain(db, &s, 1);
	return T_EXIT_PASS;
}
