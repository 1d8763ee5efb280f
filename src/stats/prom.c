/* SPDX-License-Identifier: MIT */
/*
 * The statistics document in Prometheus's text format (prom.h).
 *
 * One table, FAMILIES, names every metric: its name (after "dbcap_"), its
 * type, the JSON path of its value in the document, the labels its path
 * iterates, and its help.  A path is the document's keys joined by dots;
 * "key[]" iterates an array (the label's value: the element's "id", else
 * else its "name", else its index) and "*" iterates an object's keys (the label's value: the
 * key).  A family whose path is not in the document (a mode or a feature
 * that did not run) is left out whole.  Exporting a new counter of the
 * document is one line here and its paragraph in docs/METRICS.md (a test
 * checks both ways).
 *
 * Conventions (https://prometheus.io/docs/practices/naming/): the dbcap_
 * prefix, base units in the name (latencies in seconds, converted from the
 * document's nanoseconds), _total on counters, booleans as 0 or 1, a
 * periodic document's null (reconciliation.consistent) as NaN.  The
 * document's integers are copied as their exact decimal text.
 */
#define _GNU_SOURCE

#include "prom.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum prom_type {
	COUNTER,   /* a cumulative count: name ends in _total */
	GAUGE,     /* a value; true/false as 1/0, null as NaN */
	PRESENT,   /* a gauge: 1 where the path holds a string (an error message), 0 for null */
	HISTOGRAM, /* the path is a latency object (ns): _bucket, _sum, _count in seconds */
	INFO,      /* a gauge of 1 whose labels are label=path pairs (path: NULL) */
};

struct family {
	const char *name;
	enum prom_type type;
	const char *path;
	const char *labels; /* one per [] or * in path, comma-separated; INFO: label=path,... */
	const char *help;
};

/* clang-format off */
static const struct family FAMILIES[] = {
	/* What runs and when: info metrics and times, for stale-file alerts. */
	{"build_info", INFO, NULL, "version=run.version", "dbcap's version"},
	{"run_info", INFO, NULL,
	 "mode=run.mode,layout=run.config.layout,on_full=run.config.on_full,io_engine=run.io_engine",
	 "the run's mode, buffer layout, full-buffer policy and I/O engine"},
	{"stats_schema_version", GAUGE, "schema_version", NULL, "the JSON document's schema_version"},
	{"start_time_seconds", GAUGE, "run.start_unix_seconds", NULL, "when the run started, Unix time"},
	{"last_update_time_seconds", GAUGE, "run.end_unix_seconds", NULL,
	 "when these figures were read, Unix time: an old value means a stale file"},
	{"duration_seconds", GAUGE, "run.duration_seconds", NULL, "seconds since the run started"},
	{"final", GAUGE, "final", NULL, "1 in the figures written at exit, 0 while the run goes on"},
	{"error", PRESENT, "run.error", NULL, "1 when the run failed (run.error holds why)"},
	{"io_error", PRESENT, "run.io_error", NULL, "1 after a write error of the capture (e.g. ENOSPC)"},
	{"direct_io", GAUGE, "run.direct_io", NULL, "1 when the capture is written with O_DIRECT"},
	{"sync_at_close", GAUGE, "run.sync_at_close", NULL, "1 when the run ends with fdatasync"},
	{"registered_buffers", GAUGE, "run.registered_buffers", NULL,
	 "1 when io_uring writes from registered buffers"},
	{"io_depth", GAUGE, "run.io_depth", NULL, "writes in flight at most"},
	{"mlocked", GAUGE, "run.mlocked", NULL, "1 when the buffers are locked in memory"},
	{"oversubscribed", GAUGE, "run.cpus.oversubscribed", NULL, "1 when threads share cores"},
	{"writers", GAUGE, "run.config.writers", NULL, "writer threads"},
	{"buffer_size_bytes", GAUGE, "run.config.buffer_size_bytes", NULL, "bytes per buffer"},

	/* Totals. */
	{"generated_blocks_total", COUNTER, "totals.generated_blocks", NULL,
	 "blocks (replay: packets that passed the filter) the writers produced"},
	{"generated_bytes_total", COUNTER, "totals.generated_bytes", NULL, "their payload bytes"},
	{"persisted_blocks_total", COUNTER, "totals.persisted_blocks", NULL, "blocks in the capture file"},
	{"persisted_bytes_total", COUNTER, "totals.persisted_bytes", NULL, "their payload bytes"},
	{"file_bytes", GAUGE, "totals.file_bytes", NULL, "bytes in the capture file, headers included"},
	{"dropped_blocks_total", COUNTER, "totals.dropped.*", "reason", "blocks lost, by reason"},
	{"dropped_bytes_total", COUNTER, "totals.dropped_bytes", NULL, "payload bytes of the blocks lost"},
	{"pending_blocks", GAUGE, "totals.pending_blocks", NULL,
	 "blocks generated, neither persisted nor dropped yet"},
	{"read_packets_total", COUNTER, "totals.read_packets", NULL, "packets read from the input"},
	{"read_bytes_total", COUNTER, "totals.read_bytes", NULL, "their original bytes"},
	{"filtered_packets_total", COUNTER, "totals.filtered_packets", NULL,
	 "packets the filter refused"},
	{"filtered_bytes_total", COUNTER, "totals.filtered_bytes", NULL, "their original bytes"},
	{"protocol_packets_total", COUNTER, "totals.protocols.*", "protocol",
	 "packets by protocol (a packet counts once per layer)"},
	{"size_packets_total", COUNTER, "totals.sizes.*", "size", "packets by RMON size bucket"},
	/* Live capture (-i): the kernel's counts, in all and per interface. */
	{"kernel_seen_packets_total", COUNTER, "totals.kernel.seen_packets", NULL,
	 "packets the kernel's capture sockets passed through their filter"},
	{"kernel_dropped_packets_total", COUNTER, "totals.kernel.dropped_packets", NULL,
	 "packets the kernel dropped before dbcap saw them (its ring was full)"},
	{"kernel_freezes_total", COUNTER, "totals.kernel.freezes", NULL,
	 "times the kernel froze a ring's queue"},
	{"interface_kernel_seen_packets_total", COUNTER, "run.interfaces[].kernel.seen_packets",
	 "interface", "packets the kernel passed, per interface"},
	{"interface_kernel_dropped_packets_total", COUNTER,
	 "run.interfaces[].kernel.dropped_packets", "interface",
	 "packets the kernel dropped, per interface"},

	/* Rotation (-C, -G, -W): files made and removed, the hook, each file kept. */
	{"rotation_files_created_total", COUNTER, "run.rotation.files_created", NULL,
	 "capture files created"},
	{"rotation_rotations_total", COUNTER, "run.rotation.rotations", NULL, "rotations"},
	{"rotation_removed_by_count_total", COUNTER, "run.rotation.removed_by_count", NULL,
	 "files removed to keep -W files"},
	{"rotation_removed_by_min_free_total", COUNTER, "run.rotation.removed_by_min_free", NULL,
	 "files removed to keep --min-free"},
	{"rotation_remove_errors_total", COUNTER, "run.rotation.remove_errors", NULL,
	 "files that could not be removed"},
	{"rotation_hook_runs_total", COUNTER, "run.rotation.hook.runs", NULL, "-z hook runs"},
	{"rotation_hook_failures_total", COUNTER, "run.rotation.hook.failures", NULL,
	 "-z hook runs that failed"},
	{"rotation_file_records", GAUGE, "run.rotation.files[].records", "file",
	 "records in the file"},
	{"rotation_file_bytes", GAUGE, "run.rotation.files[].bytes", "file", "bytes of the file"},

	/* Block sizes. */
	{"block_size_min_bytes", GAUGE, "block_sizes.min_bytes", NULL, "smallest block persisted"},
	{"block_size_mean_bytes", GAUGE, "block_sizes.mean_bytes", NULL, "mean block persisted"},
	{"block_size_max_bytes", GAUGE, "block_sizes.max_bytes", NULL, "largest block persisted"},

	/* Per writer. */
	{"writer_cpu", GAUGE, "writers[].cpu", "writer", "the writer's core (-1: not pinned)"},
	{"writer_generated_blocks_total", COUNTER, "writers[].generated_blocks", "writer",
	 "blocks the writer produced"},
	{"writer_generated_bytes_total", COUNTER, "writers[].generated_bytes", "writer",
	 "their payload bytes"},
	{"writer_committed_blocks_total", COUNTER, "writers[].committed_blocks", "writer",
	 "blocks the buffer accepted"},
	{"writer_committed_bytes_total", COUNTER, "writers[].committed_bytes", "writer",
	 "their payload bytes"},
	{"writer_dropped_blocks_total", COUNTER, "writers[].dropped.*", "writer,reason",
	 "blocks the buffer refused, by reason"},
	{"writer_dropped_bytes_total", COUNTER, "writers[].dropped_bytes", "writer",
	 "payload bytes of the blocks the buffer refused"},
	{"writer_seals_total", COUNTER, "writers[].seals", "writer", "buffers the writer sealed"},
	{"writer_full_waits_total", COUNTER, "writers[].full_waits", "writer",
	 "waits for room with every buffer busy"},
	{"writer_yields_total", COUNTER, "writers[].yields", "writer", "sched_yield calls while waiting"},
	{"writer_naps_total", COUNTER, "writers[].naps", "writer", "50 microsecond naps while waiting"},
	{"writer_read_packets_total", COUNTER, "writers[].read_packets", "writer",
	 "packets of the writer's shard read from the input"},
	{"writer_filtered_packets_total", COUNTER, "writers[].filtered_packets", "writer",
	 "of those, refused by the filter"},
	{"writer_write_latency_seconds", HISTOGRAM, "writers[].write_latency_ns", "writer",
	 "time per block: reserve, fill and commit"},

	/* The reader and persistence. */
	{"reader_cpu", GAUGE, "reader.cpu", NULL, "the reader's core (-1: not pinned)"},
	{"reader_chunks_total", COUNTER, "reader.chunks", NULL, "chunks taken from the buffer"},
	{"reader_chunk_bytes_total", COUNTER, "reader.chunk_bytes", NULL, "their bytes"},
	{"reader_flushes_total", COUNTER, "reader.flushes", NULL, "age flushes asked for"},
	{"reader_effective_flushes_total", COUNTER, "reader.effective_flushes", NULL,
	 "flushes that sealed or exposed data"},
	{"reader_stalled_polls_total", COUNTER, "reader.stalled_polls", NULL,
	 "polls that found a buffer waiting for a commit"},
	{"io_submissions_total", COUNTER, "reader.submissions", NULL,
	 "writes submitted (counted at the end of the run)"},
	{"io_completions_total", COUNTER, "reader.completions", NULL,
	 "writes completed (counted at the end of the run)"},
	{"io_short_writes_total", COUNTER, "reader.short_writes", NULL, "writes completed short"},
	{"io_retries_total", COUNTER, "reader.retries", NULL, "writes retried"},
	{"io_written_bytes_total", COUNTER, "reader.bytes_written", NULL, "bytes the engine wrote"},
	{"io_max_in_flight", GAUGE, "reader.max_in_flight", NULL, "most writes in flight at once"},
	{"reader_persist_latency_seconds", HISTOGRAM, "reader.persist_latency_ns", NULL,
	 "time from a chunk taken to its data written"},

	/* The verdict. */
	{"reconciliation_consistent", GAUGE, "reconciliation.consistent", NULL,
	 "at exit: 1 when every block is accounted for exactly, else 0; NaN while running"},
};
/* clang-format on */

#define MAX_LABELS 8 /* capture + the labels of a path or an info metric */
#define MAX_SEGMENTS 8 /* of a path */

/* A growing text; oom remembers a failed allocation, checked once at the end. */
struct out {
	char *p;
	size_t len, cap;
	bool oom;
};

static void __attribute__((format(printf, 2, 3))) emit(struct out *o, const char *fmt, ...)
{
	va_list ap;

	for (;;) {
		size_t room = o->cap - o->len;

		va_start(ap, fmt);
		int n = o->oom ? 0 : vsnprintf(o->p ? o->p + o->len : NULL, o->p ? room : 0, fmt, ap);
		va_end(ap);
		if (o->oom || n < 0) {
			o->oom = true;
			return;
		}
		if ((size_t)n < room) {
			o->len += (size_t)n;
			return;
		}
		size_t cap = o->cap ? o->cap * 2 : 16384;
		while (cap - o->len <= (size_t)n)
			cap *= 2;
		char *p = realloc(o->p, cap);
		if (!p) {
			o->oom = true;
			return;
		}
		o->p = p;
		o->cap = cap;
	}
}

/* A label value: backslash, double quote and newline escaped, as the format wants. */
static void emit_escaped(struct out *o, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			emit(o, "\\\\");
		else if (*s == '"')
			emit(o, "\\\"");
		else if (*s == '\n')
			emit(o, "\\n");
		else
			emit(o, "%c", *s);
	}
}

struct label {
	const char *name; /* points into a table string; namelen bytes */
	size_t namelen;
	char value[256]; /* a file's name may be long */
};

struct labels {
	struct label l[MAX_LABELS];
	unsigned n;
};

/* {a="x",b="y"} with an extra le="..." when le is not NULL; nothing when empty. */
static void emit_labels(struct out *o, const struct labels *ls, const char *le)
{
	if (!ls->n && !le)
		return;
	emit(o, "{");
	for (unsigned i = 0; i < ls->n; i++) {
		emit(o, "%s%.*s=\"", i ? "," : "", (int)ls->l[i].namelen, ls->l[i].name);
		emit_escaped(o, ls->l[i].value);
		emit(o, "\"");
	}
	if (le)
		emit(o, "%sle=\"%s\"", ls->n ? "," : "", le);
	emit(o, "}");
}

static double number_of(const cJSON *v)
{
	if (cJSON_IsRaw(v))
		return strtod(v->valuestring, NULL);
	return cJSON_IsNumber(v) ? v->valuedouble : 0.0;
}

/* The shortest of %.15g and %.17g that reads back as x (cJSON's rule too). */
static void format_double(char *buf, size_t n, double x)
{
	snprintf(buf, n, "%.15g", x);
	if (strtod(buf, NULL) != x)
		snprintf(buf, n, "%.17g", x);
}

/*
 * A number: an integer's exact text as the document holds it, else a
 * double; divided by div (1e9: nanoseconds to seconds, a division so that
 * 250 ns is 2.5e-07, the double nearest to it, as in any other language).
 */
static bool emit_number(struct out *o, const cJSON *v, double div)
{
	char buf[32];

	if (cJSON_IsRaw(v) && div == 1.0) {
		emit(o, "%s", v->valuestring);
		return true;
	}
	if (cJSON_IsRaw(v) || cJSON_IsNumber(v)) {
		format_double(buf, sizeof(buf), number_of(v) / div);
		emit(o, "%s", buf);
		return true;
	}
	if (cJSON_IsBool(v)) {
		emit(o, "%d", cJSON_IsTrue(v) ? 1 : 0);
		return true;
	}
	if (cJSON_IsNull(v)) {
		emit(o, "NaN");
		return true;
	}
	return false;
}

/* The value at a dotted path (no [] or *), or NULL. */
static const cJSON *at(const cJSON *doc, const char *path)
{
	char key[64];
	const cJSON *v = doc;

	while (v && *path) {
		size_t n = strcspn(path, ".");
		if (n >= sizeof(key))
			return NULL;
		memcpy(key, path, n);
		key[n] = '\0';
		v = cJSON_GetObjectItemCaseSensitive(v, key);
		path += n + (path[n] == '.');
	}
	return v;
}

/* One family's samples at one node (the path walked to its end). */
static void emit_samples(struct out *o, const struct family *f, const cJSON *v,
			 const struct labels *ls)
{
	const char *name = f->name;

	switch (f->type) {
	case COUNTER:
	case GAUGE: {
		if (!cJSON_IsRaw(v) && !cJSON_IsNumber(v) && !cJSON_IsBool(v) && !cJSON_IsNull(v))
			return;
		emit(o, "dbcap_%s", name);
		emit_labels(o, ls, NULL);
		emit(o, " ");
		emit_number(o, v, 1.0);
		emit(o, "\n");
		return;
	}
	case PRESENT:
		emit(o, "dbcap_%s", name);
		emit_labels(o, ls, NULL);
		emit(o, " %d\n", cJSON_IsString(v) ? 1 : 0);
		return;
	case HISTOGRAM: {
		const cJSON *pair, *count = cJSON_GetObjectItemCaseSensitive(v, "count");
		const cJSON *sum = cJSON_GetObjectItemCaseSensitive(v, "sum");
		char le[32];

		if (!count || !sum)
			return;
		cJSON_ArrayForEach(pair, cJSON_GetObjectItemCaseSensitive(v, "buckets")) {
			format_double(le, sizeof(le), number_of(cJSON_GetArrayItem(pair, 0)) / 1e9);
			emit(o, "dbcap_%s_bucket", name);
			emit_labels(o, ls, le);
			emit(o, " ");
			emit_number(o, cJSON_GetArrayItem(pair, 1), 1.0);
			emit(o, "\n");
		}
		emit(o, "dbcap_%s_bucket", name);
		emit_labels(o, ls, "+Inf");
		emit(o, " ");
		emit_number(o, count, 1.0);
		emit(o, "\ndbcap_%s_sum", name);
		emit_labels(o, ls, NULL);
		emit(o, " ");
		emit_number(o, sum, 1e9);
		emit(o, "\ndbcap_%s_count", name);
		emit_labels(o, ls, NULL);
		emit(o, " ");
		emit_number(o, count, 1.0);
		emit(o, "\n");
		return;
	}
	case INFO:
		return;
	}
}

/* The next label name of f->labels after *cursor; false when there is none. */
static bool next_label(const char **cursor, struct label *l)
{
	const char *s = *cursor;

	if (!s || !*s)
		return false;
	l->name = s;
	l->namelen = strcspn(s, ",=");
	s += strcspn(s, ",");
	*cursor = *s ? s + 1 : s;
	return true;
}

/*
 * Walks the path's segments from v: a key, "key[]" (every element) or "*"
 * (every key), adding a label at each [] and *.  Returns the samples found.
 */
static unsigned walk(struct out *o, const struct family *f, const cJSON *v, char segs[][64],
		     unsigned nseg, unsigned i, struct labels *ls, const char *label_cursor)
{
	if (!v)
		return 0;
	if (i == nseg) {
		emit_samples(o, f, v, ls);
		return 1;
	}

	const char *seg = segs[i];
	size_t n = strlen(seg);
	bool each = n > 2 && strcmp(seg + n - 2, "[]") == 0;
	unsigned found = 0;

	if (!each && strcmp(seg, "*") != 0)
		return walk(o, f, cJSON_GetObjectItemCaseSensitive(v, seg), segs, nseg, i + 1, ls,
			    label_cursor);

	struct label *l = &ls->l[ls->n];
	const char *cursor = label_cursor;
	if (ls->n >= MAX_LABELS || !next_label(&cursor, l))
		return 0; /* a table error: a [] or * without its label */
	const cJSON *items = v, *e;
	if (each) {
		char key[64];
		memcpy(key, seg, n - 2);
		key[n - 2] = '\0';
		items = cJSON_GetObjectItemCaseSensitive(v, key);
		if (!cJSON_IsArray(items))
			return 0;
	} else if (!cJSON_IsObject(items)) {
		return 0;
	}
	ls->n++;
	unsigned index = 0;
	cJSON_ArrayForEach(e, items) {
		const cJSON *id = each ? cJSON_GetObjectItemCaseSensitive(e, "id") : NULL;
		const cJSON *nm = each ? cJSON_GetObjectItemCaseSensitive(e, "name") : NULL;

		if (!each)
			snprintf(l->value, sizeof(l->value), "%s", e->string);
		else if (id)
			snprintf(l->value, sizeof(l->value), "%.0f", number_of(id));
		else if (cJSON_IsString(nm))
			snprintf(l->value, sizeof(l->value), "%s", nm->valuestring);
		else
			snprintf(l->value, sizeof(l->value), "%u", index);
		index++;
		found += walk(o, f, e, segs, nseg, i + 1, ls, cursor);
	}
	ls->n--;
	return found;
}

/* INFO: value 1, labels from label=path pairs (a missing or non-string value: empty). */
static unsigned emit_info(struct out *o, const struct family *f, const cJSON *doc,
			  struct labels *ls)
{
	const char *s = f->labels;
	unsigned base = ls->n;

	while (s && *s && ls->n < MAX_LABELS) {
		struct label *l = &ls->l[ls->n];
		size_t len = strcspn(s, ",");
		char path[128];

		next_label(&s, l);
		const char *eq = memchr(l->name, '=', len);
		size_t plen = eq ? len - (size_t)(eq - l->name) - 1 : 0;
		if (plen >= sizeof(path))
			plen = 0;
		memcpy(path, eq ? eq + 1 : "", plen);
		path[plen] = '\0';
		const cJSON *v = at(doc, path);
		snprintf(l->value, sizeof(l->value), "%s", cJSON_IsString(v) ? v->valuestring : "");
		ls->n++;
	}
	emit(o, "dbcap_%s", f->name);
	emit_labels(o, ls, NULL);
	emit(o, " 1\n");
	ls->n = base;
	return 1;
}

/* The help line's "(JSON: ...)": the path with each [] and * named by its label. */
static void emit_json_path(struct out *o, const struct family *f)
{
	if (f->type == INFO) {
		emit(o, " (JSON: %s)", f->labels);
		return;
	}
	const char *p = f->path, *cursor = f->labels;
	struct label l;

	emit(o, " (JSON: ");
	while (*p) {
		if (p[0] == '[' && p[1] == ']') {
			if (next_label(&cursor, &l))
				emit(o, "[%.*s]", (int)l.namelen, l.name);
			p += 2;
		} else if (*p == '*') {
			if (next_label(&cursor, &l))
				emit(o, "<%.*s>", (int)l.namelen, l.name);
			p++;
		} else {
			emit(o, "%c", *p++);
		}
	}
	emit(o, ")");
}

static const char *type_name(enum prom_type t)
{
	switch (t) {
	case COUNTER: return "counter";
	case HISTOGRAM: return "histogram";
	default: return "gauge";
	}
}

/* One family: its samples into a scratch text first, so that an absent path leaves no trace. */
static void emit_family(struct out *o, const struct family *f, const cJSON *doc,
			const struct labels *base)
{
	struct out samples = {0};
	struct labels ls = *base;
	unsigned found;

	if (f->type == INFO) {
		found = emit_info(&samples, f, doc, &ls);
	} else {
		char segs[MAX_SEGMENTS][64];
		unsigned nseg = 0;
		const char *p = f->path;

		while (*p && nseg < MAX_SEGMENTS) {
			size_t n = strcspn(p, ".");
			if (n >= sizeof(segs[0]))
				n = sizeof(segs[0]) - 1;
			memcpy(segs[nseg], p, n);
			segs[nseg++][n] = '\0';
			p += n + (p[n] == '.');
		}
		found = walk(&samples, f, doc, segs, nseg, 0, &ls, f->labels);
	}
	if (samples.oom)
		o->oom = true;
	if (found && samples.len) {
		emit(o, "# HELP dbcap_%s %s", f->name, f->help);
		emit_json_path(o, f);
		emit(o, ".\n# TYPE dbcap_%s %s\n%.*s", f->name, type_name(f->type),
		     (int)samples.len, samples.p);
	}
	free(samples.p);
}

char *prom_render(const cJSON *doc, const char *path)
{
	struct out o = {0};
	struct labels base = {.n = 1};
	const char *name = strrchr(path, '/');
	size_t len;

	/* capture="NAME": the file's last name without ".prom", one per instance in a directory. */
	name = name ? name + 1 : path;
	len = strlen(name);
	if (len > 5 && strcmp(name + len - 5, ".prom") == 0)
		len -= 5;
	if (len >= sizeof(base.l[0].value))
		len = sizeof(base.l[0].value) - 1;
	base.l[0].name = "capture";
	base.l[0].namelen = 7;
	memcpy(base.l[0].value, name, len);
	base.l[0].value[len] = '\0';

	for (size_t i = 0; i < sizeof(FAMILIES) / sizeof(FAMILIES[0]); i++)
		emit_family(&o, &FAMILIES[i], doc, &base);
	if (o.oom || !o.p) {
		free(o.p);
		return NULL;
	}
	return o.p;
}
