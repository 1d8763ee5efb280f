/* SPDX-License-Identifier: MIT */
/* Description: under the wait policy a writer blocks while every buffer is busy and completes once the reader releases. */
#define _GNU_SOURCE
#include "common.h"

#include <pthread.h>

/* The writer has found every buffer busy and has started yielding. */
static bool yielding(void *arg)
{
	struct t_job *j = arg;
	struct dbuf_writer_stats ws;
	dbuf_writer_stats(j->db, j->id, &ws);
	return ws.full_waits >= 1 && ws.yields >= 1;
}

static void run(enum dbuf_layout layout, bool reserve)
{
	struct dbuf *db = t_create(layout, 1, 2, 4096, DBUF_ON_FULL_WAIT);
	const size_t cap = t_cap(db);
	struct t_job j = {.db = db, .id = 0, .len = 100, .tag = 9, .reserve = reserve};
	struct dbuf_writer_stats ws;
	struct t_stream s = {0};
	struct dbuf_chunk c;
	pthread_t th;

	t_log("%s", reserve ? "dbuf_reserve" : "dbuf_write");
	CHECK_RES(t_write(dbuf_writer(db, 0), cap, 1), DBUF_OK);
	CHECK_RES(t_write(dbuf_writer(db, 0), cap, 2), DBUF_OK); /* both buffers full */
	t_stream_add(&s, cap, 1);
	t_stream_add(&s, cap, 2);
	t_stream_add(&s, j.len, j.tag);

	CHECK_EQ(pthread_create(&th, NULL, t_job_main, &j), 0);
	if (!t_wait_until(yielding, &j, 10000))
		t_fail(__FILE__, __LINE__, "yielding", "the writer never waited for a buffer");
	CHECK(!atomic_load(&j.done));

	/* Taking a chunk frees nothing: the writer keeps waiting. */
	t_take(db, &c);
	CHECK_EQ(c.seq, 0);
	CHECK_STREAM(&s, &c);
	t_msleep(5);
	CHECK(!atomic_load(&j.done));
	dbuf_writer_stats(db, 0, &ws);
	CHECK_EQ(ws.blocks, 2);

	/* Releasing it lets the writer finish. */
	dbuf_reader_release(db, &c);
	CHECK_EQ(pthread_join(th, NULL), 0);
	CHECK_RES(j.result, DBUF_OK);
	dbuf_writer_stats(db, 0, &ws);
	CHECK_EQ(ws.blocks, 3);
	CHECK_EQ(ws.full_waits, 1);
	CHECK_GE(ws.yields, 1);
	CHECK_EQ(ws.drop_full + ws.drop_closed, 0);

	t_close_drain(db, &s, 1);
}

int main(int argc, char **argv)
{
	enum dbuf_layout layout = t_layout_arg(argc, argv);
	run(layout, false);
	run(layout, true);
	return T_EXIT_PASS;
}
