/* SPDX-License-Identifier: MIT */
/*
 * Internal structures of the buffer library.  Not installed; the one public
 * header is include/dbuf.h.
 *
 * Each structure says which thread writes each field.  Fields written by
 * different threads live on different cache lines (DBUF_CACHELINE) so that a
 * writer never invalidates a line that another writer or the reader is
 * writing: that would be false sharing.
 */
#ifndef DBUF_INTERNAL_H
#define DBUF_INTERNAL_H

#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "dbuf.h"

#define DBUF_CACHELINE 64
#define DBUF_LIKELY(x) __builtin_expect(!!(x), 1)
#define DBUF_UNLIKELY(x) __builtin_expect(!!(x), 0)

/*
 * Writer-owned counters.  Only the owning writer stores them (plain load + add
 * + store, never a read-modify-write instruction); the reader and monitoring
 * read them with relaxed loads.  Relaxed is enough: a counter carries no data
 * that another thread must see in order, only its own value, and each 64-bit
 * relaxed load returns a value the writer actually stored.
 */
struct dbuf__wcounters {
	_Atomic uint64_t blocks, bytes;
	_Atomic uint64_t drop_full, drop_too_big, drop_zero, drop_closed;
	_Atomic uint64_t seals, full_waits, yields;
};

static inline void dbuf__count(_Atomic uint64_t *c, uint64_t v)
{
	/* Single writer: load and store, no lock prefix (see struct dbuf__wcounters). */
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + v,
			      memory_order_relaxed);
}

/* ------------------------------------------------------------ shared layout */

/*
 * The head word: high 32 bits the generation of the active buffer, low 32
 * bits the offset claimed in it.  One fetch_add on this word hands a writer
 * both the buffer and its place in it, in one indivisible step.
 */
#define SH_GEN(h) ((uint32_t)((h) >> 32))
#define SH_OFF(h) ((uint32_t)(h))
#define SH_HEAD(gen, off) (((uint64_t)(gen) << 32) | (uint32_t)(off))
#define SH_SEALED (UINT64_C(1) << 63)

struct sh_buf {
	/* Writers' fetch_add per commit: the one contended line of a buffer. */
	alignas(DBUF_CACHELINE) _Atomic uint64_t committed;
	/*
	 * Written once per generation: seal by the sealing writer (or the
	 * reader's flush), free_for by the reader when it releases the buffer.
	 */
	alignas(DBUF_CACHELINE) _Atomic uint64_t seal;
	_Atomic uint32_t free_for; /* the generation this buffer may be activated as */
	char *data;                /* set at creation, read-only after */
};

/* ------------------------------------------------------- per-writer layout */

#define PW_SEALED (UINT64_C(1) << 63)

struct pw_buf {
	/* Owning writer: committed length, PW_SEALED when the writer moved on.
	 * The reader resets it to 0 while it owns the buffer (before free_seq). */
	alignas(DBUF_CACHELINE) _Atomic uint64_t fill;
	/* Reader: the writer sequence number this buffer may be filled as next. */
	alignas(DBUF_CACHELINE) _Atomic uint64_t free_seq;
	char *data;
};

/* Reader-private bookkeeping per writer (per-writer layout). */
struct pw_rstate {
	uint64_t rseq;     /* the writer's buffer sequence the reader is at */
	uint64_t read_off; /* bytes of it already handed out */
	bool flush;        /* hand out a partial prefix on the next poll */
};

/* --------------------------------------------------------------- writers */

struct dbuf_writer {
	/* Everything here is owned by the writer thread (counters: see above). */
	alignas(DBUF_CACHELINE) struct dbuf *db;
	unsigned id;
	enum dbuf_on_full policy;
	/* shared layout */
	uint32_t stuck_gen;  /* generation of our last past-end claim */
	bool stuck;          /* do not fetch_add again until head leaves stuck_gen */
	struct sh_buf *res;  /* buffer holding the open reservation */
	/* per-writer layout */
	uint64_t seq;        /* sequence of the current buffer (index seq % K) */
	uint64_t off;        /* bytes committed in it */
	bool have_buf;       /* false after sealing until the next buffer is free */
	struct pw_buf *bufs; /* this writer's K buffers */
	/* all layouts */
	size_t res_len;      /* length of the open reservation, 0 when none */
	struct dbuf__wcounters c;
};

/* ------------------------------------------------------------------ dbuf */

struct dbuf {
	/* Read-only after dbuf_create(). */
	struct dbuf_config cfg;
	uint32_t cap;        /* buffer size (fits 32 bits, see dbuf_create) */
	uint32_t gen_mod;    /* shared: generations count modulo this multiple of K */
	unsigned nregions;
	struct iovec *regions;
	int mlock_err;
	struct dbuf_writer *writers;

	/* Set once by dbuf_close(). */
	alignas(DBUF_CACHELINE) _Atomic bool closed;

	/* shared layout: the head word on its own line (every claim hits it). */
	alignas(DBUF_CACHELINE) _Atomic uint64_t head;
	struct sh_buf *sh;

	/* per-writer layout */
	struct pw_buf *pw;          /* writers * K buffers, writer-major */
	struct pw_rstate *pw_r;     /* reader-owned, one per writer */

	/* mutex layout: everything below guarded by mx_lock. */
	alignas(DBUF_CACHELINE) pthread_mutex_t mx_lock;
	struct mx_buf {
		char *data;
		size_t len;
		uint64_t gen;
		int state; /* MX_FREE, MX_FILLING, MX_READY, MX_READING */
	} *mx;
	uint64_t mx_active_gen; /* generation of the filling buffer */
	bool mx_active_ok;      /* false when the next buffer was busy at seal */
	uint64_t mx_read_gen;   /* next generation the reader takes */

	/* Reader-owned (shared: the generation it consumes next). */
	alignas(DBUF_CACHELINE) uint32_t rgen;
	unsigned pw_next_writer; /* round-robin start for the per-writer layout */
	struct {
		_Atomic uint64_t chunks, bytes, flushes, stalled_polls;
	} rc;
};

/* Layout entry points (one file each). */
int dbuf__sh_reserve(struct dbuf_writer *w, size_t len, void **where);
void dbuf__sh_commit(struct dbuf_writer *w);
int dbuf__sh_next(struct dbuf *db, struct dbuf_chunk *out);
void dbuf__sh_release(struct dbuf *db, const struct dbuf_chunk *c);
void dbuf__sh_flush(struct dbuf *db);
void dbuf__sh_init(struct dbuf *db);

int dbuf__pw_reserve(struct dbuf_writer *w, size_t len, void **where);
void dbuf__pw_commit(struct dbuf_writer *w);
int dbuf__pw_next(struct dbuf *db, struct dbuf_chunk *out);
void dbuf__pw_release(struct dbuf *db, const struct dbuf_chunk *c);
void dbuf__pw_flush(struct dbuf *db);
void dbuf__pw_init(struct dbuf *db);

int dbuf__mx_reserve(struct dbuf_writer *w, size_t len, void **where);
void dbuf__mx_commit(struct dbuf_writer *w);
int dbuf__mx_next(struct dbuf *db, struct dbuf_chunk *out);
void dbuf__mx_release(struct dbuf *db, const struct dbuf_chunk *c);
void dbuf__mx_flush(struct dbuf *db);
void dbuf__mx_init(struct dbuf *db);

/*
 * One step of the wait policy: returns DBUF_ECLOSED if the buffer was closed,
 * DBUF_EFULL under the drop policy (counted), else waits a little (pause for
 * the first spin_limit steps, then sched_yield) and returns DBUF_OK to retry.
 */
int dbuf__full(struct dbuf_writer *w, unsigned *step);

/* Reader-side counter (the reader is its only writer). */
static inline void dbuf__rcount(_Atomic uint64_t *c, uint64_t v)
{
	dbuf__count(c, v);
}

#endif /* DBUF_INTERNAL_H */
