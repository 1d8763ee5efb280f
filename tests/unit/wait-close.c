/* SPDX-License-Identifier: MIT */
/* Description: dbuf_close() wakes writers waiting for a buffer with DBUF_ECLOSED; the data before stays readable. */
#define _GNU_SOURCE
#include "common.h"

#include <pthread.h>

static bool waiting(void *arg)
{
	struct t_job *j = arg;
	struct dbuf_writer_stats ws;
	dbuf_writer_stats(j->db, j->id, &ws);
	return ws.full_waits >= 1;
}

int main(int argc, char **argv)
{
	enum dbuf_layout layout = t_layout_arg(argc, argv);
	const bool pw = layout == DBUF_LAYOUT_PER_WRITER;
	struct dbuf *db = t_create(layout, 2, 2, 4096, DBUF_ON_FULL_WAIT);
	const size_t cap = t_cap(db);
	/* Neither block may go in: nothing frees a buffer before the close. */
	struct t_job j[2] = {{.db = db, .id = 0, .len = 100, .tag = 99, .reserve = false},
			     {.db = db, .id = 1, .len = 100, .tag = 99, .reserve = true}};
	struct t_stream s[2] = {{0}};
	pthread_t th[2];

	/* Every buffer full: both of each writer's (per-writer), or both shared ones. */
	for (unsigned wi = 0; wi < (pw ? 2u : 1u); wi++) {
		CHECK_RES(t_write(dbuf_writer(db, wi), cap, 1 + 2 * wi), DBUF_OK);
		CHECK_RES(t_write(dbuf_writer(db, wi), cap, 2 + 2 * wi), DBUF_OK);
		t_stream_add(&s[wi], cap, 1 + 2 * wi);
		t_stream_add(&s[wi], cap, 2 + 2 * wi);
	}

	for (unsigned i = 0; i < 2; i++)
		CHECK_EQ(pthread_create(&th[i], NULL, t_job_main, &j[i]), 0);
	for (unsigned i = 0; i < 2; i++)
		if (!t_wait_until(waiting, &j[i], 10000))
			t_fail(__FILE__, __LINE__, "waiting", "writer %u never waited", i);
	CHECK(!atomic_load(&j[0].done));
	CHECK(!atomic_load(&j[1].done));

	dbuf_close(db);
	for (unsigned i = 0; i < 2; i++) {
		struct dbuf_writer_stats ws;
		CHECK_EQ(pthread_join(th[i], NULL), 0);
		CHECK_RES(j[i].result, DBUF_ECLOSED);
		dbuf_writer_stats(db, i, &ws);
		CHECK_EQ(ws.drop_closed, 1);
		CHECK_EQ(ws.full_waits, 1);
		CHECK_EQ(ws.drop_full, 0);
		CHECK_EQ(ws.blocks, pw || i == 0 ? 2 : 0);
	}

	/* The full buffers written before the close are all still delivered. */
	unsigned chunks = t_drain_closed(db, s, pw ? 2 : 1);
	CHECK_EQ(chunks, pw ? 4 : 2);
	t_stream_free(&s[0]);
	t_stream_free(&s[1]);
	dbuf_destroy(db);
	return T_EXIT_PASS;
}
