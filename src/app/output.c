/* SPDX-License-Identifier: MIT */
/*
 * The capture file: created through persistence with the buffer's regions
 * registered, and its header written as the stream's first chunk before
 * any writer starts.  The reader thread owns the file from then on.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app.h"
#include "../format/pcap.h"
#include "../format/pcapng.h"

/*
 * Live: one interface gives a pcap file (its link type, nanoseconds), as
 * tcpdump -w writes; several a pcapng section with one interface each (its
 * name, link type, snapshot length, nanoseconds, the filter).  0: no room.
 */
static size_t live_header(const struct app *app, uint8_t *dst, size_t cap)
{
	const struct live *lv = &app->live;

	if (!app->live_pcapng) {
		uint32_t h[6] = {PCAPF_MAGIC_NS, 2u | (4u << 16), 0, 0, lv->snaplen,
				 lv->ifs[0].linktype};
		if (cap < sizeof(h))
			return 0;
		memcpy(dst, h, sizeof(h));
		return sizeof(h);
	}
	size_t n = pcapng_file_header(dst, cap, 0, 0, 0, "dbcap " DBCAP_VERSION);
	for (unsigned i = 0; n && i < lv->nifaces; i++) {
		size_t m = pcapng_idb(dst + n, cap - n, (uint16_t)lv->ifs[i].linktype, lv->snaplen,
				      lv->ifs[i].name, app->o.filter);
		n = m ? n + m : 0;
	}
	return n;
}

/*
 * The file header: replay copies the input's pcap header (src/source/replay.h),
 * the synthetic source has a pcapng section with one interface per writer.
 * Returns its length in *len (0 when out of memory); the caller frees it.
 */
static uint8_t *build_header(const struct app *app, size_t *len)
{
	const struct dbcap_opts *o = &app->o;
	size_t hcap = 256 + (size_t)o->writers * 64;
	uint8_t *header;

	if (app->live_mode)
		hcap += (size_t)app->live.nifaces * (64 + (o->filter ? strlen(o->filter) + 8 : 0));
	header = malloc(hcap);
	*len = 0;
	if (header && app->live_mode) {
		*len = live_header(app, header, hcap);
	} else if (header && app->replaying) {
		memcpy(header, app->replay.header, sizeof(app->replay.header));
		*len = sizeof(app->replay.header);
	} else if (header) {
		*len = pcapng_file_header(header, hcap, o->writers, PCAPNG_LINKTYPE_USER0,
					  o->block_max, "dbcap " DBCAP_VERSION);
	}
	return header;
}

/* The header, written at once: a run that cannot write it does not start.  0 or -errno. */
static int write_header(struct app *app)
{
	size_t hlen;
	uint8_t *header = build_header(app, &hlen);
	int err = hlen ? persist_append(app->persist, header, hlen, -1, NULL) : -ENOMEM;

	if (err == 0)
		err = persist_write_tail(app->persist); /* header is freed next */
	free(header);
	if (err == 0)
		counter_add(&app->rs->file_bytes, hlen);
	return err;
}

/* The persistence settings from the options; the regions registered are all of them. */
static void persist_settings(const struct app *app, struct persist_opts *po, unsigned nregions)
{
	const struct dbcap_opts *o = &app->o;

	memset(po, 0, sizeof(*po));
	po->path = o->output;
	po->force = o->force;
	po->engine = o->io_engine;
	po->direct = options_direct(o);
	po->no_sync = !options_sync(o);
	po->depth = o->io_depth;
	/* pcap has no end marker: keep the file a prefix of the stream (DESIGN.md). */
	po->ordered = app->replaying || (app->live_mode && !app->live_pcapng);
	po->regions = app->regions;
	po->nregions = nregions;
	po->latency = &app->rs->persist_latency;
}

int output_open(struct app *app)
{
	const struct dbcap_opts *o = &app->o;
	struct persist_opts po;
	char msg[512];
	int err;

	/* Every region, however many: per-writer has writers x buffers of them. */
	unsigned nregions = dbuf_regions(app->db, NULL, 0);
	app->regions = calloc(nregions, sizeof(*app->regions));
	if (!app->regions) {
		fputs("dbcap: out of memory\n", stderr);
		return 1;
	}
	dbuf_regions(app->db, app->regions, nregions);
	persist_settings(app, &po, nregions);
	err = persist_open(&po, &app->persist, msg, sizeof(msg));
	if (err) {
		fprintf(stderr, "dbcap: %s: %s\n", app->o.output, msg); /* msg: the reason */
		return 1;
	}
	persist_report(app->persist, &app->io);
	if (app->io.fallback_reason)
		fprintf(stderr, "dbcap: warning: io_uring unavailable (%s); writing with pwrite\n",
			app->io.fallback_reason);
	/*
	 * Buffered writes through io_uring register the buffer's regions; a
	 * refusal costs speed, not data, but must not pass unnoticed.
	 */
	if (strcmp(app->io.engine, "io_uring") == 0 && !app->io.direct &&
	    !app->io.registered_buffers)
		fprintf(stderr, "dbcap: warning: the %u buffer regions (%zu bytes) are not registered "
				"with io_uring (refused: pinned memory beyond RLIMIT_MEMLOCK, or more "
				"buffers than the kernel allows); writing unregistered\n",
			nregions, (size_t)nregions * dbuf_get_config(app->db)->buffer_size);
	/* The statistics get the capture's permissions: the same readers (its umask applied). */
	struct stat out_st;
	app->stats_mode = fstat(persist_fd(app->persist), &out_st) == 0 ? out_st.st_mode & 0777 : 0640;

	/*
	 * -Z: everything that needs a privilege is open.  Before the first
	 * write: io_uring's workers, which the writes start, take the
	 * credentials of the thread that starts them, and one started as root
	 * would stay root for the rest of the run.
	 */
	err = privs_drop(app);
	if (err) {
		uint64_t d;
		persist_close(app->persist, &d);
		app->persist = NULL;
		unlink(o->output);
		return err;
	}
	err = write_header(app);
	if (err) {
		fprintf(stderr, "dbcap: %s: write: %s\n", o->output, strerror(-err));
		uint64_t d;
		persist_close(app->persist, &d);
		app->persist = NULL;
		if (app->replaying || app->live_mode)
			unlink(o->output); /* not one record in it: leave nothing behind */
		return 1;
	}
	return 0;
}
