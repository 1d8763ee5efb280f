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
#include <unistd.h>

#include "app.h"
#include "../format/pcap.h"

/*
 * Replay: opens and checks the input, then one cursor per writer, before
 * anything is created, so that a bad input leaves no output file behind.
 * Returns 0 or the exit status.
 */
int input_open(struct app *app)
{
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
	/*
	 * A fault in the mapping while a reservation is held can be left only
	 * in the per-writer layout (writers.c, replay_loop()): the others copy
	 * each packet from the mapping to a buffer of their own first.
	 */
	if (o->layout != DBUF_LAYOUT_PER_WRITER && app->replay.raw) {
		app->bounce = calloc(o->writers, sizeof(*app->bounce));
		for (unsigned i = 0; app->bounce && i < o->writers; i++) {
			app->bounce[i] = malloc(app->replay.raw_max ? app->replay.raw_max : 1);
			if (!app->bounce[i]) {
				fputs("dbcap: out of memory\n", stderr);
				return 1;
			}
		}
		if (!app->bounce) {
			fputs("dbcap: out of memory\n", stderr);
			return 1;
		}
	}
	err = replay_fault_install();
	if (err) {
		fprintf(stderr, "dbcap: sigaction: %s\n", strerror(-err));
		return 1;
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
	in->file_bytes_now = app->replay.size;
	/* A record must fit a buffer; the input's snapshot length bounds its records. */
	if (pcapf_rec_size(app->replay.snaplen) > dbuf_get_config(app->db)->buffer_size)
		fprintf(stderr, "dbcap: warning: %s: a packet of the snapshot length (%" PRIu32
				" bytes) does not fit a %zu-byte buffer; larger packets will be "
				"dropped as too big (raise --buffer-size)\n",
			o->pcap, app->replay.snaplen, dbuf_get_config(app->db)->buffer_size);
	app->progress = !o->quiet && isatty(STDERR_FILENO);
	return 0;
}

void input_watch(struct app *app)
{
	struct input_report *in = &app->input;
	int64_t now = replay_size_now(&app->replay);

	if (now < 0)
		return;
	in->file_bytes_now = (uint64_t)now;
	/* Sticky: a file that shrank and grew back was still cut under the writers. */
	in->shrank |= in->file_bytes_now < in->file_bytes;
	in->grew |= in->file_bytes_now > in->file_bytes;
}

/*
 * Replay, after the join: why the writers stopped, and whether the input
 * ended early (a cut or unreadable record, or a file cut while it was
 * replayed).  Returns the stop reason.
 */
const char *input_finish(struct app *app, const char *reason)
{
	struct input_report *in = &app->input;
	bool counted = false, cut = false;
	uint64_t cut_at = UINT64_MAX;

	input_watch(app);
	for (unsigned i = 0; i < app->o.writers; i++) {
		uint64_t good_end;
		const char *err = replay_error(app->cursors[i], &good_end);

		counted |= replay_count_reached(app->cursors[i]);
		if (!err)
			continue;
		/*
		 * A fault in the mapping, or libpcap's complaint about a file
		 * that is shorter now than when it was opened (it read zeros
		 * past the new end): the input shrank under this writer, which
		 * stopped at good_end.  Writers read the whole file each, so
		 * the earliest stop is where the replay became incomplete.
		 */
		if (replay_shrank(app->cursors[i]) || in->shrank) {
			cut = true;
			if (good_end < cut_at)
				cut_at = good_end;
			continue;
		}
		if (in->truncated)
			continue;
		/* Every writer reads the whole file: the first one's words will do. */
		snprintf(app->input_error, sizeof(app->input_error), "%s", err);
		in->truncated = true;
		in->error = app->input_error;
		in->unread_bytes = app->replay.size - good_end;
	}
	if (cut) {
		in->shrank = true;
		snprintf(app->input_error, sizeof(app->input_error),
			 "input shrank from %" PRIu64 " to %" PRIu64 " bytes while it was replayed",
			 in->file_bytes, in->file_bytes_now);
		in->truncated = true;
		in->error = app->input_error;
		in->unread_bytes = app->replay.size - cut_at;
	}
	if (strcmp(reason, "count") != 0)
		return reason;
	if (in->truncated)
		return "input error";
	return counted ? "count" : "end of input";
}

void input_close(struct app *app)
{
	for (unsigned i = 0; app->cursors && i < app->o.writers; i++)
		replay_cursor_close(app->cursors[i]);
	free(app->cursors);
	app->cursors = NULL;
	for (unsigned i = 0; app->bounce && i < app->o.writers; i++)
		free(app->bounce[i]);
	free(app->bounce);
	app->bounce = NULL;
	replay_close(&app->replay);
}
