/* SPDX-License-Identifier: MIT */
/*
 * What the main thread reports: the statistics document (periodic and
 * final, to a file or standard output), the summary on standard error, and
 * replay's progress line on a terminal.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "paths.h"

double elapsed(const struct app *app)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - app->start_mono.tv_sec) +
	       (double)(t.tv_nsec - app->start_mono.tv_nsec) / 1e9;
}

static void fill_report(struct app *app, struct run_report *r, struct dbuf_writer_stats *lib,
			bool final, const char *stop_reason, const char *error)
{
	memset(r, 0, sizeof(*r));
	r->version = DBCAP_VERSION;
	r->start_real = app->start_real;
	clock_gettime(CLOCK_REALTIME, &r->end_real);
	r->duration_seconds = elapsed(app);
	r->final = final;
	r->stop_reason = stop_reason;
	r->error = error;
	r->buf = dbuf_get_config(app->db);
	r->nconfig = options_snapshot(&app->o, r->buf, r->config, STATS_CONFIG_MAX);
	r->mlock_result = dbuf_mlock_result(app->db);
	r->reader_cpu = app->o.reader_cpu;
	r->oversubscribed = app->o.oversubscribed;
	r->nwriters = app->o.writers;
	r->writers = app->ws;
	for (unsigned i = 0; i < app->o.writers; i++)
		dbuf_writer_stats(app->db, i, &lib[i]);
	r->lib = lib;
	r->reader = app->rs;
	dbuf_reader_stats(app->db, &r->lib_reader);
	/* Engine fields are known from the open; the counters from the reader's end. */
	r->io = app->io;
	r->output = app->o.output;
	r->output_kind = app->out_kind;
	r->output_format = options_format_name(app->format);
	r->mode = app->replaying ? "replay" : app->live_mode ? "live" : "synthetic";
	r->live = app->live_mode ? &app->live : NULL;
	r->input = app->replaying ? &app->input : NULL;
	r->sizes = app->o.stats_sizes;
	r->interval = &app->interval;
	r->file_unverified = final && app->file_unverified;
	if (app->replaying)
		input_watch(app);
}

/* --stats -: the final document on standard output.  0 or -errno. */
static int print_stats(const struct run_report *r)
{
	char *text = stats_to_json(r);
	int err = 0;

	if (!text)
		return -ENOMEM;
	if (puts(text) == EOF || fflush(stdout) == EOF)
		err = errno ? -errno : -EIO;
	free(text);
	return err;
}

/*
 * The document where --stats says and the metrics where --prom says (one
 * reading of the counters for both), and the summary line when asked.
 * 0 or -errno.
 */
static int report(struct app *app, bool final, bool summary, const char *stop_reason,
		  const char *error)
{
	struct dbuf_writer_stats *lib = calloc(app->o.writers, sizeof(*lib));
	const char *json = app->o.stats_path, *failed = NULL;
	struct run_report r;
	struct stats_rotation rot;
	struct stats_file *files = NULL;
	int err = 0;

	if (!lib)
		return -ENOMEM;
	fill_report(app, &r, lib, final, stop_reason, error);
	if (rotate_snapshot(app, &rot, &files))
		r.rotation = &rot;
	if (json && strcmp(json, STATS_TO_STDOUT) == 0) {
		/* paths_check() refused --stats - with --stats-interval: final only */
		err = final ? print_stats(&r) : 0;
		failed = json;
		json = NULL;
	}
	if (!err && (json || app->o.prom_path))
		err = stats_write_files(&r, json, app->o.prom_path, app->stats_mode, &failed);
	if (err)
		fprintf(stderr, "dbcap: %s: cannot write statistics: %s\n", failed, strerror(-err));
	if (summary)
		stats_print_summary(&r);
	free(files);
	free(lib);
	return err;
}

int report_write(struct app *app, bool final, const char *stop_reason, const char *error)
{
	return report(app, final, final && !app->o.quiet, stop_reason, error);
}

void report_now(struct app *app)
{
	/* Asked for by a signal: the summary even under -q, as tcpdump prints its counts. */
	report(app, false, true, NULL, NULL);
}

/* Live's progress line: captured, and dropped by the kernel, as tcpdump counts. */
static void live_progress(struct app *app, double t, uint64_t *last_pkts, double *last_t)
{
	uint64_t pkts = 0, drops = 0;

	for (unsigned i = 0; i < app->o.writers; i++)
		/* relaxed: each counter is read on its own, a line needs no consistent cut */
		pkts += atomic_load_explicit(&app->ws[i].replay.read, memory_order_relaxed);
	for (unsigned i = 0; i < app->live.nifaces; i++)
		drops += app->live.ifs[i].drops;
	double dt = t > *last_t ? t - *last_t : 0.0;
	fprintf(stderr, "\rdbcap: %" PRIu64 " packets captured, %" PRIu64
			" packets dropped by kernel; %.0f packets/s\033[K",
		pkts, drops, dt > 0 ? (double)(pkts - *last_pkts) / dt : 0.0);
	*last_pkts = pkts;
	*last_t = t;
}

/*
 * Replay's progress line on a terminal: packets and bytes read, their rate
 * since the last line, and how far the slowest writer is through the file.
 */
void report_progress(struct app *app, double t, uint64_t *last_pkts, uint64_t *last_bytes,
		     double *last_t)
{
	uint64_t pkts = 0, bytes = 0, pos = UINT64_MAX;

	if (app->live_mode) {
		live_progress(app, t, last_pkts, last_t);
		return;
	}
	for (unsigned i = 0; i < app->o.writers; i++) {
		const struct writer_stats *w = &app->ws[i];
		/* relaxed: each counter is read on its own, a line needs no consistent cut */
		uint64_t off = atomic_load_explicit(&w->replay.input_offset, memory_order_relaxed);

		pkts += atomic_load_explicit(&w->replay.read, memory_order_relaxed);
		bytes += atomic_load_explicit(&w->replay.read_bytes, memory_order_relaxed);
		if (off < pos)
			pos = off;
	}
	double pct = app->replay.size ? 100.0 * (double)pos / (double)app->replay.size : 100.0;
	double dt = t > *last_t ? t - *last_t : 0.0;
	double rate = dt > 0 ? (double)(pkts - *last_pkts) / dt : 0.0;
	double brate = dt > 0 ? (double)(bytes - *last_bytes) / dt : 0.0;
	fprintf(stderr,
		"\rdbcap: %5.1f%% of %s: %" PRIu64 " packets, %.1f MB; %.0f packets/s, %.1f MB/s\033[K",
		pct > 100.0 ? 100.0 : pct, app->o.pcap, pkts, (double)bytes / 1e6, rate, brate / 1e6);
	*last_pkts = pkts;
	*last_bytes = bytes;
	*last_t = t;
}
