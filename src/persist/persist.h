/* SPDX-License-Identifier: MIT */
/*
 * Persistence: appends a stream of bytes to one file with io_uring (or
 * pwrite when io_uring is unavailable), or to a pipe or FIFO with write(2)
 * (persist_opts.stream).  Used by the reader thread only.
 *
 * The stream is appended chunk by chunk; each chunk holds whole records, so
 * every chunk boundary is a record boundary.  The module knows nothing of the
 * file format.  Guarantees:
 *  - File bytes are always a prefix of the stream, never padding: O_DIRECT
 *    writes only whole aligned blocks of real data; an unaligned tail is
 *    written through a second, buffered descriptor (persist_write_tail) and
 *    rewritten by the next aligned write.
 *  - Cookies come back from persist_reap() in append order, once the chunk's
 *    memory may be reused (O_DIRECT: once copied into the staging ring;
 *    buffered: once its writes completed; a chunk is written in pieces of at
 *    most slot_size bytes).
 *  - Short writes, -EINTR and -EAGAIN are resubmitted; any other error is
 *    sticky: later calls return it, nothing more is submitted.
 *
 * Layer: above the buffer and the sources, below the statistics and the
 * program (docs/DESIGN.md, "Map of the code").  So this header owns what its
 * callers configure and read back (enum io_engine, enum io_toggle, struct
 * io_report) and includes nothing of the project; the statistics include it
 * to report, the program to configure.  It prints nothing: failures come
 * back as -errno with a reason, the io_uring fallback in the report.
 */
#ifndef DBCAP_PERSIST_H
#define DBCAP_PERSIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

struct hist; /* util/hist.h: the caller's latency histogram, recorded into */

/* The engine asked for (--io-engine uring|pwrite). */
enum io_engine { IO_ENGINE_URING = 0, IO_ENGINE_PWRITE = 1 };

/*
 * A setting that is automatic, off or on (--direct, --sync; "auto", "off",
 * "on" in the configuration and the statistics).  The values are the ones
 * the settings always had: -1, 0, 1.
 */
enum io_toggle { IO_AUTO = -1, IO_OFF = 0, IO_ON = 1 };

/* "auto", "off" or "on" (anything else: "auto"). */
const char *io_toggle_name(enum io_toggle t);
/*
 * The engine's one spelling: "io_uring" or "pwrite" (the option, run.config
 * and run.io_engine); run.io_engine also says "write" for a stream.
 */
const char *io_engine_name(enum io_engine e);

struct persist_opts {
	const char *path;             /* the file to create; with stream: names it in messages */
	/*
	 * A stream (a pipe, a FIFO, standard output): stream_fd, opened by the
	 * caller and owned by persist from persist_open() on (closed by
	 * persist_close(), or at once when the open fails).  It is written in
	 * order with write(2), one write at a time (no offsets, no O_DIRECT, no
	 * fdatasync: engine "write"); persist_durable() is what the stream took.
	 */
	bool stream;
	int stream_fd;
	bool force;                   /* replace an existing regular file */
	enum io_engine engine;        /* wanted engine; falls back to pwrite with a reason */
	enum io_toggle direct;        /* auto: O_DIRECT when the filesystem allows */
	bool no_sync;                 /* persist_close() skips fdatasync (the data may
	                                 still be in the page cache at exit) */
	unsigned depth;               /* writes in flight, >= 2 */
	/*
	 * Each write starts only after every earlier one completed
	 * (io_uring's IOSQE_IO_DRAIN; pwrite is ordered anyway), so that the
	 * file is always a prefix of the stream, even after a SIGKILL: for a
	 * format where a gap of zeros would read as records (pcap).  Appending
	 * writes still queue up to depth deep; they only run one at a time.
	 */
	bool ordered;
	size_t slot_size;             /* O_DIRECT staging slot (rounded to the alignment), and
	                                 the largest buffered write; 0: 1 MiB */
	const struct iovec *regions;  /* memory that chunks lie in (buffered: register) */
	unsigned nregions;
	struct hist *latency;         /* where to record write latency (submit -> done) */
};

struct persist;

/* What the persistence layer reports (copied by the reader into the statistics). */
struct io_report {
	const char *engine;        /* "io_uring", "pwrite", or "write" (a stream) */
	const char *fallback_reason; /* why io_uring was not used, or NULL */
	bool direct;               /* O_DIRECT in use */
	bool sync;                 /* the run ends with fdatasync */
	unsigned dio_align;        /* O_DIRECT alignment, 0 if buffered */
	bool registered_buffers;
	unsigned depth;            /* writes allowed in flight */
	uint64_t submissions, completions, short_writes, retries;
	uint64_t bytes_written;
	unsigned max_in_flight;
	double mean_in_flight;
	int error;                 /* 0 or -errno of the first fatal write error */
	const char *error_op;      /* "write", "fdatasync", ... or NULL */
};

/*
 * Creates the file: O_CREAT|O_EXCL|O_NOFOLLOW, mode 0640 (minus umask); with
 * force an existing regular file is replaced.  Sets up io_uring (or the
 * fallback to pwrite, whose reason persist_report() gives as
 * fallback_reason: the caller decides whether and how to warn) and
 * O_DIRECT.  Prints nothing.
 * Returns 0, or -errno with the reason in reason (reasonlen bytes), worded
 * to follow the path: a program prints "NAME: PATH: REASON", e.g.
 * "File exists (use --force to replace it)".
 */
int persist_open(const struct persist_opts *o, struct persist **out, char *reason,
		 size_t reasonlen);

/*
 * Appends len bytes (region: index into opts.regions, or -1).  May block
 * waiting for a free slot / in-flight write when depth writes are in flight.
 * Returns 0 or the sticky -errno.
 */
int persist_append(struct persist *p, const void *data, size_t len, int region, void *cookie);

/*
 * Collects completions.  Stores up to max cookies (append order) whose
 * memory may be reused; returns how many, or -errno.  wait: block until at
 * least one completion arrives when any write is in flight.
 */
int persist_reap(struct persist *p, void **cookies, unsigned max, bool wait);

/* Writes everything appended so far, including an unaligned tail, and waits. */
int persist_write_tail(struct persist *p);

/* Bytes appended so far / bytes known to be in the file (contiguous prefix). */
uint64_t persist_appended(const struct persist *p);
uint64_t persist_durable(const struct persist *p);

/*
 * Writes still in flight after io_uring_wait_cqe() failed and polling for
 * their completions gave up (30 s): the memory of the chunks whose cookies
 * have not come back may still be read by the kernel and must not be reused
 * (nor freed).  0 otherwise, which is what happens unless the kernel holds
 * writes that long: a failed wait is recorded as the sticky error
 * ("io_uring_wait_cqe"), and the writes in flight are collected all the
 * same, so that their cookies come back and the durable prefix counts them.
 */
unsigned persist_stranded(const struct persist *p);

/* Descriptor of the file (buffered; a stream's), e.g. to scan or truncate after an error. */
int persist_fd(const struct persist *p);

/* Fills the report (engine, O_DIRECT, counters, the sticky error). */
void persist_report(const struct persist *p, struct io_report *r);

/*
 * Finishes: drains in-flight writes, writes the tail, fdatasync (unless
 * opts.no_sync), closes.
 * On an earlier error it only drains.  Returns 0 or -errno (first error).
 * *durable gets the length of the file's valid prefix.
 */
int persist_close(struct persist *p, uint64_t *durable);

#endif
