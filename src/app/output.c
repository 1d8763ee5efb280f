/* SPDX-License-Identifier: MIT */
/*
 * The capture file: created through persistence with the buffer's regions
 * registered, and its header written as the stream's first chunk before
 * any writer starts.  The reader thread owns the file from then on.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
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
 * The file header, in the run's format (--format):
 *   replay, pcap:      the input's pcap header as libpcap writes it (replay.h)
 *   replay, pcapng:    the input's interfaces (replay_pcapng_header())
 *   synthetic, pcapng: a section with one interface per writer ("dbcap-wN")
 *   synthetic, pcap:   nanosecond records of link type USER0
 *   live:              live_header()
 * Returns it with its length in *len (0: out of memory, or msg says why);
 * the caller frees it.
 */
static uint8_t *build_header(const struct app *app, size_t *len, char *msg, size_t msglen)
{
	const struct dbcap_opts *o = &app->o;
	size_t hcap = 256 + (size_t)o->writers * 64;
	uint8_t *header = NULL;

	if (app->live_mode)
		hcap += (size_t)app->live.nifaces * (64 + (o->filter ? strlen(o->filter) + 8 : 0));
	*len = 0;
	snprintf(msg, msglen, "%s", strerror(ENOMEM));
	if (app->replaying && app->format == FORMAT_PCAPNG) {
		if (replay_pcapng_header(&app->replay, "dbcap " DBCAP_VERSION, &header, len, msg,
					 msglen) < 0)
			*len = 0;
		return header;
	}
	header = malloc(hcap);
	if (header && app->live_mode) {
		*len = live_header(app, header, hcap);
	} else if (header && app->replaying) {
		memcpy(header, app->replay.header, sizeof(app->replay.header));
		*len = sizeof(app->replay.header);
	} else if (header && app->format == FORMAT_PCAP) {
		*len = pcapf_file_header(header, true, o->block_max, PCAPNG_LINKTYPE_USER0);
	} else if (header) {
		*len = pcapng_file_header(header, hcap, o->writers, PCAPNG_LINKTYPE_USER0,
					  o->block_max, "dbcap " DBCAP_VERSION);
	}
	return header;
}

/*
 * The header, written at once: a run that cannot write it does not start.
 * 0 or -errno, with what failed in msg.
 */
static int write_header(struct app *app, char *msg, size_t msglen)
{
	size_t hlen;
	uint8_t *header = build_header(app, &hlen, msg, msglen);
	int err = hlen ? persist_append(app->persist, header, hlen, -1, NULL) : -ENOMEM;

	if (err == 0)
		err = persist_write_tail(app->persist); /* header is freed next */
	if (hlen && err)
		snprintf(msg, msglen, "%s: write: %s", app->o.output, strerror(-err));
	if (err == 0) {
		counter_add(&app->rs->file_bytes, hlen);
		rotate_data(app, header, hlen); /* a rotating run's digest starts with the header */
		app->header_len = hlen;
	}
	free(header);
	return err;
}

/* The persistence settings from the options; the regions registered are all of them. */
static void persist_settings(const struct app *app, struct persist_opts *po, unsigned nregions,
			     int fd)
{
	const struct dbcap_opts *o = &app->o;

	memset(po, 0, sizeof(*po));
	po->path = rotate_current_path(app); /* rotation: the file's temporary name */
	po->stream = app->stream_out;
	po->stream_fd = app->stream_out ? fd : -1;
	po->force = o->force;
	po->engine = o->io_engine;
	po->direct = options_direct(o);
	po->no_sync = !options_sync(o);
	po->depth = o->io_depth;
	/*
	 * pcap has no end marker: keep the file a prefix of the stream
	 * (DESIGN.md).  A replay is ordered in pcapng too (it always was).
	 */
	po->ordered = app->replaying || app->format == FORMAT_PCAP;
	po->regions = app->regions;
	po->nregions = nregions;
	po->latency = &app->rs->persist_latency;
}

/*
 * -w - or a FIFO: the stream's descriptor in *fd.  Standard output is moved
 * to a descriptor of its own and /dev/null put in its place, so that nothing
 * printed by mistake can land in the capture stream (and the reader sees its
 * end when persistence closes it).  A FIFO is opened without blocking: while
 * no one reads it, open() would wait deaf to SIGINT (main blocks it), so the
 * wait is here, taking the stop signals.  0 or the exit status, said.
 */
static int open_stream(struct app *app, int *fd)
{
	const char *path = app->o.output;
	bool said = false;

	if (strcmp(path, "-") == 0) {
		if (isatty(STDOUT_FILENO)) {
			fputs("dbcap: -w -: standard output is a terminal; redirect it to a file or "
			      "a pipe\n", stderr);
			return 2;
		}
		*fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (*fd < 0 || null < 0 || dup2(null, STDOUT_FILENO) < 0) {
			fprintf(stderr, "dbcap: -w -: standard output: %s\n", strerror(errno));
			if (*fd >= 0)
				close(*fd);
			if (null >= 0)
				close(null);
			return 1;
		}
		close(null);
		return 0;
	}
	for (;;) {
		*fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
		if (*fd >= 0)
			break;
		if (errno != ENXIO) {
			fprintf(stderr, "dbcap: %s: %s\n", path, strerror(errno));
			return 1;
		}
		/* ENXIO: nobody reads the FIFO yet. */
		if (!said && !app->o.quiet)
			fprintf(stderr, "dbcap: %s: waiting for a reader of the FIFO\n", path);
		said = true;
		int sig = wait_stop_signal(app, 50 * 1000 * 1000);
		if (sig) {
			fprintf(stderr, "dbcap: %s: %s while waiting for a reader of the FIFO; "
					"nothing captured\n", path, stop_signal_name(sig));
			return 1;
		}
	}
	/* Blocking from now on: a full pipe holds the reader thread back, as a slow disk does. */
	int flags = fcntl(*fd, F_GETFL);
	if (flags < 0 || fcntl(*fd, F_SETFL, flags & ~O_NONBLOCK) < 0) {
		fprintf(stderr, "dbcap: %s: %s\n", path, strerror(errno));
		close(*fd);
		return 1;
	}
	return 0;
}

/* Whether -w names standard output or a FIFO; sets app->stream_out and out_kind. */
static void output_kind(struct app *app)
{
	struct stat st;

	app->stream_out = true;
	if (strcmp(app->o.output, "-") == 0)
		app->out_kind = "stdout";
	else if (stat(app->o.output, &st) == 0 && S_ISFIFO(st.st_mode))
		app->out_kind = "fifo";
	else {
		app->out_kind = "file";
		app->stream_out = false;
	}
}

int output_open(struct app *app)
{
	const struct dbcap_opts *o = &app->o;
	struct persist_opts po;
	char msg[512];
	int err, fd = -1;

	output_kind(app);
	if (app->stream_out && app->rot) {
		/* -w - is refused with the options; a FIFO is known only here. */
		fprintf(stderr, "dbcap: -w %s: a FIFO cannot rotate: -C and -G need a file name\n",
			o->output);
		return 2;
	}
	if (app->stream_out) {
		if (options_direct(o) == IO_ON) {
			fprintf(stderr, "dbcap: -w %s: O_DIRECT (--direct) is not possible on a stream "
					"(a pipe or FIFO)\n", o->output);
			return 2;
		}
		err = open_stream(app, &fd);
		if (err)
			return err;
	}

	/* Every region, however many: per-writer has writers x buffers of them. */
	unsigned nregions = dbuf_regions(app->db, NULL, 0);
	app->regions = calloc(nregions, sizeof(*app->regions));
	if (!app->regions) {
		fputs("dbcap: out of memory\n", stderr);
		if (fd >= 0)
			close(fd);
		return 1;
	}
	dbuf_regions(app->db, app->regions, nregions);
	err = rotate_begin(app, msg, sizeof(msg));
	if (err) {
		fprintf(stderr, "dbcap: -w %s: %s\n", app->o.output, msg);
		if (fd >= 0)
			close(fd);
		return 1;
	}
	persist_settings(app, &po, nregions, fd);
	err = persist_open(&po, &app->persist, msg, sizeof(msg));
	if (err) {
		fprintf(stderr, "dbcap: %s: %s\n", po.path, msg); /* msg: the reason */
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
	if (app->stream_out) {
		/* A pipe's bits say nothing: what a file created here would get (0640, less the umask). */
		mode_t mask = umask(0);
		umask(mask);
		app->stats_mode = 0640 & ~mask;
	}

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
		if (!app->stream_out)
			unlink(rotate_current_path(app));
		return err;
	}
	err = write_header(app, msg, sizeof(msg));
	if (err) {
		fprintf(stderr, "dbcap: %s\n", msg);
		uint64_t d;
		persist_close(app->persist, &d);
		app->persist = NULL;
		if (!app->stream_out && (app->replaying || app->live_mode || app->rot || err == -ENOMEM))
			unlink(rotate_current_path(app)); /* not one record in it: leave nothing behind */
		return 1;
	}
	return 0;
}

int output_next(struct app *app, char *msg, size_t msglen)
{
	struct persist_opts po;
	int err = rotate_begin(app, msg, msglen);

	if (err)
		return err;
	persist_settings(app, &po, dbuf_regions(app->db, NULL, 0), -1); /* rotation: never a stream */
	err = persist_open(&po, &app->persist, msg, msglen);
	if (err)
		return err;
	err = write_header(app, msg, msglen);
	if (err) {
		uint64_t d;

		persist_close(app->persist, &d);
		app->persist = NULL;
		unlink(rotate_current_path(app));
	}
	return err;
}
