/* SPDX-License-Identifier: MIT */
/*
 * common.h - what every unit test of the buffer library shares beyond the
 * assertions of tests/common/check.h: CHECK_RES for library results, a
 * buffer factory, deterministic block patterns, and a reader wrapper that
 * checks each chunk against the contract of dbuf_reader_next() (data inside
 * its region, owner field, length bound).
 */
#ifndef DBUF_TEST_COMMON_H
#define DBUF_TEST_COMMON_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "check.h"
#include "dbuf.h"

/* Library results: both sides printed with their dbuf_strerror() text. */
#define CHECK_RES(got, want)                                                       \
	do {                                                                       \
		int t_g_ = (got), t_w_ = (want);                                   \
		if (t_g_ != t_w_)                                                  \
			t_fail(__FILE__, __LINE__, #got " == " #want,              \
			       "got %d (%s), want %d (%s)", t_g_,                  \
			       dbuf_strerror(t_g_), t_w_, dbuf_strerror(t_w_));    \
	} while (0)

/*
 * Reads argv[1] as a layout name ("per-writer", "shared", "mutex") and sets
 * t_name; exits T_EXIT_FAIL with a usage line when it is missing or unknown.
 */
enum dbuf_layout t_layout_arg(int argc, char **argv);

/* A configuration with these fields set and the defaults for the rest. */
struct dbuf_config t_config(enum dbuf_layout layout, unsigned writers, unsigned buffers,
			    size_t buffer_size);

/* dbuf_create() or exit; spin_limit is left at its default. */
struct dbuf *t_create(enum dbuf_layout layout, unsigned writers, unsigned buffers,
		      size_t buffer_size, enum dbuf_on_full policy);

/* The rounded buffer size in force. */
size_t t_cap(const struct dbuf *db);

/* The system page size (what buffer_size is rounded up to). */
size_t t_page(void);

/* Deterministic block contents: byte i of the block tagged tag. */
uint8_t t_byte(unsigned tag, size_t i);
void t_pattern(void *dst, size_t len, unsigned tag);

/* dbuf_write() of len pattern bytes tagged tag. */
int t_write(struct dbuf_writer *w, size_t len, unsigned tag);

/*
 * dbuf_reader_next(); on success also checks the chunk itself: data lies in
 * region chunk->region, len <= buffer size, writer is the owner (per-writer)
 * or DBUF_ANY_WRITER, flags has no unknown bit and PARTIAL only per-writer.
 */
int t_next(struct dbuf *db, struct dbuf_chunk *c);

/* t_next() that must succeed. */
void t_take(struct dbuf *db, struct dbuf_chunk *c);

/* Checks that [data, data + len) is block tag's pattern from byte from. */
#define CHECK_PATTERN(data, len, tag, from)                                        \
	t_check_pattern(__FILE__, __LINE__, (data), (len), (tag), (from))
void t_check_pattern(const char *file, int line, const void *data, size_t len,
		     unsigned tag, size_t from);

/*
 * An expected byte stream: what the reader must receive, in order.  One per
 * writer in the per-writer layout, one in all for the others when a single
 * thread writes.
 */
struct t_stream {
	uint8_t *buf;
	size_t len, cap;
	size_t got; /* bytes matched so far */
};
void t_stream_add(struct t_stream *s, size_t len, unsigned tag);
/* Matches a chunk's bytes against the next bytes of the stream. */
#define CHECK_STREAM(s, chunk) t_stream_match(__FILE__, __LINE__, (s), (chunk))
void t_stream_match(const char *file, int line, struct t_stream *s,
		    const struct dbuf_chunk *c);
void t_stream_free(struct t_stream *s);

/*
 * Reads and releases chunks until DBUF_ENODATA (the buffer must be closed and
 * the writers done), matching each against streams[chunk writer] (per-writer)
 * or streams[0]; then checks that every stream was received completely.
 * Returns the number of chunks.  Fails after too many DBUF_EAGAIN in a row.
 */
unsigned t_drain_closed(struct dbuf *db, struct t_stream *streams, unsigned nstreams);

/*
 * The end of most tests: dbuf_close(), t_drain_closed() of the streams, then
 * the streams and the buffer freed.  Returns the number of chunks drained.
 */
unsigned t_close_drain(struct dbuf *db, struct t_stream *streams, unsigned nstreams);

/*
 * One block written from a thread of its own (pthread_create(..., t_job_main,
 * job)), for the tests where a writer blocks: dbuf_write() of len pattern
 * bytes tagged tag, or with reserve dbuf_reserve() and dbuf_commit().  The
 * result lands in result, then done is set.
 */
struct t_job {
	struct dbuf *db;
	unsigned id; /* the writer */
	size_t len;
	unsigned tag;
	bool reserve;
	int result;
	atomic_bool done;
};
void *t_job_main(void *arg);

/* Sleeps ms milliseconds. */
void t_msleep(unsigned ms);

/* Polls until *cond(arg) holds or timeout_ms passes; returns the last value. */
bool t_wait_until(bool (*cond)(void *arg), void *arg, unsigned timeout_ms);

#endif /* DBUF_TEST_COMMON_H */
