/* SPDX-License-Identifier: MIT */
/*
 * Creation, destruction, the public entry points and what the three layouts
 * share.  The layouts themselves are in shared.c, perwriter.c and mutex.c.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

void dbuf_config_init(struct dbuf_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->layout = DBUF_LAYOUT_PER_WRITER;
	cfg->writers = 1;
	cfg->buffers = DBUF_DEFAULT_BUFFERS;
	cfg->buffer_size = DBUF_DEFAULT_BUFFER_SIZE;
	cfg->on_full = DBUF_ON_FULL_WAIT;
	cfg->spin_limit = DBUF_DEFAULT_SPIN_LIMIT;
}

static const char *const layout_names[] = {"per-writer", "shared", "mutex"};
static const char *const policy_names[] = {"drop", "wait"};

const char *dbuf_layout_name(enum dbuf_layout layout)
{
	return (unsigned)layout < 3 ? layout_names[layout] : "?";
}

int dbuf_layout_parse(const char *name, enum dbuf_layout *out)
{
	for (unsigned i = 0; i < 3; i++)
		if (strcmp(name, layout_names[i]) == 0) {
			*out = (enum dbuf_layout)i;
			return 0;
		}
	return -EINVAL;
}

const char *dbuf_on_full_name(enum dbuf_on_full policy)
{
	return (unsigned)policy < 2 ? policy_names[policy] : "?";
}

int dbuf_on_full_parse(const char *name, enum dbuf_on_full *out)
{
	for (unsigned i = 0; i < 2; i++)
		if (strcmp(name, policy_names[i]) == 0) {
			*out = (enum dbuf_on_full)i;
			return 0;
		}
	return -EINVAL;
}

/* The largest errno value Linux returns (MAX_ERRNO in the kernel). */
#define DBUF__MAX_ERRNO 4095

const char *dbuf_strerror(int result)
{
	switch (result) {
	case DBUF_OK: return "ok";
	case DBUF_EFULL: return "every buffer is busy";
	case DBUF_ETOOBIG: return "block larger than a buffer";
	case DBUF_EZERO: return "zero-length block";
	case DBUF_ECLOSED: return "buffer closed";
	case DBUF_EAGAIN: return "nothing ready";
	case DBUF_ENODATA: return "closed and drained";
	default: break;
	}
	/* A -errno (setup's -EINVAL, -ENOMEM, an mlock result): the system's words. */
	if (result < 0 && result >= -DBUF__MAX_ERRNO)
		return strerror(-result);
	return "unknown result";
}

/*
 * One buffer: page-aligned anonymous memory, prefaulted so that no page
 * fault lands inside a writer's claim, and mlocked when the limit allows so
 * that it stays resident.  mlock is attempted, reported, never required.
 */
static void *buffer_alloc(size_t size, int *mlock_err)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	/* MAP_POPULATE may map the shared zero page read-only: touch each page. */
	long page = sysconf(_SC_PAGESIZE);
	for (size_t o = 0; o < size; o += (size_t)page)
		((volatile char *)p)[o] = 0;
	if (mlock(p, size) != 0 && *mlock_err == 0)
		*mlock_err = -errno;
	return p;
}

static int validate(const struct dbuf_config *cfg)
{
	if ((unsigned)cfg->layout > DBUF_LAYOUT_MUTEX)
		return -EINVAL;
	if (cfg->writers < 1 || cfg->writers > DBUF_MAX_WRITERS)
		return -EINVAL;
	if (cfg->buffers < DBUF_MIN_BUFFERS || cfg->buffers > DBUF_MAX_BUFFERS)
		return -EINVAL;
	if ((unsigned)cfg->on_full > DBUF_ON_FULL_WAIT)
		return -EINVAL;
	if (cfg->buffer_size == 0 || cfg->buffer_size > UINT32_MAX / 2)
		return -EINVAL;
	/*
	 * Shared layout: the offset half of the head word must never overflow
	 * into the generation.  In one generation the offset can reach at most
	 * cap (the sealing claim starts at or below it) + one claim of at most
	 * cap bytes per writer past the end + the reader's flush claim of
	 * cap + 1: below cap * (writers + 3).  DESIGN.md, "The head word".
	 */
	if (cfg->layout == DBUF_LAYOUT_SHARED &&
	    (uint64_t)cfg->buffer_size * (cfg->writers + 3u) >= (UINT64_C(1) << 32))
		return -EINVAL;
	return 0;
}

int dbuf_create(const struct dbuf_config *cfg_in, struct dbuf **out)
{
	struct dbuf_config cfg = *cfg_in;
	long page = sysconf(_SC_PAGESIZE);
	int err;

	if (cfg.spin_limit == 0)
		cfg.spin_limit = DBUF_DEFAULT_SPIN_LIMIT;
	cfg.buffer_size = (cfg.buffer_size + (size_t)page - 1) & ~((size_t)page - 1);
	err = validate(&cfg);
	if (err)
		return err;

	struct dbuf *db = aligned_alloc(DBUF_CACHELINE, sizeof(*db));
	if (!db)
		return -ENOMEM;
	memset(db, 0, sizeof(*db));
	db->cfg = cfg;
	db->cap = (uint32_t)cfg.buffer_size;
	/* Largest multiple of K that fits 32 bits: gen % K survives the wrap. */
	db->gen_mod = (uint32_t)(UINT32_MAX / cfg.buffers * cfg.buffers);
	atomic_init(&db->closed, false);

	size_t nw = cfg.writers;
	db->writers = aligned_alloc(DBUF_CACHELINE, nw * sizeof(struct dbuf_writer));
	if (!db->writers) {
		err = -ENOMEM;
		goto fail_writers;
	}
	memset(db->writers, 0, nw * sizeof(struct dbuf_writer));
	for (unsigned i = 0; i < nw; i++) {
		db->writers[i].db = db;
		db->writers[i].id = i;
		db->writers[i].policy = cfg.on_full;
	}

	db->nregions = cfg.layout == DBUF_LAYOUT_PER_WRITER ? cfg.writers * cfg.buffers
							     : cfg.buffers;
	db->regions = calloc(db->nregions, sizeof(*db->regions));
	if (!db->regions) {
		err = -ENOMEM;
		goto fail_regions;
	}
	for (unsigned i = 0; i < db->nregions; i++) {
		db->regions[i].iov_base = buffer_alloc(cfg.buffer_size, &db->mlock_err);
		if (!db->regions[i].iov_base) {
			err = -ENOMEM;
			goto fail_buffers;
		}
		db->regions[i].iov_len = cfg.buffer_size;
	}

	switch (cfg.layout) {
	case DBUF_LAYOUT_SHARED:
		db->sh = aligned_alloc(DBUF_CACHELINE, cfg.buffers * sizeof(struct sh_buf));
		if (!db->sh) {
			err = -ENOMEM;
			goto fail_buffers;
		}
		dbuf__sh_init(db);
		break;
	case DBUF_LAYOUT_PER_WRITER:
		db->pw = aligned_alloc(DBUF_CACHELINE, db->nregions * sizeof(struct pw_buf));
		db->pw_r = calloc(nw, sizeof(*db->pw_r));
		if (!db->pw || !db->pw_r) {
			err = -ENOMEM;
			goto fail_layout;
		}
		dbuf__pw_init(db);
		break;
	case DBUF_LAYOUT_MUTEX:
		db->mx = calloc(cfg.buffers, sizeof(*db->mx));
		if (!db->mx) {
			err = -ENOMEM;
			goto fail_layout;
		}
		dbuf__mx_init(db);
		break;
	}
	*out = db;
	return 0;

fail_layout:
	free(db->pw);
	free(db->pw_r);
fail_buffers:
	for (unsigned i = 0; i < db->nregions; i++)
		if (db->regions[i].iov_base)
			munmap(db->regions[i].iov_base, cfg.buffer_size);
	free(db->regions);
fail_regions:
	free(db->writers);
fail_writers:
	free(db);
	return err;
}

void dbuf_destroy(struct dbuf *db)
{
	if (!db)
		return;
	if (db->cfg.layout == DBUF_LAYOUT_MUTEX)
		pthread_mutex_destroy(&db->mx_lock);
	for (unsigned i = 0; i < db->nregions; i++)
		munmap(db->regions[i].iov_base, db->cfg.buffer_size);
	free(db->regions);
	free(db->sh);
	free(db->pw);
	free(db->pw_r);
	free(db->mx);
	free(db->writers);
	free(db);
}

const struct dbuf_config *dbuf_get_config(const struct dbuf *db)
{
	return &db->cfg;
}

int dbuf_mlock_result(const struct dbuf *db)
{
	return db->mlock_err;
}

unsigned dbuf_regions(const struct dbuf *db, struct iovec *iov, unsigned n)
{
	for (unsigned i = 0; i < n && i < db->nregions; i++)
		iov[i] = db->regions[i];
	return db->nregions;
}

/* ---------------------------------------------------------------- writers */

struct dbuf_writer *dbuf_writer(struct dbuf *db, unsigned id)
{
	return id < db->cfg.writers ? &db->writers[id] : NULL;
}

unsigned dbuf_writer_id(const struct dbuf_writer *w)
{
	return w->id;
}

void dbuf_writer_set_policy(struct dbuf_writer *w, enum dbuf_on_full policy)
{
	w->policy = policy;
}

int dbuf__full(struct dbuf_writer *w, unsigned *step)
{
	/* pairs with the release store in dbuf_close(): nothing is published by
	 * it, but acquire keeps the reasoning simple and costs nothing here. */
	if (atomic_load_explicit(&w->db->closed, memory_order_acquire)) {
		counter_add(&w->c.drop_closed, 1);
		return DBUF_ECLOSED;
	}
	if (w->policy == DBUF_ON_FULL_DROP) {
		counter_add(&w->c.drop_full, 1);
		return DBUF_EFULL;
	}
	if (*step == 0)
		counter_add(&w->c.full_waits, 1);
	/*
	 * Wait policy: spin a bounded number of times (the reader usually frees
	 * a buffer within microseconds), then yield the core.  sched_yield() is
	 * the one syscall a writer may make, and only here: with more threads
	 * than cores, spinning alone could keep the reader from ever running.
	 * With yield_limit set (more threads than cores), a writer that has
	 * yielded that many times in this wait naps instead: yielding in a loop
	 * still takes the core whenever the scheduler offers it, a nap leaves it
	 * to the reader for DBUF_NAP_NS.
	 */
	const struct dbuf_config *cfg = &w->db->cfg;
	if (*step < cfg->spin_limit) {
		dbuf_cpu_relax();
	} else if (cfg->yield_limit == 0 || *step - cfg->spin_limit < cfg->yield_limit) {
		counter_add(&w->c.yields, 1);
		sched_yield();
	} else {
		const struct timespec nap = {.tv_sec = 0, .tv_nsec = DBUF_NAP_NS};

		counter_add(&w->c.naps, 1);
		nanosleep(&nap, NULL);
	}
	if (*step < UINT_MAX) /* a wait may outlast 2^32 steps: stay in the last stage */
		(*step)++;
	return DBUF_OK;
}

/* Checks common to every layout; returns DBUF_OK when the block may go on. */
static inline int precheck(struct dbuf_writer *w, size_t len)
{
	if (DBUF_UNLIKELY(len == 0)) {
		counter_add(&w->c.drop_zero, 1);
		return DBUF_EZERO;
	}
	if (DBUF_UNLIKELY(len > w->db->cap)) {
		counter_add(&w->c.drop_too_big, 1);
		return DBUF_ETOOBIG;
	}
	/* pairs with the release store in dbuf_close() */
	if (DBUF_UNLIKELY(atomic_load_explicit(&w->db->closed, memory_order_acquire))) {
		counter_add(&w->c.drop_closed, 1);
		return DBUF_ECLOSED;
	}
	return DBUF_OK;
}

/*
 * reserve() and commit() are inline so that dbuf_write() is one call deep
 * on the fast path (see dbuf__pw_reserve_fast() in internal.h).
 */
static inline int reserve(struct dbuf_writer *w, size_t len, void **where)
{
	int r = precheck(w, len);
	if (r != DBUF_OK)
		return r;
	switch (w->db->cfg.layout) {
	case DBUF_LAYOUT_PER_WRITER: return dbuf__pw_reserve_fast(w, len, where);
	case DBUF_LAYOUT_SHARED: return dbuf__sh_reserve_fast(w, len, where);
	default: return dbuf__mx_reserve(w, len, where);
	}
}

static inline void commit(struct dbuf_writer *w)
{
	size_t len = w->res_len;
	switch (w->db->cfg.layout) {
	case DBUF_LAYOUT_PER_WRITER: dbuf__pw_commit(w); break;
	case DBUF_LAYOUT_SHARED: dbuf__sh_commit(w); break;
	default: dbuf__mx_commit(w); break;
	}
	w->res_len = 0;
	counter_add(&w->c.blocks, 1);
	counter_add(&w->c.bytes, len);
}

int dbuf_reserve(struct dbuf_writer *w, size_t len, void **where)
{
	return reserve(w, len, where);
}

void dbuf_commit(struct dbuf_writer *w)
{
	commit(w);
}

int dbuf_write(struct dbuf_writer *w, const void *block, size_t len)
{
	void *dst;
	int r = reserve(w, len, &dst);
	if (r != DBUF_OK)
		return r;
	memcpy(dst, block, len);
	commit(w);
	return DBUF_OK;
}

void dbuf_writer_stats(const struct dbuf *db, unsigned id, struct dbuf_writer_stats *out)
{
	const struct dbuf__wcounters *c = &db->writers[id].c;
	/* Relaxed: see struct dbuf__wcounters. */
#define LD(f) atomic_load_explicit(&c->f, memory_order_relaxed)
	out->blocks = LD(blocks);
	out->bytes = LD(bytes);
	out->drop_full = LD(drop_full);
	out->drop_too_big = LD(drop_too_big);
	out->drop_zero = LD(drop_zero);
	out->drop_closed = LD(drop_closed);
	out->seals = LD(seals);
	out->full_waits = LD(full_waits);
	out->yields = LD(yields);
	out->naps = LD(naps);
#undef LD
}

/* ----------------------------------------------------------------- reader */

int dbuf_reader_next(struct dbuf *db, struct dbuf_chunk *out)
{
	int r;
	switch (db->cfg.layout) {
	case DBUF_LAYOUT_PER_WRITER: r = dbuf__pw_next(db, out); break;
	case DBUF_LAYOUT_SHARED: r = dbuf__sh_next(db, out); break;
	default: r = dbuf__mx_next(db, out); break;
	}
	if (r == 0) {
		dbuf__rcount(&db->rc.chunks, 1);
		dbuf__rcount(&db->rc.bytes, out->len);
	}
	return r;
}

void dbuf_reader_release(struct dbuf *db, const struct dbuf_chunk *c)
{
	switch (db->cfg.layout) {
	case DBUF_LAYOUT_PER_WRITER: dbuf__pw_release(db, c); break;
	case DBUF_LAYOUT_SHARED: dbuf__sh_release(db, c); break;
	default: dbuf__mx_release(db, c); break;
	}
}

void dbuf_reader_flush(struct dbuf *db)
{
	switch (db->cfg.layout) {
	case DBUF_LAYOUT_PER_WRITER: dbuf__pw_flush(db); break;
	case DBUF_LAYOUT_SHARED: dbuf__sh_flush(db); break;
	default: dbuf__mx_flush(db); break;
	}
}

void dbuf_close(struct dbuf *db)
{
	/* pairs with the acquire loads in precheck(), dbuf__full() and the
	 * layouts' reader calls dbuf__pw_next(), dbuf__sh_next() and
	 * dbuf__mx_next(): a thread that sees closed also sees every
	 * write the closing thread made before (e.g. its last flush request). */
	atomic_store_explicit(&db->closed, true, memory_order_release);
}

void dbuf_reader_stats(const struct dbuf *db, struct dbuf_reader_stats *out)
{
	/* Relaxed: statistics only, the reader is the single writer. */
	out->chunks = atomic_load_explicit(&db->rc.chunks, memory_order_relaxed);
	out->bytes = atomic_load_explicit(&db->rc.bytes, memory_order_relaxed);
	out->flushes = atomic_load_explicit(&db->rc.flushes, memory_order_relaxed);
	out->stalled_polls = atomic_load_explicit(&db->rc.stalled_polls, memory_order_relaxed);
}
