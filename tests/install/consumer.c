/* SPDX-License-Identifier: MIT */
/*
 * Another program using the installed buffer library (dbuf.h, libdbuf,
 * dbuf.pc): two writer threads write numbered blocks, the main thread reads
 * them back and checks that each writer's blocks arrive whole, in order,
 * none lost.  Exit 0 or 1.
 */
#include <dbuf.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define WRITERS 2
#define BLOCKS 20000

static struct dbuf *db;
static atomic_int finished; /* writers that returned; main joins them then */

static void *writer(void *arg)
{
	struct dbuf_writer *w = dbuf_writer(db, (unsigned)(uintptr_t)arg);
	uint64_t block[2] = {(uint64_t)(uintptr_t)arg, 0};
	void *ret = NULL;

	for (uint64_t i = 0; i < BLOCKS && !ret; i++) {
		block[1] = i;
		if (dbuf_write(w, block, sizeof(block)) != DBUF_OK)
			ret = (void *)1;
	}
	/* seq_cst, a test's simplest: pairs with the load in main(); the join orders the rest */
	atomic_fetch_add(&finished, 1);
	return ret;
}

int main(void)
{
	struct dbuf_config cfg;
	pthread_t t[WRITERS];
	uint64_t next[WRITERS] = {0};
	bool closed = false;
	int rc, bad = 0;

	dbuf_config_init(&cfg);
	cfg.writers = WRITERS;
	cfg.layout = DBUF_LAYOUT_SHARED;
	cfg.buffer_size = 4096;
	cfg.on_full = DBUF_ON_FULL_WAIT;
	if ((rc = dbuf_create(&cfg, &db)) != 0) {
		fprintf(stderr, "dbuf_create: %s\n", dbuf_strerror(rc));
		return 1;
	}
	for (uintptr_t i = 0; i < WRITERS; i++)
		pthread_create(&t[i], NULL, writer, (void *)i);
	for (;;) {
		struct dbuf_chunk c;

		rc = dbuf_reader_next(db, &c);
		if (rc == DBUF_EAGAIN) {
			/* The writers returned: join them, then close; the rest drains to ENODATA. */
			/* pairs with the fetch_add at the end of writer() */
			if (!closed && atomic_load(&finished) == WRITERS) {
				for (int i = 0; i < WRITERS; i++) {
					void *ret;
					pthread_join(t[i], &ret);
					bad |= ret != NULL;
				}
				dbuf_close(db);
				closed = true;
			}
			dbuf_reader_flush(db);
			continue;
		}
		if (rc == DBUF_ENODATA)
			break;
		if (rc != 0) {
			fprintf(stderr, "dbuf_reader_next: %s\n", dbuf_strerror(rc));
			return 1;
		}
		const uint64_t *b = c.data;
		for (size_t k = 0; k + 2 <= c.len / sizeof(uint64_t); k += 2) {
			if (b[k] >= WRITERS || b[k + 1] != next[b[k]]) {
				fprintf(stderr, "block %llu of writer %llu out of order\n",
					(unsigned long long)b[k + 1], (unsigned long long)b[k]);
				return 1;
			}
			next[b[k]]++;
		}
		dbuf_reader_release(db, &c);
	}
	dbuf_destroy(db);
	printf("%llu + %llu blocks read back, in order (layout %s)\n", (unsigned long long)next[0],
	       (unsigned long long)next[1], dbuf_layout_name(cfg.layout));
	return bad || next[0] != BLOCKS || next[1] != BLOCKS;
}
