/* SPDX-License-Identifier: MIT */
/*
 * Schema 5's figures for monitoring: latency buckets and sum, the rates over
 * the last interval, block_sizes.counts only where asked for, and the same
 * numbers in the Prometheus file that stats_write_files() writes beside the
 * JSON document (checked with promtool when it is given).
 * usage: test-stats-monitoring [PROMTOOL]
 */
#define _GNU_SOURCE

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "fixture.h"
#include "json.h"
#include "prom.h"

static cJSON *render(const struct run_report *r)
{
	char *text = stats_to_json(r);
	cJSON *root = text ? cJSON_Parse(text) : NULL;

	free(text);
	if (!root) {
		fprintf(stderr, "no document\n");
		exit(1);
	}
	return root;
}

/* Writer 0 recorded 100, 200 and 300 ns; the reader 1, 2, ... 1000 us. */
static void test_latency_buckets(const cJSON *d)
{
	CHECK_EQ(jnum(d, "writers.0.write_latency_ns.sum"), 600);
	CHECK_INT(cJSON_GetArraySize(jget(d, "writers.0.write_latency_ns.buckets")), 25);
	CHECK_EQ(jnum(d, "writers.0.write_latency_ns.buckets.0.0"), 100);
	/* 100 ns shares a bucket (100..101) that reaches above 100: counted at the next bound */
	CHECK_EQ(jnum(d, "writers.0.write_latency_ns.buckets.0.1"), 0);
	CHECK_EQ(jnum(d, "writers.0.write_latency_ns.buckets.1.0"), 250);
	CHECK_EQ(jnum(d, "writers.0.write_latency_ns.buckets.1.1"), 2);
	CHECK_EQ(jnum(d, "writers.0.write_latency_ns.buckets.2.1"), 3);
	CHECK_EQ(jnum(d, "writers.0.write_latency_ns.buckets.24.0"), 10000000000.0);
	CHECK_EQ(jnum(d, "writers.0.write_latency_ns.buckets.24.1"), 3);
	CHECK_EQ(jnum(d, "writers.1.write_latency_ns.buckets.24.1"), 0);

	CHECK_EQ(jnum(d, "reader.persist_latency_ns.sum"), 500500000);
	CHECK_EQ(jnum(d, "reader.persist_latency_ns.buckets.11.0"), 500000);
	CHECK_EQ(jnum(d, "reader.persist_latency_ns.buckets.11.1"), 499);
	CHECK_EQ(jnum(d, "reader.persist_latency_ns.buckets.12.0"), 1000000);
	CHECK_EQ(jnum(d, "reader.persist_latency_ns.buckets.12.1"), 999);
	CHECK_EQ(jnum(d, "reader.persist_latency_ns.buckets.13.1"), 1000);
}

/* The averages since the start, and the rates since the previous document. */
static void test_interval(struct fixture *f)
{
	struct stats_interval iv = {0};
	struct run_report *r = &f->report;

	r->interval = &iv;
	cJSON *d = render(r);
	/* The first document: the interval is the run so far (2 s). */
	CHECK_DBL(jnum(d, "throughput.blocks_per_second"), 50.0);
	CHECK_DBL(jnum(d, "throughput.dropped_blocks_per_second"), 7.5);
	CHECK_DBL(jnum(d, "throughput.packets_per_second"), 0.0);
	CHECK_DBL(jnum(d, "throughput.interval.seconds"), 2.0);
	CHECK_DBL(jnum(d, "throughput.interval.blocks_per_second"), 50.0);
	CHECK_DBL(jnum(d, "throughput.interval.bytes_per_second"), 9250.0);
	cJSON_Delete(d);
	CHECK_DBL(iv.seconds, 2.0);
	CHECK_EQ(iv.blocks, 100);
	CHECK_EQ(iv.bytes, 18500);
	CHECK_EQ(iv.dropped, 15);

	/* Half a second later, 40 more blocks of 100 bytes persisted. */
	r->duration_seconds = 2.5;
	fx_set(&f->reader->blocks, 140);
	fx_set(&f->reader->block_bytes, 22500);
	d = render(r);
	CHECK_DBL(jnum(d, "throughput.interval.seconds"), 0.5);
	CHECK_DBL(jnum(d, "throughput.interval.blocks_per_second"), 80.0);
	CHECK_DBL(jnum(d, "throughput.interval.bytes_per_second"), 8000.0);
	CHECK_DBL(jnum(d, "throughput.interval.dropped_blocks_per_second"), 0.0);
	CHECK_DBL(jnum(d, "throughput.blocks_per_second"), 56.0);
	cJSON_Delete(d);
	CHECK_EQ(iv.blocks, 140);

	r->interval = NULL;
	r->duration_seconds = 2.0;
	fx_set(&f->reader->blocks, 100);
	fx_set(&f->reader->block_bytes, 18500);
}

/* block_sizes.counts: always at the end, in a periodic document only when asked for. */
static void test_sizes(struct fixture *f)
{
	struct run_report *r = &f->report;

	r->final = false;
	r->sizes = false;
	cJSON *d = render(r);
	CHECK(cJSON_GetObjectItemCaseSensitive(jget(d, "block_sizes"), "counts") == NULL);
	CHECK_EQ(jnum(d, "block_sizes.p50_bytes"), 10); /* the figures stay */
	cJSON_Delete(d);

	r->sizes = true;
	d = render(r);
	CHECK_INT(cJSON_GetArraySize(jget(d, "block_sizes.counts")), 4);
	cJSON_Delete(d);

	r->final = true;
	r->sizes = false;
	d = render(r);
	CHECK_INT(cJSON_GetArraySize(jget(d, "block_sizes.counts")), 4);
	cJSON_Delete(d);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 1 << 20);
	size_t n = f && buf ? fread(buf, 1, (1 << 20) - 1, f) : 0;

	if (f)
		fclose(f);
	(void)n;
	return buf;
}

/* The line of text that starts with sample + " ", or NULL. */
static const char *sample(const char *text, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, name, n) == 0 && p[n] == ' ')
			return p + n + 1;
	return NULL;
}

static void check_sample(const char *text, const char *name, const char *want)
{
	const char *v = sample(text, name);
	char got[64] = "<missing>";

	if (v)
		snprintf(got, sizeof(got), "%.*s", (int)strcspn(v, "\n"), v);
	CHECK_STR(got, want);
}

static void test_prom(struct fixture *f, const char *promtool)
{
	char dir[] = "/tmp/dbcap-prom.XXXXXX", json[64], prom[64];
	const char *failed = "x";

	if (!mkdtemp(dir)) {
		t_fail(__FILE__, __LINE__, "mkdtemp", "%s", strerror(errno));
		return;
	}
	snprintf(json, sizeof(json), "%s/s.json", dir);
	snprintf(prom, sizeof(prom), "%s/eth0.prom", dir);
	CHECK_INT(stats_write_files(&f->report, json, prom, 0640, &failed), 0);
	CHECK(failed == NULL);
	char *text = slurp(prom);

	check_sample(text, "dbcap_build_info{capture=\"eth0\",version=\"0.1.0\"}", "1");
	check_sample(text, "dbcap_run_info{capture=\"eth0\",mode=\"synthetic\",layout=\"shared\","
			   "on_full=\"drop\",io_engine=\"io_uring\"}", "1");
	check_sample(text, "dbcap_stats_schema_version{capture=\"eth0\"}", "5");
	check_sample(text, "dbcap_start_time_seconds{capture=\"eth0\"}", "1714564800.1234567");
	check_sample(text, "dbcap_persisted_blocks_total{capture=\"eth0\"}", "100");
	check_sample(text, "dbcap_dropped_blocks_total{capture=\"eth0\",reason=\"io_error\"}", "4");
	check_sample(text, "dbcap_writer_dropped_blocks_total{capture=\"eth0\",writer=\"1\","
			   "reason=\"closed\"}", "3");
	check_sample(text, "dbcap_io_error{capture=\"eth0\"}", "1");
	check_sample(text, "dbcap_error{capture=\"eth0\"}", "1");
	check_sample(text, "dbcap_direct_io{capture=\"eth0\"}", "1");
	check_sample(text, "dbcap_reconciliation_consistent{capture=\"eth0\"}", "1");
	check_sample(text, "dbcap_writer_write_latency_seconds_bucket{capture=\"eth0\",writer=\"0\","
			   "le=\"2.5e-07\"}", "2");
	check_sample(text, "dbcap_writer_write_latency_seconds_bucket{capture=\"eth0\",writer=\"0\","
			   "le=\"+Inf\"}", "3");
	check_sample(text, "dbcap_writer_write_latency_seconds_sum{capture=\"eth0\",writer=\"0\"}",
		     "6e-07");
	check_sample(text, "dbcap_writer_write_latency_seconds_count{capture=\"eth0\",writer=\"0\"}",
		     "3");
	check_sample(text, "dbcap_reader_persist_latency_seconds_bucket{capture=\"eth0\","
			   "le=\"0.001\"}", "999");
	check_sample(text, "dbcap_reader_persist_latency_seconds_sum{capture=\"eth0\"}", "0.5005");
	CHECK(strstr(text, "# HELP dbcap_persisted_blocks_total blocks in the capture file "
			   "(JSON: totals.persisted_blocks).\n# TYPE dbcap_persisted_blocks_total "
			   "counter\n") != NULL);
	CHECK(strstr(text, "(JSON: writers[writer].dropped.<reason>).\n") != NULL);
	/* A path the document lacks (live capture's kernel counts) leaves its family out. */
	CHECK(strstr(text, "kernel_") == NULL);
	/* No timestamps, no comments but HELP and TYPE: what the textfile collector takes. */
	for (const char *p = text; *p; p = strchr(p, '\n') + 1) {
		if (*p == '#')
			CHECK(strncmp(p, "# HELP dbcap_", 13) == 0 || strncmp(p, "# TYPE dbcap_", 13) == 0);
		else
			CHECK(strncmp(p, "dbcap_", 6) == 0);
		if (!strchr(p, '\n'))
			break;
	}

	/* A periodic document's null verdict is NaN. */
	f->report.final = false;
	CHECK_INT(stats_write_files(&f->report, NULL, prom, 0640, &failed), 0);
	free(text);
	text = slurp(prom);
	check_sample(text, "dbcap_reconciliation_consistent{capture=\"eth0\"}", "NaN");
	check_sample(text, "dbcap_final{capture=\"eth0\"}", "0");
	f->report.final = true;

	if (promtool) {
		char cmd[256];
		snprintf(cmd, sizeof(cmd), "%s check metrics < %s", promtool, prom);
		int st = system(cmd);
		CHECK_INT(WIFEXITED(st) ? WEXITSTATUS(st) : -1, 0);
	}
	free(text);

	/* A file that cannot be written is named, and the other is still written. */
	char bad[96];
	snprintf(bad, sizeof(bad), "%s/missing/m.prom", dir);
	unlink(json);
	CHECK_INT(stats_write_files(&f->report, json, bad, 0640, &failed), -ENOENT);
	CHECK_STR(failed, bad);
	CHECK_INT(access(json, F_OK), 0);

	unlink(json);
	unlink(prom);
	rmdir(dir);
}

/*
 * Families of other modes: a document shaped as live capture's and
 * rotation's parts are (run.interfaces, totals.kernel, run.rotation), and
 * one where they are null.  Elements without an id are named by "name".
 */
static void test_other_modes(void)
{
	static const char live[] =
		"{\"run\": {\"interfaces\": [{\"name\": \"eth0\", \"kernel\": {\"seen_packets\": 10,"
		" \"dropped_packets\": 2}}, {\"name\": \"eth1\", \"kernel\": {\"seen_packets\": 5,"
		" \"dropped_packets\": 0}}], \"rotation\": {\"rotations\": 3, \"files\":"
		" [{\"name\": \"c-0.pcap\", \"records\": 7, \"bytes\": 700}]}},"
		" \"totals\": {\"kernel\": {\"seen_packets\": 15, \"dropped_packets\": 2}}}";
	static const char none[] =
		"{\"run\": {\"interfaces\": null, \"rotation\": null}, \"totals\": {\"kernel\": null}}";
	cJSON *doc = cJSON_Parse(live);
	char *text = doc ? prom_render(doc, "/x/cap.prom") : NULL;

	CHECK(text != NULL);
	if (text) {
		check_sample(text, "dbcap_kernel_dropped_packets_total{capture=\"cap\"}", "2");
		check_sample(text, "dbcap_interface_kernel_seen_packets_total{capture=\"cap\","
				   "interface=\"eth1\"}", "5");
		check_sample(text, "dbcap_interface_kernel_dropped_packets_total{capture=\"cap\","
				   "interface=\"eth0\"}", "2");
		check_sample(text, "dbcap_rotation_rotations_total{capture=\"cap\"}", "3");
		check_sample(text, "dbcap_rotation_file_bytes{capture=\"cap\",file=\"c-0.pcap\"}",
			     "700");
		/* build_info is always there; its version empty when the document has none */
		check_sample(text, "dbcap_build_info{capture=\"cap\",version=\"\"}", "1");
	}
	free(text);
	cJSON_Delete(doc);

	doc = cJSON_Parse(none);
	text = doc ? prom_render(doc, "cap.prom") : NULL;
	CHECK(text && !strstr(text, "kernel") && !strstr(text, "rotation"));
	free(text);
	cJSON_Delete(doc);
}

int main(int argc, char **argv)
{
	struct fixture f;

	t_keep_going = true;
	if (fixture_init(&f) < 0)
		return 1;
	cJSON *d = render(&f.report);
	test_latency_buckets(d);
	cJSON_Delete(d);
	test_interval(&f);
	test_sizes(&f);
	test_prom(&f, argc > 1 ? argv[1] : NULL);
	test_other_modes();
	fixture_free(&f);
	return t_result();
}
