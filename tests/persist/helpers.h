/* SPDX-License-Identifier: MIT */
/*
 * Shared by the persistence tests: a reproducible stream, a driver that
 * appends it as the reader does, temp dirs, and the headers they all use.
 * The assertions are tests/common/check.h; a failed one exits through the
 * atexit() cleanups (unmounts, temp files).
 */
#ifndef DBCAP_TEST_PERSIST_HELPERS_H
#define DBCAP_TEST_PERSIST_HELPERS_H

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "check.h"
#include "persist/persist.h"

/* A fresh directory under $PERSIST_TEST_DIR (default /var/tmp), removed at exit. */
const char *t_tmpdir(void);
/* Runs fn at exit and on SIGINT/SIGTERM/SIGALRM (meson's timeout). */
void t_on_exit(void (*fn)(void));

/* splitmix64: sizes and decisions. */
uint64_t t_rand(uint64_t *state);
/* Byte pos of the stream with this seed: any prefix is reproducible on its own. */
void stream_fill(uint64_t seed, uint64_t pos, unsigned char *dst, size_t len);
/*
 * Compares the first len bytes of the file with the stream; with exact, the
 * file must be exactly len bytes long.  Prints the first difference.
 */
bool file_matches_stream(const char *path, uint64_t seed, uint64_t len, bool exact);

/*
 * Appends stream chunks the way the reader does: chunks are carved from an
 * arena (two registered regions) and reused only after persist_reap()
 * returned their cookie, which must come back in append order.
 */
struct driver {
	struct persist *p;
	uint64_t seed;
	unsigned char *arena;
	size_t arena_size;
	struct iovec regions[2];
	struct outstanding {
		size_t off, len;
		uint64_t seq;
	} *fifo;
	size_t fifo_cap, fifo_head, fifo_len;
	size_t arena_tail;
	uint64_t next_seq;
	uint64_t appended;
	uint64_t cookies_back;
};

void driver_init(struct driver *d, uint64_t seed, size_t arena_size);
void driver_free(struct driver *d);
/* persist_append() of the next len stream bytes; 0 or its -errno. */
int driver_append(struct driver *d, size_t len);
/* persist_reap() checking the order of the cookies; 0 or its -errno. */
int driver_reap(struct driver *d, bool wait);

/* The arena of every test's driver: room for dozens of the largest chunks (100000 bytes). */
#define ARENA (4u << 20)

/*
 * One way of writing the file, a row in a test's table of cases: the
 * engine, O_DIRECT or not, the ring depth and the staging slot size (0: the
 * default).  The file is named after the case.
 */
struct io_case {
	const char *name;
	enum io_engine engine;
	enum io_toggle direct;
	unsigned depth;
	size_t slot_size;
};

/*
 * driver_init() of the stream with this seed over ARENA, and *o set to
 * write path as case c says, from the driver's two regions.
 */
void driver_start(struct driver *d, struct persist_opts *o, const struct io_case *c,
		  const char *path, uint64_t seed);

/*
 * Judges err, what persist_open() returned for case c with the message msg.
 * When c asked for O_DIRECT and the filesystem refused it (-EINVAL), prints
 * "NAME not run: MSG", frees d and returns false; any other error fails.
 */
bool driver_opened(struct driver *d, const struct io_case *c, int err, const char *msg);

/* Drops or restores an effective capability (to test as an unprivileged user would). */
bool t_cap_set(int cap, bool on);

#endif
