/* SPDX-License-Identifier: MIT */
/*
 * Replay's input (--pcap): opened and checked, then one cursor per writer
 * (each writer replays its shard of the flows), all before the output is
 * created; after the join, whether the input ended early.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "../format/pcap.h"
#include "../format/pcapng.h"
#include "../util/hotpath.h"

/* What is read from a stream at a time. */
#define SLURP_CHUNK ((size_t)1 << 20)

/* Writes all of buf to fd.  0 or -errno. */
static int write_all(int fd, const uint8_t *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Copies the stream in into a memfd, to its end, taking the stop signals
 * meanwhile: poll() first, so that neither a FIFO with no writer yet nor a
 * quiet pipe keeps main deaf to SIGINT.  0 and *out, or the exit status,
 * said.
 */
static int slurp(struct app *app, int in, const char *name, int *out)
{
	uint8_t *buf = malloc(SLURP_CHUNK);
	int memfd = memfd_create("dbcap-input", MFD_CLOEXEC);
	int rc = 0;

	if (!buf || memfd < 0) {
		fprintf(stderr, "dbcap: %s: cannot hold the input in memory: %s\n", name,
			strerror(buf ? errno : ENOMEM));
		rc = 1;
		goto out;
	}
	for (;;) {
		struct pollfd pfd = {.fd = in, .events = POLLIN};
		int sig = wait_stop_signal(app, 0);

		if (sig) {
			fprintf(stderr, "dbcap: %s: %s while reading the input; nothing replayed\n",
				name, stop_signal_name(sig));
			rc = 1;
			break;
		}
		int ready = poll(&pfd, 1, 50);
		if (ready < 0 && errno != EINTR) {
			fprintf(stderr, "dbcap: %s: poll: %s\n", name, strerror(errno));
			rc = 1;
			break;
		}
		if (ready <= 0)
			continue;
		ssize_t n = read(in, buf, SLURP_CHUNK);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0) {
			fprintf(stderr, "dbcap: %s: read: %s\n", name, strerror(errno));
			rc = 1;
			break;
		}
		if (n == 0)
			break; /* the writer closed its end: the input is whole */
		int err = write_all(memfd, buf, (size_t)n);
		if (err) {
			fprintf(stderr, "dbcap: %s: cannot hold the input in memory: %s\n", name,
				strerror(-err));
			rc = 1;
			break;
		}
	}
	/* libpcap reads the copy from its descriptor's offset: the start. */
	if (!rc && lseek(memfd, 0, SEEK_SET) != 0) {
		fprintf(stderr, "dbcap: %s: lseek: %s\n", name, strerror(errno));
		rc = 1;
	}
out:
	free(buf);
	if (rc && memfd >= 0)
		close(memfd);
	if (!rc)
		*out = memfd;
	return rc;
}

/*
 * -r - (standard input) or -r FIFO: read whole into memory (a memfd) before
 * the replay starts, since the replay maps its input and every writer walks
 * all of it.  Standard input that is a regular file at its start is mapped
 * as it is.  Sets app->input_fd (-1: the input is a file, opened by name)
 * and the input's kind.  0 or the exit status, said.
 */
static int input_stream(struct app *app, const char **kind)
{
	const char *path = app->o.pcap;
	struct stat st;
	int in, rc;

	*kind = "file";
	if (strcmp(path, "-") == 0) {
		*kind = "stdin";
		if (isatty(STDIN_FILENO)) {
			fputs("dbcap: -r -: standard input is a terminal; give a capture file or a "
			      "pipe\n", stderr);
			return 2;
		}
		if (fstat(STDIN_FILENO, &st) == 0 && S_ISREG(st.st_mode) &&
		    lseek(STDIN_FILENO, 0, SEEK_CUR) == 0) {
			app->input_fd = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
			if (app->input_fd < 0) {
				fprintf(stderr, "dbcap: -r -: %s\n", strerror(errno));
				return 1;
			}
			return 0;
		}
		return slurp(app, STDIN_FILENO, "-", &app->input_fd);
	}
	/* stat() does not block; open() of a FIFO would, until a writer comes. */
	if (stat(path, &st) != 0 || !S_ISFIFO(st.st_mode))
		return 0;
	*kind = "fifo";
	in = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (in < 0) {
		fprintf(stderr, "dbcap: %s: %s\n", path, strerror(errno));
		return 1;
	}
	rc = slurp(app, in, path, &app->input_fd);
	close(in);
	return rc;
}

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
	const char *kind;
	int err = input_stream(app, &kind);

	if (err)
		return err;
	ro.from_fd = app->input_fd >= 0;
	ro.fd = app->input_fd;
	err = replay_open(&app->replay, &ro, msg, sizeof(msg));
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
	in->kind = kind;
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
	for (unsigned i = 0; app->bounce && i < app->o.writers; i++)
		free(app->bounce[i]);
	free(app->bounce);
	app->bounce = NULL;
	replay_close(&app->replay);
	if (app->input_fd >= 0)
		close(app->input_fd);
	app->input_fd = -1;
}
