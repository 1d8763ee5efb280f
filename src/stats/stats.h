/* SPDX-License-Identifier: MIT */
/*
 * Statistics: latency histograms, exact block-size counts, and the JSON
 * document (schema config/stats.schema.json) written at exit and, with
 * --stats-interval, replaced atomically every interval.
 *
 * Ownership: every counter has ONE thread that stores it (named on each
 * field); other threads read with relaxed loads.  Counters are cumulative.
 */
#ifndef DBCAP_STATS_H
#define DBCAP_STATS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "dbuf.h"
#include "../persist/persist.h" /* struct io_report */
#include "../source/dissect.h"
#include "../source/live.h" /* struct live, struct live_counts */
#include "../source/replay.h" /* struct replay_counts */
#include "../util/hist.h"

/*
 * 2: replay mode (run.mode, run.input, read/filtered counts, protocols, sizes).
 * 3: run.sync_at_close, run.config.sync, writers[].naps.
 * 4: run.config.io_engine spelled as run.io_engine ("io_uring", was "uring");
 *    totals.dropped.aborted.
 * 5: (shared by the changes of one day) latency buckets and sum, throughput's
 *    rates over the last interval, block_sizes.counts only in the final
 *    document unless --stats-sizes, run.config.prom_file and stats_sizes.
 *    run.output_kind, run.output_format, run.input.kind, run.config.format;
 *    run.io_engine "write" (a stream).
 *    run.input.file_bytes_now, .shrank, .grew (an input that changed while
 *    it was replayed); reconciliation.file_verified.
 *    rotation (-C, -G, -W, -z, --min-free, --digest): run.rotation with every
 *    file, totals.dropped.min_free, reconciliation.files_persisted_blocks.
 *    live mode: run.interfaces, totals.kernel, writers[].live, the
 *    reconciliation's kernel terms.
 */
#define STATS_SCHEMA_VERSION 5

#define STATS_MAX_BLOCK 65535u /* block sizes are counted exactly up to this */

/*
 * The latency histograms' buckets in the document (latency.buckets) and in
 * the Prometheus histograms: upper bounds in ns, 1-2.5-5 steps from 100 ns
 * to 10 s; the last bucket (+Inf) is the count.  Fixed, so that histograms
 * of every writer, run and host add up.
 */
#define STATS_LATENCY_BOUNDS 25
extern const uint64_t stats_latency_bounds_ns[STATS_LATENCY_BOUNDS];

/*
 * Rates over the last interval: the totals the previous document saw, kept
 * by the caller between documents (one per run; main thread).  Zeroed: the
 * first document's interval starts with the run.
 */
struct stats_interval {
	double seconds;   /* run.duration_seconds of the previous document */
	uint64_t blocks;  /* totals.persisted_blocks */
	uint64_t bytes;   /* totals.persisted_bytes */
	uint64_t packets; /* totals.read_packets */
	uint64_t dropped; /* totals.dropped_blocks */
};

/* What a writer thread owns (cache-line aligned, one per writer). */
struct writer_stats {
	_Alignas(64) _Atomic uint64_t generated;      /* writer: blocks produced (attempted) */
	_Atomic uint64_t generated_bytes;             /* writer: their payload bytes */
	_Atomic uint64_t dropped_bytes;               /* writer: payload bytes of refused blocks */
	int cpu;                                      /* set before start: pinned core, -1 none */
	_Atomic int tid;                              /* writer: its kernel thread id */
	struct hist write_latency;                    /* writer: ns per dbuf reserve+fill+commit */
	/*
	 * Replay mode: the writer's shard of the input, counted by its cursor
	 * (source/replay.h).  generated counts the packets that passed the
	 * filter, so read = filtered + generated.
	 */
	struct replay_counts replay;                  /* writer */
	/*
	 * Live mode: replay.read counts the frames captured from the rings
	 * (generated equals it); these count the rest (source/live.h).
	 */
	struct live_counts live;                      /* writer */
};

/* Why blocks were lost, beside the library's own counters. */
enum drop_reason {
	DROP_FULL,     /* every buffer busy, drop policy (library drop_full) */
	DROP_TOO_BIG,  /* library drop_too_big */
	DROP_ZERO,     /* library drop_zero */
	DROP_CLOSED,   /* library drop_closed */
	DROP_IO_ERROR, /* committed to the buffer but not in the file (e.g. ENOSPC) */
	DROP_ABORTED,  /* committed, not yet written when a second stop signal cut the drain short */
	DROP_MIN_FREE, /* committed, not written: --min-free had no file of the run left to remove */
	DROP_REASONS
};
extern const char *const drop_reason_names[DROP_REASONS]; /* "full", "too_big", ... */

/* What the reader thread owns. */
struct reader_stats {
	_Alignas(64) _Atomic uint64_t chunks;       /* reader: chunks taken from the buffer */
	_Atomic uint64_t chunk_bytes;               /* reader: their bytes (file bytes) */
	_Atomic uint64_t blocks;                    /* reader: records persisted (in the file) */
	_Atomic uint64_t block_bytes;               /* reader: their payload bytes */
	_Atomic uint64_t file_bytes;                /* reader: bytes in the file incl. headers */
	_Atomic uint64_t lost_io_blocks;            /* reader: committed but lost to an I/O error */
	_Atomic uint64_t lost_io_bytes;
	_Atomic uint64_t lost_abort_blocks;         /* reader: committed, left unwritten by an abort */
	_Atomic uint64_t lost_abort_bytes;
	_Atomic uint64_t lost_min_free_blocks;      /* reader: committed, not written: --min-free */
	_Atomic uint64_t lost_min_free_bytes;
	_Atomic uint64_t size_count[STATS_MAX_BLOCK + 1]; /* reader: persisted blocks by payload size */
	struct hist persist_latency;                /* reader: ns from chunk taken to data written */
	_Atomic uint64_t flushes;                   /* reader: age flushes */
};

/* Replay mode: the input file, for run.input. */
struct input_report {
	const char *path;
	const char *kind;          /* "file", "stdin" or "fifo" (NULL: "file") */
	const char *format;        /* "pcap" or "pcapng" */
	uint32_t linktype;         /* the output header's link-type field (LINKTYPE_ value) */
	const char *linktype_name; /* libpcap's name ("EN10MB"), or NULL */
	uint32_t snaplen;          /* the input's snapshot length */
	bool nano;                 /* nanosecond time stamps (else microseconds) */
	const char *filter;        /* the filter expression, or NULL */
	uint64_t file_bytes;       /* size of the input when it was opened */
	uint64_t file_bytes_now;   /* its size when the document was written (fstat) */
	bool shrank;               /* it was seen smaller than file_bytes (schema 5) */
	bool grew;                 /* it was seen larger: what was added is not replayed */
	bool truncated;            /* it ended early: a cut or unreadable record */
	uint64_t unread_bytes;     /* bytes after the last record read whole */
	const char *error;         /* libpcap's words for why it ended early, or NULL */
};

/*
 * One value of the effective configuration (run.config): a key and a plain
 * value, emitted in the order the program gives them.  The program builds
 * these from its own table of settings; the statistics need to know nothing
 * of options, files or defaults to print them.
 */
enum stats_config_type {
	STATS_CFG_STR,  /* s; NULL is written as null */
	STATS_CFG_BOOL, /* b */
	STATS_CFG_U64,  /* u */
	STATS_CFG_INT,  /* i: may be negative */
	STATS_CFG_DBL,  /* d */
	STATS_CFG_INTS, /* ints: an array of numbers */
};

struct stats_config_value {
	const char *key;
	enum stats_config_type type;
	union {
		const char *s;
		bool b;
		uint64_t u;
		int64_t i;
		double d;
		struct {
			const int *v;
			unsigned n;
		} ints;
	};
};

/* Room for run.config's values; the program's settings fit with room to spare. */
#define STATS_CONFIG_MAX 64

/*
 * One file of a rotating run (run.rotation.files[]).  The program keeps
 * these; the document copies them.  Strings are literals or the arrays here.
 */
struct stats_file {
	uint64_t seq;              /* 1, 2, ...: the number in its name */
	char name[256];            /* the file's name (its directory is the output's) */
	const char *state;         /* "writing", "complete", "removed" */
	const char *removed_by;    /* NULL, "count" (-W) or "min_free" */
	bool has_time;             /* first_ns/last_ns are set (the file has records) */
	uint64_t first_ns, last_ns; /* the first and last record's time stamp, ns since 1970 */
	uint64_t records, record_bytes; /* records and their original lengths */
	uint64_t bytes;            /* the file's bytes, header included */
	char sha256[65];           /* hex digest of the file's bytes; "" while writing or without --digest */
	char prev_sha256[65];      /* the previous file's, "" for the first: the chain */
	const char *hook;          /* -z: NULL (none), "queued", "running", "done", "dropped" */
	int hook_status;           /* done: the exit status, or 128 + the signal that ended it */
	double hook_seconds;       /* done: how long the command ran */
};

/* run.rotation: what a rotating run did (NULL in struct run_report when it does not rotate). */
struct stats_rotation {
	const struct stats_file *files;  /* the files still on the disk and the last ones removed */
	unsigned nfiles;
	uint64_t files_created, rotations;
	uint64_t removed_by_count, removed_by_min_free, remove_errors;
	/* Removed files whose entries were dropped from files[] to keep it bounded. */
	uint64_t forgotten_files, forgotten_records, forgotten_record_bytes, forgotten_bytes;
	bool min_free_stop;              /* --min-free found nothing left to remove */
	uint64_t hook_runs, hook_failures, hook_dropped, hook_running, hook_queued, hook_unfinished;
	double hook_seconds_total, hook_seconds_max;
};

/* Everything the JSON document is made of. */
struct run_report {
	const char *version;
	struct timespec start_real, end_real; /* CLOCK_REALTIME */
	double duration_seconds;
	bool final;                /* false for the periodic snapshots */
	const char *stop_reason;   /* "count", "duration", "signal SIGINT", "error", ... */
	const char *error;         /* NULL or a message; the run failed */
	/* effective configuration: run.config, in this order */
	struct stats_config_value config[STATS_CONFIG_MAX];
	unsigned nconfig;
	const struct dbuf_config *buf;
	int mlock_result;
	int reader_cpu;
	bool oversubscribed;
	/* counters */
	unsigned nwriters;
	struct writer_stats *writers;       /* [nwriters] */
	struct dbuf_writer_stats *lib;      /* [nwriters], snapshot */
	struct reader_stats *reader;
	struct dbuf_reader_stats lib_reader;
	struct io_report io;               /* persist_report() */
	const char *output;
	const char *output_kind;            /* "file", "stdout" or "fifo" (NULL: "file") */
	const char *output_format;          /* "pcap" or "pcapng" (NULL: by the mode) */
	const char *mode;                   /* "synthetic" (also when NULL) or "replay" */
	const struct input_report *input;   /* replay mode, else NULL */
	/*
	 * block_sizes.counts: always in the final document (dbcap-verify
	 * checks it), in a periodic one only when sizes is set (--stats-sizes):
	 * it is up to 65536 pairs, most of a periodic document's size.
	 */
	bool sizes;
	/*
	 * In: the totals of the previous document, for throughput.interval;
	 * out: this document's.  NULL: the interval is the whole run.
	 */
	struct stats_interval *interval;
	/*
	 * After a write error the file could not be read back to count what it
	 * holds: the counts are what the kernel acknowledged, and the document
	 * is not consistent (reconciliation.file_verified false).
	 */
	bool file_unverified;
	const struct stats_rotation *rotation; /* a rotating run, else NULL */
	const struct live *live;            /* live mode (mode "live"), else NULL */
};

/*
 * Writes the document to path atomically: a temporary file in the same
 * directory, created with the given permission bits (dbcap: the capture's,
 * so that whoever may read the capture may read its statistics, and no one
 * else), fsync, rename (so monitoring never reads a partial file).
 * Returns 0 or -errno.
 */
int stats_write_json(const struct run_report *r, const char *path, unsigned mode);

/* The same document as a string (caller frees), for tests and stdout. */
char *stats_to_json(const struct run_report *r);

/*
 * One document, rendered once, written to each of the files that are not
 * NULL: the JSON document (json_path) and the same figures in Prometheus's
 * text format (prom_path, src/stats/prom.h), each replaced atomically with
 * permission bits mode.  Both come from one read of the counters, so their
 * values are equal.  Returns 0 or -errno; *failed names the path that
 * failed (NULL on success).
 */
int stats_write_files(const struct run_report *r, const char *json_path, const char *prom_path,
		      unsigned mode, const char **failed);

/* A one-line human summary to stderr, like tcpdump's "N packets captured". */
void stats_print_summary(const struct run_report *r);

#endif
