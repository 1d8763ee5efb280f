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
 * 5: live mode: run.interfaces, totals.kernel, writers[].live, the
 *    reconciliation's kernel terms.
 */
#define STATS_SCHEMA_VERSION 5

#define STATS_MAX_BLOCK 65535u /* block sizes are counted exactly up to this */

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
	_Atomic uint64_t size_count[STATS_MAX_BLOCK + 1]; /* reader: persisted blocks by payload size */
	struct hist persist_latency;                /* reader: ns from chunk taken to data written */
	_Atomic uint64_t flushes;                   /* reader: age flushes */
};

/* Replay mode: the input file, for run.input. */
struct input_report {
	const char *path;
	const char *format;        /* "pcap" or "pcapng" */
	uint32_t linktype;         /* the output header's link-type field (LINKTYPE_ value) */
	const char *linktype_name; /* libpcap's name ("EN10MB"), or NULL */
	uint32_t snaplen;          /* the input's snapshot length */
	bool nano;                 /* nanosecond time stamps (else microseconds) */
	const char *filter;        /* the filter expression, or NULL */
	uint64_t file_bytes;       /* size of the input */
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
#define STATS_CONFIG_MAX 48

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
	const char *mode;                   /* "synthetic" (also when NULL) or "replay" */
	const struct input_report *input;   /* replay mode, else NULL */
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

/* A one-line human summary to stderr, like tcpdump's "N packets captured". */
void stats_print_summary(const struct run_report *r);

#endif
