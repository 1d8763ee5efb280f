/* SPDX-License-Identifier: MIT */
/*
 * The replay source: packets from a capture file (pcap or pcapng, read with
 * libpcap), sharded by flow over the writers.  docs/REPLAY.md explains the
 * choices and the measurements behind them.
 *
 * How packets reach the writers: the main thread opens and checks the file
 * with libpcap, maps it into memory once, and gives each writer its own
 * cursor over the mapping.  Every writer walks the whole file in order and
 * keeps the packets of its shard, so no packet is handed between threads
 * and each flow's packets stay in file order.  A cursor reads a host-order
 * classic pcap file straight from the mapping (its records are already what
 * libpcap would return), and anything else through its own libpcap handle
 * reading the same mapping with fmemopen(3); either way replay_next() makes
 * no system call (the mapping may take page faults on first touch).
 *
 * Threads: replay_open(), replay_cursor_open(), replay_cursor_close() and
 * replay_close() on one thread (main) while no cursor is in use.  Each
 * cursor is then used by one writer thread alone; the struct replay is
 * read-only meanwhile.
 */
#ifndef DBCAP_REPLAY_H
#define DBCAP_REPLAY_H

#include <setjmp.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dissect.h"

struct replay_opts {
	const char *path;    /* the capture file (with from_fd: its name in messages) */
	/*
	 * Read fd instead of opening path: a regular file (the program copies
	 * standard input or a FIFO into a memfd), still the caller's to close.
	 */
	bool from_fd;
	int fd;
	const char *filter;  /* a BPF filter expression, or NULL */
	uint32_t snaplen;    /* -s: cut packets to this many bytes; 0: keep them whole */
	uint64_t count;      /* -c: stop after this many packets passed the filter; 0: none */
	double speed;        /* --speed: multiple of the file's own timing; 0: top speed */
	unsigned writers;    /* shards */
};

/* The input, as the main thread opened it; read-only once the writers run. */
struct replay {
	struct replay_opts o;
	void *pcap;              /* main's libpcap handle (pcap_t): checks, filter, header */
	const uint8_t *map;      /* the whole file, read-only */
	size_t size;
	const char *format;      /* "pcap" or "pcapng" */
	bool nano;               /* timestamps in nanoseconds (input and output precision) */
	bool raw;                /* cursors may read records straight from the mapping */
	int dlt;                 /* libpcap's DLT_ value, for the dissector */
	uint32_t linktype;       /* the output header's link-type field (LINKTYPE_, FCS bits) */
	const char *linktype_name; /* "EN10MB", ... or NULL */
	uint32_t snaplen_in;     /* the input's snapshot length, as libpcap reads it */
	uint32_t raw_max;        /* records up to this length may be read in place */
	uint32_t snaplen;        /* the output's: -s SNAPLEN when given, else snaplen_in */
	uint8_t header[24];      /* the output file header, as pcap_dump_open() writes it */
	void *prog;              /* compiled filter (struct bpf_program), or NULL */
	bool ng;                 /* pcapng input: cursors note each packet's interface and raw time */
	bool ng_swapped;         /* pcapng input in the other byte order */
	bool empty;              /* the file holds no packet at all */
	int64_t first_ts_ns;     /* the first packet's time stamp, for pacing */
	/*
	 * A file that shrinks while it is replayed (docs/DESIGN.md, "An input
	 * that shrinks"): the last page of the mapping, from snap_off, is an
	 * anonymous copy taken at open; sentinel maps the file's page at
	 * snap_off on its own (NULL when snap_off is 0); fd stays open for
	 * replay_size_now().
	 */
	int fd;
	size_t page;
	size_t snap_off;
	const uint8_t *sentinel;
};

/*
 * What one writer's cursor counts, in the writer's own statistics (the
 * statistics embed it, so this layer needs nothing from above).  Owner: the
 * writer thread that calls replay_next() with it, the one thread that stores
 * these fields (counter_add(), util/counter.h); any thread reads them with
 * relaxed loads, each value exact at some instant.  generated packets (the
 * writer's own count) are those that passed the filter, so
 * read = filtered + generated.  Byte counts are original (wire) lengths.
 */
struct replay_counts {
	_Atomic uint64_t read;           /* writer: its shard's packets read */
	_Atomic uint64_t read_bytes;
	_Atomic uint64_t filtered;       /* writer: of those, refused by the filter */
	_Atomic uint64_t filtered_bytes;
	_Atomic uint64_t input_offset;   /* writer: input bytes gone through (progress) */
	struct dissect_stats dissect;    /* writer: protocols and sizes of the packets returned */
};

/* A packet handed to a writer; data stays valid until the cursor's next call. */
struct replay_pkt {
	const uint8_t *data;
	uint32_t caplen;  /* after -s */
	uint32_t origlen;
	uint32_t sec;     /* the record's time stamp as the output writes it */
	uint32_t frac;    /* microseconds or nanoseconds (struct replay.nano) */
	int64_t ts_ns;    /* the same in nanoseconds, for pacing */
	/*
	 * For a pcapng output: the interface (a pcapng input's, else 0) and the
	 * time stamp in that interface's resolution (a pcapng input's block's
	 * own 64 bits, else sec and frac in micro- or nanoseconds).
	 */
	uint32_t iface;
	uint64_t ng_ts;
	bool mapped;      /* data points into the input's mapping (else libpcap's buffer) */
	/*
	 * replay_confirm() reads this byte of the mapping (NULL: nothing to
	 * check, the packet lies in the copy of the last page).
	 */
	const volatile uint8_t *probe;
	/* Else, after a cut: the cursor, whose packet replay_recheck() confirms (else NULL). */
	struct replay_cursor *recheck;
};

struct replay_cursor;

/* What replay_open() failed on: the exit status the caller should use. */
enum replay_fail {
	REPLAY_BAD_INPUT = 1, /* unreadable or invalid file (exit 1) */
	REPLAY_BAD_FILTER = 2 /* the filter does not compile (exit 2, like a bad option) */
};

/*
 * Opens and checks the input: libpcap must accept its header and read its
 * first packet (or find none), it must be a regular file, the filter must
 * compile.  Creates nothing.  Returns 0, or a positive enum replay_fail with
 * a message naming the file and libpcap's reason in msg.
 */
int replay_open(struct replay *rp, const struct replay_opts *o, char *msg, size_t msglen);

/*
 * replay_ng.c: a pcapng output's section header and interface descriptions
 * for this input (--format pcapng): a pcapng input's own (its section's
 * options and every interface with its options; its packets keep their
 * interface ids and raw time stamps, replay_pkt.iface and ng_ts), a pcap
 * input's link type, snapshot length and resolution as one interface.
 * appl: the shb_userappl written.  0 and *out (the caller frees) with *len,
 * or -1 with msg (an input of more than one section, out of memory).
 */
int replay_pcapng_header(const struct replay *rp, const char *appl, uint8_t **out, size_t *len,
			 char *msg, size_t msglen);

/* Frees what replay_open() set up; rp may be partly set up or zeroed. */
void replay_close(struct replay *rp);

/*
 * A cursor for writer id (0..writers-1): its own reading position and, when
 * needed, its own libpcap handle over the mapping.  0 or -errno with msg.
 */
int replay_cursor_open(const struct replay *rp, unsigned id, struct replay_cursor **out,
		       char *msg, size_t msglen);
void replay_cursor_close(struct replay_cursor *c);

/*
 * The writer's next packet: the next one in file order that belongs to its
 * shard and passes the filter, cut to -s.  Counts into st (owned by the
 * calling writer): packets read from its shard, those the filter refused,
 * the dissector's protocols and sizes of the packets returned, and the input
 * offset reached (a packet returned is counted once it is confirmed: see
 * replay_confirm() below).  Returns 1; 0 at the end of the input or once -c
 * packets passed the filter (over all shards); -1 when the input cannot be
 * read any further (replay_error() says why and where).  No system call, no
 * lock.
 */
int replay_next(struct replay_cursor *c, struct replay_pkt *pk, struct replay_counts *st);

/*
 * Under --speed: from now on replay_next() waits until each packet that
 * passed the filter is due, start_ns (CLOCK_MONOTONIC) plus the packet's
 * time since the first packet of the file, divided by the speed.  It spins
 * on the vDSO clock for waits up to a couple of milliseconds; a longer wait
 * sleeps in slices (a system call, but on a writer that has nothing to
 * write) until shortly before the packet is due, then spins.  When *stop
 * becomes true during a wait, the packet waited for is not returned, nor
 * counted as read: replay_next() returns 0, as at the end of the input.
 */
void replay_cursor_pace(struct replay_cursor *c, uint64_t start_ns, const _Atomic bool *stop);

/*
 * An input that shrinks while it is replayed (docs/DESIGN.md, "An input that
 * shrinks").  Reading a page of the mapping beyond the file's new end raises
 * SIGBUS; the page that holds the new end stays mapped and reads as zeros
 * past it.  So:
 *
 *  - replay_next() returns a packet without counting it; the writer copies
 *    pk.data where it keeps it (pk.mapped: from the mapping, which may
 *    fault), then calls replay_confirm(), which reads one byte of the page
 *    after the packet.  If the file had been cut below the packet's end
 *    when the copy read it, that page is gone by then and the read faults:
 *    a packet that was confirmed was copied from the file, never from
 *    zeros.  The packet is counted (read, protocols, sizes) by the next
 *    replay_next() or by replay_cursor_disarm().
 *  - A fault in the mapping on an armed writer thread jumps to the point
 *    the writer saved with sigsetjmp(*replay_cursor_jmp(c), 0): the packet
 *    in hand is neither counted nor handed on; the writer calls
 *    replay_cursor_fault(), which returns true when the cursor can read on
 *    up to the new end (one fstat(); after it each packet is confirmed by
 *    an fstat() of its own, replay_recheck(): the writer is then within a
 *    page of the end), after which the writer arms the cursor again and
 *    goes on; false: it stops.  replay_error() then says "input shrank".
 *
 * replay_fault_install(): main, once, before the writers start: the SIGBUS
 * handler (other faults keep the default action: a core dump).
 * replay_cursor_arm()/_disarm(): the writer thread, around its loop.
 */
int replay_fault_install(void);
sigjmp_buf *replay_cursor_jmp(struct replay_cursor *c);
void replay_cursor_arm(struct replay_cursor *c);
void replay_cursor_disarm(struct replay_cursor *c, struct replay_counts *st);
bool replay_cursor_fault(struct replay_cursor *c);
/* replay_confirm()'s slow path, once the file was cut: fstat(). */
void replay_recheck(const struct replay_pkt *pk);

/*
 * Confirms that the packet pk, copied by the caller, was read from the file
 * and not from zeros past a new end (above).  A fault here jumps to the
 * writer's recovery point.  Inline: every packet passes here; it costs one
 * load, mostly of a line already in the cache.
 */
static inline void replay_confirm(const struct replay_pkt *pk)
{
	/*
	 * The copy's loads come before the probe's.  The partner is the
	 * kernel's truncate, which unmaps the pages past the new end before it
	 * zeroes the rest of the page that holds it: seeing the probe's page
	 * still there means the copy read no zeros.  ThreadSanitizer models
	 * threads, not the kernel, and GCC refuses an inlined fence under it:
	 * there a compiler barrier stands in (which is all the fence is on x86).
	 */
#if defined(__SANITIZE_THREAD__)
	atomic_signal_fence(memory_order_seq_cst); /* pairs with the kernel's unmap-then-zero */
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
	atomic_signal_fence(memory_order_seq_cst); /* pairs with the kernel's unmap-then-zero */
#else
	atomic_thread_fence(memory_order_acquire); /* pairs with the kernel's unmap-then-zero */
#endif
#else
	atomic_thread_fence(memory_order_acquire); /* pairs with the kernel's unmap-then-zero */
#endif
	if (pk->probe)
		(void)*pk->probe;
	else if (pk->recheck)
		replay_recheck(pk);
}

/*
 * Main, after the writers stopped: the input's size now (fstat), or -1.
 */
int64_t replay_size_now(const struct replay *rp);

/* After replay_next() returned -1 or a fault: true if the input shrank under the cursor. */
bool replay_shrank(const struct replay_cursor *c);

/*
 * After replay_next() returned -1: libpcap's message (else NULL), and where
 * the records read whole end (the input offset).
 */
const char *replay_error(const struct replay_cursor *c, uint64_t *good_end);

/* After replay_next() returned 0: true if -c ended it, false at the end of the input. */
bool replay_count_reached(const struct replay_cursor *c);

#endif
