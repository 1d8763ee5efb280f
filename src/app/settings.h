/* SPDX-License-Identifier: MIT */
/*
 * settings.h - the one definition of each of dbcap's settings, shared by
 * the modules that read them: settings.c (the table, the validators, the
 * defaults, the statistics' snapshot), config.c (the JSON file), cmdline.c
 * (getopt_long and --help) and cpus.c (CPU placement).  Internal to the
 * program: nothing outside src/app includes it, but the tests do.
 *
 * Adding a setting is one X(...) line below, a field in struct dbcap_opts
 * and its paragraphs in docs/dbcap.1 (a test compares the page with this
 * table) and config/dbcap.json (a test compares the file with the defaults).
 */
#ifndef DBCAP_SETTINGS_H
#define DBCAP_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "options.h"
#include "../stats/stats.h"

/* The sizes a buffer may have; dbuf rounds it up to the page size. */
#define SETTINGS_MIN_BUFFER_SIZE 4096u
#define SETTINGS_MAX_BUFFER_SIZE (1u << 30)
#define SETTINGS_MAX_WORK 1000000u
#define SETTINGS_MAX_SECONDS 1e9
/* Messages are one line; this is generous. */
#define SETTINGS_MSG_MAX 512

/* What kind of value a setting takes: how it is parsed, stored and reported. */
enum kind {
	KIND_PATH,    /* a file name; null in JSON: none */
	KIND_BOOL,    /* a flag on the command line, true/false in JSON */
	KIND_INT,     /* an integer in [min, max] */
	KIND_SIZE,    /* bytes with an optional k/M/G suffix */
	KIND_SECONDS, /* a finite number of seconds in (0, 1e9] */
	KIND_FACTOR,  /* a finite number in (0, 1e9], not a time: a multiplier */
	KIND_ENUM,    /* one of choices */
	KIND_CPULIST, /* "0-3,5,7"; in JSON also an array of numbers */
	KIND_ALIAS,   /* an option that sets another setting (min) to dflt */
	KIND_ACTION,  /* --help, --version: no value, nothing stored */
	KIND_TEXT,    /* set by the program itself (the filter), not by a key */
};

enum setting_flags {
	F_ZERO_NONE = 1 << 0,   /* 0 is accepted too and means "none" */
	F_JSON_STRING = 1 << 1, /* a number that also takes a string in JSON */
	F_OPTIONAL_ARG = 1 << 2, /* --direct alone, or --direct=off */
	F_LIB_DEFAULT = 1 << 3, /* the default is the buffer library's (dbuf_config_init()) */
};

/* --help's sections, in order. */
enum help_group {
	G_OUTPUT,
	G_STOP,
	G_WRITERS,
	G_REPLAY,
	G_SYNTHETIC,
	G_PERSIST,
	G_STATS,
	G_CONFIG,
	G_LIVE,
	G_NONE, /* not in --help */
};

/*
 * An enum setting's values.  name() gives each value's one spelling (for
 * the layout and the on-full policy, the buffer library's own); aliases
 * are other spellings the option accepts as well.
 */
struct alias {
	const char *name;
	int value;
};

struct choices {
	const int *values;
	unsigned n;
	const char *(*name)(int value);
	const struct alias *aliases; /* NULL, or ended by a NULL name */
};

extern const struct choices options__layout_choices, options__on_full_choices,
	options__engine_choices, options__auto_off_on_choices, options__format_choices;

/*
 * SETTINGS(X): every setting, one X() each, in --help's order:
 *
 *   X(ID, field, KIND, group, json, opt, short, stats, dflt, flags, spec, arg, help)
 *
 * ID      the setting's name in code: S_ID
 * field   its member of struct dbcap_opts (none: KIND_ALIAS, KIND_ACTION)
 * KIND    enum kind without KIND_
 * group   the --help section
 * json    its key in the configuration file (NULL: not a key)
 * opt     its long option, without the dashes (NULL: not an option)
 * short   its short option (0: none)
 * stats   its key under the statistics' run.config (NULL: not reported)
 * dflt    the default, written as on the command line (NULL: none or the library's)
 * flags   enum setting_flags
 * spec    (.min = , .max = , .range = , .choices = ): what it accepts; an
 *         integer's range in words is made from min and max unless given
 * arg     what --help writes after the option (NULL: from the choices)
 * help    --help's words, lines split by \n; %D: the default, as the option takes it
 *
 * range is what is accepted, in words, for messages.
 */
#define SETTINGS(X)                                                                                \
	X(OUTPUT, output, PATH, G_OUTPUT, "output", "write", 'w', "output", NULL, 0,                 \
	  (.range = "a file name"), " FILE",                                                        \
	  "write the capture to FILE (required); -: to\n"                                           \
	  "standard output; a FIFO is written as a stream")                                         \
	X(FORMAT, format, ENUM, G_OUTPUT, "format", "format", 0, "format", "auto", 0,                \
	  (.choices = &options__format_choices), NULL,                                              \
	  "the file format (default %D: FILE's extension\n"                                         \
	  ".pcap or .pcapng, else pcapng for a synthetic\n"                                         \
	  "capture, pcap for a replay)")                                                            \
	X(FORCE, force, BOOL, G_OUTPUT, "force", "force", 0, "force", "false", 0,                    \
	  (.range = "true or false"), "", "replace FILE (and the --stats FILE) if it exists")       \
	X(QUIET, quiet, BOOL, G_OUTPUT, "quiet", "quiet", 'q', "quiet", "false", 0,                  \
	  (.range = "true or false"), "", "no summary line at exit")                                 \
	X(FILE_SIZE, file_size, SIZE, G_OUTPUT, "file_size", "file-size", 'C', "file_size_bytes", "0", \
	  F_ZERO_NONE | F_JSON_STRING,                                                              \
	  (.min = 0, .max = UINT64_MAX, .range = "a size like 100M, or 0 for none"), " SIZE",        \
	  "rotate: a new file before this one would pass SIZE\n"                                   \
	  "(suffixes k, M, G; 0: no limit)")                                                        \
	X(ROTATE_SECONDS, rotate_seconds, INT, G_OUTPUT, "rotate_seconds", "rotate-seconds", 'G',     \
	  "rotate_seconds", "0", F_ZERO_NONE, (.min = 1, .max = 31622400), " SECONDS",                \
	  "rotate: a new file at each multiple of SECONDS of\n"                                      \
	  "the wall clock; -w may hold strftime %-conversions")                                     \
	X(FILE_COUNT, file_count, INT, G_OUTPUT, "file_count", "file-count", 'W', "file_count", "0", \
	  F_ZERO_NONE, (.min = 1, .max = 100000000), " N",                                          \
	  "rotate: keep at most N files of this run, removing\n"                                    \
	  "the oldest (0: keep all)")                                                               \
	X(HOOK, hook, PATH, G_OUTPUT, "postrotate_command", "postrotate-command", 'z',                \
	  "postrotate_command", NULL, 0, (.range = "a program"), " PROGRAM",                      \
	  "rotate: run PROGRAM FILE for each completed FILE\n"                                     \
	  "(no shell; it never holds the capture up)")                                              \
	X(MIN_FREE, min_free, PATH, G_OUTPUT, "min_free", "min-free", 0, "min_free", NULL, 0,         \
	  (.range = "a size like 2G or a percentage like 5%"), " SIZE|PERCENT",                    \
	  "rotate: remove this run's oldest files to keep SIZE\n"                                  \
	  "(or PERCENT%) of the file system free")                                                  \
	X(DIGEST, digest, ENUM, G_OUTPUT, "digest", "digest", 0, "digest", "auto", F_OPTIONAL_ARG,   \
	  (.choices = &options__auto_off_on_choices), NULL,                                         \
	  "rotate: SHA-256 of each file, FILE.sha256 beside it\n"                                   \
	  "and a chain in the statistics (default auto: off)")                                      \
	X(COUNT, count, INT, G_STOP, "count", "count", 'c', "count", "0", F_ZERO_NONE,               \
	  (.min = 1, .max = UINT64_MAX), " N",   \
	  "stop after N blocks in total; replay: after N\n"                                         \
	  "packets passed the filter (0: no limit)")                                                \
	X(DURATION, duration, SECONDS, G_STOP, "duration", "duration", 0, "duration_seconds", "0",   \
	  F_ZERO_NONE, (.range = "seconds > 0 and <= 1e9, or 0 for none"), " SECONDS",              \
	  "stop after SECONDS, fractions allowed (0: no limit)")                                     \
	X(WRITERS, writers, INT, G_WRITERS, "writers", "writers", 0, "writers", NULL, F_LIB_DEFAULT, \
	  (.min = 1, .max = DBUF_MAX_WRITERS), " N",                             \
	  "writer threads, 1..256 (default %D)")                                                      \
	X(CPUS, cpus, CPULIST, G_WRITERS, "cpus", "cpus", 0, "cpus", "", 0,                          \
	  (.range = "a list like 0-3,5,7 of CPUs 0..1023"), " LIST",                                \
	  "writers' cores in order, like 0-3,5,7; reused\n"                                         \
	  "round-robin if fewer than writers (default:\n"                                           \
	  "automatic, see dbcap(1))")                                                               \
	X(READER_CPU, reader_cpu, INT, G_WRITERS, "reader_cpu", "reader-cpu", 0, "reader_cpu", "-1", \
	  0, (.min = -1, .max = DBCAP_MAX_CPUS - 1, .range = "0..1023, or -1 for automatic"), " N",  \
	  "the reader's core (default: automatic, %D)")                                              \
	X(LAYOUT, layout, ENUM, G_WRITERS, "layout", "layout", 0, "layout", NULL, F_LIB_DEFAULT,     \
	  (.choices = &options__layout_choices), NULL, "buffer layout (default %D)")         \
	X(BUFFERS, buffers, INT, G_WRITERS, "buffers", "buffers", 0, "buffers", NULL, F_LIB_DEFAULT, \
	  (.min = DBUF_MIN_BUFFERS, .max = DBUF_MAX_BUFFERS), " K",              \
	  "buffers per writer (per-writer) or in all, 2..64\n"                                      \
	  "(default %D)")                                                                            \
	X(BUFFER_SIZE, buffer_size, SIZE, G_WRITERS, "buffer_size", "buffer-size", 0,                \
	  "buffer_size_bytes", NULL, F_LIB_DEFAULT | F_JSON_STRING,                                  \
	  (.min = SETTINGS_MIN_BUFFER_SIZE, .max = SETTINGS_MAX_BUFFER_SIZE, .range = "4k..1G"),    \
	  " SIZE",                                                                                  \
	  "bytes per buffer, suffixes k, M, G, 4k..1G\n"                                            \
	  "(default %D; rounded up to the page size)")                                              \
	X(ON_FULL, on_full, ENUM, G_WRITERS, "on_full", "on-full", 0, "on_full", NULL, F_LIB_DEFAULT,\
	  (.choices = &options__on_full_choices), NULL,                                             \
	  "when every buffer is busy: drop the block (counted)\n"                                   \
	  "or wait for room (default %D)")                                                        \
	X(PCAP, pcap, PATH, G_REPLAY, "pcap", "pcap", 'r', "pcap", NULL, 0,                          \
	  (.range = "a file name"), " FILE",                                                        \
	  "replay FILE (pcap or pcapng) into a pcap file with\n"                                    \
	  "its link type, snapshot length and time stamp\n"                                         \
	  "precision (pcapng: nanoseconds); stops at its end")                                      \
	X(SNAPLEN, snaplen, INT, G_REPLAY, "snaplen", "snaplen", 's', "snaplen", "0", F_ZERO_NONE,   \
	  (.min = 1, .max = PCAPF_SNAPLEN_MAX, .range = "1..262144, or 0 to keep packets whole"), \
	  " N", "cut packets to N bytes, 1..262144 (0: keep whole)")                                 \
	X(SPEED, speed, FACTOR, G_REPLAY, "speed", "speed", 0, "speed", "0", F_ZERO_NONE,            \
	  (.range = "a multiplier > 0 and <= 1e9, or 0 for top speed"), " X",                       \
	  "pace the packets at X times the file's own timing\n"                                     \
	  "(default %D: top speed)")                                                                 \
	X(INTERFACE, interface, PATH, G_LIVE, "interface", "interface", 'i', "interface", NULL, 0,   \
	  (.range = "an interface name"), " IFACE",                                                 \
	  "capture from the network interface IFACE; repeat\n"                                      \
	  "for several (a pcapng file, one interface each)")                                         \
	X(LIST_INTERFACES, none, ACTION, G_LIVE, NULL, "list-interfaces", 'D', NULL, NULL, 0,       \
	  (.range = ""), "", "list the interfaces dbcap can capture from")                         \
	X(NO_PROMISC, no_promisc, BOOL, G_LIVE, "no_promiscuous_mode", "no-promiscuous-mode", 'p',   \
	  "no_promiscuous_mode", "false", 0, (.range = "true or false"), "",                          \
	  "do not put the interfaces into promiscuous mode")                                         \
	X(RELINQUISH, user, PATH, G_LIVE, "relinquish_privileges", "relinquish-privileges", 'Z',     \
	  "relinquish_privileges", NULL, 0, (.range = "a user name"), " USER",                     \
	  "once the sockets and files are open, become USER\n"                                      \
	  "(and its group) with no capability left")                                                 \
	X(RING_BLOCK_SIZE, ring_block_size, SIZE, G_LIVE, "ring_block_size", "ring-block-size", 0,   \
	  "ring_block_size_bytes", "1M", F_JSON_STRING,                                               \
	  (.min = 4096, .max = 1u << 30, .range = "a power of two, 4k..1G"), " SIZE",               \
	  "bytes per kernel ring block (default %D)")                                                \
	X(RING_BLOCKS, ring_blocks, INT, G_LIVE, "ring_blocks", "ring-blocks", 0, "ring_blocks",     \
	  "64", 0, (.min = 2, .max = 65536), " N",                                                  \
	  "blocks per ring, one ring per writer and interface\n"                                    \
	  "(default %D)")                                                                            \
	X(RING_RETIRE, ring_retire, SECONDS, G_LIVE, "ring_retire", "ring-retire", 0,                \
	  "ring_retire_seconds", "0.01", 0, (.range = "seconds > 0 and <= 1e9"), " SECONDS",        \
	  "a block not yet full goes to the writer after at\n"                                      \
	  "most SECONDS (default %D)")                                                               \
	X(BLOCK_MIN, block_min, INT, G_SYNTHETIC, "block_min", "block-min", 0, "block_min_bytes",    \
	  "10", 0, (.min = DBCAP_BLOCK_MIN, .max = DBCAP_BLOCK_MAX), " N",    \
	  "smallest block in bytes, 10..65535 (default %D)")                                         \
	X(BLOCK_MAX, block_max, INT, G_SYNTHETIC, "block_max", "block-max", 0, "block_max_bytes",    \
	  "10000", 0, (.min = DBCAP_BLOCK_MIN, .max = DBCAP_BLOCK_MAX), " N", \
	  "largest block in bytes, 10..65535 (default %D)")                                       \
	X(SEED, seed, INT, G_SYNTHETIC, "seed", "seed", 0, "seed", "1", F_JSON_STRING,               \
	  (.min = 0, .max = UINT64_MAX), " N",                  \
	  "seed of the block sizes and contents (default %D)")                                        \
	X(WRITER_WORK, writer_work, INT, G_SYNTHETIC, "writer_work", "writer-work", 0, "writer_work",\
	  "0", 0, (.min = 0, .max = SETTINGS_MAX_WORK), " N",                \
	  "work units between two blocks, 0..1000000 (default %D)")                                   \
	X(READER_WORK, reader_work, INT, G_SYNTHETIC, "reader_work", "reader-work", 0, "reader_work",\
	  "0", 0, (.min = 0, .max = SETTINGS_MAX_WORK), " N",                \
	  "work units per chunk read, 0..1000000 (default %D)")                                       \
	X(IO_ENGINE, io_engine, ENUM, G_PERSIST, "io_engine", "io-engine", 0, "io_engine", "io_uring",  \
	  0, (.choices = &options__engine_choices), NULL,                                           \
	  "how to write (default %D; pwrite when io_uring\n"                                     \
	  "is not available)")                                                                      \
	X(DIRECT, direct, ENUM, G_PERSIST, "direct", "direct", 0, "direct", "auto", F_OPTIONAL_ARG,  \
	  (.choices = &options__auto_off_on_choices), NULL,                                         \
	  "O_DIRECT: on (alone), off, or auto (default: where\n"                                    \
	  "the file system allows it, if the run syncs)")                                           \
	X(BUFFERED, none, ALIAS, G_PERSIST, NULL, "buffered", 0, NULL, "off", 0, (.min = S_DIRECT),  \
	  "", "the same as --direct=off")                                                            \
	X(SYNC, sync, ENUM, G_PERSIST, "sync", "sync", 0, "sync", "auto", F_OPTIONAL_ARG,            \
	  (.choices = &options__auto_off_on_choices), NULL,                                         \
	  "end with fdatasync, the data on the disk: on\n"                                          \
	  "(alone), off, or auto (default: on for synthetic\n"                                      \
	  "capture, off for replay, like tcpdump -r -w)")                                           \
	X(NO_SYNC, none, ALIAS, G_PERSIST, NULL, "no-sync", 0, NULL, "off", 0, (.min = S_SYNC), "",  \
	  "the same as --sync=off")                                                                  \
	X(IO_DEPTH, io_depth, INT, G_PERSIST, "io_depth", "io-depth", 0, "io_depth", "4", 0,         \
	  (.min = 2, .max = 1024), " N", "writes in flight, 2..1024 (default %D)") \
	X(FLUSH_AGE, flush_age, SECONDS, G_PERSIST, "flush_age", "flush-age", 0, "flush_age_seconds", \
	  "0.2", 0, (.range = "seconds > 0 and <= 1e9"), " SECONDS",                                \
	  "the oldest data waits at most SECONDS before it is\n"                                    \
	  "written (default %D)")                                                                  \
	X(STATS, stats_path, PATH, G_STATS, "stats", "stats", 0, "stats_file", NULL, 0,              \
	  (.range = "a file name"), " FILE",                                                        \
	  "write statistics as JSON to FILE at exit (-: to\n"                                       \
	  "standard output; an existing FILE needs --force)")                                       \
	X(STATS_INTERVAL, stats_interval, SECONDS, G_STATS, "stats_interval", "stats-interval", 0,   \
	  "stats_interval_seconds", "0", F_ZERO_NONE,                                               \
	  (.range = "seconds > 0 and <= 1e9, or 0 for none"), " SECONDS",                           \
	  "also replace FILE every SECONDS (0: only at exit)")                                       \
	X(STATS_SIZES, stats_sizes, BOOL, G_STATS, "stats_sizes", "stats-sizes", 0, "stats_sizes",   \
	  "false", 0, (.range = "true or false"), "",                                                \
	  "every size's count (block_sizes.counts) in the\n"                                         \
	  "periodic documents too, not only in the final one")                                      \
	X(PROM, prom_path, PATH, G_STATS, "prom", "prom", 0, "prom_file", NULL, 0,                   \
	  (.range = "a file name"), " FILE",                                                        \
	  "write the statistics as Prometheus metrics to FILE\n"                                    \
	  "(for node_exporter's textfile collector), replaced\n"                                    \
	  "at exit and every --stats-interval")                                                    \
	X(CONFIG, config_path, PATH, G_CONFIG, NULL, "config", 0, "config_file", NULL, 0,            \
	  (.range = "a file name"), " FILE",                                                        \
	  "read settings from the JSON FILE first; the command\n"                                   \
	  "line overrides them (keys: see dbcap(1))")                                               \
	X(HELP, none, ACTION, G_CONFIG, NULL, "help", 'h', NULL, NULL, 0, (.range = ""), "",         \
	  "show this text")                                                                          \
	X(VERSION, none, ACTION, G_CONFIG, NULL, "version", 0, NULL, NULL, 0, (.range = ""), "",     \
	  "show the version")                                                                        \
	X(FILTER, filter, TEXT, G_NONE, "filter", NULL, 0, "filter", NULL, 0,                        \
	  (.range = "a filter expression"), "", "")

#define SETTINGS_ENUM(ID, ...) S_##ID,
enum setting_id { SETTINGS(SETTINGS_ENUM) NSETTINGS };
#undef SETTINGS_ENUM

struct setting {
	enum kind kind;
	enum help_group group;
	const char *json;  /* key in the configuration file; NULL: none */
	const char *opt;   /* long option without the dashes; NULL: none */
	int shortopt;      /* 0: none */
	const char *stats; /* key under run.config; NULL: not reported */
	const char *dflt;  /* the default as text; NULL: none (or F_LIB_DEFAULT) */
	unsigned flags;    /* enum setting_flags */
	const char *arg;   /* --help's text after the option; NULL: from choices */
	const char *help;  /* --help's description */
	int64_t min;       /* KIND_INT, KIND_SIZE; KIND_ALIAS: the setting it sets */
	uint64_t max;      /* KIND_INT, KIND_SIZE */
	const char *range; /* what is accepted, in words; NULL: from choices or min..max */
	const struct choices *choices; /* KIND_ENUM */
};

extern const struct setting options__settings[NSETTINGS];

/* A validated value, ready to be stored. */
struct value {
	bool neg;          /* KIND_INT: a negative number of magnitude u */
	uint64_t u;        /* KIND_INT, KIND_SIZE */
	double d;          /* KIND_SECONDS, KIND_FACTOR */
	bool b;            /* KIND_BOOL */
	int e;             /* KIND_ENUM: the value (not an index) */
	const char *s;     /* KIND_PATH: NULL for none; borrowed */
	unsigned ncpus;    /* KIND_CPULIST */
	int cpus[DBCAP_MAX_CPUS];
};

/* Where a setting came from, to name it in the messages of the cross-checks. */
enum origin { FROM_DEFAULT, FROM_CONFIG, FROM_CLI };

struct options__ctx {
	struct dbcap_opts *o;
	const char *config; /* the configuration file, for messages */
	enum origin origin[NSETTINGS];
};

/* "dbcap: " + the message + newline, to stderr. */
void options__complain(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* snprintf() into a message buffer. */
void options__say(char *err, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

enum num_result { NUM_OK, NUM_NOT_A_NUMBER, NUM_TOO_LARGE };
/*
 * An optional minus sign and decimal digits, nothing else; *end is where
 * the digits stop.
 */
enum num_result options__scan_integer(const char *s, bool *neg, uint64_t *mag, const char **end);

/* What setting k accepts, in words ("1..256", "per-writer, shared, mutex"). */
const char *options__range(const struct setting *k, char *buf, size_t n);
/* The --help text after an option: " N", "[=auto|on|off]". */
const char *options__arg(const struct setting *k, char *buf, size_t n);

/*
 * Validates the text of setting k (from argv, a JSON value made text, or
 * the table's default) into *v.  0, or -1 with the reason in err.
 */
int options__check_text(const struct setting *k, const char *text, struct value *v, char *err,
			size_t n);
/* Stores a validated value into its field.  0, or -1 (out of memory, said). */
int options__store(struct dbcap_opts *o, enum setting_id id, const struct value *v);

/* The setting whose configuration key is name, or -1. */
int options__find_json(const char *name);

/* Loads the configuration file into c->o, recording where each value came from. */
int options__load_config(struct options__ctx *c, const char *path);

/* Reads a whole small file, NUL-terminated.  0 or -errno (-EFBIG: too large). */
int options__read_file(const char *path, size_t limit, char **out, size_t *len);

/* Copies src (NULL: none) into *dst, freeing the old value.  0 or -1 (said). */
int options__set_string(char **dst, const char *src);

/*
 * The kernel's CPU list syntax ("0-3,5,7"), one parser for --cpus and for
 * /sys.  Writes the CPUs in the order given, duplicates kept, into
 * out[0..max) and their number into *count; an empty list is empty.
 * strict (--cpus): a CPU beyond DBCAP_MAX_CPUS - 1 is an error, and nothing
 * may follow the list.  Not strict (the kernel's files): such CPUs are left
 * out, and blanks and a newline around the list are allowed.
 * 0, or -1 with the reason in err.
 */
int options__parse_cpulist(const char *text, bool strict, int *out, unsigned max,
			   unsigned *count, char *err, size_t n);

#endif
