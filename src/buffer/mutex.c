/* SPDX-License-Identifier: MIT */
/*
 * The mutex layout: the naive double buffer that the benchmarks compare
 * against.  One pthread mutex guards everything; a writer holds it from
 * reserve to commit, copy included.  It is correct by construction and
 * simple to read, and it serialises every writer on one lock.
 */
#include <string.h>

#include "internal.h"

enum { MX_FREE, MX_FILLING, MX_READY, MX_READING };

static inline struct mx_buf *mx_of(struct dbuf *db, uint64_t gen)
{
	return &db->mx[gen % db->cfg.buffers];
}

void dbuf__mx_init(struct dbuf *db)
{
	pthread_mutex_init(&db->mx_lock, NULL);
	for (unsigned i = 0; i < db->cfg.buffers; i++) {
		db->mx[i].data = db->regions[i].iov_base;
		db->mx[i].state = MX_FREE;
	}
	db->mx[0].state = MX_FILLING;
	db->mx[0].gen = 0;
	db->mx_active_gen = 0;
	db->mx_active_ok = true;
	db->mx_read_gen = 0;
}

/* Under the lock: seal the active buffer (if it holds anything) and open the next. */
static void mx_rotate(struct dbuf *db)
{
	if (db->mx_active_ok) {
		mx_of(db, db->mx_active_gen)->state = MX_READY;
		db->mx_active_gen++;
		db->mx_active_ok = false;
	}
	struct mx_buf *n = mx_of(db, db->mx_active_gen);
	if (n->state == MX_FREE) {
		n->state = MX_FILLING;
		n->len = 0;
		n->gen = db->mx_active_gen;
		db->mx_active_ok = true;
	}
}

int dbuf__mx_reserve(struct dbuf_writer *w, size_t len, void **where)
{
	struct dbuf *db = w->db;
	unsigned step = 0;

	for (;;) {
		pthread_mutex_lock(&db->mx_lock);
		if (!db->mx_active_ok)
			mx_rotate(db); /* the reader may have freed the next buffer */
		if (db->mx_active_ok) {
			struct mx_buf *b = mx_of(db, db->mx_active_gen);
			if (b->len + len > db->cap) {
				counter_add(&w->c.seals, 1);
				mx_rotate(db);
				b = mx_of(db, db->mx_active_gen);
			}
			if (db->mx_active_ok) {
				/* Keep the lock until dbuf__mx_commit(). */
				*where = b->data + b->len;
				w->res_len = len;
				return DBUF_OK;
			}
		}
		pthread_mutex_unlock(&db->mx_lock);
		int r = dbuf__full(w, &step);
		if (r != DBUF_OK)
			return r;
	}
}

void dbuf__mx_commit(struct dbuf_writer *w)
{
	struct dbuf *db = w->db;
	mx_of(db, db->mx_active_gen)->len += w->res_len;
	pthread_mutex_unlock(&db->mx_lock);
}

int dbuf__mx_next(struct dbuf *db, struct dbuf_chunk *out)
{
	int r = DBUF_EAGAIN;
	pthread_mutex_lock(&db->mx_lock);
	struct mx_buf *b = mx_of(db, db->mx_read_gen);
	/* pairs with the release store in dbuf_close() */
	bool closed = atomic_load_explicit(&db->closed, memory_order_acquire);
	if (closed && b->state == MX_FILLING && b->gen == db->mx_read_gen) {
		if (b->len == 0)
			r = DBUF_ENODATA;
		else
			mx_rotate(db);
	}
	if (b->state == MX_READY && b->gen == db->mx_read_gen) {
		b->state = MX_READING;
		out->data = b->data;
		out->len = b->len;
		out->writer = DBUF_ANY_WRITER;
		out->flags = 0;
		out->seq = b->gen;
		out->region = (unsigned)(db->mx_read_gen % db->cfg.buffers);
		out->ticket_ = b->gen;
		db->mx_read_gen++;
		r = 0;
	}
	pthread_mutex_unlock(&db->mx_lock);
	return r;
}

void dbuf__mx_release(struct dbuf *db, const struct dbuf_chunk *c)
{
	pthread_mutex_lock(&db->mx_lock);
	mx_of(db, c->ticket_)->state = MX_FREE;
	if (!db->mx_active_ok)
		mx_rotate(db);
	pthread_mutex_unlock(&db->mx_lock);
}

void dbuf__mx_flush(struct dbuf *db)
{
	pthread_mutex_lock(&db->mx_lock);
	if (db->mx_active_ok && mx_of(db, db->mx_active_gen)->len > 0) {
		mx_rotate(db);
		dbuf__rcount(&db->rc.flushes, 1);
	}
	pthread_mutex_unlock(&db->mx_lock);
}
