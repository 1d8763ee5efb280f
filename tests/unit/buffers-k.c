/* SPDX-License-Identifier: MIT */
/* Description: with K = 2, 3, 4 buffers, K full buffers make the next block DBUF_EFULL until the reader releases. */
#include "common.h"

static void run(enum dbuf_layout layout, unsigned k)
{
	struct dbuf *db = t_create(layout, 1, k, 4096, DBUF_ON_FULL_DROP);
	struct dbuf_writer *w = dbuf_writer(db, 0);
	const size_t cap = t_cap(db), half = cap / 2;
	struct dbuf_chunk held[8];
	struct dbuf_writer_stats ws;
	struct t_stream s = {0};
	unsigned tag = 0;

	t_log("K = %u", k);
	CHECK_EQ(dbuf_regions(db, NULL, 0), k);
	/* 2K half-buffer blocks fill all K buffers exactly. */
	for (unsigned i = 0; i < 2 * k; i++) {
		CHECK_RES(t_write(w, half, ++tag), DBUF_OK);
		t_stream_add(&s, half, tag);
	}
	dbuf_writer_stats(db, 0, &ws);
	CHECK_EQ(ws.seals, k - 1);
	CHECK_EQ(ws.drop_full, 0);

	/* The next block seals buffer K - 1 and finds buffer 0 busy. */
	CHECK_RES(t_write(w, half, 100), DBUF_EFULL);
	dbuf_writer_stats(db, 0, &ws);
	CHECK_EQ(ws.seals, k);
	CHECK_EQ(ws.drop_full, 1);
	CHECK_RES(t_write(w, 1, 101), DBUF_EFULL); /* still full; no second seal */
	dbuf_writer_stats(db, 0, &ws);
	CHECK_EQ(ws.seals, k);
	CHECK_EQ(ws.drop_full, 2);
	CHECK_EQ(ws.blocks, 2 * k);

	/* The reader gets all K buffers in order, then nothing more. */
	for (unsigned i = 0; i < k; i++) {
		t_take(db, &held[i]);
		CHECK_EQ(held[i].seq, i);
		CHECK_EQ(held[i].len, cap);
		CHECK_STREAM(&s, &held[i]);
	}
	CHECK_RES(t_next(db, &held[k]), DBUF_EAGAIN);
	CHECK_RES(t_write(w, half, 102), DBUF_EFULL); /* all K still held */

	/* Releasing the oldest lets the writer go on into buffer 0 (generation K). */
	dbuf_reader_release(db, &held[0]);
	CHECK_RES(t_write(w, half, ++tag), DBUF_OK);
	t_stream_add(&s, half, tag);
	for (unsigned i = 1; i < k; i++)
		dbuf_reader_release(db, &held[i]);
	/* ... and through every buffer again: generations K .. 2K - 1, all full. */
	for (unsigned i = 0; i < 2 * k - 1; i++) {
		CHECK_RES(t_write(w, half, ++tag), DBUF_OK);
		t_stream_add(&s, half, tag);
	}
	for (unsigned i = 0; i < k; i++) {
		if (i == k - 1)
			dbuf_reader_flush(db); /* the last one is full but not sealed */
		t_take(db, &held[0]);
		CHECK_EQ(held[0].seq, k + i);
		CHECK_EQ(held[0].region, (k + i) % k);
		CHECK_EQ(held[0].len, cap);
		CHECK_STREAM(&s, &held[0]);
		dbuf_reader_release(db, &held[0]);
	}
	dbuf_writer_stats(db, 0, &ws);
	CHECK_EQ(ws.drop_full, 3);
	CHECK_EQ(ws.blocks, 4 * k); /* 2K + 1 + (2K - 1) */

	t_close_drain(db, &s, 1);
}

int main(int argc, char **argv)
{
	enum dbuf_layout layout = t_layout_arg(argc, argv);
	for (unsigned k = 2; k <= 4; k++)
		run(layout, k);
	return T_EXIT_PASS;
}
