/* SPDX-License-Identifier: MIT */
/* Shared by the persistence tests: assertions, a reproducible stream, a driver, temp dirs. */
#ifndef DBCAP_TEST_PERSIST_HELPERS_H
#define DBCAP_TEST_PERSIST_HELPERS_H

#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>

#include "persist/persist.h"

/* Exits 1 after running the atexit() cleanups (unmounts, temp files). */
_Noreturn void t_fail(void);
/* Exits 77: only for a missing privilege. */
_Noreturn void t_skip(const char *why);

#define CHECK(cond)                                                                    \
	do {                                                                           \
		if (!(cond)) {                                                         \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, \
				#cond);                                                \
			t_fail();                                                      \
		}                                                                      \
	} while (0)

#define CHECK_INT(a, b)                                                                \
	do {                                                                           \
		long long a_ = (long long)(a), b_ = (long long)(b);                    \
		if (a_ != b_) {                                                        \
			fprintf(stderr, "%s:%d: %s == %lld, expected %s == %lld\n",     \
				__FILE__, __LINE__, #a, a_, #b, b_);                   \
			t_fail();                                                      \
		}                                                                      \
	} while (0)

#define CHECK_U64(a, b)                                                                \
	do {                                                                           \
		uint64_t a_ = (uint64_t)(a), b_ = (uint64_t)(b);                       \
		if (a_ != b_) {                                                        \
			fprintf(stderr,                                                \
				"%s:%d: %s == %" PRIu64 ", expected %s == %" PRIu64 "\n", \
				__FILE__, __LINE__, #a, a_, #b, b_);                   \
			t_fail();                                                      \
		}                                                                      \
	} while (0)

#define CHECK_LE_U64(a, b)                                                             \
	do {                                                                           \
		uint64_t a_ = (uint64_t)(a), b_ = (uint64_t)(b);                       \
		if (!(a_ <= b_)) {                                                     \
			fprintf(stderr,                                                \
				"%s:%d: %s == %" PRIu64 ", expected <= %s == %" PRIu64 "\n", \
				__FILE__, __LINE__, #a, a_, #b, b_);                   \
			t_fail();                                                      \
		}                                                                      \
	} while (0)

/* a and b may be NULL. */
#define CHECK_STR(a, b)                                                                \
	do {                                                                           \
		const char *a_ = (a), *b_ = (b);                                       \
		if (!(a_ == b_ || (a_ && b_ && strcmp(a_, b_) == 0))) {                \
			fprintf(stderr, "%s:%d: %s == \"%s\", expected %s == \"%s\"\n", \
				__FILE__, __LINE__, #a, a_ ? a_ : "(null)", #b,        \
				b_ ? b_ : "(null)");                                   \
			t_fail();                                                      \
		}                                                                      \
	} while (0)

#define CHECK_CONTAINS(hay, needle)                                                    \
	do {                                                                           \
		const char *h_ = (hay), *n_ = (needle);                                \
		if (!h_ || !strstr(h_, n_)) {                                          \
			fprintf(stderr, "%s:%d: %s == \"%s\", expected it to contain \"%s\"\n", \
				__FILE__, __LINE__, #hay, h_ ? h_ : "(null)", n_);     \
			t_fail();                                                      \
		}                                                                      \
	} while (0)

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

/* Drops or restores an effective capability (to test as an unprivileged user would). */
bool t_cap_set(int cap, bool on);

#endif
