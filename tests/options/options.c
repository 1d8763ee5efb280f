/* SPDX-License-Identifier: MIT */
/* options: defaults, configuration files, the command line, every message, CPU assignment. */
#define _GNU_SOURCE
#include "options.h"
#include "settings.h"

#include <cjson/cJSON.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef DBCAP_VERSION
#define DBCAP_VERSION "0.1.0"
#endif

static int failures;

#define FAIL(...)                                                                      \
	do {                                                                           \
		fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);                        \
		fprintf(stderr, __VA_ARGS__);                                          \
		fputc('\n', stderr);                                                   \
		failures++;                                                            \
	} while (0)

#define CHECK(cond)                                                                    \
	do {                                                                           \
		if (!(cond))                                                           \
			FAIL("check failed: %s", #cond);                               \
	} while (0)

#define CHECK_INT(a, b)                                                                \
	do {                                                                           \
		long long a_ = (long long)(a), b_ = (long long)(b);                    \
		if (a_ != b_)                                                          \
			FAIL("%s == %lld, expected %s == %lld", #a, a_, #b, b_);       \
	} while (0)

#define CHECK_U64(a, b)                                                                \
	do {                                                                           \
		unsigned long long a_ = (a), b_ = (b);                                 \
		if (a_ != b_)                                                          \
			FAIL("%s == %llu, expected %llu", #a, a_, b_);                 \
	} while (0)

#define CHECK_DBL(a, b)                                                                \
	do {                                                                           \
		double a_ = (a), b_ = (b);                                             \
		if (a_ != b_)                                                          \
			FAIL("%s == %.17g, expected %.17g", #a, a_, b_);               \
	} while (0)

#define CHECK_STR(a, b)                                                                \
	do {                                                                           \
		const char *a_ = (a), *b_ = (b);                                       \
		if ((a_ == NULL) != (b_ == NULL) || (a_ && strcmp(a_, b_) != 0))       \
			FAIL("%s == \"%s\", expected \"%s\"", #a, a_ ? a_ : "(null)",  \
			     b_ ? b_ : "(null)");                                      \
	} while (0)

/* ------------------------------------------------------------------ helpers */

static char tmpdir[256];
static char captured[16384]; /* what the last call wrote to the captured descriptor */

struct capture {
	int fd;    /* 1 or 2 */
	int saved; /* the original descriptor */
	char path[PATH_MAX];
};

static void capture_begin(struct capture *c, int fd)
{
	int tmp;

	c->fd = fd;
	snprintf(c->path, sizeof(c->path), "%s/captured-%d", tmpdir, fd);
	fflush(fd == 1 ? stdout : stderr);
	c->saved = dup(fd);
	tmp = open(c->path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (c->saved < 0 || tmp < 0 || dup2(tmp, fd) < 0) {
		perror("capture");
		exit(1);
	}
	close(tmp);
}

static void capture_end(struct capture *c)
{
	ssize_t n;
	int fd;

	fflush(c->fd == 1 ? stdout : stderr);
	dup2(c->saved, c->fd);
	close(c->saved);
	fd = open(c->path, O_RDONLY | O_CLOEXEC);
	n = fd < 0 ? -1 : read(fd, captured, sizeof(captured) - 1);
	captured[n > 0 ? n : 0] = '\0';
	if (fd >= 0)
		close(fd);
	unlink(c->path);
}

/* options_parse("dbcap", args..., NULL) with stderr captured into captured[]. */
static int parse_v(struct dbcap_opts *o, int fd, const char *first, va_list ap)
{
	char *argv[64];
	int argc = 0, r;
	struct capture c;

	argv[argc++] = strdup("dbcap");
	for (const char *a = first; a && argc < 63; a = va_arg(ap, const char *))
		argv[argc++] = strdup(a);
	argv[argc] = NULL;
	capture_begin(&c, fd);
	r = options_parse(o, argc, argv);
	capture_end(&c);
	for (int i = 0; i < argc; i++)
		free(argv[i]);
	return r;
}

static int parse(struct dbcap_opts *o, const char *first, ...)
{
	va_list ap;
	int r;

	va_start(ap, first);
	r = parse_v(o, 2, first, ap);
	va_end(ap);
	return r;
}

static int parse_stdout(struct dbcap_opts *o, const char *first, ...)
{
	va_list ap;
	int r;

	va_start(ap, first);
	r = parse_v(o, 1, first, ap);
	va_end(ap);
	return r;
}

/* Writes text to tmpdir/name; returns the path (static buffer, one at a time). */
static const char *write_config(const char *name, const char *text)
{
	static char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
	return path;
}

static int load(struct dbcap_opts *o, const char *path)
{
	struct capture c;
	int r;

	capture_begin(&c, 2);
	r = options_load_config(o, path);
	capture_end(&c);
	return r;
}

static int assign(struct dbcap_opts *o, const char *online, const char *isolated,
		  const char *allowed)
{
	struct capture c;
	int r;

	capture_begin(&c, 2);
	r = options__assign_cpus_from(o, online, isolated, allowed);
	capture_end(&c);
	return r;
}

static unsigned count_lines(const char *s)
{
	unsigned n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* The message must be exactly one line: want + "\n". */
#define CHECK_MSG(want)                                                                \
	do {                                                                           \
		char want_[2048];                                                      \
		snprintf(want_, sizeof(want_), "%s\n", (want));                        \
		if (strcmp(captured, want_) != 0)                                      \
			FAIL("message\n  got:      %s  expected: %s", captured, want_); \
	} while (0)

static void check_same_opts(const struct dbcap_opts *a, const struct dbcap_opts *b)
{
	CHECK_STR(a->output, b->output);
	CHECK_INT(a->force, b->force);
	CHECK_INT(a->writers, b->writers);
	CHECK_INT(a->ncpus, b->ncpus);
	for (unsigned i = 0; i < a->ncpus && i < DBCAP_MAX_CPUS; i++)
		CHECK_INT(a->cpus[i], b->cpus[i]);
	CHECK_INT(a->reader_cpu, b->reader_cpu);
	CHECK_INT(a->layout, b->layout);
	CHECK_INT(a->buffers, b->buffers);
	CHECK_U64(a->buffer_size, b->buffer_size);
	CHECK_INT(a->on_full, b->on_full);
	CHECK_DBL(a->duration, b->duration);
	CHECK_U64(a->count, b->count);
	CHECK_INT(a->block_min, b->block_min);
	CHECK_INT(a->block_max, b->block_max);
	CHECK_U64(a->seed, b->seed);
	CHECK_INT(a->writer_work, b->writer_work);
	CHECK_INT(a->reader_work, b->reader_work);
	CHECK_INT(a->io_engine, b->io_engine);
	CHECK_INT(a->direct, b->direct);
	CHECK_INT(a->sync, b->sync);
	CHECK_INT(a->io_depth, b->io_depth);
	CHECK_DBL(a->flush_age, b->flush_age);
	CHECK_STR(a->stats_path, b->stats_path);
	CHECK_DBL(a->stats_interval, b->stats_interval);
	CHECK_INT(a->quiet, b->quiet);
	CHECK_INT(a->oversubscribed, b->oversubscribed);
}

/* ------------------------------------------------------------------- groups */

static const char *shipped_config;

static void test_defaults(void)
{
	static const char *const keys[] = {
		"output", "force", "writers", "cpus", "reader_cpu", "layout", "buffers",
		"buffer_size", "on_full", "duration", "count", "block_min", "block_max", "seed",
		"writer_work", "reader_work", "io_engine", "direct", "sync", "io_depth",
		"flush_age", "stats", "stats_interval", "quiet"};
	struct dbcap_opts a, b;
	char text[8192];
	FILE *f;
	size_t n;

	options_defaults(&a);
	CHECK_INT(a.writers, 1);
	CHECK_INT(a.layout, DBUF_LAYOUT_PER_WRITER);
	CHECK_INT(a.buffers, 2);
	CHECK_U64(a.buffer_size, DBUF_DEFAULT_BUFFER_SIZE);
	CHECK_INT(a.on_full, DBUF_ON_FULL_WAIT);
	CHECK_DBL(a.duration, 0);
	CHECK_U64(a.count, 0);
	CHECK_INT(a.block_min, 10);
	CHECK_INT(a.block_max, 10000);
	CHECK_U64(a.seed, 1);
	CHECK_INT(a.io_engine, IO_ENGINE_URING);
	CHECK_INT(a.direct, IO_AUTO);
	CHECK_INT(a.sync, IO_AUTO);
	CHECK_INT(a.io_depth, 4);
	CHECK_DBL(a.flush_age, 0.2);
	CHECK_INT(a.reader_cpu, -1);
	CHECK_INT(a.ncpus, 0);
	CHECK(!a.output && !a.stats_path && !a.config_path && !a.quiet && !a.force);

	/* The shipped file holds every key, with the built-in default. */
	f = fopen(shipped_config, "r");
	if (!f) {
		FAIL("%s: %s", shipped_config, strerror(errno));
		return;
	}
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		char quoted[64];

		snprintf(quoted, sizeof(quoted), "\"%s\":", keys[i]);
		if (!strstr(text, quoted))
			FAIL("%s lacks key %s", shipped_config, quoted);
	}
	options_defaults(&b);
	CHECK_INT(load(&b, shipped_config), 0);
	CHECK_STR(captured, "");
	check_same_opts(&b, &a);
	options_free(&b);

	/* And through the command line. */
	CHECK_INT(parse(&b, "--config", shipped_config, "-w", "out.pcapng", NULL), 0);
	CHECK_STR(captured, "");
	CHECK_STR(b.output, "out.pcapng");
	CHECK_STR(b.config_path, shipped_config);
	free(b.output);
	b.output = NULL;
	check_same_opts(&b, &a);
	options_free(&b);
	options_free(&a);
}

static void test_overrides(void)
{
	struct dbcap_opts o;
	const char *cfg = write_config("override.json",
		"{\n"
		"  \"comment\": \"ignored\",\n"
		"  \"_comment\": \"ignored too\",\n"
		"  \"output\": \"from-config.pcapng\",\n"
		"  \"force\": true,\n"
		"  \"writers\": 3,\n"
		"  \"cpus\": [1, 0],\n"
		"  \"reader_cpu\": 1,\n"
		"  \"layout\": \"shared\",\n"
		"  \"buffers\": 8,\n"
		"  \"buffer_size\": \"1M\",\n"
		"  \"on_full\": \"drop\",\n"
		"  \"duration\": 2.5,\n"
		"  \"count\": 1e6,\n"
		"  \"block_min\": 64,\n"
		"  \"block_max\": 1500,\n"
		"  \"seed\": \"12345678901234567890\",\n"
		"  \"writer_work\": 10,\n"
		"  \"reader_work\": 20,\n"
		"  \"io_engine\": \"pwrite\",\n"
		"  \"direct\": \"on\",\n"
		"  \"sync\": \"off\",\n"
		"  \"io_depth\": 16,\n"
		"  \"flush_age\": 0.05,\n"
		"  \"stats\": \"stats.json\",\n"
		"  \"stats_interval\": 1,\n"
		"  \"quiet\": true\n"
		"}\n");
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s", cfg);

	/* The configuration alone. */
	CHECK_INT(parse(&o, "--config", path, NULL), 0);
	CHECK_STR(captured, "");
	CHECK_STR(o.output, "from-config.pcapng");
	CHECK_INT(o.force, true);
	CHECK_INT(o.writers, 3);
	CHECK_INT(o.ncpus, 2);
	CHECK_INT(o.cpus[0], 1);
	CHECK_INT(o.cpus[1], 0);
	CHECK_INT(o.reader_cpu, 1);
	CHECK_INT(o.layout, DBUF_LAYOUT_SHARED);
	CHECK_INT(o.buffers, 8);
	CHECK_U64(o.buffer_size, 1u << 20);
	CHECK_INT(o.on_full, DBUF_ON_FULL_DROP);
	CHECK_DBL(o.duration, 2.5);
	CHECK_U64(o.count, 1000000);
	CHECK_INT(o.block_min, 64);
	CHECK_INT(o.block_max, 1500);
	CHECK_U64(o.seed, 12345678901234567890ull);
	CHECK_INT(o.sync, IO_OFF);
	CHECK_INT(o.writer_work, 10);
	CHECK_INT(o.reader_work, 20);
	CHECK_INT(o.io_engine, IO_ENGINE_PWRITE);
	CHECK_INT(o.direct, IO_ON);
	CHECK_INT(o.io_depth, 16);
	CHECK_DBL(o.flush_age, 0.05);
	CHECK_STR(o.stats_path, "stats.json");
	CHECK_DBL(o.stats_interval, 1);
	CHECK_INT(o.quiet, true);
	options_free(&o);

	/* The command line wins, wherever --config stands in it. */
	CHECK_INT(parse(&o, "-w", "cli.pcapng", "--writers", "2", "--cpus", "0", "--layout",
			"mutex", "--buffer-size", "64k", "--duration", "0", "-c", "0",
			"--seed", "7", "--buffered", "--stats", "cli-stats.json",
			"--stats-interval", "0", "--reader-cpu", "-1", "--config", path, NULL),
		 0);
	CHECK_STR(captured, "");
	CHECK_STR(o.output, "cli.pcapng");
	CHECK_INT(o.writers, 2);
	CHECK_INT(o.ncpus, 1);
	CHECK_INT(o.cpus[0], 0);
	CHECK_INT(o.reader_cpu, -1);
	CHECK_INT(o.layout, DBUF_LAYOUT_MUTEX);
	CHECK_U64(o.buffer_size, 65536);
	CHECK_DBL(o.duration, 0);
	CHECK_U64(o.count, 0);
	CHECK_U64(o.seed, 7);
	CHECK_INT(o.direct, IO_OFF);
	CHECK_STR(o.stats_path, "cli-stats.json");
	CHECK_DBL(o.stats_interval, 0);
	/* ... and leaves the rest of the configuration alone. */
	CHECK_INT(o.buffers, 8);
	CHECK_INT(o.block_max, 1500);
	CHECK_INT(o.io_engine, IO_ENGINE_PWRITE);
	CHECK_STR(o.config_path, path);
	options_free(&o);

	/* --direct alone, --direct=auto, short options bundled. */
	CHECK_INT(parse(&o, "-qc5", "--direct", "--write=x", "--force", NULL), 0);
	CHECK_INT(o.direct, IO_ON);
	CHECK_INT(o.quiet, true);
	CHECK_U64(o.count, 5);
	CHECK_INT(o.force, true);
	CHECK_STR(o.output, "x");
	options_free(&o);
	CHECK_INT(parse(&o, "--config", path, "--direct=auto", NULL), 0);
	CHECK_INT(o.direct, IO_AUTO);
	options_free(&o);

	/*
	 * --sync alone, --no-sync, --sync=auto; what auto decides: a synthetic
	 * capture syncs and may use O_DIRECT, a replay (like tcpdump -r -w)
	 * does neither unless asked.
	 */
	static const struct {
		const char *args[6];  /* after "-w x"; NULL-terminated */
		enum io_toggle sync;    /* as parsed */
		bool syncs;           /* options_sync() */
		enum io_toggle direct; /* options_direct() */
	} sync_cases[] = {
		{ { NULL }, IO_AUTO, true, IO_AUTO },
		{ { "-r", "in.pcap", NULL }, IO_AUTO, false, IO_OFF },
		{ { "-r", "in.pcap", "--sync", NULL }, IO_ON, true, IO_AUTO },
		{ { "-r", "in.pcap", "--sync", "--direct=on", NULL }, IO_ON, true, IO_ON },
		{ { "--no-sync", NULL }, IO_OFF, false, IO_OFF },
		{ { "--no-sync", "--direct", NULL }, IO_OFF, false, IO_ON },
		{ { "--no-sync", "--sync=auto", NULL }, IO_AUTO, true, IO_AUTO },
		{ { "--sync=off", "-r", "in.pcap", "--buffered", NULL }, IO_OFF, false, IO_OFF },
	};
	for (size_t i = 0; i < sizeof(sync_cases) / sizeof(sync_cases[0]); i++) {
		const char *const *a = sync_cases[i].args;

		CHECK_INT(parse(&o, "-w", "x", a[0], a[1], a[2], a[3], a[4], a[5], NULL), 0);
		CHECK_INT(o.sync, sync_cases[i].sync);
		CHECK_INT(options_sync(&o), sync_cases[i].syncs);
		CHECK_INT(options_direct(&o), sync_cases[i].direct);
		options_free(&o);
	}
	CHECK_INT(parse(&o, "-w", "x", "--on-full", "drop", "--io-engine", "pwrite",
			"--io-depth", "1024", "--flush-age", "1.5", "--writer-work", "1000000",
			"--reader-work", "0", "--block-min", "65535", "--block-max", "65535",
			"--buffers", "64", "--writers", "256", NULL),
		 0);
	CHECK_STR(captured, "");
	CHECK_INT(o.on_full, DBUF_ON_FULL_DROP);
	CHECK_INT(o.io_depth, 1024);
	CHECK_DBL(o.flush_age, 1.5);
	CHECK_INT(o.writer_work, 1000000);
	CHECK_INT(o.block_min, 65535);
	CHECK_INT(o.buffers, 64);
	CHECK_INT(o.writers, 256);
	options_free(&o);

	/* The cpus key also takes the list syntax, and [] is automatic. */
	cfg = write_config("cpus.json", "{\"cpus\": \"0-2,5\", \"output\": \"o\"}");
	CHECK_INT(parse(&o, "--config", cfg, NULL), 0);
	CHECK_INT(o.ncpus, 4);
	CHECK_INT(o.cpus[3], 5);
	options_free(&o);
	cfg = write_config("nocpus.json", "{\"cpus\": [], \"output\": \"o\"}");
	CHECK_INT(parse(&o, "--config", cfg, NULL), 0);
	CHECK_INT(o.ncpus, 0);
	options_free(&o);

	/* io_uring is the engine's one spelling; uring, the old one, still means it, in both places. */
	CHECK_INT(parse(&o, "-w", "x", "--io-engine", "pwrite", "--io-engine", "uring", NULL), 0);
	CHECK_STR(captured, "");
	CHECK_INT(o.io_engine, IO_ENGINE_URING);
	options_free(&o);
	cfg = write_config("engine.json", "{\"io_engine\": \"uring\", \"output\": \"o\"}");
	CHECK_INT(parse(&o, "--config", cfg, "--io-engine", "pwrite", NULL), 0);
	CHECK_INT(o.io_engine, IO_ENGINE_PWRITE);
	options_free(&o);
	CHECK_INT(parse(&o, "--config", cfg, NULL), 0);
	CHECK_INT(o.io_engine, IO_ENGINE_URING);
	options_free(&o);
}

/* Two option sets report the same run.config, value for value. */
static void check_same_snapshot(const struct dbcap_opts *a, const struct dbcap_opts *b)
{
	struct stats_config_value *x = calloc(2 * STATS_CONFIG_MAX, sizeof(*x));
	struct stats_config_value *y = x + STATS_CONFIG_MAX;
	unsigned nx, ny;

	if (!x) {
		FAIL("out of memory");
		return;
	}
	nx = options_snapshot(a, NULL, x, STATS_CONFIG_MAX);
	ny = options_snapshot(b, NULL, y, STATS_CONFIG_MAX);
	CHECK_INT(nx, ny);
	for (unsigned i = 0; i < nx && i < ny; i++) {
		CHECK_STR(x[i].key, y[i].key);
		CHECK_INT(x[i].type, y[i].type);
		switch (x[i].type) {
		case STATS_CFG_STR: CHECK_STR(x[i].s, y[i].s); break;
		case STATS_CFG_BOOL: CHECK_INT(x[i].b, y[i].b); break;
		case STATS_CFG_U64: CHECK_U64(x[i].u, y[i].u); break;
		case STATS_CFG_INT: CHECK_INT(x[i].i, y[i].i); break;
		case STATS_CFG_DBL: CHECK_DBL(x[i].d, y[i].d); break;
		case STATS_CFG_INTS:
			CHECK_INT(x[i].ints.n, y[i].ints.n);
			for (unsigned k = 0; k < x[i].ints.n && k < y[i].ints.n; k++)
				CHECK_INT(x[i].ints.v[k], y[i].ints.v[k]);
			break;
		}
	}
	free(x);
}

/*
 * config/dbcap.json is the settings table's defaults: every key of the
 * table and no other, each with its default value.
 */
static void test_shipped_config(void)
{
	struct dbcap_opts a, b;
	char *text;
	cJSON *root, *item;
	size_t len;

	if (options__read_file(shipped_config, 1u << 20, &text, &len) < 0) {
		FAIL("%s: %s", shipped_config, strerror(errno));
		return;
	}
	root = cJSON_Parse(text);
	free(text);
	if (!cJSON_IsObject(root)) {
		FAIL("%s: not a JSON object", shipped_config);
		cJSON_Delete(root);
		return;
	}
	cJSON_ArrayForEach(item, root) {
		if (strcmp(item->string, "_comment") != 0 && options__find_json(item->string) < 0)
			FAIL("%s: key \"%s\" is not a setting", shipped_config, item->string);
	}
	for (int id = 0; id < NSETTINGS; id++) {
		const char *key = options__settings[id].json;

		if (key && !cJSON_GetObjectItemCaseSensitive(root, key))
			FAIL("%s lacks key \"%s\"", shipped_config, key);
	}
	cJSON_Delete(root);

	options_defaults(&a);
	options_defaults(&b);
	CHECK_INT(load(&b, shipped_config), 0);
	CHECK_STR(captured, "");
	check_same_snapshot(&a, &b);
	options_free(&a);
	options_free(&b);
}

/* Command-line errors: the message names the option, the value and what is accepted. */
static void test_cli_errors(void)
{
	static const struct {
		const char *args[6];
		const char *msg;
	} cases[] = {
		{{"--buffers", "1"}, "dbcap: --buffers: 1 is out of range (2..64)"},
		{{"--buffers", "65"}, "dbcap: --buffers: 65 is out of range (2..64)"},
		{{"--buffers", "4x"}, "dbcap: --buffers: \"4x\" is not an integer (2..64)"},
		{{"--buffers", ""}, "dbcap: --buffers: \"\" is not an integer (2..64)"},
		{{"--buffers", " 4"}, "dbcap: --buffers: \" 4\" is not an integer (2..64)"},
		{{"--buffers", "+4"}, "dbcap: --buffers: \"+4\" is not an integer (2..64)"},
		{{"--buffers", "-1"}, "dbcap: --buffers: -1 is out of range (2..64)"},
		{{"--writers", "0"}, "dbcap: --writers: 0 is out of range (1..256)"},
		{{"--writers", "257"}, "dbcap: --writers: 257 is out of range (1..256)"},
		{{"--writers", "2.5"}, "dbcap: --writers: \"2.5\" is not an integer (1..256)"},
		{{"-c", "x"},
		 "dbcap: --count: \"x\" is not an integer (1..18446744073709551615, or 0 for none)"},
		{{"-c", "-5"},
		 "dbcap: --count: -5 is out of range (1..18446744073709551615, or 0 for none)"},
		{{"--seed", "18446744073709551616"},
		 "dbcap: --seed: 18446744073709551616 is out of range (0..18446744073709551615)"},
		{{"--block-min", "9"}, "dbcap: --block-min: 9 is out of range (10..65535)"},
		{{"--block-max", "65536"}, "dbcap: --block-max: 65536 is out of range (10..65535)"},
		{{"--writer-work", "1000001"},
		 "dbcap: --writer-work: 1000001 is out of range (0..1000000)"},
		{{"--reader-work", "-1"}, "dbcap: --reader-work: -1 is out of range (0..1000000)"},
		{{"--io-depth", "1"}, "dbcap: --io-depth: 1 is out of range (2..1024)"},
		{{"--reader-cpu", "-2"},
		 "dbcap: --reader-cpu: -2 is out of range (0..1023, or -1 for automatic)"},
		{{"--reader-cpu", "1024"},
		 "dbcap: --reader-cpu: 1024 is out of range (0..1023, or -1 for automatic)"},
		{{"--layout", "ring"}, "dbcap: --layout: \"ring\" is not one of per-writer, shared, mutex"},
		{{"--on-full", "block"}, "dbcap: --on-full: \"block\" is not one of drop, wait"},
		{{"--io-engine", "aio"}, "dbcap: --io-engine: \"aio\" is not one of io_uring, pwrite"},
		{{"--direct=yes"}, "dbcap: --direct: \"yes\" is not one of auto, on, off"},
		{{"--duration", "0x"},
		 "dbcap: --duration: \"0x\" is not a number of seconds (seconds > 0 and <= 1e9, or 0 for none)"},
		/* strtod() would read a hexadecimal float: the help promises decimal seconds. */
		{{"--duration", "0x0.4p0"},
		 "dbcap: --duration: \"0x0.4p0\" is not a number of seconds (seconds > 0 and <= 1e9, or 0 for none)"},
		{{"--speed", "0X1p1"},
		 "dbcap: --speed: \"0X1p1\" is not a number (a multiplier > 0 and <= 1e9, or 0 for top speed)"},
		{{"--duration", "inf"},
		 "dbcap: --duration: \"inf\" is not a number of seconds (seconds > 0 and <= 1e9, or 0 for none)"},
		{{"--duration", "-1"},
		 "dbcap: --duration: -1 is out of range (seconds > 0 and <= 1e9, or 0 for none)"},
		{{"--flush-age", "0"}, "dbcap: --flush-age: 0 is out of range (seconds > 0 and <= 1e9)"},
		{{"--flush-age", "2e9"},
		 "dbcap: --flush-age: 2e9 is out of range (seconds > 0 and <= 1e9)"},
		{{"--stats-interval", "-0.5"},
		 "dbcap: --stats-interval: -0.5 is out of range (seconds > 0 and <= 1e9, or 0 for none)"},
		{{"--cpus", "4096"}, "dbcap: --cpus: CPU 4096 is out of range (0..1023)"},
		{{"--cpus", "0-4096"}, "dbcap: --cpus: CPU 4096 is out of range (0..1023)"},
		{{"--cpus", "3-1"}, "dbcap: --cpus: \"3-1\" is a backwards range (write 1-3)"},
		{{"--cpus", "1,,2"}, "dbcap: --cpus: \"1,,2\" is not a CPU list (like 0-3,5,7; CPUs 0..1023)"},
		{{"--cpus", "0-"}, "dbcap: --cpus: \"0-\" is not a CPU list (like 0-3,5,7; CPUs 0..1023)"},
		{{"--cpus", "-1"}, "dbcap: --cpus: \"-1\" is not a CPU list (like 0-3,5,7; CPUs 0..1023)"},
		{{"--write", ""}, "dbcap: --write: the file name is empty"},
		{{"--frob"}, "dbcap: unknown option \"--frob\" (see dbcap --help)"},
		{{"-Y"}, "dbcap: unknown option -Y (see dbcap --help)"},
		{{"--buf", "3"},
		 "dbcap: ambiguous option \"--buf\": --buffers, --buffer-size, --buffered?"},
		{{"--force=yes"}, "dbcap: --force takes no value (in \"--force=yes\")"},
		{{"--buffers"}, "dbcap: --buffers: missing value (2..64)"},
		{{"--stats"}, "dbcap: --stats: missing file name"},
		{{"--config"}, "dbcap: --config: missing file name"},
		{{"stray"},
		 "dbcap: unexpected argument \"stray\": dbcap takes options only, no file names or "
		 "filter expressions (see dbcap --help)"},
		{{"--stats-interval", "1"}, "dbcap: --stats-interval 1 needs --stats FILE or --prom FILE"},
		{{"--block-min", "500", "--block-max", "100"},
		 "dbcap: --block-min 500 is larger than --block-max 100"},
		{{"--buffer-size", "4096"},
		 "dbcap: --buffer-size 4096 is too small for --block-max 10000 (a record needs 10032 bytes)"},
		{{"--buffer-size", "16k", "--block-max", "65535"},
		 "dbcap: --buffer-size 16384 is too small for --block-max 65535 (a record needs 65568 bytes)"},
		{{"--layout", "shared", "--buffer-size", "1G"},
		 "dbcap: --buffer-size 1073741824 is too large for the shared layout with --writers 1: "
		 "the shared layout's 32-bit offset needs buffer-size × (writers + 3) < 4 GiB (here at "
		 "most 1073737728 bytes)"},
	};
	struct dbcap_opts o;
	long page = sysconf(_SC_PAGESIZE);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *const *a = cases[i].args;
		int r;

		/* The shared-layout bound in the last case assumes 4 KiB pages. */
		if (page != 4096 && strstr(cases[i].msg, "32-bit"))
			continue;
		r = parse(&o, "-w", "x", a[0], a[1], a[2], a[3], a[4], a[5], NULL);
		if (r != -1)
			FAIL("case %zu (%s %s): returned %d, expected -1", i, a[0],
			     a[1] ? a[1] : "", r);
		CHECK_MSG(cases[i].msg);
		options_free(&o);
	}

	/* Limits that pass. */
	CHECK_INT(parse(&o, "-w", "x", "--layout", "shared", "--buffer-size", "64M", "--writers",
			"60", NULL),
		  0);
	CHECK_STR(captured, "");
	options_free(&o);
	CHECK_INT(parse(&o, "-w", "x", "--layout", "shared", "--buffer-size", "64M", "--writers",
			"61", NULL),
		  -1);
	CHECK(strstr(captured, "32-bit offset") != NULL);
	options_free(&o);
	CHECK_INT(parse(&o, "-w", "x", "--buffer-size", "12k", NULL), 0); /* 10032 fits */
	options_free(&o);

	/* -w missing. */
	CHECK_INT(parse(&o, "--writers", "2", NULL), -1);
	CHECK_MSG("dbcap: no output file: give -w FILE (see dbcap --help)");
	options_free(&o);
}

/* Configuration errors name the file and the key; the same value, the same words. */
static void test_config_errors(void)
{
	static const struct {
		const char *json;
		const char *msg; /* after "dbcap: FILE: " */
	} cases[] = {
		{"{\"buffers\": 1}", "key \"buffers\": 1 is out of range (2..64)"},
		{"{\"writerz\": 1}", "key \"writerz\": unknown key (see dbcap(1), CONFIGURATION)"},
		{"{\"layout\": 1}", "key \"layout\": expected a string (per-writer, shared, mutex)"},
		{"{\"layout\": \"ring\"}", "key \"layout\": \"ring\" is not one of per-writer, shared, mutex"},
		{"{\"buffers\": \"4\"}", "key \"buffers\": expected a number (2..64)"},
		{"{\"buffers\": 2.5}", "key \"buffers\": \"2.5\" is not an integer (2..64)"},
		/* A JSON number above 2^53 may already be rounded: refused, not run with another seed. */
		{"{\"seed\": 9007199254740993}",
		 "key \"seed\": 9007199254740992 is at or beyond 2^53, where a JSON number is not exact: write it as a string"},
		{"{\"buffers\": 2, \"buffers\": 3}", "key \"buffers\": given twice"},
		{"{\"force\": 1}", "key \"force\": expected true or false"},
		{"{\"output\": 5}", "key \"output\": expected a file name (a string) or null"},
		{"{\"output\": \"\"}", "key \"output\": the file name is empty"},
		{"{\"cpus\": [0, \"1\"]}",
		 "key \"cpus\": expected an array of CPU numbers or a string like \"0-3,5,7\""},
		{"{\"cpus\": [4096]}", "key \"cpus\": CPU 4096 is out of range (0..1023)"},
		{"{\"cpus\": 3}",
		 "key \"cpus\": expected an array of CPU numbers or a string like \"0-3,5,7\""},
		{"{\"buffer_size\": true}",
		 "key \"buffer_size\": expected a number of bytes or a string like \"4M\" (4k..1G)"},
		{"{\"buffer_size\": \"2G\"}", "key \"buffer_size\": 2G is out of range (4k..1G)"},
		{"{\"seed\": -1}", "key \"seed\": -1 is out of range (0..18446744073709551615)"},
		{"{\"seed\": null}", "key \"seed\": expected a string or a number (0..18446744073709551615)"},
		{"{\"duration\": -1}",
		 "key \"duration\": -1 is out of range (seconds > 0 and <= 1e9, or 0 for none)"},
		{"{\"flush_age\": 0}", "key \"flush_age\": 0 is out of range (seconds > 0 and <= 1e9)"},
		{"{\"direct\": true}", "key \"direct\": expected a string (auto, on, off)"},
		{"{\"comment\": 1}", "key \"comment\": expected a string"},
		{"[1, 2]", "expected a JSON object { \"key\": value, ... } at the top level"},
	};
	struct dbcap_opts o;
	char want[1024];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *path = write_config("bad.json", cases[i].json);

		options_defaults(&o);
		CHECK_INT(load(&o, path), -1);
		snprintf(want, sizeof(want), "dbcap: %s: %s", path, cases[i].msg);
		CHECK_MSG(want);
		options_free(&o);
		/* Through options_parse() the same. */
		CHECK_INT(parse(&o, "-w", "x", "--config", path, NULL), -1);
		CHECK_MSG(want);
		options_free(&o);
	}

	/* Not JSON: the position as line:column. */
	{
		const char *path = write_config("syntax.json", "{\n  \"writers\": 2,\n  \"layout\" \"x\"\n}\n");

		options_defaults(&o);
		CHECK_INT(load(&o, path), -1);
		snprintf(want, sizeof(want), "dbcap: %s:3:12: not valid JSON near '\"x\"'", path);
		CHECK_MSG(want);
		options_free(&o);

		path = write_config("empty.json", "");
		options_defaults(&o);
		CHECK_INT(load(&o, path), -1);
		snprintf(want, sizeof(want), "dbcap: %s:1:1: not valid JSON (unexpected end of file)",
			 path);
		CHECK_MSG(want);
		options_free(&o);

		path = write_config("trailing.json", "{\"writers\": 2}\n}");
		options_defaults(&o);
		CHECK_INT(load(&o, path), -1);
		snprintf(want, sizeof(want), "dbcap: %s:2:1: not valid JSON near '}'", path);
		CHECK_MSG(want);
		options_free(&o);
	}

	/* A missing file: its name and strerror. */
	{
		char path[512], msg[1024];

		snprintf(path, sizeof(path), "%s/missing.json", tmpdir);
		CHECK_INT(parse(&o, "-w", "x", "--config", path, NULL), -1);
		snprintf(msg, sizeof(msg), "dbcap: %s: %s", path, strerror(ENOENT));
		CHECK_MSG(msg);
		options_free(&o);
		CHECK_INT(parse(&o, "-w", "x", "--config", tmpdir, NULL), -1);
		snprintf(msg, sizeof(msg), "dbcap: %s: %s", tmpdir, strerror(EISDIR));
		CHECK_MSG(msg);
		options_free(&o);
	}

	/* Cross-checks name a setting by where it came from. */
	{
		const char *path = write_config("cross.json", "{\"stats_interval\": 2, \"output\": \"o\"}");

		CHECK_INT(parse(&o, "--config", path, NULL), -1);
		snprintf(want, sizeof(want), "dbcap: key \"stats_interval\" 2 (in %s) needs --stats FILE or --prom FILE",
			 path);
		CHECK_MSG(want);
		options_free(&o);
		CHECK_INT(parse(&o, "--config", path, "--stats", "s.json", NULL), 0);
		options_free(&o);

		path = write_config("cross2.json", "{\"buffer_size\": 4096}");
		CHECK_INT(parse(&o, "--config", path, "-w", "x", NULL), -1);
		snprintf(want, sizeof(want),
			 "dbcap: key \"buffer_size\" 4096 (in %s) is too small for --block-max 10000 "
			 "(a record needs 10032 bytes)",
			 path);
		CHECK_MSG(want);
		options_free(&o);
		CHECK_INT(parse(&o, "--config", path, "-w", "x", "--block-max", "4000", NULL), 0);
		options_free(&o);
	}

	/* The same value refused from either source in the same words. */
	{
		static const struct {
			const char *opt, *key, *cli, *json;
		} same[] = {
			{"buffers", "buffers", "1", "1"},
			{"writers", "writers", "2.5", "2.5"},
			{"buffer-size", "buffer_size", "2G", "\"2G\""},
			{"buffer-size", "buffer_size", "4x", "\"4x\""},
			{"layout", "layout", "ring", "\"ring\""},
			{"duration", "duration", "-1", "-1"},
			{"stats-interval", "stats_interval", "-0.5", "-0.5"},
			{"cpus", "cpus", "3-1", "\"3-1\""},
			{"cpus", "cpus", "0,4096", "[0, 4096]"},
			{"seed", "seed", "18446744073709551616", "\"18446744073709551616\""},
			{"count", "count", "-3", "-3"},
			{"reader-cpu", "reader_cpu", "1024", "1024"},
		};

		for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
			static char cli_msg[sizeof(captured)];
			char json[256], opt[64];
			const char *path, *tail;

			snprintf(opt, sizeof(opt), "--%s", same[i].opt);
			if (parse(&o, "-w", "x", opt, same[i].cli, NULL) == 0) {
				options_free(&o);
				continue; /* "0.000" is fine on both sides */
			}
			snprintf(cli_msg, sizeof(cli_msg), "%s", captured);
			options_free(&o);
			snprintf(json, sizeof(json), "{\"%s\": %s}", same[i].key, same[i].json);
			path = write_config("same.json", json);
			options_defaults(&o);
			CHECK_INT(load(&o, path), -1);
			options_free(&o);
			tail = strstr(captured, "\": ");
			if (!tail || strcmp(tail + 3, cli_msg + strlen("dbcap: ") + strlen(opt) + 2) != 0)
				FAIL("different words\n  cli:    %s  config: %s", cli_msg, captured);
		}
	}
}

static void test_sizes(void)
{
	static const struct {
		const char *text;
		uint64_t bytes;
	} good[] = {
		{"12288", 12288},      {"16k", 16384},        {"16K", 16384},
		{"16KiB", 16384},      {"4M", 4u << 20},      {"4m", 4u << 20},
		{"4MiB", 4u << 20},    {"1G", 1u << 30},      {"1g", 1u << 30},
		{"1048576k", 1u << 30}, {"0012k", 12288},
	};
	static const struct {
		const char *text, *msg;
	} bad[] = {
		{"4x", "dbcap: --buffer-size: \"4x\" is not a size: expected bytes with an optional "
		       "suffix k, M or G (4k..1G)"},
		{"4kB", "dbcap: --buffer-size: \"4kB\" is not a size: expected bytes with an optional "
			"suffix k, M or G (4k..1G)"},
		{"1.5M", "dbcap: --buffer-size: \"1.5M\" is not a size: expected bytes with an "
			 "optional suffix k, M or G (4k..1G)"},
		{"M", "dbcap: --buffer-size: \"M\" is not a size: expected bytes with an optional "
		      "suffix k, M or G (4k..1G)"},
		{"-4k", "dbcap: --buffer-size: -4k is out of range (4k..1G)"},
		{"4095", "dbcap: --buffer-size: 4095 is out of range (4k..1G)"},
		{"2G", "dbcap: --buffer-size: 2G is out of range (4k..1G)"},
		{"1048577k", "dbcap: --buffer-size: 1048577k is out of range (4k..1G)"},
		{"99999999999999999999k",
		 "dbcap: --buffer-size: 99999999999999999999k is out of range (4k..1G)"},
		{"18014398509481984k", "dbcap: --buffer-size: 18014398509481984k is out of range (4k..1G)"},
	};
	struct dbcap_opts o;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		CHECK_INT(parse(&o, "-w", "x", "--buffer-size", good[i].text, NULL), 0);
		CHECK_STR(captured, "");
		CHECK_U64(o.buffer_size, good[i].bytes);
		options_free(&o);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_INT(parse(&o, "-w", "x", "--buffer-size", bad[i].text, NULL), -1);
		CHECK_MSG(bad[i].msg);
		options_free(&o);
	}
	/* A JSON number is bytes. */
	{
		const char *path = write_config("size.json", "{\"buffer_size\": 65536}");

		options_defaults(&o);
		CHECK_INT(load(&o, path), 0);
		CHECK_U64(o.buffer_size, 65536);
		options_free(&o);
	}
}

static void test_lists(void)
{
	static const struct {
		const char *text;
		unsigned n;
		int cpus[8];
	} good[] = {
		{"0-3,5,7", 6, {0, 1, 2, 3, 5, 7}},
		{"3,1,2", 3, {3, 1, 2}},
		{"5", 1, {5}},
		{"2-2", 1, {2}},
		{"1,1", 2, {1, 1}},
		{"1023", 1, {1023}},
		{"", 0, {0}},
	};
	struct dbcap_opts o;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		CHECK_INT(parse(&o, "-w", "x", "--cpus", good[i].text, NULL), 0);
		CHECK_STR(captured, "");
		CHECK_INT(o.ncpus, good[i].n);
		for (unsigned j = 0; j < good[i].n; j++)
			CHECK_INT(o.cpus[j], good[i].cpus[j]);
		options_free(&o);
	}
	/* A JSON array keeps its order too. */
	{
		const char *path = write_config("list.json", "{\"cpus\": [3, 1, 2]}");

		options_defaults(&o);
		CHECK_INT(load(&o, path), 0);
		CHECK_INT(o.ncpus, 3);
		CHECK_INT(o.cpus[0], 3);
		CHECK_INT(o.cpus[2], 2);
		options_free(&o);
	}
}

static void set_cpus(struct dbcap_opts *o, unsigned writers, const char *list, int reader)
{
	char *argv[] = {"dbcap", "-w", "x", "--cpus", (char *)list, NULL};
	struct capture c;
	int r;

	capture_begin(&c, 2);
	r = options_parse(o, 5, argv);
	capture_end(&c);
	if (r != 0)
		FAIL("--cpus %s: %s", list, captured);
	o->writers = writers;
	o->reader_cpu = reader;
}

static void test_cpus(void)
{
	struct dbcap_opts o;

	/* Given cores, all online: as listed, the reader unpinned when none is left. */
	set_cpus(&o, 2, "0,1", -1);
	CHECK_INT(assign(&o, "0-1\n", "\n", NULL), 0);
	CHECK_INT(o.ncpus, 2);
	CHECK_INT(o.cpus[0], 0);
	CHECK_INT(o.cpus[1], 1);
	CHECK_INT(o.reader_cpu, -1);
	CHECK_INT(o.oversubscribed, true);
	CHECK_MSG("dbcap: warning: 2 writers and the reader on 2 online cores: oversubscribed; "
		  "writers will yield, then nap, when they wait (no isolation)");
	options_free(&o);

	/* A core that is not online. */
	set_cpus(&o, 1, "0,1,7", -1);
	CHECK_INT(assign(&o, "0-1\n", "", NULL), -1);
	CHECK_MSG("dbcap: --cpus: CPU 7 is not online (online: 0-1)");
	options_free(&o);
	set_cpus(&o, 1, "0", 5);
	CHECK_INT(assign(&o, "0-1\n", "", NULL), -1);
	CHECK_MSG("dbcap: --reader-cpu: CPU 5 is not online (online: 0-1)");
	options_free(&o);

	/* Fewer cores than writers: round-robin, one warning. */
	set_cpus(&o, 4, "0,1", -1);
	CHECK_INT(assign(&o, "0-1\n", "", NULL), 0);
	CHECK_INT(o.ncpus, 4);
	CHECK_INT(o.cpus[2], 0);
	CHECK_INT(o.cpus[3], 1);
	CHECK_INT(count_lines(captured), 1);
	CHECK_INT(o.oversubscribed, true);
	options_free(&o);

	/* Cores listed beyond the writers' go to the reader. */
	set_cpus(&o, 2, "2,3,1", -1);
	CHECK_INT(assign(&o, "0-7\n", "", NULL), 0);
	CHECK_INT(o.cpus[0], 2);
	CHECK_INT(o.cpus[1], 3);
	CHECK_INT(o.reader_cpu, 1);
	CHECK_INT(o.oversubscribed, false);
	CHECK_STR(captured, "");
	options_free(&o);

	/* Two writers on one core, with cores to spare. */
	set_cpus(&o, 2, "0,0", -1);
	CHECK_INT(assign(&o, "0-3\n", "", NULL), 0);
	CHECK_INT(o.reader_cpu, 1);
	CHECK_INT(o.oversubscribed, true);
	CHECK_MSG("dbcap: warning: 2 writers on 1 core (0): oversubscribed; writers will yield, "
		  "then nap, when they wait (no isolation)");
	options_free(&o);

	/* The reader given on a writer's core. */
	set_cpus(&o, 1, "2", 2);
	CHECK_INT(assign(&o, "0-3\n", "", NULL), 0);
	CHECK_INT(o.oversubscribed, true);
	CHECK_MSG("dbcap: warning: the reader shares CPU 2 with a writer: oversubscribed; writers "
		  "will yield, then nap, when they wait (no isolation)");
	options_free(&o);

	/* Automatic: spread over the online cores, one left for the reader. */
	set_cpus(&o, 1, "", -1);
	CHECK_INT(assign(&o, "0-1\n", "", NULL), 0);
	CHECK_INT(o.ncpus, 1);
	CHECK_INT(o.cpus[0], 0);
	CHECK_INT(o.reader_cpu, 1);
	CHECK_INT(o.oversubscribed, false);
	CHECK_STR(captured, "");
	options_free(&o);

	set_cpus(&o, 4, "", -1);
	CHECK_INT(assign(&o, "0-1\n", "", NULL), 0);
	CHECK_INT(o.ncpus, 4);
	CHECK_INT(o.cpus[0], 0);
	CHECK_INT(o.cpus[1], 1);
	CHECK_INT(o.cpus[2], 0);
	CHECK_INT(o.cpus[3], 1);
	CHECK_INT(o.reader_cpu, -1);
	CHECK_INT(o.oversubscribed, true);
	CHECK_MSG("dbcap: warning: 4 writers and the reader on 2 online cores: oversubscribed; "
		  "writers will yield, then nap, when they wait (no isolation)");
	options_free(&o);

	/* Automatic with isolated cores: writers there, the reader too if one is left. */
	set_cpus(&o, 2, "", -1);
	CHECK_INT(assign(&o, "0-7\n", "4-7\n", NULL), 0);
	CHECK_INT(o.cpus[0], 4);
	CHECK_INT(o.cpus[1], 5);
	CHECK_INT(o.reader_cpu, 6);
	CHECK_INT(o.oversubscribed, false);
	CHECK_STR(captured, "");
	options_free(&o);

	set_cpus(&o, 2, "", -1);
	CHECK_INT(assign(&o, "0-7\n", "4-5\n", NULL), 0);
	CHECK_INT(o.cpus[0], 4);
	CHECK_INT(o.cpus[1], 5);
	CHECK_INT(o.reader_cpu, 0);
	CHECK_INT(o.oversubscribed, false);
	options_free(&o);

	set_cpus(&o, 3, "", -1);
	CHECK_INT(assign(&o, "0-7\n", "4-5\n", NULL), 0);
	CHECK_INT(o.cpus[2], 4);
	CHECK_INT(o.oversubscribed, true);
	CHECK_MSG("dbcap: warning: 3 writers on 2 cores (4-5): oversubscribed; writers will yield, "
		  "then nap, when they wait");
	options_free(&o);

	/* A given reader core is kept free of writers while others are left. */
	set_cpus(&o, 2, "", 0);
	CHECK_INT(assign(&o, "0-3\n", "", NULL), 0);
	CHECK_INT(o.cpus[0], 1);
	CHECK_INT(o.cpus[1], 2);
	CHECK_INT(o.reader_cpu, 0);
	CHECK_INT(o.oversubscribed, false);
	options_free(&o);

	/* The process's affinity (taskset) narrows the choice. */
	set_cpus(&o, 1, "", -1);
	CHECK_INT(assign(&o, "0-3\n", "", "2-3"), 0);
	CHECK_INT(o.cpus[0], 2);
	CHECK_INT(o.reader_cpu, 3);
	options_free(&o);
	set_cpus(&o, 1, "0", -1);
	CHECK_INT(assign(&o, "0-3\n", "", "2-3"), -1);
	CHECK_MSG("dbcap: --cpus: CPU 0 is outside this process's CPU affinity (allowed: 2-3)");
	options_free(&o);

	/* Online lists beyond DBCAP_MAX_CPUS are clipped, not refused. */
	set_cpus(&o, 1, "", -1);
	CHECK_INT(assign(&o, "0-1,1000-4095\n", "", NULL), 0);
	CHECK_INT(o.cpus[0], 0);
	options_free(&o);

	/* This machine, through sysfs: CPUs 0 and 1 where they are online. */
	{
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		struct capture c;
		int r;

		if (n >= 2) {
			set_cpus(&o, 2, "0,1", -1);
			capture_begin(&c, 2);
			r = options_assign_cpus(&o);
			capture_end(&c);
			CHECK_INT(r, 0);
			CHECK_INT(o.cpus[0], 0);
			CHECK_INT(o.cpus[1], 1);
			options_free(&o);
		} else {
			printf("# skipped: fewer than 2 online CPUs\n");
		}
		if (n < 1000) {
			set_cpus(&o, 1, "999", -1);
			capture_begin(&c, 2);
			r = options_assign_cpus(&o);
			capture_end(&c);
			CHECK_INT(r, -1);
			CHECK(strstr(captured, "dbcap: --cpus: CPU 999 is not online (online: ") ==
			      captured);
			options_free(&o);
		}
	}
}

static void test_help(void)
{
	struct dbcap_opts o;

	CHECK_INT(parse_stdout(&o, "--version", NULL), 1);
	CHECK_STR(captured, "dbcap " DBCAP_VERSION "\n");
	options_free(&o);

	CHECK_INT(parse_stdout(&o, "--help", NULL), 1);
	CHECK(strncmp(captured, "Usage: dbcap -w FILE", 20) == 0);
	CHECK(strstr(captured, "--buffer-size SIZE") != NULL);
	options_free(&o);

	/* -h, and help wins over anything else on the line. */
	CHECK_INT(parse_stdout(&o, "--buffers", "1", "-h", NULL), 1);
	CHECK(strncmp(captured, "Usage: dbcap", 12) == 0);
	options_free(&o);
	CHECK_INT(parse_stdout(&o, "--frob", "--version", NULL), 1);
	CHECK_STR(captured, "dbcap " DBCAP_VERSION "\n");
	options_free(&o);
}

/* ------------------------------------------------------------------- driver */

static void cleanup(void)
{
	static const char *const files[] = {
		"override.json", "cpus.json", "nocpus.json", "bad.json", "syntax.json", "empty.json",
		"trailing.json", "cross.json", "cross2.json", "same.json", "size.json", "list.json",
		"engine.json"};
	char path[PATH_MAX];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", tmpdir, files[i]);
		unlink(path);
	}
	rmdir(tmpdir);
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		void (*fn)(void);
	} groups[] = {
		{"defaults", test_defaults}, {"shipped-config", test_shipped_config},
		{"overrides", test_overrides},
		{"cli-errors", test_cli_errors}, {"config-errors", test_config_errors},
		{"sizes", test_sizes},       {"lists", test_lists},
		{"cpus", test_cpus},         {"help", test_help},
	};
	const char *only = argc > 1 ? argv[1] : NULL;
	const char *tmp = getenv("TMPDIR");
	bool ran = false;

	shipped_config = argc > 2 ? argv[2] : "config/dbcap.json";
	snprintf(tmpdir, sizeof(tmpdir), "%s/dbcap-options-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(tmpdir)) {
		perror(tmpdir);
		return 1;
	}
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		if (only && strcmp(only, "all") != 0 && strcmp(only, groups[i].name) != 0)
			continue;
		groups[i].fn();
		ran = true;
	}
	cleanup();
	if (!ran) {
		fprintf(stderr, "usage: %s [all|defaults|shipped-config|overrides|cli-errors|config-errors|sizes|lists|"
				"cpus|help] [CONFIG]\n",
			argv[0]);
		return 1;
	}
	if (failures) {
		fprintf(stderr, "%d check(s) failed\n", failures);
		return 1;
	}
	return 0;
}
