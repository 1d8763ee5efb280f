/* SPDX-License-Identifier: MIT */
/* persist_write_tail() makes the file equal to the stream so far, and appending goes on after it. */
#define _GNU_SOURCE

#include "helpers.h"

static const struct io_case cases[] = {
	{ "direct-small-slots", IO_ENGINE_URING, IO_ON, 2, 16384 },
	{ "direct", IO_ENGINE_URING, IO_ON, 4, 0 },
	{ "buffered", IO_ENGINE_URING, IO_OFF, 2, 0 },
	{ "pwrite-direct", IO_ENGINE_PWRITE, IO_ON, 2, 16384 },
	{ "pwrite-buffered", IO_ENGINE_PWRITE, IO_OFF, 2, 0 },
};

static void check_tail(struct driver *d, const char *path)
{
	struct stat st;

	CHECK_INT(persist_write_tail(d->p), 0);
	CHECK_EQ(persist_durable(d->p), d->appended);
	CHECK(stat(path, &st) == 0);
	CHECK_EQ(st.st_size, d->appended);
	CHECK(file_matches_stream(path, d->seed, d->appended, true));
}

static void append_n(struct driver *d, uint64_t *rng, unsigned n, size_t max)
{
	while (n-- > 0) {
		CHECK_INT(driver_append(d, 1 + t_rand(rng) % max), 0);
		if (t_rand(rng) % 2)
			CHECK_INT(driver_reap(d, false), 0);
	}
}

static void run(const struct io_case *c, uint64_t seed)
{
	struct persist_opts o;
	struct io_report rep;
	struct driver d;
	uint64_t rng = seed, durable = 0;
	char path[4200], msg[512];
	unsigned align, i;
	int err;

	snprintf(path, sizeof(path), "%s/%s.out", t_tmpdir(), c->name);
	driver_start(&d, &o, c, path, seed);
	err = persist_open(&o, &d.p, msg, sizeof(msg));
	if (!driver_opened(&d, c, err, msg))
		return;
	persist_report(d.p, &rep);
	CHECK_INT(rep.direct, c->direct == IO_ON);
	align = rep.direct ? rep.dio_align : 4096;

	/* Nothing appended yet: nothing to write. */
	check_tail(&d, path);
	/* Less than a block, twice in a row. */
	CHECK_INT(driver_append(&d, 100), 0);
	check_tail(&d, path);
	check_tail(&d, path);
	/* Growing a carried tail by a byte at a time. */
	for (i = 0; i < 5; i++) {
		CHECK_INT(driver_append(&d, 1), 0);
		check_tail(&d, path);
	}
	/* Up to exactly a block boundary, then one byte past it. */
	CHECK_INT(driver_append(&d, align - d.appended % align), 0);
	check_tail(&d, path);
	CHECK_INT(driver_append(&d, 1), 0);
	check_tail(&d, path);
	/* Crossing several blocks and slots between tails. */
	for (i = 0; i < 20; i++) {
		append_n(&d, &rng, 1 + (unsigned)(t_rand(&rng) % 8), i % 2 ? 700 : 60000);
		check_tail(&d, path);
	}
	/* A long stretch without a tail, then the close writes it. */
	append_n(&d, &rng, 200, 50000);
	CHECK_INT(driver_append(&d, 3), 0);
	persist_report(d.p, &rep);
	CHECK_INT(rep.error, 0);
	printf("%-18s %s direct=%d align=%u writes=%" PRIu64 " bytes=%" PRIu64 " appended=%" PRIu64 "\n",
	       c->name, rep.engine, rep.direct, rep.dio_align, rep.submissions, rep.bytes_written,
	       d.appended);
	CHECK_INT(persist_close(d.p, &durable), 0);
	CHECK_EQ(durable, d.appended);
	CHECK(file_matches_stream(path, seed, d.appended, true));
	unlink(path);
	driver_free(&d);
}

int main(void)
{
	unsigned i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("directory %s\n", t_tmpdir());
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run(&cases[i], 500 + i);
	return 0;
}
