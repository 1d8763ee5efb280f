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
#include "../util/counter.h"

#define DBUF_CACHELINE 64
#define DBUF_LIKELY(x) __builtin_expect(!!(x), 1)
#define DBUF_UNLIKELY(x) __builtin_expect(!!(x), 0)

/*
 * Writer-owned counters.  Only the owning writer stores them (counter_add():
 * plain load + add + store, never a read-modify-write instruction); the reader and monitoring
 * read them with relaxed loads.  Relaxed is enough: a counter carries no data
 * that another thread must see in order, only its own value, and each 64-bit
 * relaxed load returns a value the writer actually stored.
 */
struct dbuf__wcounters {
	_Atomic uint64_t blocks, bytes;
	_Atomic uint64_t drop_full, drop_too_big, drop_zero, drop_closed;
	_Atomic uint64_t seals, full_waits, yields, naps;
};

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
	struct pw_buf *cur;  /* bufs[seq % K], so that the fast path divides by nothing */
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
	uint32_t k_mask;     /* K - 1 when K is a power of two, else 0 (gen % K then) */
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
int dbuf__sh_overflow(struct dbuf_writer *w, size_t len, void **where, uint64_t h);
int dbuf__sh_next(struct dbuf *db, struct dbuf_chunk *out);
void dbuf__sh_release(struct dbuf *db, const struct dbuf_chunk *c);
void dbuf__sh_flush(struct dbuf *db);
void dbuf__sh_init(struct dbuf *db);

int dbuf__pw_reserve(struct dbuf_writer *w, size_t len, void **where);
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
 * the first spin_limit steps, then sched_yield, then, past yield_limit
 * yields, a nap) and returns DBUF_OK to retry.
 */
int dbuf__full(struct dbuf_writer *w, unsigned *step);

/*
 * The per-writer fast path, inlined into dbuf.c's entry points.  Measured
 * with tools/bench (docs/BENCHMARKS.md): a 16-byte write is a few dozen
 * instructions of work, and going through dbuf_write -> dbuf_reserve ->
 * dbuf__pw_reserve -> dbuf_commit -> dbuf__pw_commit, each call with its
 * prologue, cost more than the work.  Seals and full buffers stay out of
 * line in dbuf__pw_reserve().
 */
static inline int dbuf__pw_reserve_fast(struct dbuf_writer *w, size_t len, void **where)
{
	if (DBUF_LIKELY(w->have_buf && w->off + len <= w->db->cap)) {
		w->res_len = len;
		*where = w->cur->data + w->off;
		return DBUF_OK;
	}
	return dbuf__pw_reserve(w, len, where);
}

static inline void dbuf__pw_commit(struct dbuf_writer *w)
{
	w->off += w->res_len;
	/* pairs with the acquire load of fill in dbuf__pw_next(): a reader that
	 * sees the new length sees the bytes below it. */
	atomic_store_explicit(&w->cur->fill, w->off, memory_order_release);
}

/* The buffer of generation gen: a mask for the usual K (2, 4, ...), no division. */
static inline struct sh_buf *dbuf__sh_buf(const struct dbuf *db, uint32_t gen)
{
	return &db->sh[db->k_mask ? gen & db->k_mask : gen % db->cfg.buffers];
}

/*
 * The shared layout's fast path, inlined like the per-writer one: one claim
 * that fits.  Anything else (a writer stuck after a past-end claim, a claim
 * that crosses or lies past the end) goes out of line to shared.c.
 */
/* A claim h of len bytes that fits: record the reservation, say where it is. */
static inline void dbuf__sh_place(struct dbuf_writer *w, uint64_t h, size_t len, void **where)
{
	struct sh_buf *b = dbuf__sh_buf(w->db, SH_GEN(h));
	w->res = b;
	w->res_len = len;
	*where = b->data + SH_OFF(h);
}

static inline int dbuf__sh_reserve_fast(struct dbuf_writer *w, size_t len, void **where)
{
	struct dbuf *db = w->db;

	if (DBUF_UNLIKELY(w->stuck))
		return dbuf__sh_reserve(w, len, where);
	/* The claim.  acquire pairs with the release CAS in activate_after()
	 * (shared.c) that opened this generation. */
	uint64_t h = atomic_fetch_add_explicit(&db->head, len, memory_order_acquire);
	if (DBUF_LIKELY((uint64_t)SH_OFF(h) + len <= db->cap)) {
		dbuf__sh_place(w, h, len, where);
		return DBUF_OK;
	}
	return dbuf__sh_overflow(w, len, where, h);
}

static inline void dbuf__sh_commit(struct dbuf_writer *w)
{
	/* pairs with the acquire load of committed in dbuf__sh_next(): the
	 * reader that sees the full count sees our copied bytes. */
	atomic_fetch_add_explicit(&w->res->committed, w->res_len, memory_order_release);
}

/* Reader-side counter (the reader is its only writer). */
static inline void dbuf__rcount(_Atomic uint64_t *c, uint64_t v)
{
	counter_add(c, v);
}

#endif /* DBUF_INTERNAL_H */
