/* SPDX-License-Identifier: MIT */
/*
 * Statistics: the JSON document described by config/stats.schema.json, its
 * atomic replacement on disk (replace_file(), util/durable.h), and the
 * one-line summary.  The latency histograms are util/hist.h's.
 *
 * Every counter read here belongs to another thread (stats.h names the
 * owner of each field), so every _Atomic field is read with a relaxed load.
 * Relaxed is enough because each counter is meaningful on its own: a
 * periodic document is a set of values each exact at some instant, never a
 * consistent cut, and it publishes no other memory that would need
 * acquire/release ordering.  Only the final document, rendered after the
 * threads were joined (pthread_join() orders everything), is exact as a
 * whole, which is why only it carries a reconciliation verdict.
 */
#define _GNU_SOURCE

#include "stats.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h> /* isfinite(), a macro: no libm */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prom.h"
#include "../util/arena.h"
#include "../util/durable.h"

const char *const drop_reason_names[DROP_REASONS] = {
	[DROP_FULL] = "full",
	[DROP_TOO_BIG] = "too_big",
	[DROP_ZERO] = "zero",
	[DROP_CLOSED] = "closed",
	[DROP_IO_ERROR] = "io_error",
	[DROP_ABORTED] = "aborted",
	[DROP_MIN_FREE] = "min_free",
};

/*
 * The documents' memory (src/util/arena.h says why): while a document is
 * built and printed, cJSON allocates from this arena, and all of it goes at
 * once after (doc_end()).  Only main makes documents, and nothing else uses
 * cJSON meanwhile (the configuration is read before the threads start).
 */
static struct arena doc_arena = ARENA_INIT;

static void *doc_malloc(size_t n)
{
	return arena_alloc(&doc_arena, n);
}

static void doc_free(void *p)
{
	(void)p; /* doc_end() frees everything at once */
}

static void doc_begin(void)
{
	cJSON_Hooks hooks = {.malloc_fn = doc_malloc, .free_fn = doc_free};

	cJSON_InitHooks(&hooks);
}

static void doc_end(void)
{
	cJSON_InitHooks(NULL); /* back to malloc and free */
	arena_reset(&doc_arena);
}

const uint64_t stats_latency_bounds_ns[STATS_LATENCY_BOUNDS] = {
	100, 250, 500,
	1000, 2500, 5000,
	10000, 25000, 50000,
	100000, 250000, 500000,
	1000000, 2500000, 5000000,
	10000000, 25000000, 50000000,
	100000000, 250000000, 500000000,
	1000000000, 2500000000, 5000000000,
	10000000000,
};

/* Loads another thread's counter; see the comment at the top of the file. */
static inline uint64_t ld(const _Atomic uint64_t *p)
{
	return atomic_load_explicit((_Atomic uint64_t *)p, memory_order_relaxed);
}

/* ------------------------------------------------------------ the document */

/*
 * Builds the cJSON tree.  Allocation failures are remembered in oom rather
 * than checked at every call; the document is dropped as a whole at the end.
 */
struct doc {
	bool oom;
};

static cJSON *put(struct doc *d, cJSON *parent, const char *key, cJSON *item)
{
	if (!item || !parent) {
		cJSON_Delete(item);
		d->oom = true;
		return NULL;
	}
	cJSON_bool ok = key ? cJSON_AddItemToObject(parent, key, item)
			    : cJSON_AddItemToArray(parent, item);
	if (!ok) {
		cJSON_Delete(item);
		d->oom = true;
		return NULL;
	}
	return item;
}

/*
 * Counters go out as raw decimal text: cJSON keeps numbers as doubles,
 * which are exact only up to 2^53, while the text is exact up to 2^64 - 1
 * (and never in exponent form, which some integer parsers refuse).
 */
static cJSON *put_u64(struct doc *d, cJSON *o, const char *key, uint64_t v)
{
	char buf[24];
	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	return put(d, o, key, cJSON_CreateRaw(buf));
}

static cJSON *put_int(struct doc *d, cJSON *o, const char *key, long long v)
{
	char buf[24];
	snprintf(buf, sizeof(buf), "%lld", v);
	return put(d, o, key, cJSON_CreateRaw(buf));
}

/* Non-finite values would print as null, which the schema refuses: 0 instead. */
static cJSON *put_dbl(struct doc *d, cJSON *o, const char *key, double v)
{
	return put(d, o, key, cJSON_CreateNumber(isfinite(v) ? v : 0.0));
}

static cJSON *put_bool(struct doc *d, cJSON *o, const char *key, bool v)
{
	return put(d, o, key, cJSON_CreateBool(v));
}

/* A string, or null when s is NULL. */
static cJSON *put_str(struct doc *d, cJSON *o, const char *key, const char *s)
{
	return put(d, o, key, s ? cJSON_CreateString(s) : cJSON_CreateNull());
}

static cJSON *put_obj(struct doc *d, cJSON *o, const char *key)
{
	return put(d, o, key, cJSON_CreateObject());
}

static cJSON *put_arr(struct doc *d, cJSON *o, const char *key)
{
	return put(d, o, key, cJSON_CreateArray());
}

/* RFC 3339 in UTC with nanoseconds: 2024-05-01T12:00:00.123456789Z. */
static void format_time(const struct timespec *ts, char *buf, size_t len)
{
	struct tm tm;
	time_t t = ts->tv_sec;
	long ns = ts->tv_nsec;

	if (ns < 0 || ns > 999999999)
		ns = 0;
	if (!gmtime_r(&t, &tm)) {
		snprintf(buf, len, "1970-01-01T00:00:00.000000000Z");
		return;
	}
	size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%09ldZ", ns);
}

static double unix_seconds(const struct timespec *ts)
{
	return (double)ts->tv_sec + (double)ts->tv_nsec / 1e9;
}

/* The string a configuration value holds, or NULL (not there, or not a string). */
static const char *config_str(const struct run_report *r, const char *key)
{
	for (unsigned i = 0; i < r->nconfig && i < STATS_CONFIG_MAX; i++)
		if (r->config[i].type == STATS_CFG_STR && strcmp(r->config[i].key, key) == 0)
			return r->config[i].s;
	return NULL;
}

/*
 * The engine before the persistence layer said which it opened: the one
 * asked for (run.config and run.io_engine share persist's spelling).
 */
static const char *planned_engine(const struct run_report *r)
{
	const char *e = config_str(r, "io_engine");

	return e ? e : io_engine_name(IO_ENGINE_URING);
}

/* run.config: the program's values, in its order. */
static void put_config(struct doc *d, cJSON *run, const struct run_report *r)
{
	cJSON *c = put_obj(d, run, "config");

	for (unsigned i = 0; i < r->nconfig && i < STATS_CONFIG_MAX; i++) {
		const struct stats_config_value *v = &r->config[i];

		switch (v->type) {
		case STATS_CFG_STR:
			put_str(d, c, v->key, v->s);
			break;
		case STATS_CFG_BOOL:
			put_bool(d, c, v->key, v->b);
			break;
		case STATS_CFG_U64:
			put_u64(d, c, v->key, v->u);
			break;
		case STATS_CFG_INT:
			put_int(d, c, v->key, v->i);
			break;
		case STATS_CFG_DBL:
			put_dbl(d, c, v->key, v->d);
			break;
		case STATS_CFG_INTS: {
			cJSON *a = put_arr(d, c, v->key);

			for (unsigned k = 0; k < v->ints.n; k++)
				put_int(d, a, NULL, v->ints.v[k]);
			break;
		}
		}
	}
}

/*
 * The buckets are read first and count after them: the owner adds to a
 * bucket before it adds to count, so every cumulative bucket read this way
 * is at most count + 1 (the record in flight), and clamping it to count
 * makes a valid histogram (no bucket above the total) of each snapshot.
 */
static void put_latency(struct doc *d, cJSON *o, const char *key, const struct hist *h)
{
	cJSON *l = put_obj(d, o, key);
	uint64_t cum[STATS_LATENCY_BOUNDS] = {0}, seen = 0;
	unsigned k = 0;

	/* A bucket counts below a bound only when its largest value (hist_upper_bound()) does. */
	for (unsigned b = 0; b < HIST_BUCKETS; b++) {
		uint64_t up = hist_upper_bound(b);

		while (k < STATS_LATENCY_BOUNDS && up > stats_latency_bounds_ns[k])
			cum[k++] = seen;
		seen += ld(&h->bucket[b]);
	}
	while (k < STATS_LATENCY_BOUNDS)
		cum[k++] = seen;

	uint64_t count = ld(&h->count), sum = ld(&h->sum), min = ld(&h->min);

	/* A snapshot may see the first count before the first min: still "empty". */
	if (!count || min == UINT64_MAX)
		min = 0;
	put_u64(d, l, "count", count);
	put_dbl(d, l, "mean", count ? (double)sum / (double)count : 0.0);
	put_u64(d, l, "min", min);
	put_u64(d, l, "p50", hist_quantile(h, 0.50));
	put_u64(d, l, "p90", hist_quantile(h, 0.90));
	put_u64(d, l, "p99", hist_quantile(h, 0.99));
	put_u64(d, l, "p999", hist_quantile(h, 0.999));
	put_u64(d, l, "p9999", hist_quantile(h, 0.9999));
	put_u64(d, l, "max", ld(&h->max));
	put_u64(d, l, "sum", sum);
	cJSON *bk = put_arr(d, l, "buckets");
	for (k = 0; k < STATS_LATENCY_BOUNDS; k++) {
		cJSON *pair = put_arr(d, bk, NULL);

		put_u64(d, pair, NULL, stats_latency_bounds_ns[k]);
		put_u64(d, pair, NULL, cum[k] < count ? cum[k] : count);
	}
}

/* Everything summed over the writers and the reader, read once. */
struct totals {
	uint64_t generated, generated_bytes;
	uint64_t persisted, persisted_bytes, file_bytes;
	uint64_t drop[DROP_REASONS];
	uint64_t dropped, dropped_bytes;
	uint64_t read, read_bytes, filtered, filtered_bytes; /* replay */
	uint64_t proto[DP_PROTOS], size[DS_BUCKETS];
	bool replay;
	bool rotating;                                  /* run.rotation: files[] sum up too */
	uint64_t files_records, files_record_bytes;     /* over every file, removed ones included */
	/* live: the kernel's counts (main's sums) and the writers' */
	bool live;
	uint64_t k_seen, k_drops, k_freezes;
	uint64_t cut, cut_bytes, vlan_restored, after_count, ring_blocks, ring_waits;
};

static const struct dbuf_writer_stats no_lib_stats;

static const struct dbuf_writer_stats *lib_of(const struct run_report *r, unsigned i)
{
	return r->lib ? &r->lib[i] : &no_lib_stats;
}

static bool is_replay(const struct run_report *r)
{
	return r->mode && strcmp(r->mode, "replay") == 0;
}

static bool is_live(const struct run_report *r)
{
	return r->live && r->mode && strcmp(r->mode, "live") == 0;
}

static void sum_totals(const struct run_report *r, struct totals *t)
{
	memset(t, 0, sizeof(*t));
	t->replay = is_replay(r);
	t->live = is_live(r);
	for (unsigned i = 0; t->live && i < r->live->nifaces; i++) {
		t->k_seen += r->live->ifs[i].seen;
		t->k_drops += r->live->ifs[i].drops;
		t->k_freezes += r->live->ifs[i].freezes;
	}
	for (unsigned i = 0; i < r->nwriters && r->writers; i++) {
		const struct writer_stats *w = &r->writers[i];
		const struct dbuf_writer_stats *l = lib_of(r, i);

		t->generated += ld(&w->generated);
		t->generated_bytes += ld(&w->generated_bytes);
		t->dropped_bytes += ld(&w->dropped_bytes);
		t->read += ld(&w->replay.read);
		t->read_bytes += ld(&w->replay.read_bytes);
		t->filtered += ld(&w->replay.filtered);
		t->filtered_bytes += ld(&w->replay.filtered_bytes);
		t->cut += ld(&w->live.cut);
		t->cut_bytes += ld(&w->live.cut_bytes);
		t->vlan_restored += ld(&w->live.vlan_restored);
		t->after_count += ld(&w->live.after_count);
		t->ring_blocks += ld(&w->live.blocks);
		t->ring_waits += ld(&w->live.waits);
		for (unsigned k = 0; k < DP_PROTOS; k++)
			t->proto[k] += ld(&w->replay.dissect.proto[k]);
		for (unsigned k = 0; k < DS_BUCKETS; k++)
			t->size[k] += ld(&w->replay.dissect.size[k]);
		t->drop[DROP_FULL] += l->drop_full;
		t->drop[DROP_TOO_BIG] += l->drop_too_big;
		t->drop[DROP_ZERO] += l->drop_zero;
		t->drop[DROP_CLOSED] += l->drop_closed;
	}
	if (r->reader) {
		t->persisted = ld(&r->reader->blocks);
		t->persisted_bytes = ld(&r->reader->block_bytes);
		t->file_bytes = ld(&r->reader->file_bytes);
		t->drop[DROP_IO_ERROR] = ld(&r->reader->lost_io_blocks);
		t->dropped_bytes += ld(&r->reader->lost_io_bytes);
		t->drop[DROP_ABORTED] = ld(&r->reader->lost_abort_blocks);
		t->dropped_bytes += ld(&r->reader->lost_abort_bytes);
		t->drop[DROP_MIN_FREE] = ld(&r->reader->lost_min_free_blocks);
		t->dropped_bytes += ld(&r->reader->lost_min_free_bytes);
	}
	if (r->rotation) {
		const struct stats_rotation *ro = r->rotation;

		t->rotating = true;
		t->files_records = ro->forgotten_records;
		t->files_record_bytes = ro->forgotten_record_bytes;
		for (unsigned i = 0; i < ro->nfiles; i++) {
			t->files_records += ro->files[i].records;
			t->files_record_bytes += ro->files[i].record_bytes;
		}
	}
	for (unsigned i = 0; i < DROP_REASONS; i++)
		t->dropped += t->drop[i];
}

static bool consistent(const struct totals *t)
{
	/* Compared without adding, so that no sum can wrap. */
	bool ok = t->generated >= t->persisted && t->generated - t->persisted == t->dropped &&
		  t->generated_bytes >= t->persisted_bytes &&
		  t->generated_bytes - t->persisted_bytes == t->dropped_bytes;

	/* Replay: every packet read was filtered out or handed over (generated). */
	if (t->replay)
		ok = ok && t->read >= t->filtered && t->read - t->filtered == t->generated &&
		     t->read_bytes >= t->filtered_bytes &&
		     t->read_bytes - t->filtered_bytes == t->generated_bytes;
	/* Rotation: what was persisted is what the files hold, removed ones included. */
	if (t->rotating)
		ok = ok && t->files_records == t->persisted && t->files_record_bytes == t->persisted_bytes;
	/*
	 * Live: every frame the kernel's filter passed was captured, dropped by
	 * the kernel (ring full) or taken after -c; every frame captured was
	 * handed over (captured = generated = persisted + dropped, above).
	 */
	if (t->live)
		ok = ok && t->read == t->generated && t->read_bytes == t->generated_bytes &&
		     t->k_seen >= t->k_drops && t->k_seen - t->k_drops >= t->after_count &&
		     t->k_seen - t->k_drops - t->after_count == t->read;
	return ok;
}

/* {"ethernet": n, ...} and {"64": n, ...}: the dissector's counters. */
static void put_protocols(struct doc *d, cJSON *o, const uint64_t *proto)
{
	cJSON *p = put_obj(d, o, "protocols");

	for (unsigned k = 0; k < DP_PROTOS; k++)
		put_u64(d, p, dissect_proto_names[k], proto[k]);
}

static void put_sizes(struct doc *d, cJSON *o, const uint64_t *size)
{
	cJSON *p = put_obj(d, o, "sizes");

	for (unsigned k = 0; k < DS_BUCKETS; k++)
		put_u64(d, p, dissect_size_names[k], size[k]);
}

/* run.input: the replayed file, or null. */
static void put_input(struct doc *d, cJSON *run, const struct input_report *in)
{
	cJSON *o;

	if (!in) {
		put(d, run, "input", cJSON_CreateNull());
		return;
	}
	o = put_obj(d, run, "input");
	put_str(d, o, "path", in->path);
	put_str(d, o, "kind", in->kind ? in->kind : "file");
	put_str(d, o, "format", in->format);
	put_u64(d, o, "linktype", in->linktype);
	put_str(d, o, "linktype_name", in->linktype_name);
	put_u64(d, o, "snaplen", in->snaplen);
	put_str(d, o, "precision", in->nano ? "nano" : "micro");
	put_str(d, o, "filter", in->filter);
	put_u64(d, o, "file_bytes", in->file_bytes);
	put_u64(d, o, "file_bytes_now", in->file_bytes_now);
	put_bool(d, o, "shrank", in->shrank);
	put_bool(d, o, "grew", in->grew);
	put_bool(d, o, "truncated", in->truncated);
	put_u64(d, o, "unread_bytes", in->unread_bytes);
	put_str(d, o, "error", in->error);
}

/* run.rotation: every file (with its digest and its predecessor's), what was removed, the hook. */
static void put_rotation(struct doc *d, cJSON *run, const struct stats_rotation *ro)
{
	cJSON *o, *files, *hook, *forgotten;

	if (!ro) {
		put(d, run, "rotation", cJSON_CreateNull());
		return;
	}
	o = put_obj(d, run, "rotation");
	put_u64(d, o, "files_created", ro->files_created);
	put_u64(d, o, "rotations", ro->rotations);
	put_u64(d, o, "removed_by_count", ro->removed_by_count);
	put_u64(d, o, "removed_by_min_free", ro->removed_by_min_free);
	put_u64(d, o, "remove_errors", ro->remove_errors);
	put_bool(d, o, "min_free_stop", ro->min_free_stop);
	forgotten = put_obj(d, o, "forgotten");
	put_u64(d, forgotten, "files", ro->forgotten_files);
	put_u64(d, forgotten, "records", ro->forgotten_records);
	put_u64(d, forgotten, "record_bytes", ro->forgotten_record_bytes);
	put_u64(d, forgotten, "bytes", ro->forgotten_bytes);
	hook = put_obj(d, o, "hook");
	put_u64(d, hook, "runs", ro->hook_runs);
	put_u64(d, hook, "failures", ro->hook_failures);
	put_u64(d, hook, "dropped", ro->hook_dropped);
	put_u64(d, hook, "running", ro->hook_running);
	put_u64(d, hook, "queued", ro->hook_queued);
	put_u64(d, hook, "unfinished", ro->hook_unfinished);
	put_dbl(d, hook, "seconds_total", ro->hook_seconds_total);
	put_dbl(d, hook, "seconds_max", ro->hook_seconds_max);
	files = put_arr(d, o, "files");
	for (unsigned i = 0; i < ro->nfiles; i++) {
		const struct stats_file *f = &ro->files[i];
		cJSON *e = put_obj(d, files, NULL);

		put_u64(d, e, "seq", f->seq);
		put_str(d, e, "name", f->name);
		put_str(d, e, "state", f->state);
		put_str(d, e, "removed_by", f->removed_by);
		if (f->has_time) {
			put_u64(d, e, "first_time_ns", f->first_ns);
			put_u64(d, e, "last_time_ns", f->last_ns);
		} else {
			put(d, e, "first_time_ns", cJSON_CreateNull());
			put(d, e, "last_time_ns", cJSON_CreateNull());
		}
		put_u64(d, e, "records", f->records);
		put_u64(d, e, "record_bytes", f->record_bytes);
		put_u64(d, e, "bytes", f->bytes);
		put_str(d, e, "sha256", f->sha256[0] ? f->sha256 : NULL);
		put_str(d, e, "prev_sha256", f->prev_sha256[0] ? f->prev_sha256 : NULL);
		put_str(d, e, "hook", f->hook);
		if (f->hook && strcmp(f->hook, "done") == 0) {
			put_int(d, e, "hook_status", f->hook_status);
			put_dbl(d, e, "hook_seconds", f->hook_seconds);
		} else {
			put(d, e, "hook_status", cJSON_CreateNull());
			put(d, e, "hook_seconds", cJSON_CreateNull());
		}
	}
}

/* run.interfaces: live mode's interfaces, or null. */
static void put_interfaces(struct doc *d, cJSON *run, const struct run_report *r)
{
	if (!is_live(r)) {
		put(d, run, "interfaces", cJSON_CreateNull());
		return;
	}
	const struct live *lv = r->live;
	cJSON *arr = put_arr(d, run, "interfaces");
	for (unsigned i = 0; i < lv->nifaces; i++) {
		const struct live_iface *ifc = &lv->ifs[i];
		cJSON *o = put_obj(d, arr, NULL);

		put_str(d, o, "name", ifc->name);
		put_int(d, o, "ifindex", ifc->ifindex);
		put_u64(d, o, "linktype", ifc->linktype);
		put_str(d, o, "linktype_name", ifc->linktype_name);
		put_u64(d, o, "mtu", ifc->mtu);
		put_u64(d, o, "snaplen", lv->snaplen);
		put_str(d, o, "filter", lv->o.filter);
		put_bool(d, o, "promiscuous", lv->o.promisc && !ifc->any); /* "any" has none */
		put_str(d, o, "offloads", ifc->offloads[0] ? ifc->offloads : NULL);
		put_bool(d, o, "disappeared", ifc->gone);
		cJSON *k = put_obj(d, o, "kernel");
		put_u64(d, k, "seen_packets", ifc->seen);
		put_u64(d, k, "dropped_packets", ifc->drops);
		put_u64(d, k, "freezes", ifc->freezes);
		const uint64_t *sys[2] = {ifc->sys_start, ifc->sys_end};
		const bool ok[2] = {ifc->sys_start_ok, ifc->sys_end_ok && r->final};
		const char *key[2] = {"counters_start", "counters_end"};
		for (unsigned j = 0; j < 2; j++) {
			if (!ok[j]) {
				put(d, o, key[j], cJSON_CreateNull());
				continue;
			}
			cJSON *c = put_obj(d, o, key[j]);
			for (unsigned m = 0; m < LIVE_SYS_N; m++)
				put_u64(d, c, live_sys_name((enum live_sys)m), sys[j][m]);
		}
	}
	cJSON *g = put_obj(d, run, "ring");
	put_u64(d, g, "block_size_bytes", lv->o.block_size);
	put_u64(d, g, "blocks", lv->o.block_count);
	put_u64(d, g, "retire_ms", lv->o.retire_ms);
	put_str(d, g, "fanout", "hash,defrag");
}

static void put_run(struct doc *d, cJSON *root, const struct run_report *r)
{
	cJSON *run = put_obj(d, root, "run");
	char buf[192], err[128];

	put_str(d, run, "program", "dbcap");
	put_str(d, run, "version", r->version ? r->version : "unknown");
	format_time(&r->start_real, buf, sizeof(buf));
	put_str(d, run, "start_time", buf);
	format_time(&r->end_real, buf, sizeof(buf));
	put_str(d, run, "end_time", buf);
	put_dbl(d, run, "start_unix_seconds", unix_seconds(&r->start_real));
	put_dbl(d, run, "end_unix_seconds", unix_seconds(&r->end_real));
	put_dbl(d, run, "duration_seconds", r->duration_seconds > 0 ? r->duration_seconds : 0.0);
	put_str(d, run, "stop_reason", r->stop_reason ? r->stop_reason : (r->final ? "unknown" : "running"));
	put_str(d, run, "error", r->error);
	put_str(d, run, "output", r->output ? r->output : config_str(r, "output"));
	put_str(d, run, "output_kind", r->output_kind ? r->output_kind : "file");
	put_str(d, run, "output_format", r->output_format ? r->output_format :
					 is_replay(r) ? "pcap" : "pcapng");
	put_str(d, run, "mode", is_replay(r) ? "replay" : is_live(r) ? "live" : "synthetic");
	put_input(d, run, r->input);
	put_rotation(d, run, r->rotation);
	put_interfaces(d, run, r);

	put_str(d, run, "io_engine", r->io.engine ? r->io.engine : planned_engine(r));
	put_str(d, run, "io_fallback_reason", r->io.fallback_reason);
	put_bool(d, run, "direct_io", r->io.direct);
	put_bool(d, run, "sync_at_close", r->io.sync);
	put_u64(d, run, "dio_align_bytes", r->io.dio_align);
	put_bool(d, run, "registered_buffers", r->io.registered_buffers);
	put_u64(d, run, "io_depth", r->io.depth);
	if (r->io.error) {
		snprintf(buf, sizeof(buf), "%s: %s", r->io.error_op ? r->io.error_op : "io",
			 strerror_r(-r->io.error, err, sizeof(err)));
		put_str(d, run, "io_error", buf);
	} else {
		put_str(d, run, "io_error", NULL);
	}
	put_bool(d, run, "mlocked", r->mlock_result == 0);
	put_str(d, run, "mlock_error",
		r->mlock_result ? strerror_r(-r->mlock_result, err, sizeof(err)) : NULL);

	cJSON *cpus = put_obj(d, run, "cpus");
	cJSON *wc = put_arr(d, cpus, "writers");
	for (unsigned i = 0; i < r->nwriters && r->writers; i++)
		put_int(d, wc, NULL, r->writers[i].cpu);
	put_int(d, cpus, "reader", r->reader_cpu);
	put_bool(d, cpus, "oversubscribed", r->oversubscribed);

	put_config(d, run, r);
}

static void put_totals(struct doc *d, cJSON *root, const struct totals *t)
{
	cJSON *o = put_obj(d, root, "totals");
	uint64_t accounted = t->persisted + t->dropped;

	put_u64(d, o, "generated_blocks", t->generated);
	put_u64(d, o, "generated_bytes", t->generated_bytes);
	put_u64(d, o, "persisted_blocks", t->persisted);
	put_u64(d, o, "persisted_bytes", t->persisted_bytes);
	put_u64(d, o, "file_bytes", t->file_bytes);
	put_u64(d, o, "dropped_blocks", t->dropped);
	put_u64(d, o, "dropped_bytes", t->dropped_bytes);
	/* A periodic snapshot reads the reader after the writers, so it can run ahead: clamp. */
	put_u64(d, o, "pending_blocks", t->generated > accounted ? t->generated - accounted : 0);
	cJSON *dr = put_obj(d, o, "dropped");
	for (unsigned i = 0; i < DROP_REASONS; i++)
		put_u64(d, dr, drop_reason_names[i], t->drop[i]);
	put_u64(d, o, "read_packets", t->read);
	put_u64(d, o, "read_bytes", t->read_bytes);
	put_u64(d, o, "filtered_packets", t->filtered);
	put_u64(d, o, "filtered_bytes", t->filtered_bytes);
	put_protocols(d, o, t->proto);
	put_sizes(d, o, t->size);
	if (!t->live) {
		put(d, o, "kernel", cJSON_CreateNull());
		return;
	}
	cJSON *k = put_obj(d, o, "kernel");
	put_u64(d, k, "seen_packets", t->k_seen);
	put_u64(d, k, "dropped_packets", t->k_drops);
	put_u64(d, k, "freezes", t->k_freezes);
	put_u64(d, k, "captured_packets", t->read);
	put_u64(d, k, "after_count_packets", t->after_count);
	put_u64(d, k, "cut_packets", t->cut);
	put_u64(d, k, "cut_bytes", t->cut_bytes);
	put_u64(d, k, "vlan_restored_packets", t->vlan_restored);
	put_u64(d, k, "ring_blocks", t->ring_blocks);
	put_u64(d, k, "idle_waits", t->ring_waits);
}

/* Quantiles of the exact size counts, by the same rank rule as hist_quantile() (hist_rank()). */
static void put_block_sizes(struct doc *d, cJSON *root, const struct run_report *r)
{
	const struct reader_stats *rs = r->reader;
	static const struct {
		const char *key;
		double q;
	} qs[] = { { "p50_bytes", 0.50 }, { "p90_bytes", 0.90 },
		   { "p99_bytes", 0.99 }, { "p999_bytes", 0.999 } };
	enum { NQ = sizeof(qs) / sizeof(qs[0]) };
	cJSON *o = put_obj(d, root, "block_sizes");
	uint64_t n = 0, bytes = 0, min = 0, max = 0, q[NQ] = { 0 };

	/*
	 * One pass to a private copy: the reader may be counting while a
	 * periodic document is made, and every figure below must come from the
	 * same numbers.
	 */
	uint64_t *cnt = rs ? doc_malloc((STATS_MAX_BLOCK + 1) * sizeof(*cnt)) : NULL;
	if (rs && !cnt) {
		d->oom = true;
		return;
	}
	for (uint64_t s = 0; cnt && s <= STATS_MAX_BLOCK; s++) {
		cnt[s] = ld(&rs->size_count[s]);
		if (!cnt[s])
			continue;
		if (!n)
			min = s;
		max = s;
		n += cnt[s];
		bytes += s * cnt[s];
	}
	if (n) {
		uint64_t seen = 0;
		unsigned k = 0;
		for (uint64_t s = min; s <= max && k < NQ; s++) {
			seen += cnt[s];
			while (k < NQ && seen >= hist_rank(qs[k].q, n))
				q[k++] = s;
		}
	}
	put_u64(d, o, "min_bytes", min);
	put_u64(d, o, "max_bytes", max);
	put_dbl(d, o, "mean_bytes", n ? (double)bytes / (double)n : 0.0);
	for (unsigned k = 0; k < NQ; k++)
		put_u64(d, o, qs[k].key, q[k]);
	/* Up to 65536 pairs: in every document only when asked for (stats.h, sizes). */
	if (!r->final && !r->sizes) {
		return;
	}
	cJSON *counts = put_arr(d, o, "counts");
	for (uint64_t s = min; n && s <= max; s++) {
		if (!cnt[s])
			continue;
		cJSON *pair = put_arr(d, counts, NULL);
		put_u64(d, pair, NULL, s);
		put_u64(d, pair, NULL, cnt[s]);
	}
}

static void put_writers(struct doc *d, cJSON *root, const struct run_report *r)
{
	cJSON *arr = put_arr(d, root, "writers");

	for (unsigned i = 0; i < r->nwriters && r->writers; i++) {
		const struct writer_stats *w = &r->writers[i];
		const struct dbuf_writer_stats *l = lib_of(r, i);
		cJSON *o = put_obj(d, arr, NULL);

		put_u64(d, o, "id", i);
		put_int(d, o, "cpu", w->cpu);
		put_int(d, o, "tid",
			atomic_load_explicit((_Atomic int *)&w->tid, memory_order_relaxed));
		put_u64(d, o, "generated_blocks", ld(&w->generated));
		put_u64(d, o, "generated_bytes", ld(&w->generated_bytes));
		put_u64(d, o, "committed_blocks", l->blocks);
		put_u64(d, o, "committed_bytes", l->bytes);
		put_u64(d, o, "dropped_bytes", ld(&w->dropped_bytes));
		cJSON *dr = put_obj(d, o, "dropped");
		put_u64(d, dr, drop_reason_names[DROP_FULL], l->drop_full);
		put_u64(d, dr, drop_reason_names[DROP_TOO_BIG], l->drop_too_big);
		put_u64(d, dr, drop_reason_names[DROP_ZERO], l->drop_zero);
		put_u64(d, dr, drop_reason_names[DROP_CLOSED], l->drop_closed);
		put_u64(d, o, "seals", l->seals);
		put_u64(d, o, "full_waits", l->full_waits);
		put_u64(d, o, "yields", l->yields);
		put_u64(d, o, "naps", l->naps);
		put_latency(d, o, "write_latency_ns", &w->write_latency);
		put_u64(d, o, "read_packets", ld(&w->replay.read));
		put_u64(d, o, "read_bytes", ld(&w->replay.read_bytes));
		put_u64(d, o, "filtered_packets", ld(&w->replay.filtered));
		put_u64(d, o, "filtered_bytes", ld(&w->replay.filtered_bytes));
		uint64_t proto[DP_PROTOS], size[DS_BUCKETS];
		for (unsigned k = 0; k < DP_PROTOS; k++)
			proto[k] = ld(&w->replay.dissect.proto[k]);
		for (unsigned k = 0; k < DS_BUCKETS; k++)
			size[k] = ld(&w->replay.dissect.size[k]);
		put_protocols(d, o, proto);
		put_sizes(d, o, size);
		if (!is_live(r)) {
			put(d, o, "live", cJSON_CreateNull());
			continue;
		}
		cJSON *lo = put_obj(d, o, "live");
		uint64_t seen = 0, drops = 0, freezes = 0;
		for (unsigned k = 0; k < r->live->nifaces; k++) {
			const struct live_ring *g = &r->live->rings[(size_t)i * r->live->nifaces + k];
			seen += g->seen;
			drops += g->drops;
			freezes += g->freezes;
		}
		put_u64(d, lo, "seen_packets", seen);
		put_u64(d, lo, "dropped_packets", drops);
		put_u64(d, lo, "freezes", freezes);
		put_u64(d, lo, "captured_packets", ld(&w->replay.read));
		put_u64(d, lo, "captured_bytes", ld(&w->replay.read_bytes));
		put_u64(d, lo, "cut_packets", ld(&w->live.cut));
		put_u64(d, lo, "cut_bytes", ld(&w->live.cut_bytes));
		put_u64(d, lo, "vlan_restored_packets", ld(&w->live.vlan_restored));
		put_u64(d, lo, "after_count_packets", ld(&w->live.after_count));
		put_u64(d, lo, "ring_blocks", ld(&w->live.blocks));
		put_u64(d, lo, "idle_waits", ld(&w->live.waits));
	}
}

static void put_reader(struct doc *d, cJSON *root, const struct run_report *r)
{
	const struct reader_stats *rs = r->reader;
	cJSON *o = put_obj(d, root, "reader");

	put_int(d, o, "cpu", r->reader_cpu);
	put_u64(d, o, "chunks", rs ? ld(&rs->chunks) : 0);
	put_u64(d, o, "chunk_bytes", rs ? ld(&rs->chunk_bytes) : 0);
	put_u64(d, o, "flushes", rs ? ld(&rs->flushes) : 0);
	put_u64(d, o, "effective_flushes", r->lib_reader.flushes);
	put_u64(d, o, "stalled_polls", r->lib_reader.stalled_polls);
	put_u64(d, o, "submissions", r->io.submissions);
	put_u64(d, o, "completions", r->io.completions);
	put_u64(d, o, "short_writes", r->io.short_writes);
	put_u64(d, o, "retries", r->io.retries);
	put_u64(d, o, "bytes_written", r->io.bytes_written);
	put_u64(d, o, "max_in_flight", r->io.max_in_flight);
	put_dbl(d, o, "mean_in_flight", r->io.mean_in_flight);
	if (rs) {
		put_latency(d, o, "persist_latency_ns", &rs->persist_latency);
	} else {
		struct hist *empty = doc_malloc(sizeof(*empty));
		if (!empty) {
			d->oom = true;
			return;
		}
		hist_init(empty);
		put_latency(d, o, "persist_latency_ns", empty);
	}
}

/* A rate: n over secs, 0 for no time. */
static double per_second(uint64_t n, double secs)
{
	return secs > 0 ? (double)n / secs : 0.0;
}

static uint64_t since(uint64_t now, uint64_t then)
{
	return now > then ? now - then : 0;
}

/*
 * throughput: the averages since the start, and the rates since the
 * previous document (r->interval, which this updates), so that a dashboard
 * shows the current rate without differencing two documents.
 */
static void put_throughput(struct doc *d, cJSON *root, const struct run_report *r,
			   const struct totals *t)
{
	double secs = r->duration_seconds > 0 ? r->duration_seconds : 0.0;
	struct stats_interval none = {0}, *prev = r->interval ? r->interval : &none;
	double dt = secs > prev->seconds ? secs - prev->seconds : 0.0;
	cJSON *tp = put_obj(d, root, "throughput");

	put_dbl(d, tp, "blocks_per_second", per_second(t->persisted, secs));
	put_dbl(d, tp, "bytes_per_second", per_second(t->persisted_bytes, secs));
	put_dbl(d, tp, "packets_per_second", per_second(t->read, secs));
	put_dbl(d, tp, "dropped_blocks_per_second", per_second(t->dropped, secs));
	cJSON *iv = put_obj(d, tp, "interval");
	put_dbl(d, iv, "seconds", dt);
	put_dbl(d, iv, "blocks_per_second", per_second(since(t->persisted, prev->blocks), dt));
	put_dbl(d, iv, "bytes_per_second", per_second(since(t->persisted_bytes, prev->bytes), dt));
	put_dbl(d, iv, "packets_per_second", per_second(since(t->read, prev->packets), dt));
	put_dbl(d, iv, "dropped_blocks_per_second", per_second(since(t->dropped, prev->dropped), dt));
	if (r->interval)
		*r->interval = (struct stats_interval){ .seconds = secs, .blocks = t->persisted,
			.bytes = t->persisted_bytes, .packets = t->read, .dropped = t->dropped };
}

/* The document as a cJSON tree (caller deletes), or NULL when out of memory. */
static cJSON *build_document(const struct run_report *r)
{
	struct doc d = { .oom = false };
	struct totals t;
	cJSON *root = cJSON_CreateObject();
	if (!root)
		return NULL;

	sum_totals(r, &t);
	put_u64(&d, root, "schema_version", STATS_SCHEMA_VERSION);
	put_bool(&d, root, "final", r->final);
	put_run(&d, root, r);
	put_totals(&d, root, &t);
	put_block_sizes(&d, root, r);
	put_writers(&d, root, r);
	put_reader(&d, root, r);
	put_throughput(&d, root, r, &t);

	cJSON *rec = put_obj(&d, root, "reconciliation");
	put_u64(&d, rec, "generated_blocks", t.generated);
	put_u64(&d, rec, "persisted_blocks", t.persisted);
	put_u64(&d, rec, "dropped_blocks", t.dropped);
	put_u64(&d, rec, "generated_bytes", t.generated_bytes);
	put_u64(&d, rec, "persisted_bytes", t.persisted_bytes);
	put_u64(&d, rec, "dropped_bytes", t.dropped_bytes);
	put_u64(&d, rec, "read_packets", t.read);
	put_u64(&d, rec, "filtered_packets", t.filtered);
	put_u64(&d, rec, "read_bytes", t.read_bytes);
	put_u64(&d, rec, "filtered_bytes", t.filtered_bytes);
	/* Rotation: the sum over the files (removed ones included); else persisted_blocks. */
	put_u64(&d, rec, "files_persisted_blocks", t.rotating ? t.files_records : t.persisted);
	put_u64(&d, rec, "files_persisted_bytes", t.rotating ? t.files_record_bytes : t.persisted_bytes);
	if (t.live) {
		put_u64(&d, rec, "kernel_seen_packets", t.k_seen);
		put_u64(&d, rec, "kernel_dropped_packets", t.k_drops);
		put_u64(&d, rec, "captured_packets", t.read);
		put_u64(&d, rec, "after_count_packets", t.after_count);
	} else {
		put(&d, rec, "kernel_seen_packets", cJSON_CreateNull());
		put(&d, rec, "kernel_dropped_packets", cJSON_CreateNull());
		put(&d, rec, "captured_packets", cJSON_CreateNull());
		put(&d, rec, "after_count_packets", cJSON_CreateNull());
	}
	/* A snapshot of running threads is skewed by design: no verdict before the end. */
	put_bool(&d, rec, "file_verified", !r->file_unverified);
	put(&d, rec, "consistent",
	    r->final ? cJSON_CreateBool(consistent(&t) && !r->file_unverified) : cJSON_CreateNull());

	if (d.oom) {
		cJSON_Delete(root);
		return NULL;
	}
	return root;
}

char *stats_to_json(const struct run_report *r)
{
	if (!r)
		return NULL;

	doc_begin();
	cJSON *root = build_document(r);
	char *text = root ? cJSON_Print(root) : NULL;
	char *out = text ? strdup(text) : NULL; /* the caller's, from malloc */
	doc_end();
	return out;
}

/* --------------------------------------------------------- atomic replace */

/* The JSON text of root with a final newline, like every text file (in the arena). */
static char *json_text(const cJSON *root)
{
	char *text = cJSON_Print(root);
	if (!text)
		return NULL;
	size_t len = strlen(text);
	char *doc = doc_malloc(len + 2);
	if (!doc)
		return NULL;
	memcpy(doc, text, len);
	doc[len] = '\n';
	doc[len + 1] = '\0';
	return doc;
}

int stats_write_json(const struct run_report *r, const char *path, unsigned mode)
{
	const char *failed;

	return stats_write_files(r, path, NULL, mode, &failed);
}

int stats_write_files(const struct run_report *r, const char *json_path, const char *prom_path,
		      unsigned mode, const char **failed)
{
	int ret = 0, err;

	*failed = json_path ? json_path : prom_path;
	if (!r)
		return -ENOMEM;
	doc_begin();
	cJSON *root = build_document(r);
	if (!root) {
		doc_end();
		return -ENOMEM;
	}
	*failed = NULL;
	/* Each file is tried even when the other failed: the first error is the answer. */
	if (json_path) {
		char *doc = json_text(root);

		err = doc ? replace_file(json_path, doc, strlen(doc), mode) : -ENOMEM;
		if (err) {
			ret = err;
			*failed = json_path;
		}
	}
	if (prom_path) {
		char *text = prom_render(root, prom_path);

		err = text ? replace_file(prom_path, text, strlen(text), mode) : -ENOMEM;
		free(text);
		if (err && !ret) {
			ret = err;
			*failed = prom_path;
		}
	}
	doc_end(); /* the tree and the text with it */
	return ret;
}

/* ---------------------------------------------------------------- summary */

void stats_print_summary(const struct run_report *r)
{
	struct totals t;
	char line[1024], drops[256] = "";
	size_t n = 0;

	if (!r)
		return;
	sum_totals(r, &t);

	/* The reasons only when something was lost: attribution is the point. */
	if (t.dropped) {
		size_t k = 0;
		for (unsigned i = 0; i < DROP_REASONS && k < sizeof(drops); i++) {
			if (!t.drop[i])
				continue;
			int m = snprintf(drops + k, sizeof(drops) - k, "%s%s %" PRIu64,
					 k ? ", " : " (", drop_reason_names[i], t.drop[i]);
			k += m > 0 ? (size_t)m : 0;
		}
		if (k < sizeof(drops))
			snprintf(drops + k, sizeof(drops) - k, ")");
	}

	const char *engine = r->io.engine ? r->io.engine : planned_engine(r);
	const char *mode = r->io.direct ? (r->io.sync ? "O_DIRECT" : "O_DIRECT (no fdatasync)")
				       : (r->io.sync ? "buffered" : "buffered (no fdatasync)");
	const char *verdict = !r->final                                ? "running"
			      : consistent(&t) && !r->file_unverified ? "consistent"
			      : r->file_unverified ? "INCONSISTENT (the file could not be read back)"
						   : "INCONSISTENT";

	if (t.live)
		n = (size_t)snprintf(line, sizeof(line),
				     "dbcap: %" PRIu64 " packets captured, %" PRIu64
				     " packets received by filter, %" PRIu64
				     " packets dropped by kernel, %" PRIu64 " (%.1f MB) persisted in %.2f s, %"
				     PRIu64 " dropped by dbcap%s, %s %s, %s",
				     t.read, t.k_seen, t.k_drops, t.persisted,
				     (double)t.persisted_bytes / 1e6,
				     r->duration_seconds > 0 ? r->duration_seconds : 0.0, t.dropped,
				     drops, engine, mode, verdict);
	else if (t.replay)
		n = (size_t)snprintf(line, sizeof(line),
				     "dbcap: %" PRIu64 " packets read, %" PRIu64 " filtered out, %" PRIu64
				     " (%.1f MB) persisted in %.2f s, %" PRIu64 " dropped%s, %s %s, %s",
				     t.read, t.filtered, t.persisted, (double)t.persisted_bytes / 1e6,
				     r->duration_seconds > 0 ? r->duration_seconds : 0.0, t.dropped,
				     drops, engine, mode, verdict);
	else
		n = (size_t)snprintf(line, sizeof(line),
				     "dbcap: %" PRIu64 " blocks (%.1f MB) persisted in %.2f s, %" PRIu64
				     " dropped%s, %s %s, %s",
				     t.persisted, (double)t.persisted_bytes / 1e6,
				     r->duration_seconds > 0 ? r->duration_seconds : 0.0, t.dropped,
				     drops, engine, mode, verdict);
	/* An input that changed while it was replayed: said here too, not only in the document. */
	if (n < sizeof(line) && t.replay && r->input && r->input->grew)
		n += (size_t)snprintf(line + n, sizeof(line) - n,
				      ", input grew from %" PRIu64 " to %" PRIu64 " bytes (not replayed)",
				      r->input->file_bytes, r->input->file_bytes_now);
	if (n < sizeof(line) && t.replay && r->input && r->input->shrank)
		n += (size_t)snprintf(line + n, sizeof(line) - n,
				      ", input shrank from %" PRIu64 " to %" PRIu64 " bytes",
				      r->input->file_bytes, r->input->file_bytes_now);
	if (n < sizeof(line) && r->error)
		n += (size_t)snprintf(line + n, sizeof(line) - n, ", error: %s", r->error);
	(void)n;
	/* One call, so that the line is not interleaved with another thread's output. */
	fprintf(stderr, "%s\n", line);
}
