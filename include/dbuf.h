/* SPDX-License-Identifier: MIT */
/*
 * dbuf.h - a lock-free multi-writer double buffer (and its naive mutex twin).
 *
 * N writer threads hand variable-size blocks to exactly one reader thread.
 * The blocks are opaque bytes: the library never frames them, so the reader
 * receives contiguous runs of whole blocks ("chunks") that it can write to a
 * file as they are.  docs/DESIGN.md explains the protocols step by step.
 *
 * Threads and calls
 * -----------------
 *  - dbuf_create(), dbuf_destroy(): one thread, no other call concurrent.
 *  - Writer calls (dbuf_write, dbuf_reserve, dbuf_commit, dbuf_writer_set_policy)
 *    take a struct dbuf_writer; each writer handle is used by ONE thread at a
 *    time.  Different handles may be used concurrently.
 *  - Reader calls (dbuf_reader_*) from ONE thread at a time (the reader).
 *  - dbuf_close(), dbuf_writer_stats(), dbuf_reader_stats(), dbuf_regions()
 *    from any thread.
 *
 * Results
 * -------
 * Every call that can fail returns 0, a negative errno (setup calls:
 * -EINVAL, -ENOMEM), or one of the library's own results below (DBUF_E...),
 * like liburing; the global errno is never part of the contract.  The own
 * results lie below -DBUF__ERESULT_BASE, out of the range of -errno (Linux
 * errno values are at most 4095), so that one int says unambiguously which it
 * is and dbuf_strerror() can name both.
 */
#ifndef DBUF_H
#define DBUF_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The library's own results start past every -errno: a DBUF_E... value is
 * never equal to a -errno, so dbuf_strerror(-EINVAL) from dbuf_create() is
 * "Invalid argument", not the text of a writer's result.
 */
#define DBUF__ERESULT_BASE 8192

/* Writer results. */
#define DBUF_OK 0
#define DBUF_EFULL (-DBUF__ERESULT_BASE - 1)   /* every buffer busy (drop policy); counted */
#define DBUF_ETOOBIG (-DBUF__ERESULT_BASE - 2) /* larger than a buffer: can never fit */
#define DBUF_EZERO (-DBUF__ERESULT_BASE - 3)   /* zero-length block */
#define DBUF_ECLOSED (-DBUF__ERESULT_BASE - 4) /* dbuf_close() was called */

/* Reader results besides 0. */
#define DBUF_EAGAIN (-DBUF__ERESULT_BASE - 5)  /* nothing ready now; poll again later */
#define DBUF_ENODATA (-DBUF__ERESULT_BASE - 6) /* closed and drained: nothing will come */

enum dbuf_layout {
	DBUF_LAYOUT_PER_WRITER = 0, /* each writer owns its own K buffers */
	DBUF_LAYOUT_SHARED = 1,     /* all writers fill one active buffer */
	DBUF_LAYOUT_MUTEX = 2,      /* naive: one mutex around everything */
};

enum dbuf_on_full {
	DBUF_ON_FULL_DROP = 0, /* count the block as dropped, return at once */
	DBUF_ON_FULL_WAIT = 1, /* bounded spin, then sched_yield() (then naps, if
	                          yield_limit), until room */
};

#define DBUF_MAX_WRITERS 256u
#define DBUF_MIN_BUFFERS 2u
#define DBUF_MAX_BUFFERS 64u
#define DBUF_DEFAULT_BUFFERS 2u
#define DBUF_DEFAULT_BUFFER_SIZE (4u << 20)
#define DBUF_DEFAULT_SPIN_LIMIT 1024u
#define DBUF_NAP_NS 50000u /* one nap of a waiting writer past yield_limit */

/*
 * One polite busy-wait step (x86 pause, arm64 yield): lets the sibling
 * hyperthread run and saves power in a spin loop.  What the wait policy
 * spins with; exported for the callers' own polling loops.
 */
static inline void dbuf_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#endif
}

struct dbuf_config {
	enum dbuf_layout layout;
	unsigned writers;     /* 1..DBUF_MAX_WRITERS */
	unsigned buffers;     /* K: 2..64; per writer in the per-writer layout */
	size_t buffer_size;   /* bytes per buffer; rounded up to the page size */
	enum dbuf_on_full on_full; /* initial policy of every writer */
	unsigned spin_limit;  /* busy polls before the first sched_yield() */
	/*
	 * sched_yield() calls in one wait before the writer naps instead
	 * (nanosleep of DBUF_NAP_NS per poll); 0 (the default): never nap.  For
	 * more threads than cores: sched_yield() only lets threads already
	 * runnable on this core go first, so writers that yield in a loop keep
	 * the cores from a reader that is about to wake up.  A nap gives its
	 * core away; on a core of its own a writer should not nap (it would wake
	 * up late), so leave it 0 there.
	 */
	unsigned yield_limit;
};

/* Fills *cfg with the defaults: per-writer, 1 writer, 2 buffers of 4 MiB, wait. */
void dbuf_config_init(struct dbuf_config *cfg);

/*
 * Allocates, prefaults and tries to mlock the buffers.  Returns 0 and sets
 * *out, or -EINVAL (a value out of range; for the shared layout also
 * buffer_size * (writers + 3) >= 2^32, see DESIGN.md), -ENOMEM.
 */
struct dbuf;
int dbuf_create(const struct dbuf_config *cfg, struct dbuf **out);
void dbuf_destroy(struct dbuf *db);

/* The configuration in force (buffer_size rounded), and 0 or the -errno of mlock(). */
const struct dbuf_config *dbuf_get_config(const struct dbuf *db);
int dbuf_mlock_result(const struct dbuf *db);

/* Names: "per-writer", "shared", "mutex"; "drop", "wait".  parse: 0 or -EINVAL. */
const char *dbuf_layout_name(enum dbuf_layout layout);
int dbuf_layout_parse(const char *name, enum dbuf_layout *out);
const char *dbuf_on_full_name(enum dbuf_on_full policy);
int dbuf_on_full_parse(const char *name, enum dbuf_on_full *out);
/*
 * A short text for any result of this library: its own results ("ok",
 * "every buffer is busy", ...) and, for a -errno (1..4095), strerror()'s
 * text; anything else reads "unknown result".  Never NULL.
 */
const char *dbuf_strerror(int result);

/* ---------------------------------------------------------------- writers */

/* The handle of writer id (0..writers-1).  Never NULL for a valid id. */
struct dbuf_writer;
struct dbuf_writer *dbuf_writer(struct dbuf *db, unsigned id);
unsigned dbuf_writer_id(const struct dbuf_writer *w);

/* Changes this writer's policy; call it from the writer's own thread. */
void dbuf_writer_set_policy(struct dbuf_writer *w, enum dbuf_on_full policy);

/*
 * Copies one block of len bytes.  Returns DBUF_OK, DBUF_EFULL (drop policy,
 * counted as a drop), DBUF_ETOOBIG, DBUF_EZERO or DBUF_ECLOSED.
 * Lock-free layouts: no syscall, no lock, no allocation, except sched_yield()
 * (and nanosleep() past yield_limit) while waiting under the wait policy.
 */
int dbuf_write(struct dbuf_writer *w, const void *block, size_t len);

/*
 * Zero-copy pair.  dbuf_reserve() returns DBUF_OK and sets *where to len
 * writable bytes, or one of dbuf_write()'s errors (then nothing is reserved).
 * After DBUF_OK the writer fills the bytes and must call dbuf_commit() before
 * any other call on this handle.  Until it commits, only the buffer that holds
 * the reservation waits for it: other writers go on.  In the mutex layout the
 * reservation holds the mutex (the naive baseline), so keep it short.
 * In the per-writer layout alone, a writer may also stop for good without
 * committing: nothing of an uncommitted reservation is ever handed out
 * (the shared layout's reader would wait for its bytes, the mutex would
 * stay locked).
 */
int dbuf_reserve(struct dbuf_writer *w, size_t len, void **where);
void dbuf_commit(struct dbuf_writer *w);

struct dbuf_writer_stats {
	uint64_t blocks;          /* blocks committed */
	uint64_t bytes;           /* bytes committed */
	uint64_t drop_full;       /* refused: every buffer busy (drop policy) */
	uint64_t drop_too_big;    /* refused: larger than a buffer */
	uint64_t drop_zero;       /* refused: zero length */
	uint64_t drop_closed;     /* refused: after dbuf_close() */
	uint64_t seals;           /* claims that crossed the end and sealed a buffer */
	uint64_t full_waits;      /* times the wait policy found every buffer busy */
	uint64_t yields;          /* sched_yield() calls while waiting */
	uint64_t naps;            /* naps while waiting (past yield_limit) */
};

/*
 * A snapshot of writer id's counters, from any thread, without stopping the
 * writer.  Each counter is exact at some instant; they are not read atomically
 * together, so a snapshot taken while the writer runs may be slightly skewed.
 */
void dbuf_writer_stats(const struct dbuf *db, unsigned id, struct dbuf_writer_stats *out);

/* ----------------------------------------------------------------- reader */

#define DBUF_ANY_WRITER UINT32_MAX
#define DBUF_CHUNK_PARTIAL 1u /* a flushed prefix; the buffer is not recycled yet */

struct dbuf_chunk {
	const void *data; /* whole blocks, len bytes; may be 0 bytes: release it all the same */
	size_t len;
	uint32_t writer;  /* per-writer layout: the owner; else DBUF_ANY_WRITER */
	uint32_t flags;   /* DBUF_CHUNK_PARTIAL */
	uint64_t seq;     /* per-writer: that writer's buffer sequence; else the buffer generation */
	unsigned region;  /* index into dbuf_regions(): data lies in that region */
	uint64_t ticket_; /* private to the library */
};

/*
 * Non-blocking.  Returns 0 and fills *out with the next ready chunk;
 * DBUF_EAGAIN when nothing is ready (the next buffer is filling, or a writer is
 * still between claim and commit in it: poll again, backing off);
 * DBUF_ENODATA when dbuf_close() was called and every committed byte was
 * handed out.  For the drain to be complete, the writers must have returned
 * from their last call (e.g. been joined) before the reader sees ENODATA.
 * Several chunks may be held at once; release them in the order received.
 */
int dbuf_reader_next(struct dbuf *db, struct dbuf_chunk *out);

/* Gives the chunk's memory back to the writers (in the order received). */
void dbuf_reader_release(struct dbuf *db, const struct dbuf_chunk *chunk);

/*
 * Asks that every byte committed before this call be handed out by
 * dbuf_reader_next() even though its buffer is not full.  Call it when the
 * oldest unread data is older than the flush age you promise.  Never waits
 * for a writer: one that is mid-commit just delays that buffer.
 */
void dbuf_reader_flush(struct dbuf *db);

/* Writers' later calls return DBUF_ECLOSED; the reader drains what is left. */
void dbuf_close(struct dbuf *db);

struct dbuf_reader_stats {
	uint64_t chunks;        /* chunks handed out (including partial ones) */
	uint64_t bytes;         /* bytes handed out */
	uint64_t flushes;       /* dbuf_reader_flush() calls that sealed or exposed data */
	uint64_t stalled_polls; /* polls that found a buffer waiting for a commit */
};
void dbuf_reader_stats(const struct dbuf *db, struct dbuf_reader_stats *out);

/*
 * The memory regions that chunks lie in (one per buffer), e.g. to register
 * them with io_uring.  Fills up to n entries, returns the total count.
 */
unsigned dbuf_regions(const struct dbuf *db, struct iovec *iov, unsigned n);

#ifdef __cplusplus
}
#endif
#endif /* DBUF_H */
