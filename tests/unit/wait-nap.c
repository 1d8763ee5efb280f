/* SPDX-License-Identifier: MIT */
/* Description: with yield_limit a waiting writer yields that many times, then naps; without it, it never naps. */
#define _GNU_SOURCE
#include "common.h"

#include <pthread.h>
#include <stdatomic.h>

struct job {
	struct dbuf *db;
	int result;
	atomic_bool done;
	uint64_t want_yields, want_naps; /* what the waiting writer must reach */
};

static void *writer_main(void *arg)
{
	struct job *j = arg;

	j->result = t_write(dbuf_writer(j->db, 0), 100, 3);
	atomic_store(&j->done, true);
	return NULL;
}

/* The writer has waited long enough to show its stages. */
static bool waited(void *arg)
{
	struct job *j = arg;
	struct dbuf_writer_stats ws;

	dbuf_writer_stats(j->db, 0, &ws);
	return ws.yields >= j->want_yields && ws.naps >= j->want_naps;
}

static void run(enum dbuf_layout layout, unsigned yield_limit)
{
	struct dbuf_config cfg;
	struct dbuf *db;
	struct dbuf_writer_stats ws;
	struct dbuf_chunk c;
	pthread_t th;

	t_log("yield_limit %u", yield_limit);
	dbuf_config_init(&cfg);
	cfg.layout = layout;
	cfg.buffers = 2;
	cfg.buffer_size = 4096;
	cfg.spin_limit = 1;
	cfg.yield_limit = yield_limit;
	CHECK_EQ(dbuf_create(&cfg, &db), 0);
	CHECK_EQ(dbuf_get_config(db)->yield_limit, yield_limit);
	const size_t cap = t_cap(db);
	CHECK_RES(t_write(dbuf_writer(db, 0), cap, 1), DBUF_OK);
	CHECK_RES(t_write(dbuf_writer(db, 0), cap, 2), DBUF_OK); /* both buffers full */

	/* Without a limit: 200 yields and not one nap; with one: naps after exactly the limit. */
	struct job j = {.db = db, .want_yields = yield_limit ? yield_limit : 200,
			.want_naps = yield_limit ? 20 : 0};
	CHECK_EQ(pthread_create(&th, NULL, writer_main, &j), 0);
	if (!t_wait_until(waited, &j, 10000))
		t_fail(__FILE__, __LINE__, "waited", "the writer did not reach its waiting stage");
	CHECK(!atomic_load(&j.done));
	dbuf_writer_stats(db, 0, &ws);
	CHECK_EQ(ws.full_waits, 1);
	if (yield_limit) {
		/* One wait: spin_limit polls, yield_limit yields, then only naps. */
		CHECK_EQ(ws.yields, yield_limit);
		CHECK_GE(ws.naps, 20);
	} else {
		CHECK_EQ(ws.naps, 0);
	}

	/* Releasing a buffer ends the wait, naps or not. */
	t_take(db, &c);
	dbuf_reader_release(db, &c);
	CHECK_EQ(pthread_join(th, NULL), 0);
	CHECK_RES(j.result, DBUF_OK);
	dbuf_writer_stats(db, 0, &ws);
	CHECK_EQ(ws.blocks, 3);
	CHECK_EQ(ws.drop_full + ws.drop_closed, 0);
	dbuf_destroy(db);
}

int main(int argc, char **argv)
{
	enum dbuf_layout layout = t_layout_arg(argc, argv);

	run(layout, 0);
	run(layout, 3);
	return T_EXIT_PASS;
}
