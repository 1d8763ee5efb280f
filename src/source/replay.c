/* SPDX-License-Identifier: MIT */
/*
 * The replay source (replay.h): opening and checking the input with libpcap,
 * the per-writer cursors, sharding by flow, the filter, -s, -c and pacing.
 */
#define _GNU_SOURCE
#include "replay.h"
#include "../util/hotpath.h"

#include <errno.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dbuf.h" /* dbuf_cpu_relax() */
#include "dissect.h"
#include "synth.h"
#include "../format/pcap.h"
#include "../format/pcapng.h"

/* Waits up to this long are spun on the vDSO clock; longer ones sleep first. */
#define PACE_SPIN_NS 2000000u
/* A sleeping writer wakes at least this often to notice a stop. */
#define PACE_SLICE_NS 10000000u

/*
 * Magic numbers, as the first four bytes read in host order: the classic
 * format's two, and pcapng's Section Header Block type (its first word).
 */
#define MAGIC_US PCAPF_MAGIC_US
#define MAGIC_NS PCAPF_MAGIC_NS
#define MAGIC_PCAPNG PCAPNG_SHB

#ifndef DLT_USB_LINUX_MMAPPED
#define DLT_USB_LINUX_MMAPPED 220
#endif
/*
 * libpcap's MAXIMUM_SNAPLEN: it refuses a record longer than its limit for
 * the link type, which is this for most types and more for a few.  Records
 * up to it (and up to the file's snapshot length) are read in place; longer
 * ones go through libpcap, which accepts, trims or refuses them itself.
 */
#define RAW_MAX_CAPLEN PCAPF_SNAPLEN_MAX
/*
 * How far ahead of the record being read a cursor prefetches every line of
 * the mapping.  A writer skims the other writers' packets, reading only
 * their headers: without it each header is a cache miss that the next one
 * depends on (tools/replay-read-bench: 165 ns a packet; with 2 KiB ahead,
 * 87 ns; no change when the writer copies every packet).
 */
#define RAW_PREFETCH 2048u

struct replay_cursor {
	const struct replay *rp;
	pcap_t *p;            /* this cursor's libpcap handle over the mapping */
	unsigned id, n;       /* its shard, of n */
	size_t off;           /* the next record's file offset (libpcap: as of the last read) */
	size_t ahead;         /* prefetched up to here */
	size_t good_end;      /* the end of the last record read whole */
	uint64_t matched;     /* -c: packets that passed the filter, every shard counted */
	int state;            /* 0 reading, 1 at the end, -1 failed */
	bool counted;         /* stopped because -c packets passed the filter */
	uint64_t pace_start;  /* --speed: CLOCK_MONOTONIC ns of the first packet's due time */
	const _Atomic bool *stop; /* --speed: ends a wait (NULL: no pacing) */
	/*
	 * The packet returned last, counted when the next call shows that the
	 * writer confirmed it (replay.h, replay_confirm()).
	 */
	bool pending;
	unsigned pend_rows;   /* dissect_classify()'s answer */
	uint32_t pend_origlen;
	bool shrank;          /* a fault in the mapping: the input shrank under us */
	size_t rec_start;     /* the offset of the record being read or in hand */
	size_t limit;         /* where the file ends for this cursor: its size at the open, or
	                         once it was cut (cut), its size after the cut */
	bool cut;             /* resumed after a fault, up to limit (replay_cursor_fault()) */
	size_t fault_start;   /* rec_start at the last fault */
	sigjmp_buf jmp;       /* the writer's recovery point (replay_cursor_jmp()) */
	char err[PCAP_ERRBUF_SIZE];
};

/* One record as read, before sharding, the filter and -s. */
struct rec {
	const uint8_t *data;
	uint32_t caplen, origlen;
	int64_t sec;  /* libpcap's tv_sec */
	uint32_t frac; /* libpcap's tv_usec: microseconds or nanoseconds */
	uint32_t iface; /* pcapng input: the block's interface; else 0 */
	uint64_t ng_ts; /* pcapng input: the block's raw time stamp; else 0 */
};

static uint32_t swap32(uint32_t v)
{
	return (v >> 24) | ((v >> 8) & 0xff00u) | ((v << 8) & 0xff0000u) | (v << 24);
}

/*
 * A time stamp in nanoseconds, for pacing.  A damaged pcapng file can carry
 * any 64-bit time; the seconds are clamped to 32 bits (the range of a pcap
 * record) so that nothing below can overflow.
 */
static int64_t to_ns(int64_t sec, uint32_t frac, bool nano)
{
	const int64_t lim = INT64_C(1) << 32;

	if (sec > lim)
		sec = lim;
	if (sec < -lim)
		sec = -lim;
	return sec * 1000000000 + (int64_t)(nano ? frac : (uint64_t)frac * 1000u);
}

/*
 * "PATH: reason", without saying PATH twice: libpcap's own message already
 * starts with the path when opening the file failed.
 */
static void input_msg(char *msg, size_t n, const char *path, const char *reason)
{
	size_t plen = strlen(path);

	if (strncmp(reason, path, plen) == 0 && reason[plen] == ':')
		snprintf(msg, n, "%s", reason);
	else
		snprintf(msg, n, "%s: %s", path, reason);
}

/* A libpcap handle reading the mapping, with the input's own precision. */
static pcap_t *open_mapped(const struct replay *rp, char *errbuf)
{
	FILE *f = fmemopen((void *)(uintptr_t)rp->map, rp->size, "r");
	pcap_t *p;

	if (!f) {
		snprintf(errbuf, PCAP_ERRBUF_SIZE, "fmemopen: %s", strerror(errno));
		return NULL;
	}
	/*
	 * One thread uses the stream: no stdio lock.  A fault in the mapping
	 * may leave libpcap's read through this stream by siglongjmp(), and a
	 * lock held then would stay held, for main's fclose() to wait on.
	 */
	__fsetlocking(f, FSETLOCKING_BYCALLER);
	p = pcap_fopen_offline_with_tstamp_precision(
		f, rp->nano ? PCAP_TSTAMP_PRECISION_NANO : PCAP_TSTAMP_PRECISION_MICRO, errbuf);
	if (!p)
		fclose(f);
	return p; /* pcap_close() closes f */
}

/* ------------------------------------------------------------------ reading */

static uint32_t get32(const struct replay *rp, size_t off)
{
	uint32_t v;

	memcpy(&v, rp->map + off, 4);
	return rp->ng_swapped ? swap32(v) : v;
}

/*
 * A pcapng input: the packet block libpcap just read ends at end.  Its
 * interface and its time stamp as written (in the interface's own
 * resolution, which a pcapng output keeps), for --format pcapng.
 * Enhanced (6) and obsolete (2) packet blocks carry both; a simple packet
 * block (3) neither: interface 0, time 0, as libpcap reads it.
 */
static void ng_block_info(const struct replay *rp, size_t end, struct rec *r)
{
	uint32_t total, type;
	size_t start;

	r->iface = 0;
	r->ng_ts = 0;
	if (end < 12 || end > rp->size)
		return;
	total = get32(rp, end - 4);
	if (total < 12 || total > end)
		return;
	start = end - total;
	type = get32(rp, start);
	if ((type != PCAPNG_EPB && type != 2u) || total < 20 + 12)
		return;
	if (type == PCAPNG_EPB) {
		r->iface = get32(rp, start + 8);
	} else {
		uint16_t id;

		memcpy(&id, rp->map + start + 8, 2);
		r->iface = rp->ng_swapped ? (uint16_t)((id >> 8) | (id << 8)) : id;
	}
	r->ng_ts = (uint64_t)get32(rp, start + 12) << 32 | get32(rp, start + 16);
}

/* The next record through libpcap: 1, 0 at the end, -1 with c->err. */
static __attribute__((noinline)) int read_libpcap(struct replay_cursor *c, struct rec *r)
{
	struct pcap_pkthdr *h;
	const u_char *d;
	int ret = pcap_next_ex(c->p, &h, &d);

	if (ret == 1) {
		off_t pos = ftello(pcap_file(c->p));

		r->data = d;
		r->caplen = h->caplen;
		r->origlen = h->len;
		r->sec = (int64_t)h->ts.tv_sec;
		r->frac = (uint32_t)h->ts.tv_usec;
		r->iface = 0;
		r->ng_ts = 0;
		if (pos >= 0)
			c->off = c->good_end = (size_t)pos;
		if (c->rp->ng && pos >= 0)
			ng_block_info(c->rp, (size_t)pos, r);
		return 1;
	}
	if (ret == PCAP_ERROR_BREAK)
		return 0; /* the end of a savefile */
	snprintf(c->err, sizeof(c->err), "%s", pcap_geterr(c->p));
	return -1;
}

/*
 * The next record.  A host-order pcap file's records are read in place: a
 * record whose captured length is within the snapshot length (and libpcap's
 * usual limit) and within the file is exactly what libpcap would return,
 * same header fields, same bytes.  Anything else at that offset (a cut
 * record, an oversized one that libpcap trims or refuses, a cut header)
 * goes to libpcap, so its rules and its messages apply unchanged.  Inline:
 * this is the writer's per-packet path.
 */
static inline __attribute__((always_inline)) int read_record(struct replay_cursor *c,
							      struct rec *r)
{
	const struct replay *rp = c->rp;

	if (rp->raw) {
		size_t left = c->limit - c->off;
		uint32_t h[4];

		if (c->ahead < c->off)
			c->ahead = c->off;
		for (; c->ahead < c->off + RAW_PREFETCH && c->ahead < rp->size; c->ahead += 64)
			__builtin_prefetch(rp->map + c->ahead);
		if (left >= 16) {
			memcpy(h, rp->map + c->off, sizeof(h));
			if (h[2] <= rp->raw_max && h[2] <= left - 16) {
				r->data = rp->map + c->off + 16;
				r->sec = (int32_t)h[0]; /* libpcap sign-extends the 32-bit field */
				r->frac = h[1];
				r->caplen = h[2];
				r->origlen = h[3];
				c->off += 16 + (size_t)h[2];
				c->good_end = c->off;
				return 1;
			}
		} else if (left == 0) {
			return 0;
		}
		/* The file was cut here: libpcap would read on past the new end. */
		if (c->cut)
			return 0;
		if (fseeko(pcap_file(c->p), (off_t)c->off, SEEK_SET) != 0) {
			snprintf(c->err, sizeof(c->err), "fseeko: %s", strerror(errno));
			return -1;
		}
	}
	return read_libpcap(c, r);
}

/* ------------------------------------------------------------------- cursors */

int replay_cursor_open(const struct replay *rp, unsigned id, struct replay_cursor **out,
		       char *msg, size_t msglen)
{
	struct replay_cursor *c = calloc(1, sizeof(*c));

	if (!c) {
		snprintf(msg, msglen, "%s: %s", rp->o.path, strerror(ENOMEM));
		return -ENOMEM;
	}
	c->rp = rp;
	c->id = id;
	c->n = rp->o.writers ? rp->o.writers : 1;
	c->p = open_mapped(rp, c->err);
	if (!c->p) {
		input_msg(msg, msglen, rp->o.path, c->err);
		free(c);
		return -EINVAL;
	}
	c->limit = rp->size;
	/* libpcap has read the file header; the raw reader starts right after it. */
	c->off = c->good_end = (size_t)ftello(pcap_file(c->p));
	*out = c;
	return 0;
}

void replay_cursor_close(struct replay_cursor *c)
{
	if (!c)
		return;
	if (c->p)
		pcap_close(c->p);
	free(c);
}

/*
 * The byte replay_confirm() reads for the record [start, end) of the file
 * (replay.h): the first byte of the page after the record's last byte in
 * the file-backed part of the mapping, or the sentinel's page when that is
 * the page of the copy; NULL for a record wholly in the copy.
 */
static const volatile uint8_t *probe_addr(const struct replay *rp, size_t start, size_t end)
{
	size_t last, a;

	if (start >= rp->snap_off || end <= start)
		return NULL;
	last = (end < rp->snap_off ? end : rp->snap_off) - 1;
	a = (last & ~(rp->page - 1)) + rp->page;
	return a < rp->snap_off ? rp->map + a : rp->sentinel;
}

/* The packet returned last was confirmed and handed on: count it. */
static inline void settle(struct replay_cursor *c, struct replay_counts *st)
{
	if (!c->pending)
		return;
	c->pending = false;
	counter_add(&st->read, 1);
	counter_add(&st->read_bytes, c->pend_origlen);
	dissect_count(&st->dissect, c->pend_rows, c->pend_origlen);
	/*
	 * A compiler barrier: pending is cleared in memory before the next
	 * read of the mapping, which may fault into the handler's jump.
	 */
	atomic_signal_fence(memory_order_seq_cst); /* pairs with on_sigbus()'s jump, same thread */
}

const char *replay_error(const struct replay_cursor *c, uint64_t *good_end)
{
	if (good_end)
		*good_end = c->good_end;
	if (c->shrank)
		return "input shrank";
	return c->state < 0 ? c->err : NULL;
}

bool replay_shrank(const struct replay_cursor *c)
{
	return c->shrank;
}

/* ------------------------------------------------------- a shrinking input */

/*
 * The cursor of the writer running on this thread while its loop runs, for
 * the SIGBUS handler.  Set and read by that thread only (the handler runs on
 * the thread that faulted: SIGBUS from a load is synchronous).
 */
static _Thread_local struct replay_cursor *armed;

static bool sigbus_installed;

static bool in_input(const struct replay *rp, const void *addr)
{
	const uint8_t *a = addr;
	size_t span = (rp->size + rp->page - 1) & ~(rp->page - 1);

	return (a >= rp->map && a < rp->map + span) ||
	       (rp->sentinel && a >= rp->sentinel && a < rp->sentinel + rp->page);
}

/*
 * A fault reading the input on an armed writer: the file was cut below the
 * page read.  Jump to the writer's recovery point (replay.h).  Any other
 * SIGBUS is not ours: the default action (a core dump), as without a handler.
 */
static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	struct replay_cursor *c = armed;

	(void)uc;
	/* si_code > 0: raised by the kernel for a fault, not sent by kill(). */
	if (c && si->si_code > 0 && in_input(c->rp, si->si_addr)) {
		armed = NULL;
		siglongjmp(c->jmp, 1);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

int replay_fault_install(void)
{
	struct sigaction sa;

	if (sigbus_installed)
		return 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigbus;
	/*
	 * SA_NODEFER: the handler leaves by siglongjmp() to a point saved
	 * without the signal mask (sigsetjmp(env, 0) makes no system call), so
	 * SIGBUS must not stay blocked on the writer after the jump.
	 */
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, NULL) < 0)
		return -errno;
	sigbus_installed = true;
	return 0;
}

sigjmp_buf *replay_cursor_jmp(struct replay_cursor *c)
{
	return &c->jmp;
}

void replay_cursor_arm(struct replay_cursor *c)
{
	armed = c;
}

void replay_cursor_disarm(struct replay_cursor *c, struct replay_counts *st)
{
	settle(c, st);
	armed = NULL;
}

bool replay_cursor_fault(struct replay_cursor *c)
{
	const struct replay *rp = c->rp;
	int64_t now;

	armed = NULL;
	/* The packet in hand was not confirmed: it is neither counted nor written. */
	if (c->pending)
		c->matched--; /* -c: it is read again, or never */
	c->pending = false;
	c->shrank = true;
	c->state = -1;
	/* Replayed whole: the records before the one that was being read or was in hand. */
	c->good_end = c->rec_start;
	/*
	 * Read on to the new end, as at a file cut short, if the records are
	 * read in place (libpcap's state after the jump is not to be trusted).
	 * One fstat() here, and one per packet from now on (replay_recheck()):
	 * the writer is within a page of the new end, where the page after a
	 * packet cannot confirm it any more.  A second fault at the same record
	 * without the file getting shorter ends it (no loop).
	 */
	now = replay_size_now(rp);
	if (!rp->raw || now < 0 || c->rec_start > (uint64_t)now ||
	    (c->cut && (size_t)now >= c->limit && c->rec_start == c->fault_start))
		return false;
	c->cut = true;
	c->fault_start = c->rec_start;
	if ((size_t)now < c->limit)
		c->limit = (size_t)now;
	c->off = c->ahead = c->rec_start;
	c->state = 0;
	return true;
}

void replay_recheck(const struct replay_pkt *pk)
{
	struct replay_cursor *c = pk->recheck;
	int64_t now = replay_size_now(c->rp);

	/*
	 * The packet ends at c->off.  A file still that long after the copy was
	 * that long when it was copied (it only shrinks here; one that grew
	 * back meanwhile is what run.input.grew reports): the copy was the
	 * file's.  Else back to the recovery point, as a fault would.
	 */
	if (now < 0 || (uint64_t)now < c->off) {
		armed = NULL;
		siglongjmp(c->jmp, 1);
	}
}

int64_t replay_size_now(const struct replay *rp)
{
	struct stat st;

	if (rp->fd < 0 || fstat(rp->fd, &st) < 0)
		return -1;
	return (int64_t)st.st_size;
}

bool replay_count_reached(const struct replay_cursor *c)
{
	return c->counted;
}

/* Which writer a packet goes to: its flow's, or writer 0 for what is not IP. */
static unsigned shard_of(const struct replay_cursor *c, const struct rec *r)
{
	struct dissect_flow flow;

	dissect_packet(c->rp->dlt, r->data, r->caplen, r->origlen, NULL, &flow);
	if (!flow.is_ip)
		return 0;
	/* Remixed, then scaled to [0, n) by the top bits: no division. */
	return (unsigned)(((synth_mix(flow.hash) >> 32) * c->n) >> 32);
}

static bool passes(const struct replay *rp, const struct rec *r)
{
	struct pcap_pkthdr h;

	if (!rp->prog)
		return true;
	h.ts.tv_sec = (time_t)r->sec;
	h.ts.tv_usec = (suseconds_t)r->frac;
	h.caplen = r->caplen;
	h.len = r->origlen;
	return pcap_offline_filter(rp->prog, &h, r->data) != 0;
}

/*
 * --speed: waits until a packet with time stamp ts_ns is due (replay.h,
 * replay_cursor_pace()).  true when it is due (at once when it is late),
 * false when *c->stop came first.
 */
static bool pace(const struct replay_cursor *c, int64_t ts_ns)
{
	const struct replay *rp = c->rp;
	double rel, wait;
	uint64_t due;

	if (ts_ns <= rp->first_ts_ns)
		return true;
	rel = (double)(ts_ns - rp->first_ts_ns);
	wait = rel / rp->o.speed;
	/* Beyond about 30 years: as good as never (a stop still ends the wait). */
	due = c->pace_start + (wait < 1e18 ? (uint64_t)wait : UINT64_C(1000000000000000000));
	for (;;) {
		uint64_t now = now_ns(CLOCK_MONOTONIC);

		if (now >= due)
			return true;
		/* relaxed: stop only ends the wait, it publishes nothing */
		if (atomic_load_explicit(c->stop, memory_order_relaxed))
			return false;
		if (due - now > PACE_SPIN_NS) {
			/*
			 * Nothing to write for a while: sleep, but wake early
			 * enough to spin the last stretch on the clock.
			 */
			uint64_t nap = due - now - PACE_SPIN_NS / 2;
			struct timespec ts;

			if (nap > PACE_SLICE_NS)
				nap = PACE_SLICE_NS;
			ts.tv_sec = 0;
			ts.tv_nsec = (long)nap;
			nanosleep(&ts, NULL);
		} else {
			dbuf_cpu_relax();
		}
	}
}

int replay_next(struct replay_cursor *c, struct replay_pkt *pk, struct replay_counts *st)
{
	const struct replay *rp = c->rp;
	const uint64_t count = rp->o.count;
	struct rec r;

	settle(c, st);
	while (c->state == 0) {
		if (count && c->matched >= count) {
			c->state = 1;
			c->counted = true;
			break;
		}
		size_t start = c->off;
		c->rec_start = start;
		/* In memory before the read, which may fault (see settle()). */
		atomic_signal_fence(memory_order_seq_cst); /* pairs with on_sigbus()'s jump, same thread */
		int ret = read_record(c, &r);
		if (ret <= 0) {
			c->state = ret < 0 ? -1 : 1;
			break;
		}
		atomic_store_explicit(&st->input_offset, c->off, memory_order_relaxed);
		if (c->n > 1 && shard_of(c, &r) != c->id) {
			/*
			 * Another writer's packet.  Under -c every writer keeps
			 * the count of all packets that passed the filter, so
			 * that all stop after the same packet of the file.
			 */
			if (count && passes(rp, &r))
				c->matched++;
			continue;
		}
		bool pass = passes(rp, &r);
		/* Waited for before it counts as read: a stop during the wait leaves it unread. */
		if (pass && c->stop && !pace(c, to_ns(r.sec, r.frac, rp->nano))) {
			c->state = 1;
			break;
		}
		pk->probe = c->cut ? NULL : probe_addr(rp, start, c->off);
		pk->recheck = c->cut ? c : NULL;
		if (!pass) {
			/* The filter read it: it was the file's, not zeros past a new end. */
			replay_confirm(pk);
			counter_add(&st->read, 1);
			counter_add(&st->read_bytes, r.origlen);
			counter_add(&st->filtered, 1);
			counter_add(&st->filtered_bytes, r.origlen);
			continue;
		}
		c->matched++;
		/*
		 * The whole captured packet is dissected; -s only cuts what is
		 * stored.  Counted with the packet, once the writer confirmed it.
		 */
		c->pend_rows = dissect_classify(rp->dlt, r.data, r.caplen, r.origlen, NULL);
		c->pend_origlen = r.origlen;
		c->pending = true;
		pk->mapped = r.data >= rp->map && r.data < rp->map + rp->size;
		pk->data = r.data;
		pk->caplen = rp->o.snaplen && r.caplen > rp->o.snaplen ? rp->o.snaplen : r.caplen;
		pk->origlen = r.origlen;
		pk->sec = (uint32_t)r.sec; /* what pcap_dump() writes: the low 32 bits */
		pk->frac = r.frac;
		pk->ts_ns = to_ns(r.sec, r.frac, rp->nano);
		pk->iface = rp->ng ? r.iface : 0;
		pk->ng_ts = rp->ng ? r.ng_ts :
			    (uint64_t)pk->sec * (rp->nano ? 1000000000u : 1000000u) + pk->frac;
		return 1;
	}
	return c->state < 0 ? -1 : 0;
}

void replay_cursor_pace(struct replay_cursor *c, uint64_t start_ns, const _Atomic bool *stop)
{
	c->pace_start = start_ns;
	c->stop = c->rp->o.speed > 0 ? stop : NULL;
}

/* ----------------------------------------------------------------- the input */

/* The output file header exactly as libpcap writes it for this input (what tcpdump -w gets). */
static int dump_header(struct replay *rp, char *msg, size_t msglen)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	pcap_dumper_t *d;

	if (!f) {
		snprintf(msg, msglen, "%s: open_memstream: %s", rp->o.path, strerror(errno));
		return -1;
	}
	d = pcap_dump_fopen(rp->pcap, f);
	if (!d) {
		input_msg(msg, msglen, rp->o.path, pcap_geterr(rp->pcap));
		fclose(f);
		free(buf);
		return -1;
	}
	pcap_dump_close(d); /* closes f: buf holds the header */
	if (len != sizeof(rp->header)) {
		snprintf(msg, msglen, "%s: libpcap wrote a %zu-byte file header", rp->o.path, len);
		free(buf);
		return -1;
	}
	memcpy(rp->header, buf, sizeof(rp->header));
	free(buf);
	memcpy(&rp->linktype, rp->header + 20, 4);
	if (rp->o.snaplen)
		memcpy(rp->header + 16, &rp->snaplen, 4);
	return 0;
}

/*
 * The last page of the mapping becomes an anonymous copy of it, and the
 * file's page there gets a mapping of its own (the sentinel): a record in
 * the copy needs no confirmation, one that ends before it is confirmed by
 * the page after it, which for the page before the copy is the sentinel
 * (replay.h, replay_confirm()).  -1 with errno.
 */
static int snapshot_last_page(struct replay *rp)
{
	long pg = sysconf(_SC_PAGESIZE);
	uint8_t *copy, *map = (uint8_t *)(uintptr_t)rp->map;
	size_t tail;
	void *a;

	rp->page = pg > 0 ? (size_t)pg : 4096;
	rp->snap_off = (rp->size - 1) & ~(rp->page - 1);
	tail = rp->size - rp->snap_off;
	copy = malloc(tail);
	if (!copy)
		return -1;
	memcpy(copy, map + rp->snap_off, tail);
	a = mmap(map + rp->snap_off, rp->page, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	if (a == MAP_FAILED) {
		free(copy);
		return -1;
	}
	memcpy(a, copy, tail);
	free(copy);
	if (mprotect(a, rp->page, PROT_READ) < 0)
		return -1;
	if (rp->snap_off == 0)
		return 0;
	a = mmap(NULL, rp->page, PROT_READ, MAP_SHARED, rp->fd, (off_t)rp->snap_off);
	if (a == MAP_FAILED)
		return -1;
	rp->sentinel = a;
	return 0;
}

/* Reads the first packet: the file must yield one, or none at all. */
static int probe(struct replay *rp, char *msg, size_t msglen)
{
	struct replay_cursor *c;
	struct rec r;
	int ret;

	if (replay_cursor_open(rp, 0, &c, msg, msglen) < 0)
		return -1;
	ret = read_record(c, &r);
	if (ret < 0)
		input_msg(msg, msglen, rp->o.path, c->err);
	else if (ret == 0)
		rp->empty = true;
	else
		rp->first_ts_ns = to_ns(r.sec, r.frac, rp->nano);
	replay_cursor_close(c);
	return ret < 0 ? -1 : 0;
}

/* libpcap's handle on the input: by name, or on a copy of the caller's descriptor. */
static pcap_t *open_input(const struct replay_opts *o, char *errbuf)
{
	FILE *f;
	pcap_t *p;
	int fd;

	if (!o->from_fd)
		return pcap_open_offline_with_tstamp_precision(o->path, PCAP_TSTAMP_PRECISION_NANO,
							       errbuf);
	fd = fcntl(o->fd, F_DUPFD_CLOEXEC, 0);
	f = fd >= 0 ? fdopen(fd, "r") : NULL;
	if (!f) {
		snprintf(errbuf, PCAP_ERRBUF_SIZE, "%s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	p = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, errbuf);
	if (!p)
		fclose(f); /* else pcap_close() closes it */
	return p;
}

int replay_open(struct replay *rp, const struct replay_opts *o, char *msg, size_t msglen)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	pcap_t *p;
	struct stat st;
	uint32_t magic;
	uint16_t version[2];
	void *map;

	memset(rp, 0, sizeof(*rp));
	rp->o = *o;
	rp->fd = -1;
	/*
	 * A FIFO or a device is refused before anything opens it: open() of a
	 * FIFO waits for a writer, deaf to SIGINT (main blocks it to take it with
	 * sigtimedwait()), and the input is mapped, which only a file can be.
	 * stat() does not block; what it leaves (a missing file, a directory,
	 * which does not block) libpcap names below, in tcpdump's words.
	 */
	if (!o->from_fd && strcmp(o->path, "-") == 0) {
		/* libpcap would read standard input: a pipe or a terminal, blocking likewise. */
		input_msg(msg, msglen, o->path, "standard input cannot be replayed (dbcap maps "
			  "its input: give a file)");
		return REPLAY_BAD_INPUT;
	}
	if (!o->from_fd && stat(o->path, &st) == 0 && !S_ISREG(st.st_mode) &&
	    !S_ISDIR(st.st_mode)) {
		input_msg(msg, msglen, o->path, "not a regular file (dbcap replays files only)");
		return REPLAY_BAD_INPUT;
	}
	/*
	 * libpcap first, by name: its checks and its words for a missing,
	 * unreadable or invalid file are the ones tcpdump users know.
	 */
	errbuf[0] = '\0';
	p = open_input(o, errbuf);
	if (!p) {
		input_msg(msg, msglen, o->path, errbuf[0] ? errbuf : "cannot open");
		return REPLAY_BAD_INPUT;
	}
	/* The mapping comes from libpcap's own descriptor: the very file it checked. */
	if (fstat(fileno(pcap_file(p)), &st) < 0) {
		input_msg(msg, msglen, o->path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		input_msg(msg, msglen, o->path, "not a regular file (dbcap replays files only)");
		goto fail;
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fileno(pcap_file(p)), 0);
	if (map == MAP_FAILED) {
		input_msg(msg, msglen, o->path, strerror(errno));
		goto fail;
	}
	rp->map = map;
	rp->size = (size_t)st.st_size;
	/* Kept for replay_size_now(): whether the file shrank or grew meanwhile. */
	rp->fd = fcntl(fileno(pcap_file(p)), F_DUPFD_CLOEXEC, 0);
	if (rp->fd < 0) {
		input_msg(msg, msglen, o->path, strerror(errno));
		goto fail;
	}
	/* The mapping outlives the descriptor; main's handle reads the mapping too. */
	pcap_close(p);
	p = NULL;
	(void)madvise(map, rp->size, MADV_SEQUENTIAL);
	if (snapshot_last_page(rp) < 0) {
		input_msg(msg, msglen, o->path, strerror(errno));
		goto fail;
	}

	/* libpcap accepted the header, so the file holds at least its magic number. */
	memcpy(&magic, rp->map, 4);
	memcpy(version, rp->map + 4, 4);
	rp->format = magic == MAGIC_PCAPNG ? "pcapng" : "pcap";
	rp->ng = magic == MAGIC_PCAPNG;
	if (rp->ng && rp->size >= 12) {
		uint32_t bom;

		memcpy(&bom, rp->map + 8, 4);
		rp->ng_swapped = bom == swap32(PCAPNG_BOM);
	}
	/* pcapng: libpcap scales every interface's resolution to nanoseconds. */
	rp->nano = magic == MAGIC_PCAPNG || magic == MAGIC_NS || magic == swap32(MAGIC_NS);

	rp->pcap = open_mapped(rp, errbuf);
	if (!rp->pcap) {
		input_msg(msg, msglen, o->path, errbuf);
		goto fail;
	}
	rp->dlt = pcap_datalink(rp->pcap);
	rp->linktype_name = pcap_datalink_val_to_name(rp->dlt);
	rp->snaplen_in = (uint32_t)pcap_snapshot(rp->pcap);
	rp->snaplen = o->snaplen ? o->snaplen : rp->snaplen_in;
	rp->raw_max = rp->snaplen_in < RAW_MAX_CAPLEN ? rp->snaplen_in : RAW_MAX_CAPLEN;
	/*
	 * Read in place only what libpcap hands over unchanged: host byte
	 * order (nothing to swap), version 2.4 (caplen and len in their
	 * places), and not Linux USB "mmapped", whose header libpcap corrects.
	 */
	rp->raw = (magic == MAGIC_US || magic == MAGIC_NS) && version[0] == 2 && version[1] == 4 &&
		  rp->dlt != DLT_USB_LINUX_MMAPPED;

	if (dump_header(rp, msg, msglen) < 0)
		goto fail;
	if (probe(rp, msg, msglen) < 0)
		goto fail;
	if (o->filter) {
		struct bpf_program *prog = calloc(1, sizeof(*prog));

		if (!prog) {
			input_msg(msg, msglen, o->path, strerror(ENOMEM));
			goto fail;
		}
		if (pcap_compile(rp->pcap, prog, o->filter, 1, PCAP_NETMASK_UNKNOWN) < 0) {
			snprintf(msg, msglen, "filter \"%s\": %s", o->filter, pcap_geterr(rp->pcap));
			free(prog);
			replay_close(rp);
			return REPLAY_BAD_FILTER;
		}
		rp->prog = prog;
	}
	return 0;

fail:
	if (p)
		pcap_close(p);
	replay_close(rp);
	return REPLAY_BAD_INPUT;
}

void replay_close(struct replay *rp)
{
	if (rp->prog) {
		pcap_freecode(rp->prog);
		free(rp->prog);
	}
	if (rp->pcap)
		pcap_close(rp->pcap);
	/* fd is set only once the file is mapped (a zeroed rp has fd 0, not ours). */
	if (rp->map && rp->fd >= 0)
		close(rp->fd);
	if (rp->map)
		munmap((void *)(uintptr_t)rp->map, rp->size);
	if (rp->sentinel)
		munmap((void *)(uintptr_t)rp->sentinel, rp->page);
	rp->prog = NULL;
	rp->pcap = NULL;
	rp->map = NULL;
	rp->sentinel = NULL;
	rp->fd = -1;
}
