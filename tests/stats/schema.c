/* SPDX-License-Identifier: MIT */
/* stats.schema.json: documents stats_write_json() writes are valid, broken copies are not (argv: python validate.py schema). */
#define _GNU_SOURCE

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "fixture.h"

static char dir[] = "/tmp/dbcap-stats-schema.XXXXXX";
static char files[8][300];
static unsigned nfiles;

static void emit(const struct run_report *r, const char *name)
{
	char *path = files[nfiles++];
	snprintf(path, sizeof(files[0]), "%s/%s.json", dir, name);
	int ret = stats_write_json(r, path, 0644);
	if (ret != 0)
		t_fail(__FILE__, __LINE__, "stats_write_json", "%s: %s", path, strerror(-ret));
}

/* Runs the validator; its exit status. */
static int validate(char **argv, const char *mode, unsigned first, unsigned n)
{
	char cmd[4096];
	size_t k = (size_t)snprintf(cmd, sizeof(cmd), "'%s' '%s' %s '%s'", argv[1], argv[2], mode,
				    argv[3]);
	for (unsigned i = first; i < first + n && k < sizeof(cmd); i++)
		k += (size_t)snprintf(cmd + k, sizeof(cmd) - k, " '%s'", files[i]);
	int st = system(cmd);
	if (st == -1 || !WIFEXITED(st))
		return 1;
	return WEXITSTATUS(st);
}

int main(int argc, char **argv)
{
	struct fixture f;

	t_keep_going = true; /* report every wrong value, not only the first */
	if (argc != 4) {
		fprintf(stderr, "usage: %s PYTHON validate.py stats.schema.json\n", argv[0]);
		return 1;
	}
	if (fixture_init(&f) < 0 || !mkdtemp(dir))
		return 1;
	struct run_report *r = &f.report;

	emit(r, "final-consistent"); /* first: the one the mutations start from */

	fx_set(&f.reader->blocks, 99);
	emit(r, "final-inconsistent");

	r->final = false;
	r->stop_reason = NULL;
	r->error = NULL;
	emit(r, "periodic");
	fx_set(&f.reader->blocks, 100);
	r->final = true;

	/* Degraded: pwrite fallback, mlock refused, nothing counted yet, unpinned threads. */
	r->stop_reason = "signal SIGINT";
	r->io = (struct io_report){ .engine = NULL, .fallback_reason = "io_uring_setup: ENOSYS" };
	f.opts.io_engine = IO_ENGINE_PWRITE;
	r->mlock_result = -EPERM;
	r->reader_cpu = -1;
	r->oversubscribed = true;
	f.opts.ncpus = 0;
	f.opts.reader_cpu = -1;
	f.writers[0].cpu = f.writers[1].cpu = -1;
	f.opts.output = NULL;
	r->output = NULL;
	r->duration_seconds = 0;
	fixture_empty(&f);
	fixture_snapshot(&f);
	emit(r, "degraded-empty");

	/* Large: counters beyond 2^53 and every block size persisted. */
	uint64_t big = (UINT64_C(1) << 60) + 1, n = 0, bytes = 0;
	for (uint64_t s = 0; s <= STATS_MAX_BLOCK; s++) {
		fx_set(&f.reader->size_count[s], s + 1);
		n += s + 1;
		bytes += s * (s + 1);
	}
	fx_set(&f.reader->blocks, n);
	fx_set(&f.reader->block_bytes, bytes);
	fx_set(&f.writers[0].generated, n + big);
	fx_set(&f.writers[0].generated_bytes, bytes);
	f.lib[0].drop_full = big;
	f.opts.seed = UINT64_MAX;
	fixture_snapshot(&f);
	r->duration_seconds = 1e-9;
	emit(r, "large");

	int st = validate(argv, "", 0, nfiles);
	if (st == 77) {
		fprintf(stderr, "skip: the validator cannot run\n");
	} else {
		CHECK_INT(st, 0);
		CHECK_INT(validate(argv, "--mutations", 0, 1), 0);
	}

	for (unsigned i = 0; i < nfiles; i++)
		unlink(files[i]);
	CHECK(rmdir(dir) == 0);
	fixture_free(&f);
	if (!t_failures && st == 77)
		return 77;
	return t_result();
}
