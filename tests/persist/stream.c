/* SPDX-License-Identifier: MIT */
/* The file equals the appended stream byte for byte: O_DIRECT, buffered, pwrite; depth 2 and 8. */
#define _GNU_SOURCE

#include "helpers.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <sys/resource.h>

#include "util/hist.h"

#define CHUNKS 400
#define MAX_CHUNK 100000

/* Each case, and whether persist records its write latency. */
struct config {
	struct io_case io;
	bool latency;
};

static const struct config configs[] = {
	{ { "direct-d2", IO_ENGINE_URING, IO_ON, 2, 0 }, true },
	{ { "direct-d8", IO_ENGINE_URING, IO_ON, 8, 0 }, false },
	/* Small, odd-sized slots: chunks span many slots and the ring wraps often. */
	{ { "direct-d3-small-slots", IO_ENGINE_URING, IO_ON, 3, 10000 }, false },
	{ { "buffered-d2", IO_ENGINE_URING, IO_OFF, 2, 0 }, true },
	{ { "buffered-d8", IO_ENGINE_URING, IO_OFF, 8, 0 }, false },
	/*
	 * Small pieces: a buffered chunk is written in pieces of at most
	 * slot_size bytes, so chunks here take up to 10 writes, more than the
	 * depth: appending waits in the middle of a chunk, and the chunk's
	 * cookie must come back only after its last piece.
	 */
	{ { "buffered-d3-small-pieces", IO_ENGINE_URING, IO_OFF, 3, 10000 }, false },
	{ { "pwrite-buffered-small-pieces", IO_ENGINE_PWRITE, IO_OFF, 2, 10000 }, false },
	{ { "pwrite-direct-d2", IO_ENGINE_PWRITE, IO_ON, 2, 0 }, true },
	{ { "pwrite-buffered-d8", IO_ENGINE_PWRITE, IO_OFF, 8, 0 }, false },
	{ { "auto-d4", IO_ENGINE_URING, IO_AUTO, 4, 0 }, false },
};

static bool expect_fallback;

/* Reads what persist_open() printed to stderr: nothing, not even on a fallback. */
static char *capture_open(const struct persist_opts *o, struct persist **p, int *err, char *msg,
			  size_t msglen)
{
	char path[4200];
	static char text[4096];
	int saved, fd;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/stderr.txt", t_tmpdir());
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	CHECK(fd >= 0);
	fflush(stderr);
	saved = dup(2);
	CHECK(saved >= 0 && dup2(fd, 2) == 2);
	*err = persist_open(o, p, msg, msglen);
	fflush(stderr);
	CHECK(dup2(saved, 2) == 2);
	close(saved);
	n = pread(fd, text, sizeof(text) - 1, 0);
	close(fd);
	unlink(path);
	text[n > 0 ? n : 0] = '\0';
	return text;
}

static void run(const struct config *c, uint64_t seed, bool expect_registered_false)
{
	const struct io_case *io = &c->io;
	struct persist_opts o;
	struct io_report rep;
	static struct hist lat;
	struct driver d;
	struct stat st;
	uint64_t rng = seed * 7 + 1, durable = 0;
	char path[4200], msg[512];
	const char *printed;
	unsigned i;
	int err;

	snprintf(path, sizeof(path), "%s/%s.out", t_tmpdir(), io->name);
	driver_start(&d, &o, io, path, seed);
	hist_init(&lat);
	o.latency = c->latency ? &lat : NULL;

	printed = capture_open(&o, &d.p, &err, msg, sizeof(msg));
	if (!driver_opened(&d, io, err, msg))
		return;
	persist_report(d.p, &rep);
	if (io->engine == IO_ENGINE_PWRITE) {
		CHECK_STR(rep.engine, "pwrite");
		CHECK_STR(rep.fallback_reason, NULL);
		CHECK_STR(printed, "");
	} else if (expect_fallback) {
		CHECK_STR(rep.engine, "pwrite");
		CHECK_CONTAINS(rep.fallback_reason, "io_uring_setup: Operation not permitted");
		/* The warning is the program's to print (dbcap.c): persist says nothing. */
		CHECK_STR(printed, "");
	} else if (strcmp(rep.engine, "pwrite") == 0) {
		/* Not a failure: io_uring may be blocked where the tests run. */
		printf("note: io_uring unavailable here: %s\n", rep.fallback_reason);
	} else {
		CHECK_STR(rep.engine, "io_uring");
		CHECK_STR(printed, "");
	}
	CHECK_INT(rep.direct, io->direct == IO_ON || (io->direct == IO_AUTO && rep.direct));
	if (rep.direct)
		CHECK(rep.dio_align >= 512 && (rep.dio_align & (rep.dio_align - 1)) == 0);
	else
		CHECK_INT(rep.dio_align, 0);
	if (expect_registered_false)
		CHECK_INT(rep.registered_buffers, false);

	for (i = 0; i < CHUNKS; i++) {
		size_t len = 1 + t_rand(&rng) % MAX_CHUNK;

		CHECK_INT(driver_append(&d, len), 0);
		CHECK_EQ(persist_appended(d.p), d.appended);
		if (t_rand(&rng) % 3 == 0)
			CHECK_INT(driver_reap(&d, false), 0);
		/* Never padding: the file is never longer than what was appended. */
		CHECK(fstat(persist_fd(d.p), &st) == 0);
		CHECK_LE(st.st_size, d.appended);
		CHECK_LE(persist_durable(d.p), d.appended);
	}
	CHECK_INT(persist_write_tail(d.p), 0);
	while (d.fifo_len > 0)
		CHECK_INT(driver_reap(&d, true), 0);
	CHECK_EQ(d.cookies_back, CHUNKS);
	CHECK_EQ(persist_durable(d.p), d.appended);
	persist_report(d.p, &rep);
	CHECK_INT(rep.error, 0);
	CHECK_STR(rep.error_op, NULL);
	CHECK_EQ(rep.completions, rep.submissions);
	CHECK(rep.bytes_written >= d.appended);
	CHECK_INT(rep.depth, io->depth);
	CHECK(rep.max_in_flight >= 1 && rep.max_in_flight <= io->depth);
	CHECK(rep.mean_in_flight >= 1.0 && rep.mean_in_flight <= rep.max_in_flight);
	CHECK(rep.short_writes <= rep.submissions);
	if (c->latency)
		CHECK_EQ(lat.count, rep.completions);
	printf("%-22s %s direct=%d align=%u registered=%d slots/depth=%u writes=%" PRIu64
	       " short=%" PRIu64 " retries=%" PRIu64 " in-flight max=%u mean=%.2f\n",
	       io->name, rep.engine, rep.direct, rep.dio_align, rep.registered_buffers, rep.depth,
	       rep.submissions, rep.short_writes, rep.retries, rep.max_in_flight,
	       rep.mean_in_flight);

	CHECK_INT(persist_close(d.p, &durable), 0);
	CHECK_EQ(durable, d.appended);
	CHECK(file_matches_stream(path, seed, d.appended, true));
	CHECK(stat(path, &st) == 0);
	CHECK_INT(st.st_mode & 0777, 0640);
	unlink(path);
	driver_free(&d);
}

/*
 * As an unprivileged user with a small memlock limit: the ring fits (it may
 * count against the limit too), the staging slots or the arena do not, so
 * registering buffers is refused, writes go unregistered, the file is still
 * exact.
 */
static void run_unregistered(void)
{
	static const struct config cs[] = {
		{ { "unregistered-direct", IO_ENGINE_URING, IO_ON, 2, 0 }, false },
		{ { "unregistered-buffered", IO_ENGINE_URING, IO_OFF, 2, 0 }, false },
	};
	struct rlimit saved, small;
	bool had_cap = t_cap_set(CAP_IPC_LOCK, true);
	unsigned i;

	CHECK(getrlimit(RLIMIT_MEMLOCK, &saved) == 0);
	small = saved;
	if (small.rlim_cur > 256 * 1024)
		small.rlim_cur = 256 * 1024;
	CHECK(setrlimit(RLIMIT_MEMLOCK, &small) == 0);
	if (had_cap)
		CHECK(t_cap_set(CAP_IPC_LOCK, false));
	for (i = 0; i < sizeof(cs) / sizeof(cs[0]); i++)
		run(&cs[i], 99 + i, true);
	if (had_cap)
		CHECK(t_cap_set(CAP_IPC_LOCK, true));
	CHECK(setrlimit(RLIMIT_MEMLOCK, &saved) == 0);
}

int main(int argc, char **argv)
{
	unsigned i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	umask(022);
	expect_fallback = argc > 1 && strcmp(argv[1], "--expect-fallback") == 0;
	printf("directory %s\n", t_tmpdir());
	for (i = 0; i < sizeof(configs) / sizeof(configs[0]); i++)
		run(&configs[i], 1000 + i, false);
	if (!expect_fallback)
		run_unregistered();
	return 0;
}
