/* SPDX-License-Identifier: MIT */
/*
 * rotate.h - the files of a rotating run (-C, -G, -W, -z, --min-free,
 * --digest): their names, the temporary name each is written under, the
 * rename when it is complete, its SHA-256 and sidecar, the post-rotate
 * command, and the removal of old files.  docs/DESIGN.md, "Rotation".
 *
 * Threads: rotate_init() and rotate_free() are main's, before the threads
 * start and after they are joined; rotate_snapshot() is main's at any time
 * (it takes the lock); rotate_hooks_finish() is main's after the reader was
 * joined; everything else is the reader thread's (and main's in
 * output_open(), before the reader starts).  The writers never call any of
 * it: they never notice a rotation.
 *
 * A run that does not rotate has no struct rotation (app->rot is NULL) and
 * every function here is then a no-op that says so (rotate_current_path()
 * gives -w's path).
 */
#ifndef DBCAP_ROTATE_H
#define DBCAP_ROTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../format/format.h"
#include "../stats/stats.h"

struct app;
struct rotation;

/* main: validates the rotation's settings, allocates its state.  0 or the exit status. */
int rotate_init(struct app *app);
void rotate_free(struct app *app);

/* The path being written now: the temporary name when rotating, else -w's. */
const char *rotate_current_path(const struct app *app);

/*
 * Names the next file and checks that its name is free (or --force): 0, or
 * -errno with the reason in msg.  Then the caller opens
 * rotate_current_path() and writes the header through rotate_data().
 */
int rotate_begin(struct app *app, char *msg, size_t msglen);

/* Bytes appended to the current file (header included): digest and size. */
void rotate_data(struct app *app, const void *data, size_t len);

/* A record's time stamp in ns since 1970 (pcapng: dbcap's ns; pcap: as its header says). */
uint64_t rotate_rec_ns(const struct app *app, const struct capfmt_rec *rec);
/*
 * Records appended to the current file: how many, their original lengths,
 * the first and last time stamp.  Before rotate_data() of their bytes.
 */
void rotate_records(struct app *app, uint64_t n, uint64_t bytes, uint64_t first_ns,
		    uint64_t last_ns);
/* After a salvage: the current file holds n records of bytes, file_bytes in all. */
void rotate_recount(struct app *app, uint64_t n, uint64_t bytes, uint64_t file_bytes);

/* Records in the current file so far; its bytes (header included). */
uint64_t rotate_file_records(const struct app *app);
uint64_t rotate_file_bytes(const struct app *app);

/*
 * After persistence closed the current file: its sidecar (digest), the
 * rename to its final name, the directory synced when the run syncs, the
 * post-rotate command queued, old files removed under -W.  complete: the
 * digest covers the file (false after a salvage: no digest, no sidecar).
 * 0 or -errno with the reason in msg.
 */
int rotate_end(struct app *app, bool complete, bool sync, char *msg, size_t msglen);

/*
 * Whether the current file should end before the next chunk: -G's wall
 * clock boundary passed (a file without records is renamed for the new
 * span instead), or a SIGHUP asked for it.
 */
bool rotate_due(struct app *app);

/*
 * --min-free: whether len more bytes may be written.  Removes this run's
 * oldest completed files while the free space would fall below the limit.
 * 0, or -ENOSPC when no file is left to remove.
 */
int rotate_make_room(struct app *app, size_t len);

/* Reaps finished post-rotate commands and starts queued ones; never blocks. */
void rotate_hooks_poll(struct app *app);
/*
 * main, after the reader was joined: waits at most wait_ns for the commands
 * still running or queued (starting the queued ones), polling the stop
 * signal through stop(); those left are counted as unfinished, not killed.
 */
void rotate_hooks_finish(struct app *app, uint64_t wait_ns, bool (*stop)(struct app *));

/*
 * main: a copy of run.rotation for the statistics (*files: the caller frees
 * it).  false when the run does not rotate.
 */
bool rotate_snapshot(struct app *app, struct stats_rotation *out, struct stats_file **files);

#endif /* DBCAP_ROTATE_H */
