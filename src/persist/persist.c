/* SPDX-License-Identifier: MIT */
/*
 * Persistence: appends the capture stream to one file with io_uring, or with
 * pwrite when io_uring is unavailable.  Only the reader thread calls into this
 * file, so nothing here is shared between threads and no atomics are needed.
 *
 * Two modes, chosen at open:
 *  - O_DIRECT: every chunk is copied into a ring of `depth` staging slots.
 *    A slot is written through fd_direct once it is full, so O_DIRECT only
 *    ever writes whole aligned blocks of real data.  The partly filled slot
 *    is the carried tail; persist_write_tail() writes its aligned part through
 *    fd_direct and the unaligned rest through fd_buf, then keeps the rest in
 *    the slot so the next aligned write rewrites that block in full.
 *  - Buffered: each chunk is written from the caller's memory (a registered
 *    buffer when its region was registered), no copy, in pieces of at most
 *    slot_size bytes (buffered_append() says why).
 *
 * Either way nothing is written that is not stream data, and every write
 * lands at the stream offset of its data, so a SIGKILL leaves a file whose
 * complete records are valid.  Writes in flight may complete in any order;
 * until an earlier one lands, its range reads as zeros, which ends the
 * valid records there.  (On ext4 appending writes cannot be issued without
 * blocking, so io_uring hands them to its workers, which run the writes to
 * one file in submission order: in practice the file stays a prefix.)
 * persist_durable() never counts past such a gap.  With opts.ordered the
 * kernel starts no write before the ones before it completed, so no gap can
 * arise at all (for formats where zeros would read as records).
 */
#define _GNU_SOURCE

#include "persist.h"
#include "../util/durable.h"
#include "../util/hist.h"
#include "../util/hotpath.h"

#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PERSIST_DEFAULT_SLOT ((size_t)1 << 20)
/* io_uring caps one registered buffer at 1 GiB; a slot must fit in one. */
#define PERSIST_MAX_SLOT ((size_t)1 << 30)
#define PERSIST_MAX_DEPTH 4096u
/* The alignment to assume when O_DIRECT works but statx does not report one. */
#define PERSIST_FALLBACK_ALIGN 4096u
/*
 * The kernel writes at most MAX_RW_COUNT (2 GiB - 4 KiB) per call and
 * io_uring's length is 32 bits; a longer write (a tail, or a buffered piece
 * with a slot_size above it) is submitted in parts of this size, which are
 * not counted as short writes.
 */
#define PERSIST_MAX_IO ((size_t)1 << 30)
/*
 * After io_uring_wait_cqe() itself failed: how long completions are polled
 * for (the kernel still owns the writes in flight and their memory), and
 * how long the poll sleeps between looks.
 */
#define PERSIST_STRAND_NS (30ull * 1000 * 1000 * 1000)
#define PERSIST_POLL_NS (1000 * 1000)
/* Submissions refused with -EAGAIN/-EBUSY while nothing is in flight. */
#define PERSIST_SUBMIT_TRIES 1000
#define NO_COOKIE UINT64_MAX

/*
 * One write of a contiguous range of the stream.  Requests live in a ring in
 * submission order, which is also stream order (write_tail only submits
 * after everything earlier completed), so the durable prefix is found by
 * popping completed requests from the head.
 */
struct req {
	char *buf;           /* the data of stream offset off */
	uint64_t off;
	size_t len;
	size_t done;         /* bytes from buf known to be in the file */
	size_t pos, sub_len; /* what the current submission writes */
	uint64_t t_submit;   /* CLOCK_MONOTONIC ns of the current submission */
	uint64_t cookie_seq; /* buffered: the chunk's cookie (freed by its last piece), or NO_COOKIE */
	int slot;            /* O_DIRECT: the staging slot written, or -1 */
	int buf_index;       /* registered buffer holding buf, or -1 */
	bool direct;         /* through fd_direct (else fd_buf) */
	bool in_flight;
	bool resubmit;       /* completed short or with -EINTR/-EAGAIN; to submit again */
	bool complete;       /* all len bytes written */
	bool failed;         /* ended in an error; done bytes were written */
};

struct cookie_ent {
	void *cookie;
	uint64_t writes;     /* buffered: writes (pieces) of the chunk not finished yet */
	bool done;
};

struct persist {
	int fd_buf;          /* always open: tails, fdatasync, the caller's scans; a stream's fd */
	bool stream;         /* a pipe, FIFO or standard output: write(2) in order */
	int fd_direct;       /* O_DIRECT descriptor of the same file, or -1 */
	int fd_dir;          /* sync: the file's directory, synced at close, or -1 */
	bool direct;
	bool sync;           /* fdatasync at close */
	unsigned dio_align;  /* file offset (and length) alignment for fd_direct */
	size_t blk;          /* max(offset alignment, memory alignment) */

	bool uring;
	struct io_uring ring;
	const char *fallback_reason;
	bool registered;
	const struct iovec *regions; /* the caller's, registered in buffered mode */
	unsigned nregions;
	struct hist *latency;

	unsigned depth;
	bool ordered;        /* each write waits for those before it (IOSQE_IO_DRAIN) */

	/* Requests, a ring indexed by submission sequence. */
	struct req *reqs;
	unsigned nreq;
	uint64_t req_head, req_tail;
	unsigned in_flight;
	unsigned resubmit_pending;

	/* Cookies in append order, a ring indexed by append sequence; it grows. */
	struct cookie_ent *cookies;
	uint64_t cookie_cap; /* a power of two */
	uint64_t cookie_head, cookie_tail;

	/* O_DIRECT staging: depth slots of slot_size bytes. */
	char *stage;
	size_t slot_size;    /* also the largest buffered write (buffered_append) */
	bool *slot_busy;     /* a write from the slot is in flight */
	unsigned fill_slot;  /* the slot being filled (never busy once filling began) */
	size_t fill_len;
	uint64_t fill_off;   /* stream offset of the fill slot's first byte (aligned) */

	uint64_t appended;
	uint64_t durable;
	bool durable_frozen; /* a failed write sits at the request head */

	int error;
	const char *error_op;
	/*
	 * Writes still in flight when polling for them after a failed wait
	 * gave up (PERSIST_STRAND_NS): their memory may still be read by the
	 * kernel, so it is never freed or handed back (persist_stranded()).
	 */
	unsigned stranded;

	uint64_t submissions, completions, short_writes, retries, bytes_written;
	uint64_t in_flight_sum;
	unsigned max_in_flight;
};

static size_t round_down(size_t v, size_t align)
{
	return v & ~(align - 1);
}

static bool is_pow2(size_t v)
{
	return v != 0 && (v & (v - 1)) == 0;
}

/* Records the first fatal error; everything after it only drains. */
static void fail(struct persist *p, int err, const char *op)
{
	if (!p->error) {
		p->error = err;
		p->error_op = op;
	}
}

/*
 * The reasons are string literals so that a report taken before
 * persist_close() stays valid after it.
 */
static const char *uring_reason(bool enter, int err, int disabled)
{
	if (disabled > 0 && err == -EPERM)
		return disabled == 1 ?
			"io_uring_setup: Operation not permitted (kernel.io_uring_disabled=1)" :
			"io_uring_setup: Operation not permitted (kernel.io_uring_disabled=2)";
	switch (err) {
	case -EPERM:
		return enter ? "io_uring_enter: Operation not permitted" :
			       "io_uring_setup: Operation not permitted";
	case -ENOSYS:
		return enter ? "io_uring_enter: Function not implemented" :
			       "io_uring_setup: Function not implemented";
	case -EACCES:
		return enter ? "io_uring_enter: Permission denied" :
			       "io_uring_setup: Permission denied";
	case -ENOMEM:
		return enter ? "io_uring_enter: Cannot allocate memory" :
			       "io_uring_setup: Cannot allocate memory";
	case -EINVAL:
		return enter ? "io_uring_enter: Invalid argument" :
			       "io_uring_setup: Invalid argument";
	case -EMFILE:
		return enter ? "io_uring_enter: Too many open files" :
			       "io_uring_setup: Too many open files";
	case -ENFILE:
		return enter ? "io_uring_enter: Too many open files in system" :
			       "io_uring_setup: Too many open files in system";
	default:
		return enter ? "io_uring_enter failed" : "io_uring_setup failed";
	}
}

/* kernel.io_uring_disabled: 0, 1 (root and io_uring_group only), 2; -1 unknown. */
static int read_io_uring_disabled(void)
{
	char text[16];
	ssize_t n;
	int fd;

	fd = open("/proc/sys/kernel/io_uring_disabled", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	text[n] = '\0';
	return atoi(text);
}

/* ---- cookies ---------------------------------------------------------- */

/* Makes room for one more cookie, so that appending cannot fail halfway. */
static int cookie_reserve(struct persist *p)
{
	struct cookie_ent *grown;
	uint64_t cap, s;

	if (p->cookie_tail - p->cookie_head < p->cookie_cap)
		return 0;
	cap = p->cookie_cap * 2;
	grown = calloc(cap, sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	/* Entries are found by sequence number, so each moves to its new index. */
	for (s = p->cookie_head; s != p->cookie_tail; s++)
		grown[s & (cap - 1)] = p->cookies[s & (p->cookie_cap - 1)];
	free(p->cookies);
	p->cookies = grown;
	p->cookie_cap = cap;
	return 0;
}

/* A cookie that comes back once that many writes finished (0: at once). */
static uint64_t cookie_push(struct persist *p, void *cookie, uint64_t writes)
{
	uint64_t seq = p->cookie_tail++;
	struct cookie_ent *e = &p->cookies[seq & (p->cookie_cap - 1)];

	e->cookie = cookie;
	e->writes = writes;
	e->done = writes == 0;
	return seq;
}

static unsigned cookie_pop_done(struct persist *p, void **out, unsigned max)
{
	unsigned n = 0;

	while (n < max && p->cookie_head != p->cookie_tail) {
		struct cookie_ent *e = &p->cookies[p->cookie_head & (p->cookie_cap - 1)];

		if (!e->done)
			break;
		out[n++] = e->cookie;
		p->cookie_head++;
	}
	return n;
}

static bool cookie_pending(const struct persist *p)
{
	return p->cookie_head != p->cookie_tail;
}

/* ---- requests --------------------------------------------------------- */

static bool req_ring_full(const struct persist *p)
{
	return p->req_tail - p->req_head == p->nreq;
}

static struct req *req_new(struct persist *p, char *buf, uint64_t off, size_t len, bool direct)
{
	struct req *r = &p->reqs[p->req_tail++ % p->nreq];

	memset(r, 0, sizeof(*r));
	r->buf = buf;
	r->off = off;
	r->len = len;
	r->direct = direct;
	r->cookie_seq = NO_COOKIE;
	r->slot = -1;
	r->buf_index = -1;
	return r;
}

/*
 * Pops completed requests from the head to advance the durable prefix.  A
 * failed request stops it for good: bytes after a hole are not a prefix.
 */
static void retire(struct persist *p)
{
	while (!p->durable_frozen && p->req_head != p->req_tail) {
		struct req *r = &p->reqs[p->req_head % p->nreq];
		uint64_t end;

		if (r->complete) {
			end = r->off + r->len;
		} else if (r->failed && !r->in_flight) {
			end = r->off + r->done;
			p->durable_frozen = true;
		} else {
			break;
		}
		/*
		 * A write that rewrites a block written earlier by write_tail
		 * starts below the durable prefix, so take the larger end.
		 */
		if (end > p->durable)
			p->durable = end;
		if (p->durable_frozen)
			break;
		p->req_head++;
	}
}

static void req_finished(struct persist *p, struct req *r)
{
	if (r->slot >= 0)
		p->slot_busy[r->slot] = false;
	if (r->cookie_seq != NO_COOKIE) {
		struct cookie_ent *e = &p->cookies[r->cookie_seq & (p->cookie_cap - 1)];

		/* The chunk's memory is free once the last of its writes finished. */
		if (--e->writes == 0)
			e->done = true;
	}
}

/*
 * Accounts for the result of one submission of r.  A short write, -EINTR and
 * -EAGAIN ask for the remainder to be submitted again (r->resubmit); the
 * caller does that outside completion processing, so nothing here recurses.
 */
static void on_result(struct persist *p, struct req *r, int res)
{
	uint64_t t = now_ns(CLOCK_MONOTONIC);

	p->completions++;
	p->in_flight--;
	r->in_flight = false;
	if (p->latency)
		hist_record(p->latency, t - r->t_submit);

	if (res > 0) {
		size_t end = r->pos + (size_t)res;

		p->bytes_written += (uint64_t)res;
		/* A direct resubmission may start below done (see issue_pos). */
		if (end > r->done)
			r->done = end;
		if (r->done == r->len) {
			r->complete = true;
			req_finished(p, r);
			return;
		}
		if ((size_t)res < r->sub_len)
			p->short_writes++;
	} else if (res == -EINTR || res == -EAGAIN) {
		p->retries++;
	} else if (res == -EINVAL && r->direct) {
		/*
		 * Our offsets, lengths and buffers are aligned, so O_DIRECT
		 * refusing them means the kernel cut the length first: a write
		 * crossing RLIMIT_FSIZE is shortened to the limit, which need
		 * not be aligned.  The page cache takes any length, so write the
		 * rest of this range through fd_buf; it then fails (or not) for
		 * the real reason.  No other write shares a page with this one:
		 * slots are whole pages and tails are written alone.
		 */
		r->direct = false;
		p->retries++;
	} else {
		/*
		 * A regular file never legitimately takes 0 bytes of a non-empty
		 * write; resubmitting would spin, so treat it as an I/O error.
		 */
		fail(p, res < 0 ? res : -EIO, "write");
		r->failed = true;
		req_finished(p, r);
		return;
	}
	if (p->error) {
		/* Nothing is submitted after an error, remainders included. */
		r->failed = true;
		req_finished(p, r);
		return;
	}
	r->resubmit = true;
	p->resubmit_pending++;
}

/*
 * Where the next submission of r starts.  O_DIRECT needs an aligned offset
 * and buffer, so after a short direct write that ended mid-block the
 * partial block is written again in full (the same bytes, so the file stays
 * a prefix of the stream).
 */
static size_t issue_pos(const struct persist *p, const struct req *r)
{
	return r->direct ? round_down(r->done, p->blk) : r->done;
}

static void note_submit(struct persist *p, struct req *r)
{
	p->submissions++;
	p->in_flight++;
	r->in_flight = true;
	if (p->in_flight > p->max_in_flight)
		p->max_in_flight = p->in_flight;
	p->in_flight_sum += p->in_flight;
}

static int reap_cqes(struct persist *p, bool wait);

/* Submits (the rest of) r with io_uring.  On failure r is failed and the error sticky. */
static void uring_issue(struct persist *p, struct req *r)
{
	struct io_uring_sqe *sqe;
	int fd = r->direct ? p->fd_direct : p->fd_buf;
	int tries = 0;
	int ret;

	sqe = io_uring_get_sqe(&p->ring);
	if (!sqe) {
		/*
		 * The queue has a slot per request, and every request is submitted
		 * right after it is prepared, so this means a bug; fail loudly
		 * rather than lose data silently.
		 */
		fail(p, -EBUSY, "io_uring_get_sqe");
		r->failed = true;
		req_finished(p, r);
		return;
	}
	r->pos = issue_pos(p, r);
	r->sub_len = r->len - r->pos;
	if (r->sub_len > PERSIST_MAX_IO)
		r->sub_len = PERSIST_MAX_IO;
	if (r->buf_index >= 0)
		io_uring_prep_write_fixed(sqe, fd, r->buf + r->pos, (unsigned)r->sub_len,
					  r->off + r->pos, r->buf_index);
	else
		io_uring_prep_write(sqe, fd, r->buf + r->pos, (unsigned)r->sub_len, r->off + r->pos);
	io_uring_sqe_set_data(sqe, r);
	/*
	 * Ordered: the kernel starts this write only once every write before
	 * it completed, so a kill can cancel writes at the end of the stream
	 * but never leave one in the file without those before it.
	 */
	if (p->ordered)
		sqe->flags |= IOSQE_IO_DRAIN;
	r->t_submit = now_ns(CLOCK_MONOTONIC);

	for (;;) {
		ret = io_uring_submit(&p->ring);
		if (ret > 0)
			break;
		if (ret == -EINTR)
			continue;
		if ((ret == 0 || ret == -EAGAIN || ret == -EBUSY) && ++tries < PERSIST_SUBMIT_TRIES) {
			/*
			 * The kernel is short of resources or its completion queue
			 * overflowed: make room by harvesting completions (the
			 * resubmissions they ask for are issued by the caller's loop).
			 */
			if (reap_cqes(p, p->in_flight > 0) < 0)
				break;
			continue;
		}
		break;
	}
	if (ret <= 0) {
		fail(p, ret < 0 ? ret : -EAGAIN, "io_uring_enter");
		r->failed = true;
		req_finished(p, r);
		return;
	}
	note_submit(p, r);
}

/*
 * A stream's write: where it continues is the stream's own position, so
 * writes must be issued one at a time, in order (pwrite_issue() is
 * synchronous).  A descriptor someone made non-blocking (a shared pipe) gets
 * a poll() instead of a busy retry.  -1 with errno, as write(2).
 */
static ssize_t stream_write(int fd, const void *buf, size_t len)
{
	for (;;) {
		ssize_t n = write(fd, buf, len);

		if (n >= 0 || errno != EAGAIN)
			return n; /* EINTR: on_result() asks for the rest again */
		struct pollfd pfd = {.fd = fd, .events = POLLOUT};
		if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
			return -1;
	}
}

/* Writes (the rest of) r with pwrite, synchronously, until it completes or fails. */
static void pwrite_issue(struct persist *p, struct req *r)
{
	for (;;) {
		int fd = r->direct ? p->fd_direct : p->fd_buf;
		ssize_t n;

		r->pos = issue_pos(p, r);
		r->sub_len = r->len - r->pos;
		if (r->sub_len > PERSIST_MAX_IO)
			r->sub_len = PERSIST_MAX_IO;
		r->t_submit = now_ns(CLOCK_MONOTONIC);
		note_submit(p, r);
		if (p->stream)
			n = stream_write(fd, r->buf + r->pos, r->sub_len);
		else
			n = pwrite(fd, r->buf + r->pos, r->sub_len, (off_t)(r->off + r->pos));
		on_result(p, r, n < 0 ? -errno : (int)n);
		if (!r->resubmit)
			break;
		r->resubmit = false;
		p->resubmit_pending--;
	}
}

static void issue(struct persist *p, struct req *r)
{
	if (p->uring)
		uring_issue(p, r);
	else
		pwrite_issue(p, r);
}

/* Harvests the completions already in the completion queue (no system call). */
static void peek_cqes(struct persist *p)
{
	struct io_uring_cqe *cqe;

	while (io_uring_peek_cqe(&p->ring, &cqe) == 0) {
		struct req *r = io_uring_cqe_get_data(cqe);
		int res = cqe->res;

		io_uring_cqe_seen(&p->ring, cqe);
		on_result(p, r, res);
	}
}

/*
 * Waiting for a completion failed (the error is recorded), but the writes
 * in flight are still the kernel's, and so is their memory: the caller's
 * chunks (buffered) or the staging slots (O_DIRECT).  Collect their
 * completions without waiting in the kernel: look at the completion queue,
 * sleep a millisecond (the return from nanosleep also runs io_uring's task
 * work), look again, until none is in flight, for PERSIST_STRAND_NS at
 * most.  What completed is accounted as always (written bytes extend the
 * durable prefix).  Writes still in flight after that are stranded: their
 * memory is never freed nor handed back.
 */
static void poll_in_flight(struct persist *p)
{
	uint64_t give_up = now_ns(CLOCK_MONOTONIC) + PERSIST_STRAND_NS;
	struct timespec nap = {0, PERSIST_POLL_NS};

	for (;;) {
		peek_cqes(p);
		if (p->in_flight == 0)
			return;
		if (now_ns(CLOCK_MONOTONIC) >= give_up)
			break;
		nanosleep(&nap, NULL);
	}
	p->stranded = p->in_flight;
}

/*
 * Harvests completions; with wait, blocks for one first when any write is in
 * flight.  Returns 0, or -errno when waiting itself failed (recorded; the
 * writes in flight were collected by polling, poll_in_flight()).
 */
static int reap_cqes(struct persist *p, bool wait)
{
	struct io_uring_cqe *cqe;
	int ret;

	if (!p->uring)
		return 0;
	/* Stranded writes are not waited for again (poll_in_flight() gave up on them). */
	if (wait && p->in_flight > 0 && !p->stranded) {
		do
			ret = io_uring_wait_cqe(&p->ring, &cqe);
		while (ret == -EINTR);
		if (ret < 0) {
			fail(p, ret, "io_uring_wait_cqe");
			poll_in_flight(p);
			return ret;
		}
	}
	peek_cqes(p);
	return 0;
}

/* Submits the remainders that completions asked for, in request order. */
static void issue_resubmits(struct persist *p)
{
	while (p->resubmit_pending > 0) {
		uint64_t s;

		for (s = p->req_head; s != p->req_tail && p->resubmit_pending > 0; s++) {
			struct req *r = &p->reqs[s % p->nreq];

			if (!r->resubmit)
				continue;
			r->resubmit = false;
			p->resubmit_pending--;
			if (p->error) {
				r->failed = true;
				req_finished(p, r);
				continue;
			}
			issue(p, r);
		}
	}
}

/* One round of progress: harvest (waiting if asked), resubmit, retire. */
static int progress(struct persist *p, bool wait)
{
	int ret = reap_cqes(p, wait);

	issue_resubmits(p);
	retire(p);
	return ret;
}

/* Waits for every write in flight (but stranded ones), whatever the sticky error. */
static void drain(struct persist *p)
{
	while ((p->in_flight > 0 && !p->stranded) || p->resubmit_pending > 0) {
		if (progress(p, true) < 0)
			break;
	}
	retire(p);
}

/* Returns the sticky error after draining, so that callers see a settled state. */
static int settle_error(struct persist *p)
{
	drain(p);
	return p->error;
}

/* ---- appending -------------------------------------------------------- */

/* The registered buffer index that holds [data, data+len), or -1. */
static int fixed_index(const struct persist *p, const void *data, size_t len, int region)
{
	const struct iovec *iov;
	uintptr_t a = (uintptr_t)data, base;

	if (!p->registered || region < 0 || (unsigned)region >= p->nregions)
		return -1;
	iov = &p->regions[region];
	base = (uintptr_t)iov->iov_base;
	if (a < base || a - base > iov->iov_len || len > iov->iov_len - (a - base))
		return -1;
	return region;
}

/*
 * After an error, in the middle of a chunk: the pieces not issued (the last
 * left bytes) will never finish, so the chunk's cookie waits only for those
 * that were issued.  Returns the sticky error, settled.
 */
static int buffered_abandon(struct persist *p, uint64_t seq, size_t left, size_t piece)
{
	struct cookie_ent *e = &p->cookies[seq & (p->cookie_cap - 1)];

	e->writes -= (left + piece - 1) / piece;
	if (e->writes == 0)
		e->done = true;
	return settle_error(p);
}

/*
 * Buffered: the kernel reads the caller's memory directly, no copy.  A chunk
 * is written in pieces of at most slot_size (1 MiB) bytes, which keeps the
 * page cache from allocating its largest folios for the file: a 4 MiB write
 * that covers an aligned 2 MiB range gets a 2 MiB folio.  On the VM we
 * measure on, filling such folios was 3x slower than filling small ones
 * (most likely because its host takes back free memory in 2 MiB blocks,
 * virtio-balloon free page reporting, and faults it in again on first
 * touch): 600 MB replays took 0.6-1.5 s with 4 MiB writes, 0.2-0.3 s with
 * 1 MiB pieces (BENCHMARKS.md, "Replay").  The chunk's cookie comes back
 * when its last piece is written.
 */
static int buffered_append(struct persist *p, const void *data, size_t len, int region,
			   void *cookie)
{
	const size_t piece = p->slot_size;
	const char *src = data;
	int index = fixed_index(p, data, len, region);
	uint64_t seq;

	if (len == 0) {
		cookie_push(p, cookie, 0);
		return 0;
	}
	seq = cookie_push(p, cookie, (len + piece - 1) / piece);
	while (len > 0) {
		size_t n = len < piece ? len : piece;
		struct req *r;

		while (p->in_flight >= p->depth || req_ring_full(p)) {
			if (progress(p, true) < 0 || p->error)
				return buffered_abandon(p, seq, len, piece);
		}
		r = req_new(p, (char *)(uintptr_t)src, p->appended, n, false);
		r->cookie_seq = seq;
		r->buf_index = index;
		p->appended += n;
		src += n;
		len -= n;
		issue(p, r);
		retire(p);
		if (p->error)
			return buffered_abandon(p, seq, len, piece);
	}
	return 0;
}

static char *slot_mem(const struct persist *p, unsigned slot)
{
	return p->stage + (size_t)slot * p->slot_size;
}

static void submit_fill_slot(struct persist *p)
{
	struct req *r;

	r = req_new(p, slot_mem(p, p->fill_slot), p->fill_off, p->slot_size, true);
	r->slot = (int)p->fill_slot;
	if (p->registered)
		r->buf_index = (int)p->fill_slot;
	p->slot_busy[p->fill_slot] = true;
	issue(p, r);
	p->fill_slot = (p->fill_slot + 1) % p->depth;
	p->fill_off += p->slot_size;
	p->fill_len = 0;
}

static int direct_append(struct persist *p, const void *data, size_t len, void *cookie)
{
	const char *src = data;

	while (len > 0) {
		size_t n;

		/*
		 * A slot still being written from (a lap ago) cannot take new
		 * data; this is where appending blocks when depth writes are in
		 * flight.
		 */
		while (p->slot_busy[p->fill_slot]) {
			if (progress(p, true) < 0 || p->error)
				return settle_error(p);
		}
		n = p->slot_size - p->fill_len;
		if (n > len)
			n = len;
		memcpy(slot_mem(p, p->fill_slot) + p->fill_len, src, n);
		p->fill_len += n;
		p->appended += n;
		src += n;
		len -= n;
		if (p->fill_len == p->slot_size) {
			/*
			 * At most depth slot writes are outstanding and there are
			 * 2 * depth requests, so this does not wait in practice.
			 */
			while (req_ring_full(p)) {
				if (progress(p, true) < 0 || p->error)
					return settle_error(p);
			}
			submit_fill_slot(p);
			if (p->error)
				return settle_error(p);
		}
	}
	/* The data is in the staging ring: the chunk's memory is free now. */
	cookie_push(p, cookie, 0);
	/* Harvest without blocking so that durable keeps moving. */
	progress(p, false);
	if (p->error)
		return settle_error(p);
	return 0;
}

int persist_append(struct persist *p, const void *data, size_t len, int region, void *cookie)
{
	int err;

	if (p->error)
		return p->error;
	err = cookie_reserve(p);
	if (err)
		return err;
	if (p->direct)
		return direct_append(p, data, len, cookie);
	return buffered_append(p, data, len, region, cookie);
}

int persist_reap(struct persist *p, void **cookies, unsigned max, bool wait)
{
	unsigned got;
	bool waited = false;

	if (p->error)
		return settle_error(p);
	progress(p, false);
	got = cookie_pop_done(p, cookies, max);
	/*
	 * Wait until a cookie is free, or, when no cookie is pending at all
	 * (O_DIRECT frees them at once), for one completion.
	 */
	while (wait && got == 0 && max > 0 && p->in_flight > 0 && !p->error &&
	       !(waited && !cookie_pending(p))) {
		if (progress(p, true) < 0)
			break;
		waited = true;
		got = cookie_pop_done(p, cookies, max);
	}
	if (p->error)
		return settle_error(p);
	return (int)got;
}

/* ---- the tail ------------------------------------------------------------ */

/* Submits one write of the fill slot's data and waits for it. */
static void write_fill_part(struct persist *p, size_t from, size_t len, bool direct)
{
	struct req *r;

	r = req_new(p, slot_mem(p, p->fill_slot) + from, p->fill_off + from, len, direct);
	r->slot = (int)p->fill_slot;
	if (p->registered)
		r->buf_index = (int)p->fill_slot;
	p->slot_busy[p->fill_slot] = true;
	issue(p, r);
	drain(p);
}

int persist_write_tail(struct persist *p)
{
	size_t aligned, rest;

	if (p->error)
		return settle_error(p);
	/*
	 * Everything in flight must land first: the tail writes start where
	 * they end, and (below) a buffered write must not race an O_DIRECT
	 * write of the same page, or the page cache could hold stale bytes
	 * that writeback would later put over the direct write.
	 */
	drain(p);
	if (p->error || !p->direct || p->durable >= p->appended)
		return p->error;

	aligned = round_down(p->fill_len, p->dio_align);
	rest = p->fill_len - aligned;
	if (aligned > 0) {
		write_fill_part(p, 0, aligned, true);
		if (p->error)
			return p->error;
	}
	if (rest > 0) {
		/*
		 * The unaligned rest goes through the page cache.  It stays in the
		 * slot: the next O_DIRECT write covers its block again in full.
		 * That write comes after this one completed (drained here), and
		 * the kernel writes back and drops overlapping cached pages before
		 * a direct write, so the two never disagree.
		 */
		write_fill_part(p, aligned, rest, false);
		if (p->error)
			return p->error;
	}
	/*
	 * The aligned part is final in the file; move the rest to the slot's
	 * start so later writes do not write the aligned part again.
	 */
	if (aligned > 0) {
		memmove(slot_mem(p, p->fill_slot), slot_mem(p, p->fill_slot) + aligned, rest);
		p->fill_off += aligned;
		p->fill_len = rest;
	}
	return 0;
}

/* ---- queries ------------------------------------------------------------- */

const char *io_engine_name(enum io_engine e)
{
	return e == IO_ENGINE_PWRITE ? "pwrite" : "io_uring";
}

const char *io_toggle_name(enum io_toggle t)
{
	return t == IO_ON ? "on" : t == IO_OFF ? "off" : "auto";
}

uint64_t persist_appended(const struct persist *p)
{
	return p->appended;
}

uint64_t persist_durable(const struct persist *p)
{
	return p->durable;
}

unsigned persist_stranded(const struct persist *p)
{
	return p->stranded;
}

int persist_fd(const struct persist *p)
{
	return p->fd_buf;
}

/*
 * Every string in the report is a literal, so a report taken before
 * persist_close() stays valid after it.
 */
void persist_report(const struct persist *p, struct io_report *r)
{
	memset(r, 0, sizeof(*r));
	r->engine = p->stream ? "write" : io_engine_name(p->uring ? IO_ENGINE_URING : IO_ENGINE_PWRITE);
	r->fallback_reason = p->fallback_reason;
	r->direct = p->direct;
	r->sync = p->sync;
	r->dio_align = p->direct ? p->dio_align : 0;
	r->registered_buffers = p->registered;
	r->depth = p->depth;
	r->submissions = p->submissions;
	r->completions = p->completions;
	r->short_writes = p->short_writes;
	r->retries = p->retries;
	r->bytes_written = p->bytes_written;
	r->max_in_flight = p->max_in_flight;
	r->mean_in_flight = p->submissions ? (double)p->in_flight_sum / (double)p->submissions : 0.0;
	r->error = p->error;
	r->error_op = p->error_op;
}

/* ---- open and close ------------------------------------------------------ */

static int create_file(const struct persist_opts *o, int *fd_out, char *msg, size_t msglen)
{
	const int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
	struct stat st;
	int fd, err;

	fd = open(o->path, flags, 0640);
	if (fd >= 0)
		goto done;
	err = -errno;
	if (err != -EEXIST) {
		snprintf(msg, msglen, "%s", strerror(-err));
		return err;
	}
	if (!o->force) {
		snprintf(msg, msglen, "%s (use --force to replace it)", strerror(EEXIST));
		return err;
	}
	/*
	 * --force replaces a regular file only: a link could point anywhere,
	 * and a device or FIFO is not ours to unlink.
	 */
	if (lstat(o->path, &st) < 0) {
		err = -errno;
		snprintf(msg, msglen, "%s", strerror(-err));
		return err;
	}
	if (S_ISLNK(st.st_mode)) {
		snprintf(msg, msglen, "%s (a symbolic link; --force replaces only regular files)",
			 strerror(EEXIST));
		return -EEXIST;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(msg, msglen, "%s (not a regular file; --force replaces only regular files)",
			 strerror(EEXIST));
		return -EEXIST;
	}
	if (unlink(o->path) < 0 && errno != ENOENT) {
		err = -errno;
		snprintf(msg, msglen, "cannot replace it: %s", strerror(-err));
		return err;
	}
	/* O_EXCL again: whatever appeared meanwhile is not replaced blindly. */
	fd = open(o->path, flags, 0640);
	if (fd < 0) {
		err = -errno;
		snprintf(msg, msglen, "%s", strerror(-err));
		return err;
	}
done:
	*fd_out = fd;
	return 0;
}

/*
 * Decides O_DIRECT: the alignment statx reports (STATX_DIOALIGN, Linux 6.1),
 * else whether the filesystem accepts O_DIRECT at all, with 4096 assumed.
 * Opens fd_direct.  Returns 0 (p->direct tells), or -errno with a message.
 */
static int setup_direct(struct persist *p, const struct persist_opts *o, char *msg, size_t msglen)
{
	unsigned offset_align = 0, mem_align = 0;
	bool known = false;
	struct stat a, b;
	int fd, err;

	if (o->direct == IO_OFF)
		return 0;
#ifdef STATX_DIOALIGN
	{
		struct statx sx;

		memset(&sx, 0, sizeof(sx));
		if (statx(p->fd_buf, "", AT_EMPTY_PATH, STATX_DIOALIGN, &sx) == 0 &&
		    (sx.stx_mask & STATX_DIOALIGN)) {
			known = true;
			offset_align = sx.stx_dio_offset_align;
			mem_align = sx.stx_dio_mem_align;
		}
	}
#endif
	if (known && (offset_align == 0 || !is_pow2(offset_align) || !is_pow2(mem_align))) {
		/* The filesystem says it has no O_DIRECT for this file. */
		if (o->direct == IO_ON) {
			snprintf(msg, msglen, "O_DIRECT is not supported on this filesystem");
			return -EINVAL;
		}
		return 0;
	}
	/*
	 * Reopening by path: a second open file description is needed, since
	 * O_DIRECT is a property of the description, not the descriptor.
	 */
	fd = open(o->path, O_WRONLY | O_DIRECT | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		if (err == -EINVAL && o->direct == IO_AUTO)
			return 0;
		if (err == -EINVAL)
			snprintf(msg, msglen, "O_DIRECT is not supported on this filesystem");
		else
			snprintf(msg, msglen, "cannot open with O_DIRECT: %s", strerror(-err));
		return err;
	}
	if (fstat(fd, &a) < 0 || fstat(p->fd_buf, &b) < 0 || a.st_dev != b.st_dev ||
	    a.st_ino != b.st_ino) {
		close(fd);
		snprintf(msg, msglen, "replaced by another file while opening");
		return -ESTALE;
	}
	if (!known) {
		offset_align = PERSIST_FALLBACK_ALIGN;
		mem_align = PERSIST_FALLBACK_ALIGN;
	}
	p->fd_direct = fd;
	p->direct = true;
	p->dio_align = offset_align;
	p->blk = offset_align > mem_align ? offset_align : mem_align;
	return 0;
}

static int setup_stage(struct persist *p, const struct persist_opts *o, char *msg, size_t msglen)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t unit = p->blk > page ? p->blk : page;
	size_t slot = o->slot_size ? o->slot_size : PERSIST_DEFAULT_SLOT;
	void *mem;
	int err;

	/*
	 * Slots are whole pages (and blocks), so every slot starts aligned for
	 * O_DIRECT and can be registered on its own.
	 */
	slot = (slot + unit - 1) & ~(unit - 1);
	if (slot > PERSIST_MAX_SLOT) {
		snprintf(msg, msglen, "staging slot of %zu bytes is too large", slot);
		return -EINVAL;
	}
	err = posix_memalign(&mem, unit, slot * p->depth);
	if (err) {
		snprintf(msg, msglen, "staging buffers: %s", strerror(err));
		return -err;
	}
	p->slot_busy = calloc(p->depth, sizeof(*p->slot_busy));
	if (!p->slot_busy) {
		free(mem);
		snprintf(msg, msglen, "%s", strerror(ENOMEM));
		return -ENOMEM;
	}
	p->stage = mem;
	p->slot_size = slot;
	return 0;
}

/* A no-op through the ring: seccomp may allow io_uring_setup but not io_uring_enter. */
static int probe_ring(struct io_uring *ring)
{
	struct io_uring_cqe *cqe;
	struct io_uring_sqe *sqe;
	int ret;

	sqe = io_uring_get_sqe(ring);
	if (!sqe)
		return -EBUSY;
	io_uring_prep_nop(sqe);
	do
		ret = io_uring_submit_and_wait(ring, 1);
	while (ret == -EINTR);
	if (ret < 0)
		return ret;
	do
		ret = io_uring_wait_cqe(ring, &cqe);
	while (ret == -EINTR);
	if (ret < 0)
		return ret;
	io_uring_cqe_seen(ring, cqe);
	return 0;
}

/* Chooses the engine; a failure here is never fatal, it falls back to pwrite. */
static void setup_engine(struct persist *p, const struct persist_opts *o)
{
	const char *reason = NULL;
	int disabled, ret;

	if (o->engine == IO_ENGINE_PWRITE)
		return;
	disabled = read_io_uring_disabled();
	if (disabled == 2) {
		reason = "kernel.io_uring_disabled=2";
		goto fallback;
	}
	/* One queue entry per request: each is submitted as soon as it is prepared. */
	ret = io_uring_queue_init(p->nreq, &p->ring, 0);
	if (ret < 0) {
		reason = uring_reason(false, ret, disabled);
		goto fallback;
	}
	ret = probe_ring(&p->ring);
	if (ret < 0) {
		reason = uring_reason(true, ret, 0);
		goto probe_failed;
	}
	p->uring = true;
	return;

probe_failed:
	io_uring_queue_exit(&p->ring); /* pairs with io_uring_queue_init() above */
fallback:
	p->fallback_reason = reason; /* the caller warns: persist_report() carries it */
}

/*
 * Registered buffers spare the kernel mapping the pages on every write.
 * Pinning them counts against RLIMIT_MEMLOCK (without CAP_IPC_LOCK), so a
 * refusal (-ENOMEM, -EPERM, -EFAULT for odd memory) just means writing
 * unregistered.
 */
static void setup_registration(struct persist *p, const struct persist_opts *o)
{
	struct iovec *iov;
	unsigned i;

	if (!p->uring)
		return;
	if (p->direct) {
		iov = calloc(p->depth, sizeof(*iov));
		if (!iov)
			return;
		for (i = 0; i < p->depth; i++) {
			iov[i].iov_base = slot_mem(p, i);
			iov[i].iov_len = p->slot_size;
		}
		p->registered = io_uring_register_buffers(&p->ring, iov, p->depth) == 0;
		free(iov);
		return;
	}
	if (o->regions && o->nregions > 0) {
		p->registered = io_uring_register_buffers(&p->ring, o->regions, o->nregions) == 0;
		if (p->registered) {
			p->regions = o->regions;
			p->nregions = o->nregions;
		}
	}
}

static void close_quietly(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

int persist_open(const struct persist_opts *o, struct persist **out, char *msg, size_t msglen)
{
	struct persist *p;
	int err;

	if (msglen > 0)
		msg[0] = '\0';
	err = 0;
	if (!o->path || !o->path[0]) {
		snprintf(msg, msglen, "no output file given");
		err = -EINVAL;
	} else if (o->depth < 2 || o->depth > PERSIST_MAX_DEPTH) {
		snprintf(msg, msglen, "io depth %u is outside 2..%u", o->depth, PERSIST_MAX_DEPTH);
		err = -EINVAL;
	} else if (o->stream && o->direct == IO_ON) {
		snprintf(msg, msglen, "O_DIRECT is not possible on a stream (a pipe or FIFO)");
		err = -EINVAL;
	}
	p = err ? NULL : calloc(1, sizeof(*p));
	if (!p) {
		if (!err) {
			snprintf(msg, msglen, "%s", strerror(ENOMEM));
			err = -ENOMEM;
		}
		if (o->stream)
			close(o->stream_fd); /* ours from the call on */
		return err;
	}
	p->fd_buf = -1;
	p->fd_direct = -1;
	p->fd_dir = -1;
	p->depth = o->depth;
	p->slot_size = o->slot_size ? o->slot_size : PERSIST_DEFAULT_SLOT; /* O_DIRECT rounds it up */
	p->ordered = o->ordered;
	p->stream = o->stream;
	/* A stream has nothing to sync: what the reader took is gone from the kernel. */
	p->sync = !o->no_sync && !o->stream;
	/*
	 * Twice depth: a write that completed out of order keeps its request
	 * until the earlier ones complete, and must not stall new ones.
	 */
	p->nreq = 2 * o->depth;
	p->latency = o->latency;
	p->blk = 1;
	p->reqs = calloc(p->nreq, sizeof(*p->reqs));
	p->cookie_cap = 16;
	while (p->cookie_cap < p->nreq)
		p->cookie_cap *= 2;
	p->cookies = calloc(p->cookie_cap, sizeof(*p->cookies));
	if (!p->reqs || !p->cookies) {
		snprintf(msg, msglen, "%s", strerror(ENOMEM));
		err = -ENOMEM;
		goto alloc_failed;
	}

	if (o->stream) {
		/*
		 * write(2), in order: no offsets to give io_uring's writes, and a
		 * short write to a pipe, resubmitted after the writes queued
		 * behind it had started, would reorder the stream.
		 */
		p->fd_buf = o->stream_fd;
		*out = p;
		return 0;
	}
	err = create_file(o, &p->fd_buf, msg, msglen);
	if (err)
		goto create_failed;
	err = setup_direct(p, o, msg, msglen);
	if (err)
		goto direct_failed;
	if (p->direct) {
		err = setup_stage(p, o, msg, msglen);
		if (err)
			goto stage_failed;
	}
	setup_engine(p, o);
	setup_registration(p, o);
	if (p->sync)
		/*
		 * -1 when it cannot be opened (a directory without read
		 * permission): the data is still synced, the name is then as
		 * durable as the filesystem makes it.
		 */
		p->fd_dir = open_parent_dir(o->path);
	*out = p;
	return 0;

stage_failed:
	close_quietly(&p->fd_direct); /* pairs with the open in setup_direct() */
	p->direct = false;
direct_failed:
	/* The file is ours and empty: leave nothing behind. */
	close_quietly(&p->fd_buf); /* pairs with the open in create_file() */
	unlink(o->path);
create_failed:
alloc_failed:
	if (o->stream)
		close(o->stream_fd); /* ours from the call on */
	free(p->cookies);
	free(p->reqs);
	free(p);
	return err;
}

int persist_close(struct persist *p, uint64_t *durable)
{
	int err;

	if (!p->error)
		persist_write_tail(p);
	drain(p);
	if (!p->error && p->sync) {
		/*
		 * One fdatasync on either descriptor covers the file: it acts on the
		 * inode, not the open file description.  It writes back the tails
		 * still in the page cache, commits the size and block allocations
		 * that the O_DIRECT writes (complete, but not yet durable as
		 * metadata) depend on, and flushes the device's volatile cache
		 * behind both.
		 */
		if (fdatasync(p->fd_buf) < 0)
			fail(p, -errno, "fdatasync");
		/* fsync_dir(): EINVAL (a filesystem that cannot sync a directory) is no error. */
		else if (p->fd_dir >= 0 && (err = fsync_dir(p->fd_dir)) < 0)
			fail(p, err, "fsync of the directory");
	}
	close_quietly(&p->fd_dir); /* pairs with open_parent_dir() in persist_open() */
	*durable = p->durable;

	/*
	 * The ring goes first: tearing it down waits for anything the kernel
	 * still holds (only after a failed wait), and the staging memory it may
	 * write from is freed after that.
	 */
	if (p->uring)
		io_uring_queue_exit(&p->ring); /* pairs with io_uring_queue_init() in setup_engine() */
	close_quietly(&p->fd_direct);     /* pairs with the open in setup_direct() */
	if (close(p->fd_buf) < 0 && errno != EINTR)   /* pairs with the open in create_file() */
		fail(p, -errno, "close");
	err = p->error;
	free(p->slot_busy);
	/*
	 * pairs with posix_memalign() in setup_stage(), after the ring is gone;
	 * never while a stranded write may still read a slot (poll_in_flight()).
	 */
	if (!p->stranded)
		free(p->stage);
	free(p->cookies);
	free(p->reqs);
	free(p);
	return err;
}
