/* SPDX-License-Identifier: MIT */
/* A file size limit (RLIMIT_FSIZE): a short write, then -EFBIG, sticky; the durable prefix is the stream's. */
#define _GNU_SOURCE

#include "helpers.h"

#include <signal.h>
#include <sys/resource.h>

/* Each case at depth 3, with the file size limit beside it. */
struct config {
	struct io_case io;
	uint64_t limit;
};

static const struct config configs[] = {
	{ { "direct-aligned", IO_ENGINE_URING, IO_ON, 3, 0 }, 3u << 20 },
	/* The limit cuts a slot write short at a block boundary. */
	{ { "direct-mid-slot", IO_ENGINE_URING, IO_ON, 3, 0 }, (7u << 20) / 2 },
	/*
	 * The kernel cuts the write to an unaligned length, which O_DIRECT
	 * refuses (-EINVAL); persist writes the range buffered and gets the
	 * real error.
	 */
	{ { "direct-odd", IO_ENGINE_URING, IO_ON, 3, 0 }, (3u << 20) + 1001 },
	{ { "buffered-aligned", IO_ENGINE_URING, IO_OFF, 3, 0 }, 3u << 20 },
	{ { "buffered-odd", IO_ENGINE_URING, IO_OFF, 3, 0 }, (3u << 20) + 1001 },
	{ { "pwrite-direct", IO_ENGINE_PWRITE, IO_ON, 3, 0 }, 3u << 20 },
	{ { "pwrite-direct-odd", IO_ENGINE_PWRITE, IO_ON, 3, 0 }, (3u << 20) + 1001 },
	{ { "pwrite-buffered-odd", IO_ENGINE_PWRITE, IO_OFF, 3, 0 }, (3u << 20) + 1001 },
	/*
	 * Buffered chunks in pieces of 4 KiB: the error comes in the middle of
	 * a chunk, with pieces of it not issued yet; the chunk must still come
	 * back (no hang at close) and the file must be the stream's prefix.
	 */
	{ { "buffered-small-pieces", IO_ENGINE_URING, IO_OFF, 3, 4096 }, (3u << 20) + 1001 },
	{ { "pwrite-buffered-small-pieces", IO_ENGINE_PWRITE, IO_OFF, 3, 4096 }, (3u << 20) + 1001 },
};

static void run(const struct config *c, uint64_t seed)
{
	struct persist_opts o;
	struct io_report rep;
	struct rlimit saved, lim;
	struct driver d;
	struct stat st;
	uint64_t rng = seed, durable = ~0ull;
	char path[4200], msg[512];
	int err;

	snprintf(path, sizeof(path), "%s/%s.out", t_tmpdir(), c->io.name);
	driver_start(&d, &o, &c->io, path, seed);
	err = persist_open(&o, &d.p, msg, sizeof(msg));
	if (!driver_opened(&d, &c->io, err, msg))
		return;

	CHECK(getrlimit(RLIMIT_FSIZE, &saved) == 0);
	lim = saved;
	lim.rlim_cur = c->limit;
	CHECK(setrlimit(RLIMIT_FSIZE, &lim) == 0);
	err = 0;
	while (!err && persist_appended(d.p) < 2 * c->limit) {
		err = driver_append(&d, 1 + t_rand(&rng) % 100000);
		if (!err && t_rand(&rng) % 2)
			err = driver_reap(&d, false);
	}
	if (!err)
		err = persist_write_tail(d.p);
	CHECK_INT(err, -EFBIG);
	CHECK_INT(driver_append(&d, 1), -EFBIG);
	persist_report(d.p, &rep);
	CHECK_INT(rep.error, -EFBIG);
	CHECK_STR(rep.error_op, "write");
	printf("%-20s %s direct=%d durable=%" PRIu64 " limit=%" PRIu64 " writes=%" PRIu64
	       " short=%" PRIu64 "\n",
	       c->io.name, rep.engine, rep.direct, persist_durable(d.p), c->limit, rep.submissions,
	       rep.short_writes);
	CHECK_INT(persist_close(d.p, &durable), -EFBIG);
	CHECK(setrlimit(RLIMIT_FSIZE, &saved) == 0);
	CHECK_LE(durable, c->limit);
	/* Everything up to the limit that fits in whole blocks was written. */
	CHECK(durable + 100000 + (rep.direct ? (1u << 20) : 0) >= c->limit);
	CHECK(stat(path, &st) == 0);
	CHECK_LE(durable, st.st_size);
	CHECK(file_matches_stream(path, seed, durable, false));
	unlink(path);
	driver_free(&d);
}

int main(void)
{
	unsigned i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	/* Crossing the limit also raises SIGXFSZ, which would kill the test. */
	signal(SIGXFSZ, SIG_IGN);
	printf("directory %s\n", t_tmpdir());
	for (i = 0; i < sizeof(configs) / sizeof(configs[0]); i++)
		run(&configs[i], 700 + i);
	return 0;
}
