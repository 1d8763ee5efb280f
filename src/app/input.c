/* SPDX-License-Identifier: MIT */
/*
 * Replay's input (--pcap): opened and checked, then one cursor per writer
 * (each writer replays its shard of the flows), all before the output is
 * created; after the join, whether the input ended early.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "../format/pcap.h"
#include "../format/pcapng.h"
#include "../util/hotpath.h"

/*
 * Replay: opens and checks the input, then one cursor per writer, before
 * anything is created, so that a bad input leaves no output file behind.
 * Returns 0 or the exit status.
 */
/* A record of the largest frame (snapshot length, a VLAN tag put back) must fit a buffer. */
static void check_record_fits(struct app *app)
{
	uint64_t rec = app->live_pcapng ? pcapng_epb_size(app->live.snaplen)
					: pcapf_rec_size(app->live.snaplen);
	size_t room = dbuf_get_config(app->db)->buffer_size;

	if (rec > room)
		fprintf(stderr, "dbcap: warning: a frame of the snapshot length (%" PRIu32
				" bytes) does not fit a %zu-byte buffer; larger frames will be "
				"dropped as too big (raise --buffer-size, or lower -s)\n",
			app->live.snaplen, room);
}

/*
 * Live: the interfaces' sockets and rings, one cursor per writer, before
 * anything is created: a missing interface or privilege leaves no file.
 */
static int live_input_open(struct app *app)
{
	const struct dbcap_opts *o = &app->o;
	struct live_opts lo = {
		.ifaces = o->interface, .filter = o->filter, .snaplen = o->snaplen,
		.promisc = !o->no_promisc, .writers = o->writers,
		.block_size = o->ring_block_size > UINT32_MAX ? 0 : (uint32_t)o->ring_block_size,
		.block_count = o->ring_blocks,
		.retire_ms = (uint32_t)(o->ring_retire * 1000.0 + 0.5),
		.count = o->count,
	};
	char msg[1024];

	if (lo.retire_ms == 0)
		lo.retire_ms = 1;
	int err = live_open(&app->live, &lo, stderr, msg, sizeof(msg));
	if (err) {
		fprintf(stderr, "dbcap: %s\n", msg);
		return err == LIVE_BAD_FILTER ? 2 : 1;
	}
	app->live_cursors = calloc(o->writers, sizeof(*app->live_cursors));
	if (!app->live_cursors) {
		fputs("dbcap: out of memory\n", stderr);
		return 1;
	}
	for (unsigned i = 0; i < o->writers; i++) {
		if (live_cursor_open(&app->live, i, &app->live_cursors[i]) < 0) {
			fputs("dbcap: out of memory\n", stderr);
			return 1;
		}
	}
	check_record_fits(app);
	/* tcpdump's line; tests wait for it before they send. */
	if (!o->quiet) {
		for (unsigned i = 0; i < app->live.nifaces; i++) {
			const struct live_iface *ifc = &app->live.ifs[i];
			fprintf(stderr, "dbcap: listening on %s, link-type %s, snapshot length %" PRIu32
					" bytes, %u writer%s\n",
				ifc->name, ifc->linktype_name ? ifc->linktype_name : "?",
				app->live.snaplen, o->writers, o->writers == 1 ? "" : "s");
		}
	}
	app->progress = !o->quiet && isatty(STDERR_FILENO);
	return 0;
}

/* The frames the writers took from the rings, and those after -c (relaxed: a decision only). */
static uint64_t live_taken(const struct app *app)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < app->o.writers; i++) {
		const struct writer_stats *w = &app->ws[i];
		n += atomic_load_explicit(&w->replay.read, memory_order_relaxed);
		n += atomic_load_explicit(&w->live.after_count, memory_order_relaxed);
	}
	return n;
}

/* How long the drain waits for the writers to take what the kernel counted. */
#define LIVE_DRAIN_NS (2000ull * 1000 * 1000)

void input_live_drain(struct app *app)
{
	struct live *lv = &app->live;
	uint64_t seen = 0, drops = 0;
	struct timespec nap = {0, 2 * 1000 * 1000};
	uint64_t give_up = now_ns(CLOCK_MONOTONIC) + LIVE_DRAIN_NS +
			   3ull * app->live.o.retire_ms * 1000 * 1000;

	live_quiesce(lv);
	/*
	 * The kernel counts a frame when it puts it in a block; the block
	 * reaches user space when full or when its timer retires it.  Wait
	 * until the writers took every frame counted (or the bound passed:
	 * then the writers' last look may miss some, and the statistics say
	 * inconsistent), so that their last look after the stop is final.
	 */
	for (;;) {
		live_poll_stats(lv);
		seen = drops = 0;
		for (unsigned i = 0; i < lv->nifaces; i++) {
			seen += lv->ifs[i].seen;
			drops += lv->ifs[i].drops;
		}
		if (live_taken(app) + drops >= seen || now_ns(CLOCK_MONOTONIC) >= give_up)
			break;
		nanosleep(&nap, NULL);
	}
}

void input_live_finish(struct app *app)
{
	live_poll_stats(&app->live);
	live_read_sys_end(&app->live);
}

int input_open(struct app *app)
{
	if (app->live_mode)
		return live_input_open(app);
	if (!app->replaying)
		return 0; /* the synthetic source has no input */
	const struct dbcap_opts *o = &app->o;
	struct replay_opts ro = {
		.path = o->pcap, .filter = o->filter, .snaplen = o->snaplen,
		.count = o->count, .speed = o->speed, .writers = o->writers,
	};
	char msg[1024];
	int err = replay_open(&app->replay, &ro, msg, sizeof(msg));

	if (err) {
		fprintf(stderr, "dbcap: %s\n", msg);
		return err == REPLAY_BAD_FILTER ? 2 : 1;
	}
	app->cursors = calloc(o->writers, sizeof(*app->cursors));
	if (!app->cursors) {
		fputs("dbcap: out of memory\n", stderr);
		return 1;
	}
	for (unsigned i = 0; i < o->writers; i++) {
		if (replay_cursor_open(&app->replay, i, &app->cursors[i], msg, sizeof(msg)) < 0) {
			fprintf(stderr, "dbcap: %s\n", msg);
			return 1;
		}
	}
	struct input_report *in = &app->input;
	in->path = o->pcap;
	in->format = app->replay.format;
	in->linktype = app->replay.linktype & 0xffffu;
	in->linktype_name = app->replay.linktype_name;
	in->snaplen = app->replay.snaplen_in;
	in->nano = app->replay.nano;
	in->filter = o->filter;
	in->file_bytes = app->replay.size;
	/* A record must fit a buffer; the input's snapshot length bounds its records. */
	if (pcapf_rec_size(app->replay.snaplen) > dbuf_get_config(app->db)->buffer_size)
		fprintf(stderr, "dbcap: warning: %s: a packet of the snapshot length (%" PRIu32
				" bytes) does not fit a %zu-byte buffer; larger packets will be "
				"dropped as too big (raise --buffer-size)\n",
			o->pcap, app->replay.snaplen, dbuf_get_config(app->db)->buffer_size);
	app->progress = !o->quiet && isatty(STDERR_FILENO);
	return 0;
}

/*
 * Replay, after the join: why the writers stopped, and whether the input
 * ended early (a cut or unreadable record).  Returns the stop reason.
 */
const char *input_finish(struct app *app, const char *reason)
{
	bool counted = false;

	for (unsigned i = 0; i < app->o.writers; i++) {
		uint64_t good_end;
		const char *err = replay_error(app->cursors[i], &good_end);

		counted |= replay_count_reached(app->cursors[i]);
		if (!err || app->input.truncated)
			continue;
		/* Every writer reads the whole file: the first one's words will do. */
		snprintf(app->input_error, sizeof(app->input_error), "%s", err);
		app->input.truncated = true;
		app->input.error = app->input_error;
		app->input.unread_bytes = app->replay.size - good_end;
	}
	if (strcmp(reason, "count") != 0)
		return reason;
	if (app->input.truncated)
		return "input error";
	return counted ? "count" : "end of input";
}

void input_close(struct app *app)
{
	for (unsigned i = 0; app->live_cursors && i < app->o.writers; i++)
		live_cursor_close(app->live_cursors[i]);
	free(app->live_cursors);
	app->live_cursors = NULL;
	if (app->live_mode)
		live_close(&app->live);
	for (unsigned i = 0; app->cursors && i < app->o.writers; i++)
		replay_cursor_close(app->cursors[i]);
	free(app->cursors);
	app->cursors = NULL;
	replay_close(&app->replay);
}
