/* SPDX-License-Identifier: MIT */
/*
 * The shared layout: every writer fills the same active buffer.
 *
 *   claim    one fetch_add on the head word (generation | offset)
 *   copy     into [off, off + len) of buffer gen % K
 *   commit   fetch_add(len) on that buffer's committed counter
 *   seal     the one claim that covers offset cap records the buffer's length
 *   activate a CAS moves head to (gen + 1, 0) once buffer gen + 1 is free
 *   consume  the reader takes buffer gen when sealed and committed == length
 *   recycle  the reader's release marks the buffer free for gen + K
 *
 * docs/DESIGN.md walks through each step, the ordering of every atomic, and
 * why a writer that raced a swap or a recycle can never corrupt a buffer.
 */
#include <string.h>

#include "internal.h"

static inline uint32_t gen_next(const struct dbuf *db, uint32_t gen, uint32_t n)
{
	/* Generations count modulo gen_mod, a multiple of K, so gen % K stays
	 * the buffer index even when the 32-bit generation wraps. */
	return (uint32_t)(((uint64_t)gen + n) % db->gen_mod);
}

static inline struct sh_buf *buf_of(const struct dbuf *db, uint32_t gen)
{
	return dbuf__sh_buf(db, gen);
}

void dbuf__sh_init(struct dbuf *db)
{
	for (unsigned i = 0; i < db->cfg.buffers; i++) {
		struct sh_buf *b = &db->sh[i];
		atomic_init(&b->committed, 0);
		atomic_init(&b->seal, 0);
		atomic_init(&b->free_for, i); /* buffer i is free for generation i */
		b->data = db->regions[i].iov_base;
	}
	atomic_init(&db->head, SH_HEAD(0, 0)); /* generation 0 is active */
	db->k_mask = (db->cfg.buffers & (db->cfg.buffers - 1)) == 0 ? db->cfg.buffers - 1 : 0;
	db->rgen = 0;
}

/*
 * Moves head from generation gen (already past its end) to gen + 1, if the
 * buffer of gen + 1 is free.  Any thread may call it; several may race and
 * exactly one CAS wins.  Returns true if head is no longer at gen (we or
 * somebody else advanced it), false if the next buffer is still busy.
 *
 * Bounded: the CAS fails only when head changed, and while it stays at gen
 * it changes only by past-end claims, at most one per writer plus one flush.
 */
static bool activate_after(struct dbuf *db, uint32_t gen)
{
	uint32_t next = gen_next(db, gen, 1);
	struct sh_buf *nb = buf_of(db, next);
	/*
	 * Store buffering: the reader stores free_for and then loads head (in
	 * dbuf__sh_release()); we changed head (our claim) and now load
	 * free_for.  With acquire/release alone both loads may miss the other
	 * thread's store, and nobody would activate.  A seq_cst fence on each
	 * side forbids that: pairs with the seq_cst fence in dbuf__sh_release().
	 * Slow path only: once per attempt to activate, not per block.
	 */
	atomic_thread_fence(memory_order_seq_cst);
	uint64_t h = atomic_load_explicit(&db->head, memory_order_relaxed);

	for (;;) {
		if (SH_GEN(h) != gen)
			return true;
		/* pairs with the release store of free_for in dbuf__sh_release():
		 * the reader is done reading generation next - K. */
		if (atomic_load_explicit(&nb->free_for, memory_order_acquire) != next)
			return false;
		/* pairs with the acquire fetch_add of the claim (in
		 * dbuf__sh_reserve_fast(), dbuf__sh_reserve() and seal_active())
		 * and the acquire load in wait_open(): a writer that claims in
		 * generation next also happens-after the reader's release above
		 * (transitively). */
		if (atomic_compare_exchange_weak_explicit(&db->head, &h, SH_HEAD(next, 0),
							  memory_order_release, /* pairs with the claims, above */
							  memory_order_relaxed))
			return true;
	}
}

/* The claim covering offset cap records the buffer's length: off. */
static void seal(struct dbuf *db, uint32_t gen, uint32_t off)
{
	/* pairs with the acquire load of seal in dbuf__sh_next() */
	atomic_store_explicit(&buf_of(db, gen)->seal, SH_SEALED | off, memory_order_release);
	activate_after(db, gen);
}

/*
 * After a past-end claim in generation gen: wait (or give up, per policy)
 * until head leaves gen with room to claim.  Never claims: it only loads,
 * so each writer adds at most one past-end claim per generation.
 */
static int wait_open(struct dbuf_writer *w, uint32_t gen)
{
	struct dbuf *db = w->db;
	unsigned step = 0;

	for (;;) {
		/* pairs with the release CAS in activate_after() */
		uint64_t h = atomic_load_explicit(&db->head, memory_order_acquire);
		if (SH_GEN(h) != gen && SH_OFF(h) <= db->cap) {
			w->stuck = false;
			return DBUF_OK;
		}
		gen = SH_GEN(h);
		if (SH_OFF(h) > db->cap && activate_after(db, gen))
			continue;
		if (SH_OFF(h) <= db->cap) { /* same gen, reopened? impossible: offsets grow */
			w->stuck = false;
			return DBUF_OK;
		}
		w->stuck = true;
		w->stuck_gen = gen;
		int r = dbuf__full(w, &step);
		if (r != DBUF_OK)
			return r;
	}
}

/*
 * A claim h that did not fit.  If it covers offset cap we are this
 * generation's sealer; either way, wait (per policy) for an open generation.
 */
static int overflow(struct dbuf_writer *w, uint64_t h)
{
	uint32_t gen = SH_GEN(h), off = SH_OFF(h);

	if (off <= w->db->cap) {
		counter_add(&w->c.seals, 1);
		seal(w->db, gen, off);
	}
	return wait_open(w, gen);
}

/* The slow path: a writer stuck after a past-end claim, or retrying after one. */
int dbuf__sh_reserve(struct dbuf_writer *w, size_t len, void **where)
{
	struct dbuf *db = w->db;
	int r;

	/* Our last claim went past the end of stuck_gen: load before claiming again. */
	if (DBUF_UNLIKELY(w->stuck)) {
		r = wait_open(w, w->stuck_gen);
		if (r != DBUF_OK)
			return r;
	}
	for (;;) {
		/*
		 * The claim: one wait-free fetch_add.  acquire pairs with the
		 * release CAS in activate_after() that opened this generation, so
		 * our copy cannot overtake the reader's last read of the buffer.
		 */
		uint64_t h = atomic_fetch_add_explicit(&db->head, len, memory_order_acquire);
		if (DBUF_LIKELY((uint64_t)SH_OFF(h) + len <= db->cap)) {
			dbuf__sh_place(w, h, len, where);
			return DBUF_OK;
		}
		r = overflow(w, h);
		if (r != DBUF_OK)
			return r;
	}
}

/* The fast path's claim h did not fit (see dbuf__sh_reserve_fast()). */
int dbuf__sh_overflow(struct dbuf_writer *w, size_t len, void **where, uint64_t h)
{
	int r = overflow(w, h);
	if (r != DBUF_OK)
		return r;
	return dbuf__sh_reserve(w, len, where);
}

static bool seal_active(struct dbuf *db);

int dbuf__sh_next(struct dbuf *db, struct dbuf_chunk *out)
{
	uint32_t gen = db->rgen;
	struct sh_buf *b = buf_of(db, gen);

	/*
	 * While we still hold generation gen - K (same buffer, not released),
	 * its seal describes that old generation: wait for our own release.
	 * We are the only thread that stores free_for: relaxed reads our value.
	 */
	if (atomic_load_explicit(&b->free_for, memory_order_relaxed) != gen)
		return DBUF_EAGAIN;
	for (;;) {
		/* pairs with the release store in seal() */
		uint64_t s = atomic_load_explicit(&b->seal, memory_order_acquire);
		if (s & SH_SEALED) {
			uint64_t len = s & ~SH_SEALED;
			/* pairs with the release fetch_add in dbuf__sh_commit(): all
			 * len bytes were copied before their commits. */
			if (atomic_load_explicit(&b->committed, memory_order_acquire) != len) {
				dbuf__rcount(&db->rc.stalled_polls, 1);
				return DBUF_EAGAIN; /* a writer is between claim and commit */
			}
			out->data = b->data;
			out->len = len;
			out->writer = DBUF_ANY_WRITER;
			out->flags = 0;
			out->seq = gen;
			out->region = gen % db->cfg.buffers;
			out->ticket_ = gen;
			db->rgen = gen_next(db, gen, 1);
			return 0;
		}
		/* pairs with the release store in dbuf_close() */
		if (!atomic_load_explicit(&db->closed, memory_order_acquire))
			return DBUF_EAGAIN;
		/* Closed: seal what is left, or say we are drained. */
		uint64_t h = atomic_load_explicit(&db->head, memory_order_relaxed);
		if (SH_GEN(h) == gen && SH_OFF(h) == 0)
			return DBUF_ENODATA;
		if (SH_OFF(h) > db->cap) {
			/* Past the end and not yet reopened: help, then poll again. */
			activate_after(db, SH_GEN(h));
			return DBUF_EAGAIN;
		}
		if (SH_GEN(h) != gen)
			return DBUF_EAGAIN; /* the sealer has not recorded the seal yet */
		seal_active(db);
	}
}

void dbuf__sh_release(struct dbuf *db, const struct dbuf_chunk *c)
{
	uint32_t gen = (uint32_t)c->ticket_;
	struct sh_buf *b = buf_of(db, gen);

	/* No writer touches the buffer now: all claims below the seal committed,
	 * and no claim of a later generation lands here until free_for says so. */
	atomic_store_explicit(&b->committed, 0, memory_order_relaxed);
	atomic_store_explicit(&b->seal, 0, memory_order_relaxed);
	/* pairs with the acquire load of free_for in activate_after(): the
	 * resets above and our reads of the data happen-before any new claim. */
	atomic_store_explicit(&b->free_for, gen_next(db, gen, db->cfg.buffers),
			      memory_order_release);

	/*
	 * Writers may be stuck behind this buffer; open the next generation.
	 * The fence pairs with the seq_cst fence in activate_after(): either we
	 * see a writer's past-end claim here, or that writer sees our free_for.
	 */
	atomic_thread_fence(memory_order_seq_cst);
	uint64_t h = atomic_load_explicit(&db->head, memory_order_relaxed);
	if (SH_OFF(h) > db->cap)
		activate_after(db, SH_GEN(h));
}

/* Seals the active buffer if it holds anything; true if we sealed it. */
static bool seal_active(struct dbuf *db)
{
	uint64_t h = atomic_load_explicit(&db->head, memory_order_relaxed);
	if (SH_OFF(h) == 0 || SH_OFF(h) > db->cap)
		return false; /* empty, or already sealed */
	/*
	 * Claim cap + 1 bytes: more than can ever fit, so the claim surely
	 * covers offset cap (making us the sealer) unless another claim already
	 * did.  It never waits for a writer that is mid-commit: the reader will
	 * just find committed < length until that writer commits.  If the
	 * generation moved on since our load, we seal the new one, perhaps
	 * empty: an empty chunk, released like any other.
	 */
	/* acquire: pairs with the release CAS in activate_after(), like a claim */
	uint64_t h2 = atomic_fetch_add_explicit(&db->head, (uint64_t)db->cap + 1,
						memory_order_acquire);
	if (SH_OFF(h2) > db->cap)
		return false;
	seal(db, SH_GEN(h2), SH_OFF(h2));
	return true;
}

void dbuf__sh_flush(struct dbuf *db)
{
	if (seal_active(db))
		dbuf__rcount(&db->rc.flushes, 1);
}
