/* SPDX-License-Identifier: MIT */
/*
 * dbcap's effective configuration: the defaults, then config/dbcap.json (or
 * --config FILE), then the command line, in that order of precedence.
 *
 * Each setting is defined once, in SETTINGS() (settings.h): its option, its
 * key, its kind and range, its default, its --help text and its name in the
 * statistics.  The fields below are where the values land.  The functions
 * live in settings.c (defaults, snapshot), config.c (the file), cmdline.c
 * (options_parse()) and cpus.c (options_assign_cpus()).
 */
#ifndef DBCAP_OPTIONS_H
#define DBCAP_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dbuf.h"
#include "../format/record.h" /* DBCAP_RECORD_SIZE, PCAPF_SNAPLEN_MAX */
#include "../persist/persist.h" /* enum io_engine, enum io_toggle */

struct stats_config_value; /* src/stats/stats.h */

#define DBCAP_MAX_CPUS 1024
/* A synthetic block starts with its writer (u16) and sequence (u64). */
#define DBCAP_BLOCK_MIN 10u
#define DBCAP_BLOCK_MAX 65535u

/*
 * --format: the capture file's format.  auto: the output name's extension
 * (.pcap; .pcapng, .ntar), else the mode's own (synthetic pcapng, replay
 * pcap); see options_format().
 */
enum out_format { FORMAT_AUTO = -1, FORMAT_PCAP = 0, FORMAT_PCAPNG = 1 };

struct dbcap_opts {
	/* Output */
	char *output;             /* -w FILE (required unless --help/--version); "-": standard output */
	enum out_format format;   /* --format auto|pcap|pcapng */
	bool force;               /* --force: replace an existing output */
	/*
	 * Rotation (any of -C, -G: the run writes a numbered series of files,
	 * src/app/rotate.h).  -W, -z and --min-free need one of them.
	 */
	uint64_t file_size;       /* -C SIZE: rotate before a file passes SIZE; 0: none */
	unsigned rotate_seconds;  /* -G SECONDS: rotate at wall-clock multiples; 0: none */
	unsigned file_count;      /* -W N: keep at most N files; 0: all */
	char *hook;               /* -z PROGRAM: run on each completed file; NULL: none */
	char *min_free;           /* --min-free SIZE|PERCENT% as given; NULL: none */
	uint64_t min_free_bytes;  /* --min-free SIZE, parsed by the cross-check */
	double min_free_percent;  /* --min-free PERCENT%, parsed by the cross-check; 0: none */
	enum io_toggle digest;    /* --digest: SHA-256 per file (auto: off) */
	/* Writers and buffer */
	unsigned writers;         /* --writers N (1..256) */
	int cpus[DBCAP_MAX_CPUS]; /* --cpus LIST: writers' cores; ncpus == 0: automatic */
	unsigned ncpus;
	int reader_cpu;           /* --reader-cpu N; -1: automatic */
	enum dbuf_layout layout;  /* --layout per-writer|shared|mutex */
	unsigned buffers;         /* --buffers K (2..64) */
	size_t buffer_size;       /* --buffer-size BYTES (suffixes k, M, G) */
	enum dbuf_on_full on_full; /* --on-full drop|wait */
	/* Stop conditions (whichever first; none: until SIGINT/SIGTERM) */
	double duration;          /* --duration SECONDS; 0: none */
	uint64_t count;           /* -c/--count BLOCKS in total (replay: packets that pass the filter); 0: none */
	/* Replay source (--pcap): the writers replay a capture file instead */
	char *pcap;               /* -r/--pcap FILE; NULL: synthetic mode */
	uint32_t snaplen;         /* -s/--snaplen N: cut packets to N bytes; 0: keep them whole */
	double speed;             /* --speed X: X times the file's own timing; 0: top speed */
	char *filter;             /* a BPF filter: the arguments after the options, joined */
	/* Live source (-i): the writers take packets from network interfaces */
	char *interface;          /* -i/--interface IFACE, several joined by commas; NULL: none */
	bool no_promisc;          /* -p: no promiscuous mode */
	char *user;               /* -Z USER: become USER once the sockets and files are open */
	size_t ring_block_size;   /* --ring-block-size: bytes per kernel ring block */
	unsigned ring_blocks;     /* --ring-blocks: blocks per ring */
	double ring_retire;       /* --ring-retire: a block's longest wait, seconds */
	bool list_interfaces;     /* -D: list the interfaces and exit */
	/* Synthetic source */
	uint32_t block_min, block_max; /* --block-min/--block-max (10..65535; default 10, 10000) */
	uint64_t seed;            /* --seed N */
	unsigned writer_work;     /* --writer-work N: auxiliary work units between writes */
	unsigned reader_work;     /* --reader-work N: auxiliary work units per chunk */
	/* Persistence */
	enum io_engine io_engine; /* --io-engine uring|pwrite (io_uring: the same as uring) */
	enum io_toggle direct;    /* --direct / --buffered; default auto */
	/*
	 * --sync / --no-sync, default auto: whether the run ends with fdatasync
	 * (data and size on the disk before exit).  auto: yes for a synthetic
	 * capture, no for a replay (like tcpdump -r -w); see options_sync().
	 */
	enum io_toggle sync;
	unsigned io_depth;        /* --io-depth N: writes in flight (>= 2) */
	double flush_age;         /* --flush-age SECONDS: max age of unwritten data */
	/* Statistics */
	char *stats_path;         /* --stats FILE */
	double stats_interval;    /* --stats-interval SECONDS; 0: only at exit */
	bool stats_sizes;         /* --stats-sizes: block_sizes.counts in periodic documents too */
	char *prom_path;          /* --prom FILE: the statistics as Prometheus metrics */
	char *config_path;        /* --config FILE (NULL: none) */
	bool quiet;               /* -q: no summary line */
	bool oversubscribed;      /* set by options_assign_cpus() */
};

/*
 * Fills *o with the built-in defaults: the settings table's (src/app/settings.h),
 * the buffer library's for the buffer (dbuf_config_init()).  config/dbcap.json
 * holds the same values (a test compares them).
 */
void options_defaults(struct dbcap_opts *o);

/*
 * Parses argv (after loading --config FILE if given), validates every value.
 * Returns 0 to run, 1 when --help or --version was printed (exit 0), or
 * -1 after printing a message naming the bad option or key to stderr (exit 2).
 * Starts from options_defaults(); call options_free() afterwards in every case.
 * Not reentrant (getopt_long's state).
 */
int options_parse(struct dbcap_opts *o, int argc, char **argv);

/* Loads a JSON config file into *o (keys as in config/dbcap.json). 0 or -1 with a message. */
int options_load_config(struct dbcap_opts *o, const char *path);

/*
 * Chooses the cores when --cpus was not given: the kernel's isolated cores
 * (/sys/devices/system/cpu/isolated) if any, else spread over the online
 * cores; the reader on a core of its own where one is left (reader_cpu -1:
 * unpinned).  Validates given cores (online?).  Sets o->oversubscribed and
 * prints one warning when writers (and reader) share cores.  0 or -1 with a
 * message.
 */
int options_assign_cpus(struct dbcap_opts *o);

/*
 * options_assign_cpus() with the lists given as text in the kernel's list
 * syntax instead of read from sysfs and sched_getaffinity(): online and
 * isolated as in /sys/devices/system/cpu/, allowed the process's affinity
 * (NULL: no restriction).  For tests.
 */
int options__assign_cpus_from(struct dbcap_opts *o, const char *online, const char *isolated,
			      const char *allowed);

/*
 * The settings that "auto" leaves to the mode, decided: whether the run ends
 * with fdatasync (synthetic: yes; replay: no, like tcpdump -r -w), and
 * whether it writes with O_DIRECT (auto: only a run that syncs asks for it;
 * one that does not writes through the page cache, as tcpdump and cp do).
 */
bool options_sync(const struct dbcap_opts *o);
enum io_toggle options_direct(const struct dbcap_opts *o);

/*
 * The format the capture is written in: --format when given, else what the
 * output name's extension says (.pcap: pcap; .pcapng, .ntar: pcapng), else
 * the mode's own (synthetic: pcapng, replay: pcap, as tcpdump -w writes).
 * *ext_conflict (if not NULL) is set when --format contradicts the
 * extension, for a warning.
 */
enum out_format options_format(const struct dbcap_opts *o, bool *ext_conflict);
/* "pcap" or "pcapng" ("auto" for FORMAT_AUTO). */
const char *options_format_name(enum out_format f);

/*
 * run.config for the statistics: each setting that has a statistics key, in
 * the settings table's order, as plain values that point into *o (keep it
 * alive while they are used).  buf: the buffer as the library made it, for
 * the buffer size it rounded up (NULL: the size asked for).  Returns the
 * number of values written to out (at most max).
 */
unsigned options_snapshot(const struct dbcap_opts *o, const struct dbuf_config *buf,
			  struct stats_config_value *out, unsigned max);

/* Whether the run rotates its output (-C or -G). */
bool options_rotating(const struct dbcap_opts *o);

void options_free(struct dbcap_opts *o);

#endif
