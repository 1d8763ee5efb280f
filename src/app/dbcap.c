/* SPDX-License-Identifier: MIT */
/*
 * dbcap: N pinned writer threads produce blocks into the buffer library,
 * one reader thread persists them with io_uring and keeps the statistics,
 * the main thread waits for a stop condition and writes the JSON document.
 *
 * The writers' source is synthetic blocks (pcapng output), or with --pcap
 * the packets of a capture file (pcap output, src/source/replay.h).  This
 * file is main() and the steps it calls in turn; app.h lists the others.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "memcheck.h"
#include "paths.h"
#include "../util/hotpath.h"

/* Yields in one wait before an oversubscribed writer naps (dbuf.h, yield_limit). */
#define DBCAP_YIELD_LIMIT 8u

/* How long a stop waits for the writers to return before it closes the buffer. */
#define STOP_GRACE_NS (500 * 1000 * 1000ull)

/* parse()'s "go on": not an exit status. */
#define PARSED (-1)

/*
 * The options, and the output's format they imply.  Returns PARSED, or the
 * exit status: 0 after --help or --version, 2 after a usage error.
 */
static int parse(struct app *app, int argc, char **argv)
{
	options_defaults(&app->o);
	int err = options_parse(&app->o, argc, argv);
	if (err > 0 && app->o.list_interfaces)
		return live_list_interfaces(stdout); /* -D */
	if (err)
		return err > 0 ? 0 : 2;
	app->replaying = app->o.pcap != NULL;
	app->live_mode = app->o.interface != NULL;
	bool conflict;
	app->format = options_format(&app->o, &conflict);
	app->fmt = app->format == FORMAT_PCAPNG ? &capfmt_pcapng : &capfmt_pcap;
	if (conflict)
		fprintf(stderr, "dbcap: warning: -w %s: the name says %s, --format says %s; "
				"writing %s\n",
			app->o.output, app->format == FORMAT_PCAP ? "pcapng" : "pcap",
			options_format_name(app->format), options_format_name(app->format));
	/* Several interfaces ("a,b") need pcapng's interface blocks; one may be either. */
	app->live_pcapng = app->live_mode && app->format == FORMAT_PCAPNG;
	if (app->live_mode && !app->live_pcapng && strchr(app->o.interface, ',')) {
		fprintf(stderr, "dbcap: -i %s: several interfaces need pcapng (one interface block "
				"each); -w %s asks for pcap\n", app->o.interface, app->o.output);
		return 2;
	}
	return PARSED;
}

/*
 * Signals go to main alone (sigtimedwait); the threads inherit the mask.
 * What each does (dbcap(1), SIGNALS):
 *   SIGINT, SIGTERM, SIGHUP, SIGQUIT  stop the run cleanly: the writers stop,
 *                                     the reader writes what they committed,
 *                                     the final statistics.  SIGHUP is left
 *                                     ignored where dbcap was started with it
 *                                     ignored (nohup), as tcpdump does
 *   SIGHUP, when the run rotates      a new file now (logrotate's convention);
 *                                     the run goes on
 *   SIGUSR1                           the statistics now, and the summary line
 *   DBCAP_SIG_WAKE                    replay's last writer, or the reader at
 *                                     its end: look now
 *   SIGPIPE, SIGXFSZ                  ignored: a write to a closed pipe or past
 *                                     RLIMIT_FSIZE fails with EPIPE or EFBIG,
 *                                     which is reported, instead of killing
 *                                     dbcap with nothing said
 */
static void block_signals(struct app *app)
{
	static const int stop_sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
	struct sigaction hup;

	sigemptyset(&app->sigs);
	for (size_t i = 0; i < sizeof(stop_sigs) / sizeof(stop_sigs[0]); i++)
		sigaddset(&app->sigs, stop_sigs[i]);
	/*
	 * A blocked signal is queued even when its action is "ignore", so
	 * sigtimedwait() would take a SIGHUP that nohup asked to ignore.  A
	 * rotating run takes it all the same: there it only begins a new file
	 * (what logrotate sends it for), which a hang-up cannot do harm with.
	 */
	if (sigaction(SIGHUP, NULL, &hup) == 0 && hup.sa_handler == SIG_IGN &&
	    !options_rotating(&app->o))
		sigdelset(&app->sigs, SIGHUP);
	sigaddset(&app->sigs, SIGUSR1);
	sigaddset(&app->sigs, DBCAP_SIG_WAKE);
	app->main_thread = pthread_self();
	pthread_sigmask(SIG_BLOCK, &app->sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN);
}

/*
 * A signal sigtimedwait() took that stops the run (not SIGUSR1, not a
 * wake-up, not the SIGHUP that asks a rotating run for a new file).
 */
static bool is_stop_signal(const struct app *app, int sig)
{
	return sig > 0 && sig != SIGUSR1 && sig != DBCAP_SIG_WAKE && !(sig == SIGHUP && app->rot);
}

static const char *signal_name(int sig)
{
	switch (sig) {
	case SIGINT: return "SIGINT";
	case SIGTERM: return "SIGTERM";
	case SIGHUP: return "SIGHUP";
	case SIGQUIT: return "SIGQUIT";
	default: return "a signal";
	}
}

int wait_stop_signal(struct app *app, long wait_ns)
{
	struct timespec tick = {wait_ns / 1000000000L, wait_ns % 1000000000L};
	int sig = sigtimedwait(&app->sigs, NULL, &tick);

	return is_stop_signal(app, sig) ? sig : 0;
}

const char *stop_signal_name(int sig)
{
	return signal_name(sig);
}

/* The buffer, as the options say.  0 or the exit status, after a message. */
static int create_buffer(struct app *app)
{
	const struct dbcap_opts *o = &app->o;
	struct dbuf_config bc;

	if (limits_check_memory(o))
		return 1;
	dbuf_config_init(&bc);
	bc.layout = o->layout;
	bc.writers = o->writers;
	bc.buffers = o->buffers;
	bc.buffer_size = o->buffer_size;
	bc.on_full = o->on_full;
	/*
	 * Writers that share cores with each other or with the reader nap after
	 * a few yields in one wait (dbuf.h, yield_limit): yielding in a loop
	 * took the cores from the reader they wait for (BENCHMARKS.md).
	 */
	bc.yield_limit = o->oversubscribed ? DBCAP_YIELD_LIMIT : 0;
	int err = dbuf_create(&bc, &app->db);
	if (err) {
		fprintf(stderr, "dbcap: cannot create the buffer: %s\n", strerror(-err));
		return 1;
	}
	if (dbuf_mlock_result(app->db))
		fprintf(stderr, "dbcap: warning: buffers not locked in memory (mlock: %s); "
				"page faults may add latency\n",
			strerror(-dbuf_mlock_result(app->db)));
	return 0;
}

/*
 * The threads' statistics, the writers' quotas under -c, the thread
 * handles.  0 or the exit status, after a message; free_state() undoes it.
 */
static int alloc_state(struct app *app)
{
	const struct dbcap_opts *o = &app->o;

	app->ws = aligned_alloc(64, o->writers * sizeof(*app->ws));
	app->rs = aligned_alloc(64, sizeof(*app->rs));
	app->quota = calloc(o->writers, sizeof(*app->quota));
	app->writer_threads = calloc(o->writers, sizeof(*app->writer_threads));
	app->args = calloc(o->writers, sizeof(*app->args));
	if (!app->ws || !app->rs || !app->quota || !app->writer_threads || !app->args) {
		fputs("dbcap: out of memory\n", stderr);
		return 1;
	}
	memset(app->ws, 0, o->writers * sizeof(*app->ws));
	memset(app->rs, 0, sizeof(*app->rs));
	for (unsigned i = 0; i < o->writers; i++) {
		hist_init(&app->ws[i].write_latency);
		app->ws[i].cpu = -1;
		if (o->count && !app->replaying && !app->live_mode)
			app->quota[i] = o->count / o->writers + (i < o->count % o->writers);
	}
	/* A writer with a zero quota under -c must not run unbounded (replay: -c is global). */
	if (o->count && o->count < o->writers && !app->replaying && !app->live_mode) {
		fprintf(stderr, "dbcap: -c %llu is smaller than --writers %u\n",
			(unsigned long long)o->count, o->writers);
		return 2;
	}
	hist_init(&app->rs->persist_latency);
	return 0;
}

static void free_state(struct app *app)
{
	free(app->ws);
	free(app->rs);
	free(app->quota);
	free(app->writer_threads);
	free(app->args);
}

static void pin_and_name(pthread_t t, int cpu, const char *name)
{
	if (cpu >= 0) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		int err = pthread_setaffinity_np(t, sizeof(set), &set);
		if (err)
			fprintf(stderr, "dbcap: warning: cannot pin %s to CPU %d: %s\n", name, cpu,
				strerror(err));
	}
	pthread_setname_np(t, name);
}

/* The reader, then each writer, pinned and named.  0 or -errno: what started stays. */
static int create_threads(struct app *app)
{
	const struct dbcap_opts *o = &app->o;
	char name[24]; /* "dbcap-w255" fits the kernel's 16 bytes; the slack quiets -Wformat-truncation */
	int err = pthread_create(&app->reader_thread, NULL, reader_main, app);

	if (err)
		return -err;
	app->reader_started = true;
	pin_and_name(app->reader_thread, o->reader_cpu, "dbcap-reader");
	for (unsigned i = 0; i < o->writers; i++) {
		app->args[i].app = app;
		app->args[i].id = i;
		app->ws[i].cpu = o->cpus[i];
		err = pthread_create(&app->writer_threads[i], NULL, writer_main, &app->args[i]);
		if (err)
			return -err; /* the caller stops and joins the writers_started that did */
		/* glibc may leave a handle behind even when the create fails: count, do not look */
		app->writers_started++;
		snprintf(name, sizeof(name), "dbcap-w%u", i);
		pin_and_name(app->writer_threads[i], o->cpus[i], name);
	}
	return 0;
}

/*
 * Starts the clocks and the threads, then lets the writers go (also after a
 * failed start: what started then sees the stop).  0 or -errno.
 */
static int start_threads(struct app *app)
{
	clock_gettime(CLOCK_REALTIME, &app->start_real);
	clock_gettime(CLOCK_MONOTONIC, &app->start_mono);
	app->start_mono_ns = now_ns(CLOCK_MONOTONIC);
	int err = create_threads(app);
	/* pairs with the acquire load of go in writer_main() */
	atomic_store_explicit(&app->go, true, memory_order_release);
	return err;
}

/*
 * Waits for a stop condition: the count reached (every writer finished its
 * quota; in replay, every writer reached the end of the input or -c), the
 * duration elapsed, SIGINT/SIGTERM, or a fatal I/O error.  Writes the
 * periodic statistics (and replay's progress line) meanwhile.  Returns the
 * stop reason.
 */
static const char *wait_for_stop(struct app *app)
{
	const struct dbcap_opts *o = &app->o;
	double next_stats = o->stats_interval > 0 ? o->stats_interval : -1;
	double next_progress = 0.25, progress_t = 0;
	uint64_t progress_pkts = 0, progress_bytes = 0;
	static char reason[32];

	notify_init(&app->notify);
	notify_ready(app->replaying ? "replaying" : "capturing", o->output);
	for (;;) {
		struct timespec tick = {0, 50 * 1000 * 1000};
		int sig = sigtimedwait(&app->sigs, NULL, &tick);
		if (sig == SIGUSR1)
			report_now(app);
		/* relaxed: a request with no data; the reader exchanges it */
		if (sig == SIGHUP && app->rot)
			atomic_store_explicit(&app->rotate_now, true, memory_order_relaxed);
		/* Otherwise a wake-up, a tick or nothing: look now, replay's writers may be done. */
		if (is_stop_signal(app, sig)) {
			snprintf(reason, sizeof(reason), "signal %s", signal_name(sig));
			return reason;
		}
		/* pairs with the release CAS in reader_fail() */
		if (atomic_load_explicit(&app->io_error, memory_order_acquire))
			return "error";
		/* relaxed: only decides to stop; the joins order the rest */
		if (atomic_load_explicit(&app->min_free_stop, memory_order_relaxed))
			return "min_free";
		/* relaxed: only decides to stop; the joins in stop_threads() order the data */
		if (atomic_load_explicit(&app->writers_done, memory_order_relaxed) == o->writers)
			return "count";
		if (app->live_mode) {
			/* PACKET_STATISTICS resets when read: main alone reads it and sums. */
			live_poll_stats(&app->live);
			if (live_count_reached(&app->live))
				return "count";
			app->live_gone = live_check_ifaces(&app->live);
			if (app->live_gone)
				return "interface disappeared";
		}
		double t = elapsed(app);
		notify_alive(&app->notify, t);
		if (o->duration > 0 && t >= o->duration)
			return "duration";
		if (next_stats > 0 && t >= next_stats) {
			report_write(app, false, NULL, NULL);
			next_stats += o->stats_interval;
		}
		if (app->progress && t >= next_progress) {
			report_progress(app, t, &progress_pkts, &progress_bytes, &progress_t);
			next_progress = t + 0.25;
		}
	}
}

/*
 * While stopping: whether a second stop signal came.  SIGUSR1 is not
 * answered any more: the reader is finishing the file and its report
 * (app.io), which main may read only after the join; the final document
 * follows shortly.
 */
static bool stop_signal(struct app *app, long wait_ns)
{
	struct timespec tick = {0, wait_ns};
	return is_stop_signal(app, sigtimedwait(&app->sigs, NULL, &tick));
}

/* rotate_hooks_finish()'s test of the stop signal, ticking 10 ms. */
static bool hooks_stop(struct app *app)
{
	return stop_signal(app, 10 * 1000 * 1000);
}

/* How long the end of a run waits for post-rotate commands still running (-z). */
#define HOOK_END_WAIT_NS (5 * 1000 * 1000 * 1000ull)

/*
 * The stop, in a bounded time however many writers share the cores:
 *
 *  1. The stop flag; the writers finish the block in hand and return.  If
 *     they have not all returned within STOP_GRACE_NS (or a second stop
 *     signal comes), dbuf_close(): a writer still waiting for room gives up
 *     its block at once (counted as dropped, reason closed) instead of
 *     waiting for the reader.  With many writers napping on few cores the
 *     reader got too little of them to make that room (128 writers on 2
 *     cores did not stop in minutes).  Committed blocks stay for the reader.
 *  2. Join the writers; then tell the reader that none is left, so that the
 *     buffer's "closed and drained" is final (dbuf.h: the writers must have
 *     returned before the reader's last ENODATA counts).
 *  3. Wait for the reader to write what was committed and close the file,
 *     taking signals meanwhile: a second stop signal cuts the drain short
 *     (what is still in the buffer is counted as dropped, reason aborted;
 *     what was handed to the kernel is written).
 */
static void stop_threads(struct app *app)
{
	const unsigned started = app->writers_started;
	uint64_t give_up = now_ns(CLOCK_MONOTONIC) + STOP_GRACE_NS;
	bool again = false;

	notify_stopping();

	/* relaxed: see the loops in writer_main() and replay_writer(); the joins order the rest */
	atomic_store_explicit(&app->stop, true, memory_order_relaxed);
	/* relaxed: only decides how long to wait; the joins below order the data */
	while (atomic_load_explicit(&app->writers_done, memory_order_relaxed) < started &&
	       now_ns(CLOCK_MONOTONIC) < give_up && !(again = stop_signal(app, 10 * 1000 * 1000)))
		;
	dbuf_close(app->db);
	for (unsigned i = 0; i < started; i++)
		pthread_join(app->writer_threads[i], NULL);
	/* pairs with the acquire load in reader_main(): the writers' last commits happened before */
	atomic_store_explicit(&app->writers_joined, true, memory_order_release);
	if (app->reader_started) {
		/*
		 * A second stop signal during the grace counts as well: it is not
		 * asked for twice.  The reader wakes main when it is done
		 * (DBCAP_SIG_WAKE), so the join follows at once.  acquire: pairs
		 * with the release store at the end of reader_main(); only a
		 * decision, the join orders the reader's work.
		 */
		while (!again && !atomic_load_explicit(&app->reader_finished, memory_order_acquire))
			again = stop_signal(app, 20 * 1000 * 1000);
		if (again) {
			/* relaxed: a request with no data; the join orders what the reader did */
			atomic_store_explicit(&app->abort_drain, true, memory_order_relaxed);
			fputs("dbcap: stopping now: what is not written yet is counted as dropped "
			      "(aborted)\n", stderr);
		}
		pthread_join(app->reader_thread, NULL);
	} else {
		/* No reader to drain and close the file: it holds the header alone. */
		persist_close(app->persist, &app->durable);
	}
	if (app->progress)
		fputs("\r\033[K", stderr); /* the progress line goes */
}

/*
 * After the join: the error or warning lines, the final statistics and the
 * summary.  Returns the exit status: 0, 3 for a truncated input, else 1.
 */
static int report_run(struct app *app, const char *reason, int start_err)
{
	if (app->replaying)
		reason = input_finish(app, reason);
	/* The reader is joined: the rotation's commands are main's now. */
	rotate_hooks_finish(app, HOOK_END_WAIT_NS, hooks_stop);
	/* pairs with the release CAS in reader_fail(); the join also orders it */
	int ioerr = atomic_load_explicit(&app->io_error, memory_order_acquire);
	const char *error = ioerr ? app->error_msg : (start_err ? "cannot start threads" : NULL);
	if (!error && app->live_gone) {
		/* tcpdump: "The interface disappeared"; the file is complete, the run failed. */
		snprintf(app->live_error, sizeof(app->live_error), "%s: the interface disappeared",
			 app->live_gone);
		error = app->live_error;
	}
	if (error)
		fprintf(stderr, "dbcap: %s\n", error);
	if (app->input.truncated)
		fprintf(stderr, "dbcap: warning: %s: %s; the records before it were replayed, "
				"the last %" PRIu64 " bytes were not\n",
			app->o.pcap, app->input.error, app->input.unread_bytes);
	if (app->input.grew)
		fprintf(stderr, "dbcap: warning: %s: input grew from %" PRIu64 " to %" PRIu64
				" bytes while it was replayed; what was added was not replayed (the "
				"file is replayed as it was when opened)\n",
			app->o.pcap, app->input.file_bytes, app->input.file_bytes_now);
	else if (app->input.shrank && !app->input.truncated)
		fprintf(stderr, "dbcap: warning: %s: input shrank from %" PRIu64 " to %" PRIu64
				" bytes after its records were read; every record was replayed\n",
			app->o.pcap, app->input.file_bytes, app->input.file_bytes_now);
	if (!error && strcmp(reason, "min_free") == 0) {
		error = "the free space fell to --min-free with no file of this run left to remove";
		fprintf(stderr, "dbcap: %s: %s; stopped (the files are complete)\n", app->o.output,
			error);
	}
	if (report_write(app, true, ioerr ? "error" : reason, error) == 0 && !error)
		return app->input.truncated ? 3 : 0;
	return 1;
}

int main(int argc, char **argv)
{
	struct app *app = calloc(1, sizeof(*app));
	const char *reason;
	int rc, err;

	if (!app) {
		fputs("dbcap: out of memory\n", stderr);
		return 1;
	}
	app->input_fd = -1;
	rc = parse(app, argc, argv);
	if (rc != PARSED)
		goto out_options;
	/* Before anything is created: a run that would lose a file, or its report, does not start. */
	rc = paths_check(&app->o);
	if (rc)
		goto out_options;
	if (options_assign_cpus(&app->o) != 0) {
		rc = 2;
		goto out_options;
	}
	block_signals(app);
	rc = create_buffer(app);
	if (rc)
		goto out_options;
	rc = alloc_state(app);
	if (rc)
		goto out_state;
	rc = input_open(app);
	if (rc)
		goto out_input;
	rc = rotate_init(app);
	if (rc)
		goto out_output;
	rc = output_open(app); /* -Z drops privileges in it; from here the reader owns the file */
	if (rc)
		goto out_output;

	err = start_threads(app);
	reason = err ? "error" : wait_for_stop(app);
	if (err)
		fprintf(stderr, "dbcap: cannot start threads: %s\n", strerror(-err));
	if (app->live_mode && !err)
		input_live_drain(app);
	stop_threads(app);
	if (app->live_mode)
		input_live_finish(app);
	rc = report_run(app, reason, err);

out_output:
	rotate_free(app);
	free(app->regions); /* persistence held them until the reader closed the file */
out_input:
	input_close(app);
out_state:
	free_state(app);
	dbuf_destroy(app->db); /* create_buffer() succeeded to get here */
out_options:
	options_free(&app->o);
	free(app);
	return rc;
}
