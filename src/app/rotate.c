/* SPDX-License-Identifier: MIT */
/*
 * The files of a rotating run (rotate.h).  The reader thread cuts the
 * stream between records (reader.c); this file names the pieces, writes
 * each under a temporary name and renames it when it is complete, keeps
 * its SHA-256 as the bytes go by, runs the post-rotate command, and
 * removes old files (-W, --min-free).
 *
 * The list of files (rot->files) is the reader's to change and main's to
 * copy for the statistics: both under rot->lock, held for a few stores or
 * one copy, never across a syscall of the reader's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "rotate.h"
#include "../util/durable.h"
#include "../util/hotpath.h"

/* Removed files whose entries stay listed; older ones are summed up (forgotten). */
#define ROT_KEEP_REMOVED 16u
/* Entries allocated (and touched) at the start, so that a steady run does not grow. */
#define ROT_INITIAL_FILES 256u
/* Post-rotate commands running at once, and completed files waiting for one. */
#define HOOK_MAX_RUNNING 4u
#define HOOK_QUEUE 64u
/* The temporary name: the final one with this added. */
#define PART_SUFFIX ".part"

extern char **environ;

struct hook_job {
	uint64_t seq;
	char *path;        /* the completed file's final path (malloc) */
	pid_t pid;         /* running: the child */
	uint64_t start_ns; /* running: CLOCK_MONOTONIC */
};

struct rotation {
	pthread_mutex_t lock;          /* files, nfiles, cap and sum: reader writes, main copies */
	struct stats_file *files;      /* in order of seq; the last is the one being written */
	unsigned nfiles, cap;
	struct stats_rotation sum;     /* counters; files/nfiles unused here */

	/* The reader's alone (main's before the reader starts). */
	char dir[PATH_MAX];            /* the output's directory */
	char base[NAME_MAX + 1];       /* -w's last name: a strftime(3) template */
	char final_path[PATH_MAX];     /* the current file's name when complete */
	char part_path[PATH_MAX];      /* the name it is written under */
	uint64_t seq;                  /* the current file's number */
	uint64_t interval_ns;          /* -G, in ns; 0: none */
	uint64_t next_boundary_ns;     /* CLOCK_REALTIME of the next -G boundary */
	uint64_t file_bytes, file_records, file_record_bytes;
	uint64_t file_first_ns, file_last_ns;
	bool digest;
	EVP_MD_CTX *md;
	char prev_sha256[65];
	int64_t room;                  /* --min-free: bytes that may be written before a look */
	uint64_t next_look_ns;         /* --min-free: CLOCK_MONOTONIC of the next statvfs */
	struct hook_job running[HOOK_MAX_RUNNING];
	unsigned nrunning;
	struct hook_job queue[HOOK_QUEUE];
	unsigned qhead, qlen;
};

const char *rotate_current_path(const struct app *app)
{
	return app->rot ? app->rot->part_path : app->o.output;
}

/* The entry of file seq, or NULL (forgotten).  Under the lock. */
static struct stats_file *entry(struct rotation *rot, uint64_t seq)
{
	if (!rot->nfiles || seq < rot->files[0].seq || seq > rot->files[rot->nfiles - 1].seq)
		return NULL;
	return &rot->files[seq - rot->files[0].seq];
}

static struct stats_file *current(struct rotation *rot)
{
	return &rot->files[rot->nfiles - 1];
}

int rotate_init(struct app *app)
{
	const struct dbcap_opts *o = &app->o;
	struct rotation *rot;
	const char *slash;

	if (!options_rotating(o))
		return 0;
	rot = calloc(1, sizeof(*rot));
	if (!rot) {
		fputs("dbcap: out of memory\n", stderr);
		return 1;
	}
	app->rot = rot;
	pthread_mutex_init(&rot->lock, NULL);
	if (parent_dir_name(o->output, rot->dir) < 0) {
		fprintf(stderr, "dbcap: %s: %s\n", o->output, strerror(ENAMETOOLONG));
		return 2;
	}
	slash = strrchr(o->output, '/');
	slash = slash ? slash + 1 : o->output;
	if (!*slash || strlen(slash) > NAME_MAX - 32) {
		fprintf(stderr, "dbcap: -w %s: a rotating run needs a file name of at most %d "
				"characters after its directory\n", o->output, NAME_MAX - 32);
		return 2;
	}
	snprintf(rot->base, sizeof(rot->base), "%s", slash);
	rot->cap = ROT_INITIAL_FILES;
	rot->files = calloc(rot->cap, sizeof(*rot->files));
	if (!rot->files) {
		fputs("dbcap: out of memory\n", stderr);
		return 1;
	}
	/* Touched now: a run that rotates for months keeps the memory it started with. */
	memset(rot->files, 0, rot->cap * sizeof(*rot->files));
	rot->interval_ns = (uint64_t)o->rotate_seconds * 1000000000ull;
	rot->digest = o->digest == IO_ON;
	if (rot->digest) {
		rot->md = EVP_MD_CTX_new();
		if (!rot->md) {
			fputs("dbcap: cannot set up SHA-256 (EVP_MD_CTX_new)\n", stderr);
			return 1;
		}
	}
	if (access(rot->dir, W_OK | X_OK) < 0) {
		fprintf(stderr, "dbcap: %s: %s\n", rot->dir, strerror(errno));
		return 1;
	}
	return 0;
}

void rotate_free(struct app *app)
{
	struct rotation *rot = app->rot;

	if (!rot)
		return;
	for (unsigned i = 0; i < rot->nrunning; i++)
		free(rot->running[i].path);
	for (unsigned i = 0; i < rot->qlen; i++)
		free(rot->queue[(rot->qhead + i) % HOOK_QUEUE].path);
	EVP_MD_CTX_free(rot->md);
	free(rot->files);
	pthread_mutex_destroy(&rot->lock);
	free(rot);
	app->rot = NULL;
}

/*
 * The name of file seq that starts at t (seconds since 1970): with -G, -w's
 * last name through strftime(3) in UTC (so that names sort in time order across a
 * change of daylight saving time), then "-NNNNNN" (seq, at least six digits)
 * before its extension: cap.pcapng -> cap-000001.pcapng.
 */
static int make_name(struct rotation *rot, uint64_t seq, time_t t, char *out, size_t n)
{
	char expanded[NAME_MAX + 1];
	struct tm tm;
	size_t len;

	if (rot->interval_ns && strchr(rot->base, '%')) {
		gmtime_r(&t, &tm);
		len = strftime(expanded, sizeof(expanded) - 16, rot->base, &tm);
		if (len == 0 || strchr(expanded, '/'))
			return -EINVAL;
	} else {
		snprintf(expanded, sizeof(expanded), "%s", rot->base);
	}
	char *dot = strrchr(expanded, '.');
	if (dot == expanded)
		dot = NULL; /* a hidden name has no extension */
	size_t stem = dot ? (size_t)(dot - expanded) : strlen(expanded);
	int w = snprintf(out, n, "%.*s-%06" PRIu64 "%s", (int)stem, expanded, seq, dot ? dot : "");
	return w > 0 && (size_t)w < n ? 0 : -ENAMETOOLONG;
}

/* The start of the file that begins now: -G's span, else the clock. */
static time_t file_start(struct rotation *rot, uint64_t now)
{
	if (rot->interval_ns)
		return (time_t)(now / rot->interval_ns * rot->interval_ns / 1000000000ull);
	return (time_t)(now / 1000000000ull);
}

/* Finds room for one more entry, dropping the oldest removed ones beyond the kept few.  Locked. */
static int make_entry_room(struct rotation *rot)
{
	unsigned removed = 0, drop = 0;

	for (unsigned i = 0; i < rot->nfiles; i++)
		removed += strcmp(rot->files[i].state, "removed") == 0;
	while (drop < rot->nfiles && removed > ROT_KEEP_REMOVED &&
	       strcmp(rot->files[drop].state, "removed") == 0) {
		const struct stats_file *f = &rot->files[drop];

		rot->sum.forgotten_files++;
		rot->sum.forgotten_records += f->records;
		rot->sum.forgotten_record_bytes += f->record_bytes;
		rot->sum.forgotten_bytes += f->bytes;
		removed--;
		drop++;
	}
	if (drop) {
		memmove(rot->files, rot->files + drop, (rot->nfiles - drop) * sizeof(*rot->files));
		rot->nfiles -= drop;
	}
	if (rot->nfiles < rot->cap)
		return 0;
	struct stats_file *grown = realloc(rot->files, 2 * rot->cap * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	rot->files = grown;
	rot->cap *= 2;
	return 0;
}

static void apply_count(struct app *app);

int rotate_begin(struct app *app, char *msg, size_t msglen)
{
	struct rotation *rot = app->rot;
	char name[NAME_MAX + 1];
	uint64_t now = now_ns(CLOCK_REALTIME);
	struct stat st;
	int err;

	if (!rot)
		return 0;
	/* -W: room for the file about to begin (the last file of a run removes nothing). */
	if (rot->seq > 0)
		apply_count(app);
	rot->seq++;
	if (rot->interval_ns)
		rot->next_boundary_ns = (now / rot->interval_ns + 1) * rot->interval_ns;
	err = make_name(rot, rot->seq, file_start(rot, now), name, sizeof(name));
	if (err) {
		snprintf(msg, msglen, "cannot make the name of file %" PRIu64 " from \"%s\"%s",
			 rot->seq, rot->base, err == -EINVAL ? " (empty, or a '/' in a conversion)" : "");
		return err;
	}
	if ((size_t)snprintf(rot->final_path, sizeof(rot->final_path), "%s/%s", rot->dir, name) >=
		    sizeof(rot->final_path) ||
	    (size_t)snprintf(rot->part_path, sizeof(rot->part_path), "%s%s", rot->final_path,
			     PART_SUFFIX) >= sizeof(rot->part_path)) {
		snprintf(msg, msglen, "%s", strerror(ENAMETOOLONG));
		return -ENAMETOOLONG;
	}
	/* The final name must be free as well: the rename would replace it. */
	if (!app->o.force && lstat(rot->final_path, &st) == 0) {
		snprintf(msg, msglen, "%s: %s (use --force to replace it)", rot->final_path,
			 strerror(EEXIST));
		return -EEXIST;
	}
	if (rot->digest && EVP_DigestInit_ex(rot->md, EVP_sha256(), NULL) != 1) {
		snprintf(msg, msglen, "cannot start SHA-256");
		return -EIO;
	}
	rot->file_bytes = rot->file_records = rot->file_record_bytes = 0;
	pthread_mutex_lock(&rot->lock);
	err = make_entry_room(rot);
	if (err == 0) {
		struct stats_file *f = &rot->files[rot->nfiles++];

		memset(f, 0, sizeof(*f));
		f->seq = rot->seq;
		snprintf(f->name, sizeof(f->name), "%s", name);
		f->state = "writing";
		memcpy(f->prev_sha256, rot->prev_sha256, sizeof(f->prev_sha256));
		rot->sum.files_created++;
		if (rot->seq > 1)
			rot->sum.rotations++;
	}
	pthread_mutex_unlock(&rot->lock);
	if (err)
		snprintf(msg, msglen, "%s", strerror(-err));
	return err;
}

/* The current entry's counts, as the reader has them now. */
static void publish(struct rotation *rot)
{
	pthread_mutex_lock(&rot->lock);
	struct stats_file *f = current(rot);
	f->records = rot->file_records;
	f->record_bytes = rot->file_record_bytes;
	f->has_time = rot->file_records > 0;
	f->first_ns = rot->file_first_ns;
	f->last_ns = rot->file_last_ns;
	f->bytes = rot->file_bytes;
	pthread_mutex_unlock(&rot->lock);
}

void rotate_data(struct app *app, const void *data, size_t len)
{
	struct rotation *rot = app->rot;

	if (!rot)
		return;
	if (rot->digest)
		EVP_DigestUpdate(rot->md, data, len);
	rot->file_bytes += len;
	publish(rot);
}

/*
 * A record's time stamp in ns, from the file's own format: pcap has seconds
 * and a fraction, pcapng one 64-bit count in its interface's unit.  The
 * files dbcap writes count nanoseconds (synthetic, live), except a replay,
 * which keeps its input's micro- or nanoseconds.  (A pcapng input whose
 * interfaces declare another if_tsresol is read as its precision says.)
 */
uint64_t rotate_rec_ns(const struct app *app, const struct capfmt_rec *rec)
{
	const bool nano = !app->replaying || app->input.nano;

	if (app->format == FORMAT_PCAP)
		return (uint64_t)rec->ts_hi * 1000000000ull + (uint64_t)rec->ts_lo * (nano ? 1u : 1000u);
	uint64_t t = (uint64_t)rec->ts_hi << 32 | rec->ts_lo;
	return nano ? t : t * 1000u;
}

void rotate_records(struct app *app, uint64_t n, uint64_t bytes, uint64_t first_ns,
		    uint64_t last_ns)
{
	struct rotation *rot = app->rot;

	if (!rot || !n)
		return;
	/* Not locked: the entry is brought up to date by rotate_data(), which follows. */
	if (rot->file_records == 0)
		rot->file_first_ns = first_ns;
	rot->file_records += n;
	rot->file_record_bytes += bytes;
	rot->file_last_ns = last_ns;
}

void rotate_recount(struct app *app, uint64_t n, uint64_t bytes, uint64_t file_bytes)
{
	struct rotation *rot = app->rot;

	if (!rot)
		return;
	rot->file_records = n;
	rot->file_record_bytes = bytes;
	rot->file_bytes = file_bytes;
	publish(rot);
}

uint64_t rotate_file_records(const struct app *app)
{
	return app->rot ? app->rot->file_records : 0;
}

uint64_t rotate_file_bytes(const struct app *app)
{
	return app->rot ? app->rot->file_bytes : 0;
}

/* "HEX  NAME\n", what sha256sum -c reads, after a comment line with the chain. */
static int write_sidecar(struct rotation *rot, const char *hex, char *msg, size_t msglen,
			 unsigned mode)
{
	char path[PATH_MAX + 8], text[NAME_MAX * 2 + 256];
	const struct stats_file *f = current(rot);
	int n, err;

	if ((size_t)snprintf(path, sizeof(path), "%s.sha256", rot->final_path) >= sizeof(path))
		return -ENAMETOOLONG;
	/*
	 * sha256sum skips lines that begin with '#': the chain travels with
	 * the file without disturbing `sha256sum -c` (dbcap-verify --audit).
	 */
	n = snprintf(text, sizeof(text), "# dbcap file %" PRIu64 " previous %s\n%s  %s\n", f->seq,
		     f->prev_sha256[0] ? f->prev_sha256 : "none", hex, f->name);
	err = replace_file(path, text, (size_t)n, mode);
	if (err)
		snprintf(msg, msglen, "%s: %s", path, strerror(-err));
	return err;
}

/* Removes the oldest complete file (and its sidecar).  false when there is none. */
static bool remove_oldest(struct rotation *rot, const char *why)
{
	char path[PATH_MAX + 16], name[sizeof(rot->files[0].name)];
	struct stats_file *f = NULL;

	pthread_mutex_lock(&rot->lock);
	for (unsigned i = 0; i + 1 < rot->nfiles; i++) {
		if (strcmp(rot->files[i].state, "complete") == 0) {
			f = &rot->files[i];
			break;
		}
	}
	if (f)
		memcpy(name, f->name, sizeof(name));
	pthread_mutex_unlock(&rot->lock);
	if (!f)
		return false;
	snprintf(path, sizeof(path), "%s/%s", rot->dir, name);
	bool ok = unlink(path) == 0 || errno == ENOENT;
	snprintf(path, sizeof(path), "%s/%s.sha256", rot->dir, name);
	unlink(path);
	pthread_mutex_lock(&rot->lock);
	/* f still points at it: only this thread moves entries. */
	f->state = "removed";
	f->removed_by = why;
	if (!ok)
		rot->sum.remove_errors++;
	else if (strcmp(why, "count") == 0)
		rot->sum.removed_by_count++;
	else
		rot->sum.removed_by_min_free++;
	pthread_mutex_unlock(&rot->lock);
	return true;
}

/* -W: at most file_count files of this run, the one being written included. */
static void apply_count(struct app *app)
{
	struct rotation *rot = app->rot;
	unsigned have;

	if (!app->o.file_count)
		return;
	for (;;) {
		have = 0;
		pthread_mutex_lock(&rot->lock);
		for (unsigned i = 0; i < rot->nfiles; i++)
			have += strcmp(rot->files[i].state, "removed") != 0;
		pthread_mutex_unlock(&rot->lock);
		/* + 1: the next file, about to be opened */
		if (have + 1 <= app->o.file_count || !remove_oldest(rot, "count"))
			return;
	}
}

static void queue_hook(struct app *app, uint64_t seq);

int rotate_end(struct app *app, bool complete, bool sync, char *msg, size_t msglen)
{
	struct rotation *rot = app->rot;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	char hex[65] = "";
	int err;

	if (!rot)
		return 0;
	publish(rot);
	if (rot->digest && complete && EVP_DigestFinal_ex(rot->md, md, &mdlen) == 1 && mdlen == 32) {
		for (unsigned i = 0; i < 32; i++)
			snprintf(hex + 2 * i, 3, "%02x", md[i]);
		/* Before the rename: whoever sees the capture finds its digest beside it. */
		err = write_sidecar(rot, hex, msg, msglen, app->stats_mode);
		if (err)
			return err;
	}
	if (rename(rot->part_path, rot->final_path) < 0) {
		err = -errno;
		snprintf(msg, msglen, "rename %s to %s: %s", rot->part_path, rot->final_path,
			 strerror(errno));
		return err;
	}
	/* The rename is durable only once the directory is: as the run's --sync says. */
	if (sync && (err = sync_parent_dir(rot->final_path)) < 0) {
		snprintf(msg, msglen, "%s: fsync of the directory: %s", rot->dir, strerror(-err));
		return err;
	}
	pthread_mutex_lock(&rot->lock);
	struct stats_file *f = current(rot);
	f->state = "complete";
	memcpy(f->sha256, hex, sizeof(hex));
	pthread_mutex_unlock(&rot->lock);
	/* The chain goes on even without a digest of this file ("" then). */
	memcpy(rot->prev_sha256, hex, sizeof(hex));
	snprintf(rot->part_path, sizeof(rot->part_path), "%s", rot->final_path);
	if (app->o.hook) {
		/* A busy reader is seldom idle: reap at every rotation too. */
		rotate_hooks_poll(app);
		queue_hook(app, rot->seq);
	}
	return 0;
}

bool rotate_due(struct app *app)
{
	struct rotation *rot = app->rot;
	uint64_t now;

	if (!rot)
		return false;
	/*
	 * relaxed: a request; the reader reads no data on the strength of it.
	 * A plain load first, so that a chunk costs no read-modify-write.
	 */
	if (atomic_load_explicit(&app->rotate_now, memory_order_relaxed) &&
	    atomic_exchange_explicit(&app->rotate_now, false, memory_order_relaxed))
		return true;
	if (!rot->interval_ns)
		return false;
	now = now_ns(CLOCK_REALTIME);
	if (now < rot->next_boundary_ns)
		return false;
	if (rot->file_records > 0)
		return true;
	/*
	 * Nothing in the file yet: it becomes the new span's file.  It is still
	 * under its temporary name, so only the final name changes.
	 */
	char name[NAME_MAX + 1];
	rot->next_boundary_ns = (now / rot->interval_ns + 1) * rot->interval_ns;
	if (make_name(rot, rot->seq, file_start(rot, now), name, sizeof(name)) == 0 &&
	    (size_t)snprintf(rot->final_path, sizeof(rot->final_path), "%s/%s", rot->dir, name) <
		    sizeof(rot->final_path)) {
		pthread_mutex_lock(&rot->lock);
		snprintf(current(rot)->name, sizeof(current(rot)->name), "%s", name);
		pthread_mutex_unlock(&rot->lock);
	}
	return false;
}

/* --min-free in bytes for this file system, from statvfs. */
static int free_room(struct app *app, int64_t *room)
{
	struct statvfs sv;

	if (statvfs(app->rot->dir, &sv) < 0)
		return -errno;
	uint64_t avail = (uint64_t)sv.f_bavail * sv.f_frsize;
	uint64_t keep = app->o.min_free_bytes;
	if (app->o.min_free_percent > 0)
		keep = (uint64_t)((double)sv.f_blocks * (double)sv.f_frsize *
				  app->o.min_free_percent / 100.0);
	/*
	 * Writes in flight are not in statvfs yet: count io-depth slots of
	 * 1 MiB and a buffer's worth as already spent, and a block per file.
	 */
	uint64_t slack = ((uint64_t)app->o.io_depth + 1) * (1u << 20) + app->o.buffer_size + 65536;
	*room = (int64_t)avail - (int64_t)keep - (int64_t)slack;
	return 0;
}

int rotate_make_room(struct app *app, size_t len)
{
	struct rotation *rot = app->rot;
	uint64_t now;

	if (!rot || (!app->o.min_free_bytes && app->o.min_free_percent <= 0))
		return 0;
	/* Another writer on the file system may take room too: look at least every 100 ms. */
	now = now_ns(CLOCK_MONOTONIC);
	if (rot->room >= (int64_t)len && now < rot->next_look_ns) {
		rot->room -= (int64_t)len;
		return 0;
	}
	for (;;) {
		if (free_room(app, &rot->room) < 0)
			return 0; /* cannot tell: write, and let ENOSPC be what it is */
		rot->next_look_ns = now + 100 * 1000 * 1000;
		if (rot->room >= (int64_t)len) {
			rot->room -= (int64_t)len;
			return 0;
		}
		if (!remove_oldest(rot, "min_free"))
			return -ENOSPC;
	}
}

/* ---------------------------------------------------------- the post-rotate command */

static void hook_done(struct rotation *rot, struct hook_job *j, int status, uint64_t now)
{
	double secs = (double)(now - j->start_ns) / 1e9;
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);

	pthread_mutex_lock(&rot->lock);
	struct stats_file *f = entry(rot, j->seq);
	if (f) {
		f->hook = "done";
		f->hook_status = code;
		f->hook_seconds = secs;
	}
	rot->sum.hook_runs++;
	if (code != 0)
		rot->sum.hook_failures++;
	rot->sum.hook_seconds_total += secs;
	if (secs > rot->sum.hook_seconds_max)
		rot->sum.hook_seconds_max = secs;
	rot->sum.hook_running--;
	pthread_mutex_unlock(&rot->lock);
	if (code != 0)
		fprintf(stderr, "dbcap: warning: %s %s: %s %d after %.3f s\n", "-z", j->path,
			WIFEXITED(status) ? "exit status" : "killed by signal",
			WIFEXITED(status) ? code : WTERMSIG(status), secs);
	free(j->path);
	j->path = NULL;
}

/*
 * Starts the command on job j, without a shell: argv is {PROGRAM, FILE}.
 * The child gets the signal mask and dispositions a program expects (dbcap
 * blocks its signals for sigtimedwait() and ignores SIGPIPE), and
 * /dev/null as its standard input.
 */
static int hook_spawn(struct app *app, struct hook_job *j)
{
	posix_spawnattr_t attr;
	posix_spawn_file_actions_t fa;
	sigset_t none, deflt;
	char *argv[] = {app->o.hook, j->path, NULL};
	int err;

	sigemptyset(&none);
	sigemptyset(&deflt);
	sigaddset(&deflt, SIGPIPE);
	sigaddset(&deflt, SIGXFSZ);
	sigaddset(&deflt, SIGHUP);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &deflt);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	/* Not every descriptor is close-on-exec (libpcap's input is a FILE): none of ours is the child's. */
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	err = posix_spawnp(&j->pid, app->o.hook, &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	j->start_ns = now_ns(CLOCK_MONOTONIC);
	return -err;
}

/* Starts queued jobs while fewer than HOOK_MAX_RUNNING run. */
static void hook_start_queued(struct app *app)
{
	struct rotation *rot = app->rot;

	while (rot->qlen && rot->nrunning < HOOK_MAX_RUNNING) {
		struct hook_job *j = &rot->running[rot->nrunning];

		*j = rot->queue[rot->qhead];
		rot->qhead = (rot->qhead + 1) % HOOK_QUEUE;
		rot->qlen--;
		int err = hook_spawn(app, j);
		pthread_mutex_lock(&rot->lock);
		rot->sum.hook_queued = rot->qlen;
		rot->sum.hook_running++;
		struct stats_file *f = entry(rot, j->seq);
		if (f)
			f->hook = "running";
		pthread_mutex_unlock(&rot->lock);
		if (err) {
			/* Counted as a run that failed with 127, as a shell says for "not found". */
			fprintf(stderr, "dbcap: warning: -z %s: %s\n", app->o.hook, strerror(-err));
			hook_done(rot, j, 127 << 8, j->start_ns);
			continue;
		}
		rot->nrunning++;
	}
}

static void queue_hook(struct app *app, uint64_t seq)
{
	struct rotation *rot = app->rot;
	const char *state = "queued";

	if (rot->qlen == HOOK_QUEUE) {
		state = "dropped";
	} else {
		struct hook_job *j = &rot->queue[(rot->qhead + rot->qlen) % HOOK_QUEUE];

		j->seq = seq;
		j->path = strdup(rot->final_path);
		if (j->path)
			rot->qlen++;
		else
			state = "dropped";
	}
	pthread_mutex_lock(&rot->lock);
	struct stats_file *f = entry(rot, seq);
	if (f)
		f->hook = state;
	if (strcmp(state, "dropped") == 0)
		rot->sum.hook_dropped++;
	rot->sum.hook_queued = rot->qlen;
	pthread_mutex_unlock(&rot->lock);
	if (strcmp(state, "dropped") == 0)
		fprintf(stderr, "dbcap: warning: -z: %u files wait for the command already; "
				"not run for %s\n", HOOK_QUEUE, rot->final_path);
	hook_start_queued(app);
}

void rotate_hooks_poll(struct app *app)
{
	struct rotation *rot = app->rot;

	if (!rot || !rot->nrunning)
		return;
	for (unsigned i = 0; i < rot->nrunning;) {
		int status;
		pid_t r = waitpid(rot->running[i].pid, &status, WNOHANG);

		if (r == 0 || (r < 0 && errno == EINTR)) {
			i++;
			continue;
		}
		if (r < 0)
			status = 127 << 8; /* lost: cannot happen, but never wait for it */
		hook_done(rot, &rot->running[i], status, now_ns(CLOCK_MONOTONIC));
		rot->running[i] = rot->running[--rot->nrunning];
	}
	hook_start_queued(app);
}

void rotate_hooks_finish(struct app *app, uint64_t wait_ns, bool (*stop)(struct app *))
{
	struct rotation *rot = app->rot;
	uint64_t end = now_ns(CLOCK_MONOTONIC) + wait_ns;

	if (!rot)
		return;
	rotate_hooks_poll(app);
	while ((rot->nrunning || rot->qlen) && now_ns(CLOCK_MONOTONIC) < end && !stop(app))
		rotate_hooks_poll(app);
	pthread_mutex_lock(&rot->lock);
	rot->sum.hook_unfinished = rot->nrunning + rot->qlen;
	pthread_mutex_unlock(&rot->lock);
	if (rot->nrunning || rot->qlen)
		fprintf(stderr, "dbcap: warning: -z %s: %u still running, %u not started; "
				"left alone\n", app->o.hook, rot->nrunning, rot->qlen);
}

bool rotate_snapshot(struct app *app, struct stats_rotation *out, struct stats_file **files)
{
	struct rotation *rot = app->rot;

	*files = NULL;
	if (!rot)
		return false;
	pthread_mutex_lock(&rot->lock);
	*out = rot->sum;
	*files = malloc((rot->nfiles ? rot->nfiles : 1) * sizeof(**files));
	if (*files) {
		memcpy(*files, rot->files, rot->nfiles * sizeof(**files));
		out->nfiles = rot->nfiles;
	} else {
		out->nfiles = 0;
	}
	pthread_mutex_unlock(&rot->lock);
	out->files = *files;
	/* relaxed: a flag the reader set before main stopped; the joins order the rest */
	out->min_free_stop = atomic_load_explicit(&app->min_free_stop, memory_order_relaxed);
	return true;
}
