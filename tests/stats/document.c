/* SPDX-License-Identifier: MIT */
/* stats_to_json: known numbers in, the same numbers out at the documented keys; the reconciliation verdict; the summary line. */
#define _GNU_SOURCE

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "fixture.h"
#include "json.h"

static cJSON *render(const struct run_report *r, char **text_out)
{
	char *text = stats_to_json(r);
	if (!text) {
		fprintf(stderr, "stats_to_json failed\n");
		exit(1);
	}
	cJSON *root = cJSON_Parse(text);
	if (!root) {
		fprintf(stderr, "the document does not parse:\n%s\n", text);
		exit(1);
	}
	if (text_out)
		*text_out = text;
	else
		free(text);
	return root;
}

static void test_run_and_config(const cJSON *d)
{
	CHECK_EQ(jnum(d, "schema_version"), STATS_SCHEMA_VERSION);
	CHECK_INT(jbool(d, "final"), 1);
	CHECK_STR(jstr(d, "run.program"), "dbcap");
	CHECK_STR(jstr(d, "run.version"), "0.1.0");
	CHECK_STR(jstr(d, "run.start_time"), "2024-05-01T12:00:00.123456789Z");
	CHECK_STR(jstr(d, "run.end_time"), "2024-05-01T12:00:02.123456789Z");
	CHECK_DBL(jnum(d, "run.start_unix_seconds"), 1714564800.123456789);
	CHECK_DBL(jnum(d, "run.end_unix_seconds"), 1714564802.123456789);
	CHECK_DBL(jnum(d, "run.duration_seconds"), 2.0);
	CHECK_STR(jstr(d, "run.stop_reason"), "error");
	CHECK_STR(jstr(d, "run.error"), "write /tmp/capture.pcapng: No space left on device");
	CHECK_STR(jstr(d, "run.output"), "/tmp/capture.pcapng");
	/* Left unset by the fixture: a file, in the synthetic mode's format (schema_version 5). */
	CHECK_STR(jstr(d, "run.output_kind"), "file");
	CHECK_STR(jstr(d, "run.output_format"), "pcapng");
	CHECK_STR(jstr(d, "run.io_engine"), "io_uring");
	CHECK_STR(jstr(d, "run.io_fallback_reason"), NULL);
	CHECK_INT(jbool(d, "run.direct_io"), 1);
	CHECK_INT(jbool(d, "run.sync_at_close"), 1);
	CHECK_EQ(jnum(d, "run.dio_align_bytes"), 4096);
	CHECK_INT(jbool(d, "run.registered_buffers"), 1);
	CHECK_EQ(jnum(d, "run.io_depth"), 8);
	CHECK_STR(jstr(d, "run.io_error"), "write: No space left on device");
	CHECK_INT(jbool(d, "run.mlocked"), 1);
	CHECK_STR(jstr(d, "run.mlock_error"), NULL);
	CHECK_INT(cJSON_GetArraySize(jget(d, "run.cpus.writers")), 2);
	CHECK_INT(jnum(d, "run.cpus.writers.0"), 2);
	CHECK_INT(jnum(d, "run.cpus.writers.1"), 3);
	CHECK_INT(jnum(d, "run.cpus.reader"), 1);
	CHECK_INT(jbool(d, "run.cpus.oversubscribed"), 0);

	CHECK_EQ(jnum(d, "run.config.writers"), 2);
	CHECK_INT(cJSON_GetArraySize(jget(d, "run.config.cpus")), 2);
	CHECK_INT(jnum(d, "run.config.cpus.1"), 3);
	CHECK_INT(jnum(d, "run.config.reader_cpu"), 1);
	CHECK_STR(jstr(d, "run.config.layout"), "shared");
	CHECK_EQ(jnum(d, "run.config.buffers"), 4);
	CHECK_EQ(jnum(d, "run.config.buffer_size_bytes"), 65536); /* dbuf's rounded size */
	CHECK_STR(jstr(d, "run.config.on_full"), "drop");
	CHECK_DBL(jnum(d, "run.config.duration_seconds"), 2.5);
	CHECK_EQ(jnum(d, "run.config.count"), 115);
	CHECK_EQ(jnum(d, "run.config.block_min_bytes"), 10);
	CHECK_EQ(jnum(d, "run.config.block_max_bytes"), 5000);
	CHECK_EQ(jnum(d, "run.config.writer_work"), 7);
	CHECK_EQ(jnum(d, "run.config.reader_work"), 0);
	CHECK_STR(jstr(d, "run.config.io_engine"), "io_uring");
	CHECK_STR(jstr(d, "run.config.direct"), "auto");
	CHECK_STR(jstr(d, "run.config.sync"), "auto");
	CHECK_EQ(jnum(d, "run.config.io_depth"), 8);
	CHECK_DBL(jnum(d, "run.config.flush_age_seconds"), 0.25);
	CHECK_STR(jstr(d, "run.config.stats_file"), "/tmp/stats.json");
	CHECK_DBL(jnum(d, "run.config.stats_interval_seconds"), 1.0);
	CHECK_STR(jstr(d, "run.config.output"), "/tmp/capture.pcapng");
	CHECK_INT(jbool(d, "run.config.force"), 1);
	CHECK_STR(jstr(d, "run.config.config_file"), NULL);
	CHECK_INT(jbool(d, "run.config.quiet"), 0);
}

static void test_counters(const cJSON *d, const char *text)
{
	CHECK_EQ(jnum(d, "totals.generated_blocks"), 115);
	CHECK_EQ(jnum(d, "totals.generated_bytes"), 79700);
	CHECK_EQ(jnum(d, "totals.persisted_blocks"), 100);
	CHECK_EQ(jnum(d, "totals.persisted_bytes"), 18500);
	CHECK_EQ(jnum(d, "totals.file_bytes"), 22196);
	CHECK_EQ(jnum(d, "totals.dropped_blocks"), 15);
	CHECK_EQ(jnum(d, "totals.dropped_bytes"), 61200);
	CHECK_EQ(jnum(d, "totals.pending_blocks"), 0);
	CHECK_EQ(jnum(d, "totals.dropped.full"), 5);
	CHECK_EQ(jnum(d, "totals.dropped.too_big"), 1);
	CHECK_EQ(jnum(d, "totals.dropped.zero"), 2);
	CHECK_EQ(jnum(d, "totals.dropped.closed"), 3);
	CHECK_EQ(jnum(d, "totals.dropped.io_error"), 4);
	CHECK_INT(cJSON_GetArraySize(jget(d, "totals.dropped")), DROP_REASONS);

	/* 50 x 10, 40 x 100, 9 x 1000, 1 x 5000 */
	CHECK_EQ(jnum(d, "block_sizes.min_bytes"), 10);
	CHECK_EQ(jnum(d, "block_sizes.max_bytes"), 5000);
	CHECK_DBL(jnum(d, "block_sizes.mean_bytes"), 185.0);
	CHECK_EQ(jnum(d, "block_sizes.p50_bytes"), 10);
	CHECK_EQ(jnum(d, "block_sizes.p90_bytes"), 100);
	CHECK_EQ(jnum(d, "block_sizes.p99_bytes"), 1000);
	CHECK_EQ(jnum(d, "block_sizes.p999_bytes"), 5000);
	CHECK_INT(cJSON_GetArraySize(jget(d, "block_sizes.counts")), 4);
	CHECK_EQ(jnum(d, "block_sizes.counts.0.0"), 10);
	CHECK_EQ(jnum(d, "block_sizes.counts.0.1"), 50);
	CHECK_EQ(jnum(d, "block_sizes.counts.1.0"), 100);
	CHECK_EQ(jnum(d, "block_sizes.counts.1.1"), 40);
	CHECK_EQ(jnum(d, "block_sizes.counts.2.0"), 1000);
	CHECK_EQ(jnum(d, "block_sizes.counts.2.1"), 9);
	CHECK_EQ(jnum(d, "block_sizes.counts.3.0"), 5000);
	CHECK_EQ(jnum(d, "block_sizes.counts.3.1"), 1);

	CHECK_INT(cJSON_GetArraySize(jget(d, "writers")), 2);
	CHECK_EQ(jnum(d, "writers.0.id"), 0);
	CHECK_INT(jnum(d, "writers.0.cpu"), 2);
	CHECK_EQ(jnum(d, "writers.0.tid"), 4242);
	CHECK_EQ(jnum(d, "writers.0.generated_blocks"), 60);
	CHECK_EQ(jnum(d, "writers.0.generated_bytes"), 6000);
	CHECK_EQ(jnum(d, "writers.0.committed_blocks"), 53);
	CHECK_EQ(jnum(d, "writers.0.committed_bytes"), 5500);
	CHECK_EQ(jnum(d, "writers.0.dropped_bytes"), 500);
	CHECK_EQ(jnum(d, "writers.0.dropped.full"), 5);
	CHECK_EQ(jnum(d, "writers.0.dropped.zero"), 2);
	CHECK_EQ(jnum(d, "writers.0.dropped.too_big"), 0);
	CHECK_EQ(jnum(d, "writers.0.seals"), 6);
	CHECK_EQ(jnum(d, "writers.0.write_latency_ns.count"), 3);
	CHECK_DBL(jnum(d, "writers.0.write_latency_ns.mean"), 200.0);
	CHECK_EQ(jnum(d, "writers.0.write_latency_ns.min"), 100);
	/* 200 lies in the bucket [200, 203] (width 4 above 128) */
	CHECK_EQ(jnum(d, "writers.0.write_latency_ns.p50"), 203);
	CHECK_EQ(jnum(d, "writers.0.write_latency_ns.p9999"), 300);
	CHECK_EQ(jnum(d, "writers.0.write_latency_ns.max"), 300);
	CHECK_EQ(jnum(d, "writers.1.id"), 1);
	CHECK_EQ(jnum(d, "writers.1.tid"), 4243);
	CHECK_EQ(jnum(d, "writers.1.dropped.too_big"), 1);
	CHECK_EQ(jnum(d, "writers.1.dropped.closed"), 3);
	CHECK_EQ(jnum(d, "writers.1.full_waits"), 9);
	CHECK_EQ(jnum(d, "writers.1.yields"), 11);
	/* the empty histogram: zeros, not UINT64_MAX */
	CHECK_EQ(jnum(d, "writers.1.write_latency_ns.count"), 0);
	CHECK_EQ(jnum(d, "writers.1.write_latency_ns.min"), 0);
	CHECK_DBL(jnum(d, "writers.1.write_latency_ns.mean"), 0.0);
	CHECK_EQ(jnum(d, "writers.1.write_latency_ns.p99"), 0);
	CHECK_EQ(jnum(d, "writers.1.write_latency_ns.max"), 0);

	CHECK_INT(jnum(d, "reader.cpu"), 1);
	CHECK_EQ(jnum(d, "reader.chunks"), 12);
	CHECK_EQ(jnum(d, "reader.chunk_bytes"), 22100);
	CHECK_EQ(jnum(d, "reader.flushes"), 3);
	CHECK_EQ(jnum(d, "reader.effective_flushes"), 2);
	CHECK_EQ(jnum(d, "reader.stalled_polls"), 17);
	CHECK_EQ(jnum(d, "reader.submissions"), 12);
	CHECK_EQ(jnum(d, "reader.completions"), 12);
	CHECK_EQ(jnum(d, "reader.short_writes"), 1);
	CHECK_EQ(jnum(d, "reader.retries"), 2);
	CHECK_EQ(jnum(d, "reader.bytes_written"), 24576);
	CHECK_EQ(jnum(d, "reader.max_in_flight"), 5);
	CHECK_DBL(jnum(d, "reader.mean_in_flight"), 2.5);
	CHECK_EQ(jnum(d, "reader.persist_latency_ns.count"), 1000);
	CHECK_DBL(jnum(d, "reader.persist_latency_ns.mean"), 500500.0);
	CHECK_EQ(jnum(d, "reader.persist_latency_ns.min"), 1000);
	CHECK_EQ(jnum(d, "reader.persist_latency_ns.max"), 1000000);
	double p50 = jnum(d, "reader.persist_latency_ns.p50");
	CHECK(p50 >= 500000 && p50 < 500000 * (1 + 1.0 / 32));

	CHECK_DBL(jnum(d, "throughput.blocks_per_second"), 50.0);
	CHECK_DBL(jnum(d, "throughput.bytes_per_second"), 9250.0);

	CHECK_EQ(jnum(d, "reconciliation.generated_blocks"), 115);
	CHECK_EQ(jnum(d, "reconciliation.persisted_blocks"), 100);
	CHECK_EQ(jnum(d, "reconciliation.dropped_blocks"), 15);
	CHECK_EQ(jnum(d, "reconciliation.generated_bytes"), 79700);
	CHECK_EQ(jnum(d, "reconciliation.persisted_bytes"), 18500);
	CHECK_EQ(jnum(d, "reconciliation.dropped_bytes"), 61200);
	CHECK_INT(jbool(d, "reconciliation.consistent"), 1);

	/* The seed is above 2^53: it must come out exact, not rounded through a double. */
	CHECK(strstr(text, "\"seed\":\t18364758544493064720") != NULL);
}

/* Every number a monitor graphs is a number: no quoted digits anywhere but the version and times. */
static void test_no_numeric_strings(const cJSON *item, const char *where)
{
	for (const cJSON *c = item->child; c; c = c->next) {
		if (cJSON_IsString(c) && c->valuestring[0] >= '0' && c->valuestring[0] <= '9' &&
		    strcmp(c->string, "version") != 0 && !strstr(c->string, "_time"))
			t_fail(__FILE__, __LINE__, "a number", "%s.%s is the string \"%s\"", where,
			       c->string, c->valuestring);
		test_no_numeric_strings(c, c->string ? c->string : where);
	}
}

/*
 * With *counter set to value for one rendering: the verdict (1, 0, or -1
 * for null) and the pending blocks.  The counter is put back afterwards.
 */
static void check_verdict(const struct run_report *r, _Atomic uint64_t *counter, uint64_t value,
			  int consistent, uint64_t pending)
{
	uint64_t was = atomic_load_explicit(counter, memory_order_relaxed);

	fx_set(counter, value);
	cJSON *d = render(r, NULL);
	CHECK_INT(jbool(d, "reconciliation.consistent"), consistent);
	CHECK_EQ(jnum(d, "totals.pending_blocks"), pending);
	cJSON_Delete(d);
	fx_set(counter, was);
}

static void test_verdicts(struct fixture *f)
{
	struct run_report *r = &f->report;
	cJSON *d;

	/* One block short: inconsistent, and one block pending. */
	check_verdict(r, &f->reader->blocks, 99, 0, 1);
	/* Blocks agree but one byte is missing: inconsistent all the same. */
	check_verdict(r, &f->reader->block_bytes, 18499, 0, 0);
	/* More persisted than generated (a double count): inconsistent, pending clamped at 0. */
	check_verdict(r, &f->reader->blocks, 116, 0, 0);

	/* A periodic snapshot: no verdict, even when the numbers agree. */
	r->final = false;
	d = render(r, NULL);
	CHECK_INT(jbool(d, "final"), 0);
	CHECK_INT(jbool(d, "reconciliation.consistent"), -1);
	cJSON_Delete(d);
	r->final = true;

	d = render(r, NULL);
	CHECK_INT(jbool(d, "reconciliation.consistent"), 1);
	cJSON_Delete(d);
}

/*
 * A rotating run: run.rotation as given, and the verdict requires the files
 * (removed and forgotten ones included) to hold what was persisted.
 */
static void test_rotation(struct fixture *f)
{
	struct run_report *r = &f->report;
	/* 100 blocks, 18500 bytes: 40 forgotten, 35 in a removed file, 25 in the one written last. */
	struct stats_file files[2] = {
		{.seq = 7, .name = "cap-000007.pcapng", .state = "removed", .removed_by = "count",
		 .has_time = true, .first_ns = 10, .last_ns = 20, .records = 35, .record_bytes = 8000,
		 .bytes = 9000, .sha256 = "", .prev_sha256 = "", .hook = "done", .hook_status = 3,
		 .hook_seconds = 0.5},
		{.seq = 8, .name = "cap-000008.pcapng", .state = "complete", .records = 25,
		 .record_bytes = 2500, .bytes = 3000, .has_time = true, .first_ns = 21, .last_ns = 30},
	};
	struct stats_rotation ro = {.files = files, .nfiles = 2, .files_created = 8, .rotations = 7,
				    .removed_by_count = 7, .forgotten_files = 6, .forgotten_records = 40,
				    .forgotten_record_bytes = 8000, .hook_runs = 7, .hook_failures = 1};
	memset(files[1].sha256, 'a', 64);
	memset(files[1].prev_sha256, 'b', 64);
	r->rotation = &ro;
	cJSON *d = render(r, NULL);
	CHECK_INT(jbool(d, "reconciliation.consistent"), 1);
	CHECK_EQ(jnum(d, "reconciliation.files_persisted_blocks"), 100);
	CHECK_EQ(jnum(d, "reconciliation.files_persisted_bytes"), 18500);
	CHECK_EQ(jnum(d, "run.rotation.rotations"), 7);
	CHECK_EQ(jnum(d, "run.rotation.hook.failures"), 1);
	CHECK_EQ(jnum(d, "run.rotation.files.0.hook_status"), 3);
	CHECK_EQ(jnum(d, "run.rotation.files.1.records"), 25);
	cJSON_Delete(d);
	/* One record missing from the files: inconsistent though generated = persisted + dropped. */
	files[1].records = 24;
	d = render(r, NULL);
	CHECK_INT(jbool(d, "reconciliation.consistent"), 0);
	cJSON_Delete(d);
	r->rotation = NULL;
	d = render(r, NULL);
	CHECK_INT(jbool(d, "reconciliation.consistent"), 1);
	cJSON_Delete(d);
}

/* Failures the document reports: mlock refused, io_uring unavailable, automatic cpus. */
static void test_degraded(struct fixture *f)
{
	struct run_report *r = &f->report;
	struct io_report saved = r->io;

	r->mlock_result = -ENOMEM;
	r->io.engine = "pwrite";
	r->io.fallback_reason = "io_uring_queue_init: Operation not permitted";
	r->io.direct = false;
	r->io.sync = false;
	r->io.dio_align = 0;
	r->io.error = 0;
	r->io.error_op = NULL;
	r->error = NULL;
	f->opts.ncpus = 0;
	f->opts.direct = IO_OFF;
	f->opts.sync = IO_OFF;
	f->opts.config_path = "/etc/dbcap.json";
	r->buf = NULL; /* no buffer yet: the asked-for size */
	fixture_snapshot(f);
	cJSON *d = render(r, NULL);
	CHECK_INT(jbool(d, "run.mlocked"), 0);
	CHECK_STR(jstr(d, "run.mlock_error"), "Cannot allocate memory");
	CHECK_STR(jstr(d, "run.io_engine"), "pwrite");
	CHECK_STR(jstr(d, "run.io_fallback_reason"), "io_uring_queue_init: Operation not permitted");
	CHECK_STR(jstr(d, "run.io_error"), NULL);
	CHECK_STR(jstr(d, "run.error"), NULL);
	CHECK_INT(cJSON_GetArraySize(jget(d, "run.config.cpus")), 0);
	CHECK_STR(jstr(d, "run.config.direct"), "off");
	CHECK_INT(jbool(d, "run.sync_at_close"), 0);
	CHECK_STR(jstr(d, "run.config.sync"), "off");
	CHECK_STR(jstr(d, "run.config.config_file"), "/etc/dbcap.json");
	CHECK_EQ(jnum(d, "run.config.buffer_size_bytes"), 65000);
	cJSON_Delete(d);

	r->io = saved;
	r->mlock_result = 0;
	r->buf = &f->buf;
	f->opts.ncpus = 2;
	f->opts.direct = IO_AUTO;
	f->opts.sync = IO_AUTO;
	f->opts.config_path = NULL;
	fixture_snapshot(f);
	r->error = "write /tmp/capture.pcapng: No space left on device";
}

/* Nothing persisted yet: zeros and an empty counts array, not garbage. */
static void test_empty(void)
{
	struct fixture f;
	if (fixture_init(&f) < 0)
		exit(1);
	fixture_empty(&f);
	f.report.duration_seconds = 0;
	cJSON *d = render(&f.report, NULL);
	CHECK_EQ(jnum(d, "block_sizes.min_bytes"), 0);
	CHECK_EQ(jnum(d, "block_sizes.p999_bytes"), 0);
	CHECK_DBL(jnum(d, "block_sizes.mean_bytes"), 0.0);
	CHECK_INT(cJSON_GetArraySize(jget(d, "block_sizes.counts")), 0);
	CHECK_DBL(jnum(d, "throughput.bytes_per_second"), 0.0);
	CHECK_EQ(jnum(d, "reader.persist_latency_ns.min"), 0);
	CHECK_INT(jbool(d, "reconciliation.consistent"), 1);
	cJSON_Delete(d);
	fixture_free(&f);
}

/* The summary: one line on stderr with the counts, the engine and the verdict. */
static void test_summary(struct fixture *f)
{
	char path[] = "/tmp/dbcap-summary.XXXXXX";
	char line[1024] = "";
	int fd = mkstemp(path), saved = dup(STDERR_FILENO);

	if (fd < 0 || saved < 0) {
		t_fail(__FILE__, __LINE__, "summary capture", "%s", strerror(errno));
		return;
	}
	unlink(path);
	fflush(stderr);
	dup2(fd, STDERR_FILENO);
	stats_print_summary(&f->report);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	ssize_t n = pread(fd, line, sizeof(line) - 1, 0);
	close(fd);
	line[n > 0 ? n : 0] = '\0';

	CHECK_STR(line, "dbcap: 100 blocks (0.0 MB) persisted in 2.00 s, 15 dropped (full 5, "
			"too_big 1, zero 2, closed 3, io_error 4), io_uring O_DIRECT, consistent, "
			"error: write /tmp/capture.pcapng: No space left on device\n");
}

int main(void)
{
	struct fixture f;
	char *text;

	t_keep_going = true; /* report every wrong value, not only the first */
	if (fixture_init(&f) < 0)
		return 1;
	CHECK(stats_to_json(NULL) == NULL);

	cJSON *d = render(&f.report, &text);
	test_run_and_config(d);
	test_counters(d, text);
	test_no_numeric_strings(d, "");
	cJSON_Delete(d);
	free(text);

	test_verdicts(&f);
	test_rotation(&f);
	test_degraded(&f);
	test_summary(&f);
	test_empty();

	/* The seed goes above 2^63 too: a full 64-bit counter keeps every digit. */
	fx_set(&f.writers[0].generated, UINT64_MAX);
	text = stats_to_json(&f.report);
	CHECK(text && strstr(text, "\"generated_blocks\":\t18446744073709551615") != NULL);
	free(text);

	fixture_free(&f);
	return t_result();
}
