/* SPDX-License-Identifier: MIT */
/*
 * The per-writer layout: each writer owns K buffers and fills them in turn.
 * A single producer needs no read-modify-write: the writer publishes its
 * progress with plain release stores to a word only it writes (fill), and
 * learns that a buffer is free again from a word only the reader writes
 * (free_seq).  No two writers ever touch the same cache line.
 *
 * The reader visits the writers round-robin.  A sealed buffer is handed out
 * whole; on a flush (or after close) the reader also hands out the committed
 * prefix of a buffer that is still filling, without disturbing the writer:
 * the writer only appends beyond fill, the reader only reads below it.
 */
#include "internal.h"

static inline struct pw_buf *wbuf(struct dbuf *db, unsigned writer, uint64_t seq)
{
	return &db->pw[(size_t)writer * db->cfg.buffers + seq % db->cfg.buffers];
}

void dbuf__pw_init(struct dbuf *db)
{
	unsigned k = db->cfg.buffers;
	for (unsigned w = 0; w < db->cfg.writers; w++) {
		for (unsigned i = 0; i < k; i++) {
			struct pw_buf *b = &db->pw[(size_t)w * k + i];
			atomic_init(&b->fill, 0);
			atomic_init(&b->free_seq, i); /* free to be filled as sequence i */
			b->data = db->regions[(size_t)w * k + i].iov_base;
		}
		db->writers[w].bufs = &db->pw[(size_t)w * k];
		db->writers[w].cur = db->writers[w].bufs;
		db->writers[w].seq = 0;
		db->writers[w].off = 0;
		db->writers[w].have_buf = true; /* sequence 0 is free from the start */
	}
}

/* The whole reserve; dbuf__pw_reserve_fast() (internal.h) inlines its first case. */
int dbuf__pw_reserve(struct dbuf_writer *w, size_t len, void **where)
{
	struct dbuf *db = w->db;
	unsigned step = 0;

	for (;;) {
		if (DBUF_LIKELY(w->have_buf)) {
			if (DBUF_LIKELY(w->off + len <= db->cap)) {
				w->res_len = len;
				*where = w->cur->data + w->off;
				return DBUF_OK;
			}
			/* Does not fit: seal this buffer and move on. */
			/* pairs with the acquire load of fill in dbuf__pw_next() */
			atomic_store_explicit(&w->cur->fill, w->off | PW_SEALED, memory_order_release);
			counter_add(&w->c.seals, 1);
			w->seq++;
			w->off = 0;
			w->have_buf = false;
			/* The one division per buffer, not per block. */
			w->cur = &w->bufs[w->seq % db->cfg.buffers];
		}
		/* pairs with the release store of free_seq in dbuf__pw_release():
		 * the reader has finished with this buffer's previous contents. */
		uint64_t f = atomic_load_explicit(&w->cur->free_seq, memory_order_acquire);
		if (f == w->seq) {
			w->have_buf = true;
			continue;
		}
		int r = dbuf__full(w, &step);
		if (r != DBUF_OK)
			return r;
	}
}

/* Tries to hand out something of writer wi's oldest buffer. */
static int pw_take(struct dbuf *db, unsigned wi, bool closed, struct dbuf_chunk *out)
{
	struct pw_rstate *rs = &db->pw_r[wi];
	struct pw_buf *b = wbuf(db, wi, rs->rseq);
	/*
	 * Until we release the chunk that this buffer held K sequences ago, its
	 * fill still describes that old sequence: do not read it again.  We are
	 * the only thread that stores free_seq, so relaxed reads our own value.
	 */
	if (atomic_load_explicit(&b->free_seq, memory_order_relaxed) != rs->rseq)
		return DBUF_EAGAIN;
	/* pairs with the release stores of fill in dbuf__pw_commit() and at the
	 * seal in dbuf__pw_reserve() */
	uint64_t fill = atomic_load_explicit(&b->fill, memory_order_acquire);
	uint64_t len = fill & ~PW_SEALED;
	bool sealed = (fill & PW_SEALED) != 0;

	if (!sealed && !(rs->flush || closed))
		return DBUF_EAGAIN;
	if (!sealed && len == rs->read_off) {
		rs->flush = false; /* nothing new since the last partial chunk */
		return DBUF_EAGAIN;
	}
	out->data = b->data + rs->read_off;
	out->len = len - rs->read_off;
	out->writer = wi;
	out->seq = rs->rseq;
	out->region = (unsigned)(b - db->pw);
	out->ticket_ = rs->rseq;
	if (sealed) {
		out->flags = 0;
		rs->rseq++;
		rs->read_off = 0;
	} else {
		/* A prefix: the writer keeps appending beyond len, untouched by us. */
		out->flags = DBUF_CHUNK_PARTIAL;
		rs->read_off = len;
		rs->flush = false;
	}
	return 0;
}

int dbuf__pw_next(struct dbuf *db, struct dbuf_chunk *out)
{
	unsigned n = db->cfg.writers;
	/* pairs with the release store in dbuf_close() */
	bool closed = atomic_load_explicit(&db->closed, memory_order_acquire);

	for (unsigned i = 0; i < n; i++) {
		unsigned wi = (db->pw_next_writer + i) % n;
		if (pw_take(db, wi, closed, out) == 0) {
			db->pw_next_writer = (wi + 1) % n; /* round-robin fairness */
			return 0;
		}
	}
	return closed ? DBUF_ENODATA : DBUF_EAGAIN;
}

void dbuf__pw_release(struct dbuf *db, const struct dbuf_chunk *c)
{
	if (c->flags & DBUF_CHUNK_PARTIAL)
		return; /* the buffer is still the writer's; its final chunk frees it */
	struct pw_buf *b = wbuf(db, c->writer, c->ticket_);
	/* Sealed: the writer has moved on and will not touch fill until free_seq
	 * lets it reuse this buffer. */
	atomic_store_explicit(&b->fill, 0, memory_order_relaxed);
	/* pairs with the acquire load of free_seq in dbuf__pw_reserve() */
	atomic_store_explicit(&b->free_seq, c->ticket_ + db->cfg.buffers, memory_order_release);
}

void dbuf__pw_flush(struct dbuf *db)
{
	bool exposes = false;
	for (unsigned i = 0; i < db->cfg.writers; i++) {
		struct pw_rstate *rs = &db->pw_r[i];
		struct pw_buf *b = wbuf(db, i, rs->rseq);
		rs->flush = true;
		/* Only to count flushes that expose data: relaxed is enough (the
		 * data itself is acquired in pw_take()). */
		uint64_t fill = atomic_load_explicit(&b->fill, memory_order_relaxed);
		if (atomic_load_explicit(&b->free_seq, memory_order_relaxed) == rs->rseq &&
		    !(fill & PW_SEALED) && fill > rs->read_off)
			exposes = true;
	}
	if (exposes)
		dbuf__rcount(&db->rc.flushes, 1);
}
