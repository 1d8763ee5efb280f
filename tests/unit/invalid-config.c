/* SPDX-License-Identifier: MIT */
/* Description: dbuf_create() refuses every out-of-range configuration with -EINVAL and accepts the limits themselves. */
#include "common.h"

#include <stdint.h>

static int try_create(enum dbuf_layout layout, unsigned writers, unsigned buffers,
		      size_t buffer_size)
{
	struct dbuf_config cfg = t_config(layout, writers, buffers, buffer_size);
	struct dbuf *db = NULL;

	int r = dbuf_create(&cfg, &db);
	if (r == 0) {
		const struct dbuf_config *got = dbuf_get_config(db);
		CHECK_EQ(got->layout, layout);
		CHECK_EQ(got->writers, writers);
		CHECK_EQ(got->buffers, buffers);
		CHECK_EQ(got->buffer_size % t_page(), 0);
		CHECK_GE(got->buffer_size, buffer_size);
		CHECK_LT(got->buffer_size - buffer_size, t_page());
		unsigned n = layout == DBUF_LAYOUT_PER_WRITER ? writers * buffers : buffers;
		CHECK_EQ(dbuf_regions(db, NULL, 0), n);
		CHECK(dbuf_writer(db, writers - 1) != NULL);
		CHECK_EQ(dbuf_writer_id(dbuf_writer(db, writers - 1)), writers - 1);
		CHECK(dbuf_writer(db, writers) == NULL);
		/* mlock is attempted, never required: 0 or what mlock(2) said. */
		int ml = dbuf_mlock_result(db);
		if (ml != 0 && ml != -EPERM && ml != -ENOMEM && ml != -EAGAIN)
			t_fail(__FILE__, __LINE__, "dbuf_mlock_result", "%d", ml);
		dbuf_destroy(db);
	}
	return r;
}

int main(int argc, char **argv)
{
	enum dbuf_layout layout = t_layout_arg(argc, argv);
	const size_t page = t_page();
	struct dbuf_config cfg;
	struct dbuf *db = NULL;

	/* The defaults are what dbuf.h promises. */
	dbuf_config_init(&cfg);
	CHECK_EQ(cfg.layout, DBUF_LAYOUT_PER_WRITER);
	CHECK_EQ(cfg.writers, 1);
	CHECK_EQ(cfg.buffers, DBUF_DEFAULT_BUFFERS);
	CHECK_EQ(cfg.buffer_size, DBUF_DEFAULT_BUFFER_SIZE);
	CHECK_EQ(cfg.on_full, DBUF_ON_FULL_WAIT);

	CHECK_RES(try_create(layout, 0, 2, 4096), -EINVAL);
	CHECK_RES(try_create(layout, DBUF_MAX_WRITERS + 1, 2, 4096), -EINVAL);
	CHECK_RES(try_create(layout, 1, 1, 4096), -EINVAL);
	CHECK_RES(try_create(layout, 1, 0, 4096), -EINVAL);
	CHECK_RES(try_create(layout, 1, DBUF_MAX_BUFFERS + 1, 4096), -EINVAL);
	CHECK_RES(try_create(layout, 1, 2, 0), -EINVAL);
	CHECK_RES(try_create(layout, 1, 2, (size_t)UINT32_MAX + 1), -EINVAL);

	/* The limits themselves are fine; a size is rounded up to a page. */
	CHECK_RES(try_create(layout, DBUF_MAX_WRITERS, DBUF_MIN_BUFFERS, 4096), 0);
	CHECK_RES(try_create(layout, 1, DBUF_MAX_BUFFERS, 4096), 0);
	CHECK_RES(try_create(layout, 3, 2, 1), 0);
	CHECK_RES(try_create(layout, 3, 2, page + 1), 0);

	/* Out-of-range enums. */
	dbuf_config_init(&cfg);
	cfg.layout = (enum dbuf_layout)3;
	CHECK_RES(dbuf_create(&cfg, &db), -EINVAL);
	dbuf_config_init(&cfg);
	cfg.layout = layout;
	cfg.on_full = (enum dbuf_on_full)2;
	CHECK_RES(dbuf_create(&cfg, &db), -EINVAL);

	/*
	 * Shared layout: buffer_size * (writers + 3) must stay below 2^32, after
	 * rounding.  With 256 writers the largest page multiple that passes is
	 * floor((2^32 - 1) / 259 / page) pages.
	 */
	const uint64_t lim = UINT64_C(1) << 32;
	const size_t ok_size = (size_t)((lim - 1) / (DBUF_MAX_WRITERS + 3) / page * page);
	const size_t bad_size = ok_size + page;
	CHECK_LT((uint64_t)ok_size * (DBUF_MAX_WRITERS + 3), lim);
	CHECK_GE((uint64_t)bad_size * (DBUF_MAX_WRITERS + 3), lim);
	if (layout == DBUF_LAYOUT_SHARED) {
		CHECK_RES(try_create(layout, DBUF_MAX_WRITERS, 2, ok_size), 0);
		CHECK_RES(try_create(layout, DBUF_MAX_WRITERS, 2, bad_size), -EINVAL);
		CHECK_RES(try_create(layout, DBUF_MAX_WRITERS, 2, ok_size + 1), -EINVAL);
		/* One writer: 4 * size >= 2^32 from 1 GiB on. */
		CHECK_RES(try_create(layout, 1, 2, (size_t)1 << 30), -EINVAL);
	} else if (layout == DBUF_LAYOUT_MUTEX) {
		/* Only the shared layout packs offsets into 32 bits. */
		CHECK_RES(try_create(layout, DBUF_MAX_WRITERS, 2, bad_size), 0);
	}
	return T_EXIT_PASS;
}
