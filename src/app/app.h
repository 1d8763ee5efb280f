/* SPDX-License-Identifier: MIT */
/*
 * app.h - what the dbcap program's threads share: struct app, and the entry
 * points of the files that src/app/dbcap.c's main() calls in turn.
 *
 *   writers.c  the writer threads' loops (synthetic and replay)
 *   reader.c   the reader thread: persistence's ring, reaping, abort, salvage
 *   output.c   the capture file: opening it and writing its header
 *   input.c    replay's input: opening, sharding, why it ended
 *   report.c   the statistics document, the summary, the progress line
 *   dbcap.c    main(): setup, the threads' start and stop, the wait
 *
 *   writers --dbuf_reserve/commit--> buffer --dbuf_reader_next--> reader
 *   reader --persist_append--> file        reader --counters--> stats
 */
#ifndef DBCAP_APP_H
#define DBCAP_APP_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>
#include <time.h>

#include "dbuf.h"
#include "notify.h"
#include "options.h"
#include "../format/format.h"
#include "../persist/persist.h"
#include "../source/live.h"
#include "../source/replay.h"
#include "../stats/stats.h"
#include "rotate.h"
#include "../util/counter.h" /* counter_add(): inline, the writers call it on every block */

#ifndef DBCAP_VERSION
#define DBCAP_VERSION "0.1.0"
#endif

struct writer_arg {
	struct app *app;
	unsigned id;
};

/* Everything the threads share.  Each field names who writes it. */
struct app {
	struct dbcap_opts o;                /* main, before the threads start */
	struct dbuf *db;                    /* main */
	struct persist *persist;            /* reader (after main opened it) */
	struct writer_stats *ws;            /* each writer its own element */
	struct reader_stats *rs;            /* reader */
	uint64_t *quota;                    /* main: blocks per writer under -c, 0 = none */
	pthread_t *writer_threads, reader_thread;
	bool reader_started;                /* main: reader_thread exists (it closes the file) */
	unsigned writers_started;           /* main: writer_threads[0..n) exist */
	struct writer_arg *args;            /* main: writer i's start argument */
	pthread_t main_thread;              /* main: replay's last writer wakes it */
	sigset_t sigs;                      /* main: the signals only main takes (sigtimedwait) */
	const struct capfmt *fmt;           /* main: the output's format (the reader walks it) */
	enum out_format format;             /* main: the same, as --format names it */
	bool stream_out;                    /* main: -w is standard output or a FIFO (a stream) */
	const char *out_kind;               /* main: "file", "stdout" or "fifo" (run.output_kind) */
	int input_fd;                       /* main: -r - or a FIFO copied into a memfd, else -1 */
	struct iovec *regions;              /* main: the buffer's regions, registered by persist */

	/* Replay mode: main sets these up before the threads start; read-only after. */
	bool replaying;
	struct replay replay;
	struct replay_cursor **cursors;     /* cursor i belongs to writer i */
	uint8_t **bounce;                   /* writer i's copy of a packet before it reserves
	                                       (shared and mutex layouts; else NULL) */
	struct input_report input;          /* main; truncated/error after the join */
	char input_error[512];              /* main, after the join */
	bool progress;                      /* main: a progress line on the terminal */

	/* Live mode (-i): main opens the rings before the threads start; see source/live.h. */
	bool live_mode;
	bool live_pcapng;                   /* main: several interfaces, a pcapng file */
	struct live live;                   /* main; the writers read what live_open() set */
	struct live_cursor **live_cursors;  /* cursor i belongs to writer i */
	const char *live_gone;              /* main: the interface that disappeared, or NULL */
	char live_error[128];               /* main: its message */

	_Atomic bool go;                    /* main: writers start producing */
	_Atomic bool stop;                  /* main: writers stop producing */
	_Atomic unsigned writers_done;      /* writers: count of finished writers */
	_Atomic int io_error;               /* reader: first fatal I/O error (-errno) */
	_Atomic bool writers_joined;        /* main: every writer returned; the drain may end */
	_Atomic bool abort_drain;           /* main: a second stop signal: write nothing more */
	_Atomic bool reader_finished;       /* reader: the file is closed; main may join now */
	struct rotation *rot;               /* main before the threads (NULL: one file, no rotation);
	                                       then the reader's, and main's snapshots (rotate.h) */
	_Atomic bool rotate_now;            /* main: SIGHUP; the reader takes it (exchange) */
	_Atomic bool min_free_stop;         /* reader: --min-free found no file left to remove */
	size_t header_len;                  /* main at the open, then the reader (the same value
	                                       for each file): a file's header, which -C counts */

	unsigned stats_mode;                /* main, before the threads: the capture's permission bits */
	struct stats_interval interval;     /* main: the previous document's totals (throughput.interval) */
	struct notify notify;               /* main: systemd's watchdog (notify.h) */
	struct io_report io;                /* main at the open; then the reader, in finish() only,
	                                       which main never overlaps: it reads io for a report
	                                       while the writers run, or after the join */
	uint64_t durable;                   /* reader, after the join */
	bool file_unverified;               /* reader, after the join: after a write error the
	                                       file could not be read back (salvage()) */
	char error_msg[4200];               /* reader, after the join */
	struct timespec start_real, start_mono;
	uint64_t start_mono_ns;             /* main, before go: pacing's origin */
};

/* Replay's last writer wakes main with it (SIGUSR1 is the user's: statistics now). */
#define DBCAP_SIG_WAKE SIGRTMIN

/*
 * dbcap.c (main thread, before the threads start): waits up to wait_ns for
 * a signal and returns it if it asks for a stop (SIGINT, SIGTERM, SIGHUP,
 * SIGQUIT), else 0.  For the waits of the start (a FIFO's other end, the
 * input from a pipe), which must not be deaf to a stop.  The signal's name.
 */
int wait_stop_signal(struct app *app, long wait_ns);
const char *stop_signal_name(int sig);

/*
 * privs.c: -Z USER, once the sockets and files are open and before the first
 * write (output_open() calls it).  0 or the exit status (said).
 */
int privs_drop(struct app *app);

/* writers.c: writer thread wa->id's body (argp: a struct writer_arg). */
void *writer_main(void *argp);

/* reader.c: the reader thread's body (argp: the struct app). */
void *reader_main(void *argp);

/*
 * output.c: creates the capture file, registers the buffer's regions and
 * writes the file header.  Main thread, before the threads start.  Returns 0
 * or the exit status, after a message; on failure nothing is left open.
 */
int output_open(struct app *app);
/*
 * output.c, reader thread (rotation): opens the next file of the series and
 * writes its header.  0 or -errno, with the reason in msg.
 */
int output_next(struct app *app, char *msg, size_t msglen);

/*
 * input.c (main thread).  input_open() opens and checks replay's input and
 * one cursor per writer (nothing without --pcap): 0 or the exit status,
 * after a message.
 * input_finish(), after the join: the stop reason, with the input's end
 * folded in.  input_close(): every cursor and the input, NULL-safe.
 */
int input_open(struct app *app);
/*
 * input.c, live mode (main thread): before the stop, live_quiesce() and a
 * wait until the writers took every frame the kernel counted; after the
 * join, the kernel's last counts and the interfaces' counters.
 */
void input_live_drain(struct app *app);
void input_live_finish(struct app *app);
const char *input_finish(struct app *app, const char *reason);
/* Main: the input's size now (fstat) into app->input: file_bytes_now, shrank, grew. */
void input_watch(struct app *app);
void input_close(struct app *app);

/*
 * report.c (main thread).  Seconds since the start; the statistics document
 * (periodic or final, then the summary) as 0 or -errno; the progress line.
 */
double elapsed(const struct app *app);
int report_write(struct app *app, bool final, const char *stop_reason, const char *error);
/* SIGUSR1: the statistics document now (not final) and the summary line; the run goes on. */
void report_now(struct app *app);
void report_progress(struct app *app, double t, uint64_t *last_pkts, uint64_t *last_bytes,
		     double *last_t);

#endif /* DBCAP_APP_H */
