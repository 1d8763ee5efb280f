/* SPDX-License-Identifier: MIT */
/* common.c - helpers shared by the unit tests (see common.h). */
#define _GNU_SOURCE
#include "common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum dbuf_layout t_layout_arg(int argc, char **argv)
{
	static char name[128];
	enum dbuf_layout layout;

	if (argc < 2 || dbuf_layout_parse(argv[1], &layout) != 0) {
		fprintf(stderr, "usage: %s per-writer|shared|mutex\n", argv[0]);
		exit(T_EXIT_FAIL);
	}
	const char *base = strrchr(argv[0], '/');
	snprintf(name, sizeof(name), "%s/%s", base ? base + 1 : argv[0], argv[1]);
	t_name = name;
	return layout;
}

struct dbuf_config t_config(enum dbuf_layout layout, unsigned writers, unsigned buffers,
			    size_t buffer_size)
{
	struct dbuf_config cfg;

	dbuf_config_init(&cfg);
	cfg.layout = layout;
	cfg.writers = writers;
	cfg.buffers = buffers;
	cfg.buffer_size = buffer_size;
	return cfg;
}

struct dbuf *t_create(enum dbuf_layout layout, unsigned writers, unsigned buffers,
		      size_t buffer_size, enum dbuf_on_full policy)
{
	struct dbuf_config cfg = t_config(layout, writers, buffers, buffer_size);
	struct dbuf *db = NULL;

	cfg.on_full = policy;
	int r = dbuf_create(&cfg, &db);
	if (r != 0)
		t_fail(__FILE__, __LINE__, "dbuf_create", "%d (%s) for %s, %u writers, %u x %zu",
		       r, dbuf_strerror(r), dbuf_layout_name(layout), writers, buffers,
		       buffer_size);
	CHECK(db != NULL);
	return db;
}

size_t t_cap(const struct dbuf *db)
{
	return dbuf_get_config(db)->buffer_size;
}

size_t t_page(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

uint8_t t_byte(unsigned tag, size_t i)
{
	/* Differs between neighbouring tags and along the block, never periodic
	 * at a power of two, so a shifted or stale copy does not match. */
	return (uint8_t)(tag * 151u + i * 7u + (i / 251u) * 13u + 1u);
}

void t_pattern(void *dst, size_t len, unsigned tag)
{
	uint8_t *p = dst;
	for (size_t i = 0; i < len; i++)
		p[i] = t_byte(tag, i);
}

int t_write(struct dbuf_writer *w, size_t len, unsigned tag)
{
	/* Allocated per call: writer threads call this concurrently. */
	uint8_t *block = malloc(len ? len : 1);
	CHECK(block != NULL);
	t_pattern(block, len, tag);
	int r = dbuf_write(w, block, len);
	free(block);
	return r;
}

void t_check_pattern(const char *file, int line, const void *data, size_t len,
		     unsigned tag, size_t from)
{
	const uint8_t *p = data;
	for (size_t i = 0; i < len; i++)
		if (p[i] != t_byte(tag, from + i))
			t_fail(file, line, "block pattern",
			       "tag %u byte %zu: got 0x%02x, want 0x%02x", tag, from + i,
			       p[i], t_byte(tag, from + i));
}

int t_next(struct dbuf *db, struct dbuf_chunk *c)
{
	const struct dbuf_config *cfg = dbuf_get_config(db);
	struct iovec iov[DBUF_MAX_BUFFERS * 4];

	memset(c, 0xa5, sizeof(*c)); /* nothing left over from an earlier call */
	int r = dbuf_reader_next(db, c);
	if (r != 0)
		return r;

	unsigned n = dbuf_regions(db, NULL, 0);
	CHECK_LT(c->region, n);
	CHECK_LE(c->len, cfg->buffer_size);
	if (c->region < sizeof(iov) / sizeof(iov[0])) {
		dbuf_regions(db, iov, c->region + 1);
		const char *base = iov[c->region].iov_base;
		const char *d = c->data;
		CHECK(d >= base);
		CHECK_LE((size_t)(d - base) + c->len, iov[c->region].iov_len);
	}
	CHECK_EQ(c->flags & ~DBUF_CHUNK_PARTIAL, 0);
	if (cfg->layout == DBUF_LAYOUT_PER_WRITER) {
		CHECK_LT(c->writer, cfg->writers);
		/* The owner's regions are writer * K .. writer * K + K - 1. */
		CHECK_EQ(c->region / cfg->buffers, c->writer);
		CHECK_EQ(c->region % cfg->buffers, c->seq % cfg->buffers);
	} else {
		CHECK_EQ(c->writer, DBUF_ANY_WRITER);
		CHECK_EQ(c->flags, 0);
		CHECK_EQ(c->region, c->seq % cfg->buffers);
	}
	return 0;
}

void t_take(struct dbuf *db, struct dbuf_chunk *c)
{
	int r = t_next(db, c);
	if (r != 0)
		t_fail(__FILE__, __LINE__, "dbuf_reader_next", "%d (%s), want a chunk", r,
		       dbuf_strerror(r));
}

void t_stream_add(struct t_stream *s, size_t len, unsigned tag)
{
	if (s->len + len > s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 65536;
		while (ncap < s->len + len)
			ncap *= 2;
		uint8_t *nb = realloc(s->buf, ncap);
		CHECK(nb != NULL);
		s->buf = nb;
		s->cap = ncap;
	}
	t_pattern(s->buf + s->len, len, tag);
	s->len += len;
}

void t_stream_match(const char *file, int line, struct t_stream *s,
		    const struct dbuf_chunk *c)
{
	if (s->got + c->len > s->len)
		t_fail(file, line, "stream length",
		       "chunk of %zu bytes at stream offset %zu overruns the %zu bytes written",
		       c->len, s->got, s->len);
	const uint8_t *d = c->data;
	for (size_t i = 0; i < c->len; i++)
		if (d[i] != s->buf[s->got + i])
			t_fail(file, line, "stream bytes",
			       "stream offset %zu (chunk seq %llu offset %zu): got 0x%02x, want 0x%02x",
			       s->got + i, (unsigned long long)c->seq, i, d[i], s->buf[s->got + i]);
	s->got += c->len;
}

void t_stream_free(struct t_stream *s)
{
	free(s->buf);
	memset(s, 0, sizeof(*s));
}

unsigned t_drain_closed(struct dbuf *db, struct t_stream *streams, unsigned nstreams)
{
	const struct dbuf_config *cfg = dbuf_get_config(db);
	struct dbuf_chunk c;
	unsigned chunks = 0, again = 0;

	for (;;) {
		int r = t_next(db, &c);
		if (r == DBUF_ENODATA)
			break;
		if (r == DBUF_EAGAIN) {
			/* Nothing is held here, so only a lost chunk could stall us. */
			if (++again > 1000)
				t_fail(__FILE__, __LINE__, "drain", "still DBUF_EAGAIN after close");
			continue;
		}
		CHECK_RES(r, 0);
		again = 0;
		unsigned si = cfg->layout == DBUF_LAYOUT_PER_WRITER ? c.writer : 0;
		CHECK_LT(si, nstreams);
		CHECK_STREAM(&streams[si], &c);
		dbuf_reader_release(db, &c);
		chunks++;
	}
	for (unsigned i = 0; i < nstreams; i++)
		if (streams[i].got != streams[i].len)
			t_fail(__FILE__, __LINE__, "drain complete",
			       "stream %u: received %zu of %zu bytes before DBUF_ENODATA", i,
			       streams[i].got, streams[i].len);
	/* ENODATA is final. */
	CHECK_RES(dbuf_reader_next(db, &c), DBUF_ENODATA);
	return chunks;
}

unsigned t_close_drain(struct dbuf *db, struct t_stream *streams, unsigned nstreams)
{
	dbuf_close(db);
	unsigned chunks = t_drain_closed(db, streams, nstreams);
	for (unsigned i = 0; i < nstreams; i++)
		t_stream_free(&streams[i]);
	dbuf_destroy(db);
	return chunks;
}

void *t_job_main(void *arg)
{
	struct t_job *j = arg;
	struct dbuf_writer *w = dbuf_writer(j->db, j->id);

	if (j->reserve) {
		void *where;
		j->result = dbuf_reserve(w, j->len, &where);
		if (j->result == DBUF_OK) {
			t_pattern(where, j->len, j->tag);
			dbuf_commit(w);
		}
	} else {
		j->result = t_write(w, j->len, j->tag);
	}
	atomic_store(&j->done, true);
	return NULL;
}

void t_msleep(unsigned ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0)
		;
}

bool t_wait_until(bool (*cond)(void *arg), void *arg, unsigned timeout_ms)
{
	for (unsigned waited = 0; waited < timeout_ms; waited++) {
		if (cond(arg))
			return true;
		t_msleep(1);
	}
	return cond(arg);
}
