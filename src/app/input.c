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
	for (unsigned i = 0; app->cursors && i < app->o.writers; i++)
		replay_cursor_close(app->cursors[i]);
	free(app->cursors);
	app->cursors = NULL;
	replay_close(&app->replay);
}
