/* SPDX-License-Identifier: MIT */
/*
 * options.c - dbcap's command line, its JSON configuration file and the
 * choice of CPU cores.
 *
 * Every setting is described once, in keys[] below: its JSON key, its long
 * option, what kind of value it takes and the range it accepts.  The command
 * line and the configuration file both turn their value into text and hand it
 * to the same validator, so that a value is accepted or refused with the same
 * words wherever it came from; only the prefix differs ("--buffers: " or
 * "FILE: key \"buffers\": ").
 */
#define _GNU_SOURCE
#include "options.h"

#include <cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef DBCAP_VERSION
#define DBCAP_VERSION "0.1.0"
#endif

#define DEFAULT_BLOCK_MIN DBCAP_BLOCK_MIN
#define DEFAULT_BLOCK_MAX 10000u
#define DEFAULT_SEED 1u
#define DEFAULT_IO_DEPTH 4u
#define DEFAULT_FLUSH_AGE 0.2
#define MAX_WORK 1000000u
#define MIN_BUFFER_SIZE 4096u
#define MAX_BUFFER_SIZE (1u << 30)
#define MAX_SECONDS 1e9
/* libpcap's largest snapshot length for most link types (MAXIMUM_SNAPLEN). */
#define MAX_SNAPLEN PCAPF_SNAPLEN_MAX
/* A configuration file is a page or two; refuse to slurp anything huge. */
#define MAX_CONFIG_BYTES (1u << 20)
#define MSG_MAX 512

#define SYSFS_ONLINE "/sys/devices/system/cpu/online"
#define SYSFS_ISOLATED "/sys/devices/system/cpu/isolated"

/* ------------------------------------------------------------ the key table */

enum key_id {
	K_OUTPUT,
	K_FORCE,
	K_WRITERS,
	K_CPUS,
	K_READER_CPU,
	K_LAYOUT,
	K_BUFFERS,
	K_BUFFER_SIZE,
	K_ON_FULL,
	K_DURATION,
	K_COUNT,
	K_BLOCK_MIN,
	K_BLOCK_MAX,
	K_SEED,
	K_WRITER_WORK,
	K_READER_WORK,
	K_IO_ENGINE,
	K_DIRECT,
	K_SYNC,
	K_IO_DEPTH,
	K_FLUSH_AGE,
	K_STATS,
	K_STATS_INTERVAL,
	K_QUIET,
	K_PCAP,
	K_SNAPLEN,
	K_SPEED,
	NKEYS
};

enum kind {
	KIND_PATH,    /* a file name; null in JSON: none */
	KIND_BOOL,    /* a flag on the command line, true/false in JSON */
	KIND_INT,     /* an integer in [min, max] */
	KIND_SIZE,    /* bytes with an optional k/M/G suffix */
	KIND_SECONDS, /* a finite number of seconds in (0, max] */
	KIND_FACTOR,  /* a finite number in (0, max], not a time: a multiplier */
	KIND_ENUM,    /* one of names[] */
	KIND_CPULIST, /* "0-3,5,7"; in JSON also an array of numbers */
};

static const char *const layout_names[] = {"per-writer", "shared", "mutex", NULL};
static const char *const on_full_names[] = {"drop", "wait", NULL};
static const char *const engine_names[] = {"uring", "pwrite", NULL};
static const char *const direct_names[] = {"auto", "on", "off", NULL};
static const char *const sync_names[] = {"auto", "on", "off", NULL};

struct key {
	const char *json;   /* key in the configuration file */
	const char *opt;    /* long option, without the dashes */
	int shortopt;       /* 0: none */
	enum kind kind;
	int64_t min;        /* KIND_INT, KIND_SIZE */
	uint64_t max;       /* KIND_INT, KIND_SIZE */
	bool zero_is_none;  /* 0 is accepted too and means "none" */
	bool json_string;   /* a number key that also takes a string in JSON */
	const char *const *names; /* KIND_ENUM */
	const char *range;  /* what is accepted, in words, for messages */
};

/*
 * Zero means "none" for the stop conditions and the statistics interval, on
 * the command line too: that is how a command line switches off a limit that
 * a configuration file set.
 */
static const struct key keys[NKEYS] = {
	[K_OUTPUT] = {.json = "output", .opt = "write", .shortopt = 'w', .kind = KIND_PATH,
		      .range = "a file name"},
	[K_FORCE] = {.json = "force", .opt = "force", .kind = KIND_BOOL, .range = "true or false"},
	[K_WRITERS] = {.json = "writers", .opt = "writers", .kind = KIND_INT,
		       .min = 1, .max = DBUF_MAX_WRITERS, .range = "1..256"},
	[K_CPUS] = {.json = "cpus", .opt = "cpus", .kind = KIND_CPULIST,
		    .range = "a list like 0-3,5,7 of CPUs 0..1023"},
	[K_READER_CPU] = {.json = "reader_cpu", .opt = "reader-cpu", .kind = KIND_INT,
			  .min = -1, .max = DBCAP_MAX_CPUS - 1,
			  .range = "0..1023, or -1 for automatic"},
	[K_LAYOUT] = {.json = "layout", .opt = "layout", .kind = KIND_ENUM, .names = layout_names,
		      .range = "per-writer, shared, mutex"},
	[K_BUFFERS] = {.json = "buffers", .opt = "buffers", .kind = KIND_INT,
		       .min = DBUF_MIN_BUFFERS, .max = DBUF_MAX_BUFFERS, .range = "2..64"},
	[K_BUFFER_SIZE] = {.json = "buffer_size", .opt = "buffer-size", .kind = KIND_SIZE,
			   .min = MIN_BUFFER_SIZE, .max = MAX_BUFFER_SIZE, .json_string = true,
			   .range = "4k..1G"},
	[K_ON_FULL] = {.json = "on_full", .opt = "on-full", .kind = KIND_ENUM,
		       .names = on_full_names, .range = "drop, wait"},
	[K_DURATION] = {.json = "duration", .opt = "duration", .kind = KIND_SECONDS,
			.zero_is_none = true, .range = "seconds > 0 and <= 1e9, or 0 for none"},
	[K_COUNT] = {.json = "count", .opt = "count", .shortopt = 'c', .kind = KIND_INT,
		     .min = 1, .max = UINT64_MAX, .zero_is_none = true,
		     .range = "1..18446744073709551615, or 0 for none"},
	[K_BLOCK_MIN] = {.json = "block_min", .opt = "block-min", .kind = KIND_INT,
			 .min = DBCAP_BLOCK_MIN, .max = DBCAP_BLOCK_MAX, .range = "10..65535"},
	[K_BLOCK_MAX] = {.json = "block_max", .opt = "block-max", .kind = KIND_INT,
			 .min = DBCAP_BLOCK_MIN, .max = DBCAP_BLOCK_MAX, .range = "10..65535"},
	[K_SEED] = {.json = "seed", .opt = "seed", .kind = KIND_INT, .min = 0, .max = UINT64_MAX,
		    .json_string = true, .range = "0..18446744073709551615"},
	[K_WRITER_WORK] = {.json = "writer_work", .opt = "writer-work", .kind = KIND_INT,
			   .min = 0, .max = MAX_WORK, .range = "0..1000000"},
	[K_READER_WORK] = {.json = "reader_work", .opt = "reader-work", .kind = KIND_INT,
			   .min = 0, .max = MAX_WORK, .range = "0..1000000"},
	[K_IO_ENGINE] = {.json = "io_engine", .opt = "io-engine", .kind = KIND_ENUM,
			 .names = engine_names, .range = "uring, pwrite"},
	[K_DIRECT] = {.json = "direct", .opt = "direct", .kind = KIND_ENUM, .names = direct_names,
		      .range = "auto, on, off"},
	[K_SYNC] = {.json = "sync", .opt = "sync", .kind = KIND_ENUM, .names = sync_names,
		    .range = "auto, on, off"},
	[K_IO_DEPTH] = {.json = "io_depth", .opt = "io-depth", .kind = KIND_INT,
			.min = 2, .max = 1024, .range = "2..1024"},
	[K_FLUSH_AGE] = {.json = "flush_age", .opt = "flush-age", .kind = KIND_SECONDS,
			 .range = "seconds > 0 and <= 1e9"},
	[K_STATS] = {.json = "stats", .opt = "stats", .kind = KIND_PATH, .range = "a file name"},
	[K_STATS_INTERVAL] = {.json = "stats_interval", .opt = "stats-interval",
			      .kind = KIND_SECONDS, .zero_is_none = true,
			      .range = "seconds > 0 and <= 1e9, or 0 for none"},
	[K_QUIET] = {.json = "quiet", .opt = "quiet", .shortopt = 'q', .kind = KIND_BOOL,
		     .range = "true or false"},
	[K_PCAP] = {.json = "pcap", .opt = "pcap", .shortopt = 'r', .kind = KIND_PATH,
		    .range = "a file name"},
	[K_SNAPLEN] = {.json = "snaplen", .opt = "snaplen", .shortopt = 's', .kind = KIND_INT,
		       .min = 1, .max = MAX_SNAPLEN, .zero_is_none = true,
		       .range = "1..262144, or 0 to keep packets whole"},
	[K_SPEED] = {.json = "speed", .opt = "speed", .kind = KIND_FACTOR, .zero_is_none = true,
		     .range = "a multiplier > 0 and <= 1e9, or 0 for top speed"},
};

/* getopt_long values of the options that are not keys (keys use OPT_KEY + id). */
enum {
	OPT_KEY = 0x100,
	OPT_CONFIG = 0x200,
	OPT_VERSION,
	OPT_BUFFERED,
	OPT_NO_SYNC,
};

/* Where a setting came from, to name it in the messages of the cross-checks. */
enum origin { FROM_DEFAULT, FROM_CONFIG, FROM_CLI };

struct ctx {
	struct dbcap_opts *o;
	const char *config;        /* the configuration file, for messages */
	enum origin origin[NKEYS];
};

/* A validated value, ready to be stored. */
struct value {
	bool neg;          /* KIND_INT: a negative number of magnitude u */
	uint64_t u;        /* KIND_INT, KIND_SIZE */
	double d;          /* KIND_SECONDS */
	bool b;            /* KIND_BOOL */
	int e;             /* KIND_ENUM: index into names[] */
	const char *s;     /* KIND_PATH: NULL for none; borrowed */
	unsigned ncpus;    /* KIND_CPULIST */
	int cpus[DBCAP_MAX_CPUS];
};

static void complain(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void complain(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("dbcap: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static void say(char *err, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *err, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, n, fmt, ap);
	va_end(ap);
}

/* ----------------------------------------------------------- the validators */

enum num_result { NUM_OK, NUM_NOT_A_NUMBER, NUM_TOO_LARGE };

/*
 * An optional minus sign and decimal digits, nothing else: strtoull() would
 * also take blanks, a plus sign and turn "-1" into a huge number.  *end is
 * where the digits stop (for a suffix).
 */
static enum num_result scan_integer(const char *s, bool *neg, uint64_t *mag, const char **end)
{
	bool too_large = false;
	uint64_t v = 0;

	*neg = *s == '-';
	if (*neg)
		s++;
	if (*s < '0' || *s > '9')
		return NUM_NOT_A_NUMBER;
	for (; *s >= '0' && *s <= '9'; s++) {
		unsigned digit = (unsigned)(*s - '0');
		if (v > (UINT64_MAX - digit) / 10)
			too_large = true;
		else
			v = v * 10 + digit;
	}
	*mag = v;
	*end = s;
	return too_large ? NUM_TOO_LARGE : NUM_OK;
}

static bool int_in_range(const struct key *k, bool neg, uint64_t mag)
{
	if (mag == 0 && k->zero_is_none)
		return true;
	if (neg && mag != 0)
		return k->min < 0 && mag <= (uint64_t)(-(k->min + 1)) + 1;
	return (k->min <= 0 || mag >= (uint64_t)k->min) && mag <= k->max;
}

static int check_int(const struct key *k, const char *text, struct value *v, char *err, size_t n)
{
	const char *end;
	enum num_result r = scan_integer(text, &v->neg, &v->u, &end);

	if (r == NUM_NOT_A_NUMBER || *end != '\0') {
		say(err, n, "\"%s\" is not an integer (%s)", text, k->range);
		return -1;
	}
	if (r == NUM_TOO_LARGE || !int_in_range(k, v->neg, v->u)) {
		say(err, n, "%s is out of range (%s)", text, k->range);
		return -1;
	}
	return 0;
}

static int check_size(const struct key *k, const char *text, struct value *v, char *err,
		      size_t n)
{
	const char *end;
	unsigned shift = 0;
	bool neg;
	uint64_t mag;
	enum num_result r = scan_integer(text, &neg, &mag, &end);

	if (r != NUM_NOT_A_NUMBER) {
		switch (*end) {
		case 'k': case 'K': shift = 10; end++; break;
		case 'm': case 'M': shift = 20; end++; break;
		case 'g': case 'G': shift = 30; end++; break;
		default: break;
		}
		/* "4MiB" reads unambiguously as well; "4MB" might mean 4,000,000. */
		if (shift && strcmp(end, "iB") == 0)
			end += 2;
	}
	if (r == NUM_NOT_A_NUMBER || *end != '\0') {
		say(err, n, "\"%s\" is not a size: expected bytes with an optional suffix k, M or G (%s)",
		    text, k->range);
		return -1;
	}
	if (r == NUM_TOO_LARGE || (neg && mag != 0) || mag > (UINT64_MAX >> shift) ||
	    (mag << shift) < (uint64_t)k->min || (mag << shift) > k->max) {
		say(err, n, "%s is out of range (%s)", text, k->range);
		return -1;
	}
	v->neg = false;
	v->u = mag << shift;
	return 0;
}

static int check_seconds(const struct key *k, const char *text, struct value *v, char *err,
			 size_t n)
{
	char *end;
	double d;

	/* strtod() skips blanks and takes "inf" and "nan": none is a time. */
	if (!((*text >= '0' && *text <= '9') || *text == '.' || *text == '-' || *text == '+'))
		goto not_a_number;
	errno = 0;
	d = strtod(text, &end);
	if (end == text || *end != '\0' || !isfinite(d))
		goto not_a_number;
	if (!(d > 0 && d <= MAX_SECONDS) && !(d == 0 && k->zero_is_none)) {
		say(err, n, "%s is out of range (%s)", text, k->range);
		return -1;
	}
	v->d = d == 0 ? 0 : d; /* no -0 */
	return 0;

not_a_number:
	say(err, n, "\"%s\" is not a number%s (%s)", text,
	    k->kind == KIND_SECONDS ? " of seconds" : "", k->range);
	return -1;
}

static int check_enum(const struct key *k, const char *text, struct value *v, char *err,
		      size_t n)
{
	for (int i = 0; k->names[i]; i++) {
		if (strcmp(text, k->names[i]) == 0) {
			v->e = i;
			return 0;
		}
	}
	say(err, n, "\"%s\" is not one of %s", text, k->range);
	return -1;
}

/*
 * The kernel's list syntax ("0-3,5,7"), in the order given, duplicates kept:
 * the order is the writers' order.  An empty list means automatic.
 */
static int parse_cpulist(const char *text, int *out, unsigned max, unsigned *count, char *err,
			 size_t n)
{
	const char *p = text;
	unsigned c = 0;

	*count = 0;
	if (*p == '\0')
		return 0;
	for (;;) {
		bool neg;
		uint64_t lo, hi;
		const char *end;

		if (scan_integer(p, &neg, &lo, &end) == NUM_NOT_A_NUMBER || neg)
			goto syntax;
		hi = lo;
		if (*end == '-') {
			if (scan_integer(end + 1, &neg, &hi, &end) == NUM_NOT_A_NUMBER || neg)
				goto syntax;
		}
		if (lo >= DBCAP_MAX_CPUS || hi >= DBCAP_MAX_CPUS) {
			say(err, n, "CPU %" PRIu64 " is out of range (0..%u)", lo >= DBCAP_MAX_CPUS ? lo : hi,
			    DBCAP_MAX_CPUS - 1);
			return -1;
		}
		if (hi < lo) {
			say(err, n, "\"%.*s\" is a backwards range (write %" PRIu64 "-%" PRIu64 ")",
			    (int)(end - p), p, hi, lo);
			return -1;
		}
		for (uint64_t cpu = lo; cpu <= hi; cpu++) {
			if (c == max) {
				say(err, n, "more than %u CPUs in \"%s\"", max, text);
				return -1;
			}
			out[c++] = (int)cpu;
		}
		if (*end == '\0')
			break;
		if (*end != ',')
			goto syntax;
		p = end + 1;
	}
	*count = c;
	return 0;

syntax:
	say(err, n, "\"%s\" is not a CPU list (like 0-3,5,7; CPUs 0..%u)", text, DBCAP_MAX_CPUS - 1);
	return -1;
}

/* Validates the text of key k (from argv, or a JSON value made text). */
static int check_text(const struct key *k, const char *text, struct value *v, char *err,
		      size_t n)
{
	switch (k->kind) {
	case KIND_PATH:
		if (*text == '\0') {
			say(err, n, "the file name is empty");
			return -1;
		}
		v->s = text;
		return 0;
	case KIND_BOOL:
		if (strcmp(text, "true") == 0 || strcmp(text, "false") == 0) {
			v->b = text[0] == 't';
			return 0;
		}
		say(err, n, "\"%s\" is not true or false", text);
		return -1;
	case KIND_INT:
		return check_int(k, text, v, err, n);
	case KIND_SIZE:
		return check_size(k, text, v, err, n);
	case KIND_SECONDS:
	case KIND_FACTOR:
		return check_seconds(k, text, v, err, n);
	case KIND_ENUM:
		return check_enum(k, text, v, err, n);
	case KIND_CPULIST:
		return parse_cpulist(text, v->cpus, DBCAP_MAX_CPUS, &v->ncpus, err, n);
	}
	return -1;
}

/*
 * A JSON number as the text a person would have typed: integers without an
 * exponent, other values in the fewest digits that read back the same.
 */
static void number_text(double d, char *buf, size_t n)
{
	double mag = d < 0 ? -d : d;

	if (!isfinite(d)) {
		snprintf(buf, n, "%g", d);
		return;
	}
	if ((mag >= 9007199254740992.0 && mag < 1e21) ||
	    (mag < 9007199254740992.0 && d == (double)(int64_t)d)) {
		snprintf(buf, n, "%.0f", d);
		return;
	}
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, n, "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			return;
	}
}

static const char *json_expectation(const struct key *k, char *buf, size_t n)
{
	switch (k->kind) {
	case KIND_PATH:
		return "expected a file name (a string) or null";
	case KIND_BOOL:
		return "expected true or false";
	case KIND_INT:
		snprintf(buf, n, "expected a%s number (%s)", k->json_string ? " string or a" : "",
			 k->range);
		return buf;
	case KIND_SIZE:
		snprintf(buf, n, "expected a number of bytes or a string like \"4M\" (%s)", k->range);
		return buf;
	case KIND_SECONDS:
	case KIND_FACTOR:
		snprintf(buf, n, "expected a number (%s)", k->range);
		return buf;
	case KIND_ENUM:
		snprintf(buf, n, "expected a string (%s)", k->range);
		return buf;
	case KIND_CPULIST:
		return "expected an array of CPU numbers or a string like \"0-3,5,7\"";
	}
	return "unexpected value";
}

/* Validates a JSON value for key k: its type here, its value in check_text(). */
static int check_json(const struct key *k, const cJSON *item, struct value *v, char *err,
		      size_t n)
{
	char text[64], expect[160];
	bool type_ok;

	switch (k->kind) {
	case KIND_PATH:
		if (cJSON_IsNull(item)) {
			v->s = NULL;
			return 0;
		}
		type_ok = cJSON_IsString(item);
		break;
	case KIND_BOOL:
		if (!cJSON_IsBool(item))
			goto wrong_type;
		v->b = cJSON_IsTrue(item);
		return 0;
	case KIND_INT:
	case KIND_SIZE:
	case KIND_SECONDS:
	case KIND_FACTOR:
		if (cJSON_IsNumber(item)) {
			number_text(item->valuedouble, text, sizeof(text));
			return check_text(k, text, v, err, n);
		}
		type_ok = k->json_string && cJSON_IsString(item);
		break;
	case KIND_ENUM:
		type_ok = cJSON_IsString(item);
		break;
	case KIND_CPULIST:
		if (cJSON_IsArray(item)) {
			/* The same words as for "--cpus 0,1": join the numbers into that text. */
			char list[DBCAP_MAX_CPUS * 8 + 64];
			size_t len = 0;
			const cJSON *e;

			list[0] = '\0';
			cJSON_ArrayForEach(e, item) {
				if (!cJSON_IsNumber(e))
					goto wrong_type;
				if (len > sizeof(list) - 64) {
					say(err, n, "more than %u CPUs", DBCAP_MAX_CPUS);
					return -1;
				}
				number_text(e->valuedouble, text, sizeof(text));
				len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s",
							len ? "," : "", text);
			}
			return check_text(k, list, v, err, n);
		}
		type_ok = cJSON_IsString(item);
		break;
	default:
		type_ok = false;
		break;
	}
	if (type_ok)
		return check_text(k, item->valuestring, v, err, n);
wrong_type:
	say(err, n, "%s", json_expectation(k, expect, sizeof(expect)));
	return -1;
}

static int set_string(char **dst, const char *src)
{
	char *copy = NULL;

	if (src) {
		copy = strdup(src);
		if (!copy) {
			complain("out of memory");
			return -1;
		}
	}
	free(*dst);
	*dst = copy;
	return 0;
}

/* Stores a validated value: the only place that knows the struct's fields. */
static int store(struct dbcap_opts *o, enum key_id id, const struct value *v)
{
	switch (id) {
	case K_OUTPUT: return set_string(&o->output, v->s);
	case K_FORCE: o->force = v->b; break;
	case K_WRITERS: o->writers = (unsigned)v->u; break;
	case K_CPUS:
		memcpy(o->cpus, v->cpus, v->ncpus * sizeof(o->cpus[0]));
		o->ncpus = v->ncpus;
		break;
	case K_READER_CPU: o->reader_cpu = v->neg ? -(int)v->u : (int)v->u; break;
	case K_LAYOUT:
		if (dbuf_layout_parse(layout_names[v->e], &o->layout) != 0)
			return -1;
		break;
	case K_BUFFERS: o->buffers = (unsigned)v->u; break;
	case K_BUFFER_SIZE: o->buffer_size = (size_t)v->u; break;
	case K_ON_FULL:
		if (dbuf_on_full_parse(on_full_names[v->e], &o->on_full) != 0)
			return -1;
		break;
	case K_DURATION: o->duration = v->d; break;
	case K_COUNT: o->count = v->u; break;
	case K_BLOCK_MIN: o->block_min = (uint32_t)v->u; break;
	case K_BLOCK_MAX: o->block_max = (uint32_t)v->u; break;
	case K_SEED: o->seed = v->u; break;
	case K_WRITER_WORK: o->writer_work = (unsigned)v->u; break;
	case K_READER_WORK: o->reader_work = (unsigned)v->u; break;
	case K_IO_ENGINE: o->io_engine = v->e == 0 ? IO_ENGINE_URING : IO_ENGINE_PWRITE; break;
	case K_DIRECT:
		o->direct = v->e == 0 ? IO_AUTO : v->e == 1 ? IO_ON : IO_OFF;
		break;
	case K_SYNC:
		o->sync = v->e == 0 ? IO_AUTO : v->e == 1 ? IO_ON : IO_OFF;
		break;
	case K_IO_DEPTH: o->io_depth = (unsigned)v->u; break;
	case K_FLUSH_AGE: o->flush_age = v->d; break;
	case K_STATS: return set_string(&o->stats_path, v->s);
	case K_STATS_INTERVAL: o->stats_interval = v->d; break;
	case K_QUIET: o->quiet = v->b; break;
	case K_PCAP: return set_string(&o->pcap, v->s);
	case K_SNAPLEN: o->snaplen = (uint32_t)v->u; break;
	case K_SPEED: o->speed = v->d; break;
	case NKEYS: return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ configuration */

void options_defaults(struct dbcap_opts *o)
{
	/* Zeroed first, padding included, so two defaulted structs compare equal. */
	memset(o, 0, sizeof(*o));
	o->output = NULL;
	o->force = false;
	o->writers = 1;
	o->ncpus = 0;
	o->reader_cpu = -1;
	o->layout = DBUF_LAYOUT_PER_WRITER;
	o->buffers = DBUF_DEFAULT_BUFFERS;
	o->buffer_size = DBUF_DEFAULT_BUFFER_SIZE;
	o->on_full = DBUF_ON_FULL_WAIT;
	o->duration = 0;
	o->count = 0;
	o->block_min = DEFAULT_BLOCK_MIN;
	o->block_max = DEFAULT_BLOCK_MAX;
	o->seed = DEFAULT_SEED;
	o->writer_work = 0;
	o->reader_work = 0;
	o->io_engine = IO_ENGINE_URING;
	o->direct = IO_AUTO;
	o->sync = IO_AUTO;
	o->io_depth = DEFAULT_IO_DEPTH;
	o->flush_age = DEFAULT_FLUSH_AGE;
	o->stats_path = NULL;
	o->stats_interval = 0;
	o->config_path = NULL;
	o->quiet = false;
	o->oversubscribed = false;
	o->pcap = NULL;
	o->snaplen = 0;
	o->speed = 0;
	o->filter = NULL;
}

bool options_sync(const struct dbcap_opts *o)
{
	if (o->sync == IO_AUTO)
		return !o->pcap;
	return o->sync == IO_ON;
}

enum io_toggle options_direct(const struct dbcap_opts *o)
{
	if (o->direct == IO_AUTO && !options_sync(o))
		return IO_OFF;
	return o->direct;
}

void options_free(struct dbcap_opts *o)
{
	free(o->output);
	free(o->stats_path);
	free(o->config_path);
	free(o->pcap);
	free(o->filter);
	o->output = NULL;
	o->stats_path = NULL;
	o->config_path = NULL;
	o->pcap = NULL;
	o->filter = NULL;
}

/* Reads a whole small file, NUL-terminated.  0 or -errno (-EFBIG: too large). */
static int read_file(const char *path, size_t limit, char **out, size_t *len)
{
	struct stat st;
	size_t cap = 4096, used = 0;
	char *buf;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		close(fd);
		return -EISDIR;
	}
	buf = malloc(cap);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	for (;;) {
		ssize_t r;

		if (used + 1 == cap) {
			char *bigger;

			if (cap > limit) {
				err = -EFBIG;
				break;
			}
			bigger = realloc(buf, cap * 2);
			if (!bigger) {
				err = -ENOMEM;
				break;
			}
			buf = bigger;
			cap *= 2;
		}
		r = read(fd, buf + used, cap - 1 - used);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = -errno;
			break;
		}
		if (r == 0)
			break;
		used += (size_t)r;
	}
	close(fd);
	if (err) {
		free(buf);
		return err;
	}
	buf[used] = '\0';
	*out = buf;
	*len = used;
	return 0;
}

/* 1-based line and column (in bytes) of offset in text. */
static void line_column(const char *text, size_t offset, unsigned *line, unsigned *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < offset; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

static int find_key(const char *name)
{
	for (int i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].json, name) == 0)
			return i;
	return -1;
}

static int load_config(struct ctx *c, const char *path)
{
	char *text = NULL, err[MSG_MAX];
	const char *end = NULL;
	bool seen[NKEYS] = {false};
	const cJSON *item;
	struct value *v;
	cJSON *root;
	size_t len;
	int r, ret = -1;

	r = read_file(path, MAX_CONFIG_BYTES, &text, &len);
	if (r == -EFBIG) {
		complain("%s: larger than %u bytes: not a configuration file", path,
			 MAX_CONFIG_BYTES);
		return -1;
	}
	if (r < 0) {
		complain("%s: %s", path, strerror(-r));
		return -1;
	}
	if (strlen(text) != len) {
		unsigned line, col;

		line_column(text, strlen(text), &line, &col);
		complain("%s:%u:%u: a NUL byte: not a JSON file", path, line, col);
		goto out_text;
	}
	/*
	 * The length includes the terminating NUL: cJSON 1.7.15 checks for it
	 * when asked to refuse trailing text after the value.
	 */
	root = cJSON_ParseWithLengthOpts(text, len + 1, &end, true);
	if (!root) {
		unsigned line, col;
		size_t at = end && end >= text && end <= text + len ? (size_t)(end - text) : len;
		int shown = 0;

		while (text[at + (size_t)shown] && text[at + (size_t)shown] != '\n' && shown < 24)
			shown++;
		line_column(text, at, &line, &col);
		if (shown)
			complain("%s:%u:%u: not valid JSON near '%.*s'", path, line, col, shown,
				 text + at);
		else
			complain("%s:%u:%u: not valid JSON (%s)", path, line, col,
				 at >= len ? "unexpected end of file" : "unexpected end of line");
		goto out_text;
	}
	if (!cJSON_IsObject(root)) {
		complain("%s: expected a JSON object { \"key\": value, ... } at the top level", path);
		goto out_root;
	}
	v = malloc(sizeof(*v));
	if (!v) {
		complain("out of memory");
		goto out_root;
	}
	c->config = path;
	cJSON_ArrayForEach(item, root) {
		int id;

		if (strcmp(item->string, "comment") == 0 || strcmp(item->string, "_comment") == 0) {
			if (!cJSON_IsString(item)) {
				complain("%s: key \"%s\": expected a string", path, item->string);
				goto out_value;
			}
			continue;
		}
		id = find_key(item->string);
		if (id < 0) {
			complain("%s: key \"%s\": unknown key (see dbcap(1), CONFIGURATION)", path,
				 item->string);
			goto out_value;
		}
		if (seen[id]) {
			complain("%s: key \"%s\": given twice", path, item->string);
			goto out_value;
		}
		seen[id] = true;
		if (check_json(&keys[id], item, v, err, sizeof(err)) < 0) {
			complain("%s: key \"%s\": %s", path, item->string, err);
			goto out_value;
		}
		if (store(c->o, (enum key_id)id, v) < 0)
			goto out_value;
		c->origin[id] = FROM_CONFIG;
	}
	ret = 0;
out_value:
	free(v);
out_root:
	cJSON_Delete(root);
out_text:
	free(text);
	return ret;
}

int options_load_config(struct dbcap_opts *o, const char *path)
{
	struct ctx c = {.o = o};

	return load_config(&c, path);
}

/* ------------------------------------------------------------- command line */

static const char usage_text[] =
	"Usage: dbcap -w FILE [--force] [-c COUNT] [--duration SECONDS] [-q]\n"
	"             [--writers N] [--cpus LIST] [--reader-cpu N]\n"
	"             [--layout per-writer|shared|mutex] [--buffers K]\n"
	"             [--buffer-size SIZE] [--on-full drop|wait]\n"
	"             [--block-min N] [--block-max N] [--seed N]\n"
	"             [--writer-work N] [--reader-work N] [--io-engine uring|pwrite]\n"
	"             [--direct[=auto|on|off] | --buffered]\n"
	"             [--sync[=auto|on|off] | --no-sync] [--io-depth N]\n"
	"             [--flush-age SECONDS] [--stats FILE [--stats-interval SECONDS]]\n"
	"             [--config FILE]\n"
	"       dbcap -r FILE -w FILE [-s SNAPLEN] [--speed X] [-c COUNT] [other options]\n"
	"             [FILTER EXPRESSION]\n"
	"       dbcap -h | --help | --version\n"
	"\n"
	"Writer threads generate synthetic blocks into a lock-free multi-writer double\n"
	"buffer; one reader thread appends them to a pcapng file.  Runs until COUNT\n"
	"blocks, SECONDS, SIGINT or SIGTERM, whichever comes first.  With -r, the\n"
	"writers replay a pcap or pcapng file instead, sharded by flow, into a pcap\n"
	"file; a filter expression (pcap-filter(7)) may follow the options.\n"
	"\n"
	"Output:\n"
	"  -w, --write FILE         write the capture to FILE (required)\n"
	"      --force              replace FILE (and the --stats FILE) if it exists\n"
	"  -q, --quiet              no summary line at exit\n"
	"\n"
	"Stop conditions (default: none, run until SIGINT or SIGTERM):\n"
	"  -c, --count N            stop after N blocks in total; replay: after N\n"
	"                           packets passed the filter (0: no limit)\n"
	"      --duration SECONDS   stop after SECONDS, fractions allowed (0: no limit)\n"
	"\n"
	"Writers and buffer:\n"
	"      --writers N          writer threads, 1..256 (default 1)\n"
	"      --cpus LIST          writers' cores in order, like 0-3,5,7; reused\n"
	"                           round-robin if fewer than writers (default:\n"
	"                           automatic, see dbcap(1))\n"
	"      --reader-cpu N       the reader's core (default: automatic, -1)\n"
	"      --layout per-writer|shared|mutex\n"
	"                           buffer layout (default per-writer)\n"
	"      --buffers K          buffers per writer (per-writer) or in all, 2..64\n"
	"                           (default 2)\n"
	"      --buffer-size SIZE   bytes per buffer, suffixes k, M, G, 4k..1G\n"
	"                           (default 4M; rounded up to the page size)\n"
	"      --on-full drop|wait  when every buffer is busy: drop the block (counted)\n"
	"                           or wait for room (default wait)\n"
	"\n"
	"Replay source:\n"
	"  -r, --pcap FILE          replay FILE (pcap or pcapng) into a pcap file with\n"
	"                           its link type, snapshot length and time stamp\n"
	"                           precision (pcapng: nanoseconds); stops at its end\n"
	"  -s, --snaplen N          cut packets to N bytes, 1..262144 (0: keep whole)\n"
	"      --speed X            pace the packets at X times the file's own timing\n"
	"                           (default 0: top speed)\n"
	"\n";

/* In two parts: ISO C compilers need only take string literals of 4095 bytes. */
static const char usage_text2[] =
	"Synthetic source:\n"
	"      --block-min N        smallest block in bytes, 10..65535 (default 10)\n"
	"      --block-max N        largest block in bytes, 10..65535 (default 10000)\n"
	"      --seed N             seed of the block sizes and contents (default 1)\n"
	"      --writer-work N      work units between two blocks, 0..1000000 (default 0)\n"
	"      --reader-work N      work units per chunk read, 0..1000000 (default 0)\n"
	"\n"
	"Persistence:\n"
	"      --io-engine uring|pwrite\n"
	"                           how to write (default uring; pwrite when io_uring\n"
	"                           is not available)\n"
	"      --direct[=auto|on|off]\n"
	"                           O_DIRECT: on (alone), off, or auto (default: where\n"
	"                           the file system allows it, if the run syncs)\n"
	"      --buffered           the same as --direct=off\n"
	"      --sync[=auto|on|off] end with fdatasync, the data on the disk: on\n"
	"                           (alone), off, or auto (default: on for synthetic\n"
	"                           capture, off for replay, like tcpdump -r -w)\n"
	"      --no-sync            the same as --sync=off\n"
	"      --io-depth N         writes in flight, 2..1024 (default 4)\n"
	"      --flush-age SECONDS  the oldest data waits at most SECONDS before it is\n"
	"                           written (default 0.2)\n"
	"\n"
	"Statistics:\n"
	"      --stats FILE         write statistics as JSON to FILE at exit (-: to\n"
	"                           standard output; an existing FILE needs --force)\n"
	"      --stats-interval SECONDS\n"
	"                           also replace FILE every SECONDS (0: only at exit)\n"
	"\n"
	"Configuration:\n"
	"      --config FILE        read settings from the JSON FILE first; the command\n"
	"                           line overrides them (keys: see dbcap(1))\n"
	"  -h, --help               show this text\n"
	"      --version            show the version\n";

static const char short_options[] = ":w:c:qhr:s:";

static int build_long_options(struct option *lo)
{
	int n = 0;

	for (int i = 0; i < NKEYS; i++) {
		lo[n].name = keys[i].opt;
		lo[n].has_arg = keys[i].kind == KIND_BOOL ? no_argument
			      : i == K_DIRECT || i == K_SYNC ? optional_argument
							      : required_argument;
		lo[n].flag = NULL;
		lo[n].val = keys[i].shortopt ? keys[i].shortopt : OPT_KEY + i;
		n++;
	}
	lo[n++] = (struct option){"buffered", no_argument, NULL, OPT_BUFFERED};
	lo[n++] = (struct option){"no-sync", no_argument, NULL, OPT_NO_SYNC};
	lo[n++] = (struct option){"config", required_argument, NULL, OPT_CONFIG};
	lo[n++] = (struct option){"help", no_argument, NULL, 'h'};
	lo[n++] = (struct option){"version", no_argument, NULL, OPT_VERSION};
	lo[n] = (struct option){NULL, 0, NULL, 0};
	return n;
}

/* The key behind a getopt_long value, or -1. */
static int key_of(int val)
{
	if (val >= OPT_KEY && val < OPT_KEY + NKEYS)
		return val - OPT_KEY;
	for (int i = 0; i < NKEYS; i++)
		if (keys[i].shortopt && keys[i].shortopt == val)
			return i;
	return -1;
}

/* The option's name for messages: "--buffers", "--config". */
static const char *option_name(int val)
{
	int k = key_of(val);

	if (k >= 0)
		return keys[k].opt;
	switch (val) {
	case OPT_BUFFERED: return "buffered";
	case OPT_NO_SYNC: return "no-sync";
	case OPT_CONFIG: return "config";
	case OPT_VERSION: return "version";
	case 'h': return "help";
	default: return NULL;
	}
}

static void report_getopt_error(int c, char **argv, const struct option *longopts)
{
	const char *name = option_name(optopt);
	const char *arg = optind > 0 ? argv[optind - 1] : "?";

	if (c == ':') {
		int k = key_of(optopt);

		if (k >= 0 && keys[k].kind != KIND_PATH)
			complain("--%s: missing value (%s)", name, keys[k].range);
		else
			complain("--%s: missing %s", name, "file name");
		return;
	}
	if (name) {
		/* A flag given a value: "--force=yes". */
		complain("--%s takes no value (in \"%s\")", name, arg);
		return;
	}
	if (optopt) {
		complain("unknown option -%c (see dbcap --help)", optopt);
		return;
	}
	if (strncmp(arg, "--", 2) == 0) {
		/* getopt_long() takes unique prefixes: name the candidates of one that is not. */
		size_t len = strcspn(arg + 2, "=");
		char cand[400];
		size_t used = 0;
		int matches = 0;

		cand[0] = '\0';
		for (const struct option *lo = longopts; lo->name; lo++) {
			if (len == 0 || strncmp(lo->name, arg + 2, len) != 0)
				continue;
			matches++;
			if (used < sizeof(cand))
				used += (size_t)snprintf(cand + used, sizeof(cand) - used, "%s--%s",
							 used ? ", " : "", lo->name);
		}
		if (matches > 1) {
			complain("ambiguous option \"%.*s\": %s?", (int)len + 2, arg, cand);
			return;
		}
	}
	complain("unknown option \"%s\" (see dbcap --help)", arg);
}

/*
 * A cross-check's words for a setting and its value: the option when it came
 * from the command line (or is the default), the key and the file when it
 * came from the configuration.
 */
static const char *setting(const struct ctx *c, enum key_id id, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static const char *setting(const struct ctx *c, enum key_id id, const char *fmt, ...)
{
	static char buf[2][400];
	static int which;
	char value[64];
	va_list ap;
	char *out = buf[which++ & 1];

	va_start(ap, fmt);
	vsnprintf(value, sizeof(value), fmt, ap);
	va_end(ap);
	if (c->origin[id] == FROM_CONFIG)
		snprintf(out, sizeof(buf[0]), "key \"%s\" %s (in %s)", keys[id].json, value,
			 c->config);
	else
		snprintf(out, sizeof(buf[0]), "--%s %s", keys[id].opt, value);
	return out;
}

static int cross_check(const struct ctx *c)
{
	const struct dbcap_opts *o = c->o;
	long page = sysconf(_SC_PAGESIZE);
	uint64_t psize = page > 0 ? (uint64_t)page : 4096;
	uint64_t rounded = ((uint64_t)o->buffer_size + psize - 1) / psize * psize;
	uint64_t record = DBCAP_RECORD_SIZE((uint64_t)o->block_max);

	if (!o->output) {
		complain("no output file: give -w FILE (see dbcap --help)");
		return -1;
	}
	if (o->stats_interval > 0 && !o->stats_path) {
		complain("%s needs --stats FILE",
			 setting(c, K_STATS_INTERVAL, "%g", o->stats_interval));
		return -1;
	}
	if (!o->pcap && o->snaplen) {
		complain("%s needs --pcap FILE (replay mode)",
			 setting(c, K_SNAPLEN, "%" PRIu32, o->snaplen));
		return -1;
	}
	if (!o->pcap && o->speed > 0) {
		complain("%s needs --pcap FILE (replay mode)", setting(c, K_SPEED, "%g", o->speed));
		return -1;
	}
	if (o->block_min > o->block_max) {
		complain("%s is larger than %s", setting(c, K_BLOCK_MIN, "%" PRIu32, o->block_min),
			 setting(c, K_BLOCK_MAX, "%" PRIu32, o->block_max));
		return -1;
	}
	/*
	 * dbuf refuses a block larger than a buffer, and a record is one block:
	 * with a smaller buffer every large block would be dropped as too big.
	 * Replay records come from the input: dbcap checks them against the
	 * buffer once it has read the input's snapshot length.
	 */
	if (rounded < record && !o->pcap) {
		char rounding[80] = "";

		if (rounded != o->buffer_size)
			snprintf(rounding, sizeof(rounding), "; buffers are rounded up to %" PRIu64,
				 rounded);
		complain("%s is too small for %s (a record needs %" PRIu64 " bytes%s)",
			 setting(c, K_BUFFER_SIZE, "%zu", o->buffer_size),
			 setting(c, K_BLOCK_MAX, "%" PRIu32, o->block_max), record, rounding);
		return -1;
	}
	/* The same bound as dbuf_create() checks; see docs/DESIGN.md, "The head word". */
	if (o->layout == DBUF_LAYOUT_SHARED &&
	    rounded * (o->writers + 3u) >= (UINT64_C(1) << 32)) {
		uint64_t largest = ((UINT64_C(1) << 32) - 1) / (o->writers + 3u) / psize * psize;

		complain("%s is too large for the shared layout with %s: the shared layout's "
			 "32-bit offset needs buffer-size × (writers + 3) < 4 GiB (here at most %"
			 PRIu64 " bytes)",
			 setting(c, K_BUFFER_SIZE, "%zu", o->buffer_size),
			 setting(c, K_WRITERS, "%u", o->writers), largest);
		return -1;
	}
	return 0;
}

/* o->filter = the words joined with single spaces (NULL when they are all empty). */
static int join_filter(struct dbcap_opts *o, int n, char **words)
{
	size_t len = 1;
	char *f;

	for (int i = 0; i < n; i++)
		len += strlen(words[i]) + 1;
	f = malloc(len);
	if (!f) {
		complain("out of memory");
		return -1;
	}
	f[0] = '\0';
	for (int i = 0; i < n; i++) {
		if (!words[i][0])
			continue;
		if (f[0])
			strcat(f, " ");
		strcat(f, words[i]);
	}
	free(o->filter);
	o->filter = f[0] ? f : NULL;
	if (!o->filter)
		free(f);
	return 0;
}

int options_parse(struct dbcap_opts *o, int argc, char **argv)
{
	struct option longopts[NKEYS + 6]; /* the keys, buffered, no-sync, config, help, version, end */
	struct ctx c = {.o = o};
	const char *config = NULL;
	bool help = false, version = false;
	char err[MSG_MAX];
	struct value *v;
	int opt, ret = -1;

	options_defaults(o);
	build_long_options(longopts);

	/*
	 * First pass: only --config, --help and --version, so that the file is
	 * loaded before the command line overrides it wherever --config stands.
	 * Errors are left to the second pass.
	 */
	opterr = 0;
	optind = 0;
	while ((opt = getopt_long(argc, argv, short_options, longopts, NULL)) != -1) {
		if (opt == OPT_CONFIG)
			config = optarg;
		else if (opt == 'h')
			help = true;
		else if (opt == OPT_VERSION)
			version = true;
	}
	if (help) {
		fputs(usage_text, stdout);
		fputs(usage_text2, stdout);
		fflush(stdout);
		return 1;
	}
	if (version) {
		printf("dbcap %s\n", DBCAP_VERSION);
		fflush(stdout);
		return 1;
	}
	if (config) {
		if (set_string(&o->config_path, config) < 0)
			return -1;
		if (load_config(&c, config) < 0)
			return -1;
	}

	v = malloc(sizeof(*v));
	if (!v) {
		complain("out of memory");
		return -1;
	}
	optind = 0;
	while ((opt = getopt_long(argc, argv, short_options, longopts, NULL)) != -1) {
		const char *text = optarg;
		int k;

		switch (opt) {
		case OPT_CONFIG:
		case 'h':
		case OPT_VERSION:
			continue;
		case OPT_BUFFERED:
			k = K_DIRECT;
			text = "off";
			break;
		case OPT_NO_SYNC:
			k = K_SYNC;
			text = "off";
			break;
		case '?':
		case ':':
			report_getopt_error(opt, argv, longopts);
			goto out;
		default:
			k = key_of(opt);
			if (k < 0) {
				complain("internal error: option %d", opt);
				goto out;
			}
			if (keys[k].kind == KIND_BOOL)
				text = "true";
			else if ((k == K_DIRECT || k == K_SYNC) && !text)
				text = "on";
			break;
		}
		if (check_text(&keys[k], text, v, err, sizeof(err)) < 0) {
			complain("--%s: %s", keys[k].opt, err);
			goto out;
		}
		if (store(o, (enum key_id)k, v) < 0)
			goto out;
		c.origin[k] = FROM_CLI;
	}
	if (optind < argc && o->pcap) {
		/* Like tcpdump: the words after the options, joined, are the filter. */
		if (join_filter(o, argc - optind, argv + optind) < 0)
			goto out;
	} else if (optind < argc) {
		complain("unexpected argument \"%s\": dbcap takes options only, no file names "
			 "or filter expressions (see dbcap --help)",
			 argv[optind]);
		goto out;
	}
	ret = cross_check(&c);
out:
	free(v);
	return ret < 0 ? -1 : 0;
}

/* --------------------------------------------------------------------- cpus */

struct cpuset {
	bool on[DBCAP_MAX_CPUS];
};

/*
 * A kernel list ("0-3,8\n") into a set.  CPUs at or beyond DBCAP_MAX_CPUS
 * are left out: they can be neither named with --cpus nor counted here.
 */
static int cpuset_parse(const char *text, struct cpuset *s)
{
	const char *p = text, *end;

	memset(s, 0, sizeof(*s));
	while (*p == ' ' || *p == '\n')
		p++;
	while (*p && *p != '\n') {
		uint64_t lo, hi;
		bool neg;

		if (scan_integer(p, &neg, &lo, &end) == NUM_NOT_A_NUMBER || neg)
			return -1;
		hi = lo;
		if (*end == '-' &&
		    (scan_integer(end + 1, &neg, &hi, &end) == NUM_NOT_A_NUMBER || neg || hi < lo))
			return -1;
		for (uint64_t cpu = lo; cpu <= hi && cpu < DBCAP_MAX_CPUS; cpu++)
			s->on[cpu] = true;
		if (*end == ',')
			end++;
		else if (*end && *end != '\n' && *end != ' ')
			return -1;
		p = end;
	}
	return 0;
}

static unsigned cpuset_count(const struct cpuset *s)
{
	unsigned n = 0;

	for (unsigned i = 0; i < DBCAP_MAX_CPUS; i++)
		n += s->on[i];
	return n;
}

/* "0-3,5" */
static const char *cpuset_format(const struct cpuset *s, char *buf, size_t n)
{
	size_t len = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < DBCAP_MAX_CPUS && len < n; i++) {
		unsigned j = i;

		if (!s->on[i])
			continue;
		while (j + 1 < DBCAP_MAX_CPUS && s->on[j + 1])
			j++;
		if (j == i)
			len += (size_t)snprintf(buf + len, n - len, "%s%u", len ? "," : "", i);
		else
			len += (size_t)snprintf(buf + len, n - len, "%s%u-%u", len ? "," : "", i, j);
		i = j;
	}
	if (len == 0)
		snprintf(buf, n, "none");
	return buf;
}

static int check_cpu(const char *opt, int cpu, const struct cpuset *online,
		     const struct cpuset *allowed, bool restricted)
{
	char list[4096];

	if (cpu < 0 || cpu >= (int)DBCAP_MAX_CPUS || !online->on[cpu]) {
		complain("--%s: CPU %d is not online (online: %s)", opt, cpu,
			 cpuset_format(online, list, sizeof(list)));
		return -1;
	}
	if (restricted && !allowed->on[cpu]) {
		complain("--%s: CPU %d is outside this process's CPU affinity (allowed: %s)", opt,
			 cpu, cpuset_format(allowed, list, sizeof(list)));
		return -1;
	}
	return 0;
}

int options__assign_cpus_from(struct dbcap_opts *o, const char *online_list,
			      const char *isolated_list, const char *allowed_list)
{
	struct cpuset *sets = malloc(6 * sizeof(*sets));
	struct cpuset *online, *isolated, *allowed, *usable, *used, *pool;
	bool restricted = allowed_list != NULL;
	unsigned nusable, distinct = 0, writers = o->writers;
	bool all_isolated = true, reader_given = o->reader_cpu >= 0;
	int ret = -1;

	if (!sets) {
		complain("out of memory");
		return -1;
	}
	online = &sets[0];
	isolated = &sets[1];
	allowed = &sets[2];
	usable = &sets[3];
	used = &sets[4];
	pool = &sets[5];
	memset(used, 0, sizeof(*used));
	if (cpuset_parse(online_list ? online_list : "", online) < 0 ||
	    cpuset_parse(isolated_list ? isolated_list : "", isolated) < 0 ||
	    cpuset_parse(allowed_list ? allowed_list : "", allowed) < 0) {
		complain("cannot read the list of CPUs");
		goto out;
	}
	for (unsigned i = 0; i < DBCAP_MAX_CPUS; i++)
		usable->on[i] = online->on[i] && (!restricted || allowed->on[i]);
	nusable = cpuset_count(usable);
	if (cpuset_count(online) == 0 || nusable == 0) {
		char a[4096], b[4096];

		complain("no usable CPU (online: %s; allowed: %s)",
			 cpuset_format(online, a, sizeof(a)),
			 restricted ? cpuset_format(allowed, b, sizeof(b)) : "all");
		goto out;
	}
	if (writers == 0 || writers > DBUF_MAX_WRITERS) {
		complain("--writers: %u is out of range (1..%u)", writers, DBUF_MAX_WRITERS);
		goto out;
	}
	if (reader_given && check_cpu("reader-cpu", o->reader_cpu, online, allowed, restricted) < 0)
		goto out;

	if (o->ncpus > 0) {
		unsigned n = o->ncpus;
		int list[DBCAP_MAX_CPUS];

		memcpy(list, o->cpus, n * sizeof(list[0]));
		for (unsigned i = 0; i < n; i++)
			if (check_cpu("cpus", list[i], online, allowed, restricted) < 0)
				goto out;
		for (unsigned i = 0; i < writers; i++) {
			o->cpus[i] = list[i % n];
			used->on[o->cpus[i]] = true;
		}
		/* Cores listed beyond the writers' are the reader's first choice. */
		for (unsigned i = writers; !reader_given && o->reader_cpu < 0 && i < n; i++)
			if (!used->on[list[i]])
				o->reader_cpu = list[i];
	} else {
		int cand[DBCAP_MAX_CPUS];
		unsigned m = 0;

		/* The isolated cores are the writers' pool when there are any. */
		for (unsigned i = 0; i < DBCAP_MAX_CPUS; i++)
			pool->on[i] = isolated->on[i] && usable->on[i];
		if (cpuset_count(pool) == 0)
			*pool = *usable;
		/* Writers stay off a given reader core while other cores are left. */
		for (unsigned i = 0; i < DBCAP_MAX_CPUS; i++)
			if (pool->on[i] && (int)i != o->reader_cpu)
				cand[m++] = (int)i;
		if (m == 0)
			cand[m++] = o->reader_cpu;
		for (unsigned i = 0; i < writers; i++) {
			o->cpus[i] = cand[i % m];
			used->on[o->cpus[i]] = true;
		}
		for (unsigned i = 0; !reader_given && o->reader_cpu < 0 && i < DBCAP_MAX_CPUS; i++)
			if (pool->on[i] && !used->on[i])
				o->reader_cpu = (int)i;
	}
	/* Otherwise the reader takes any core no writer uses; none left: unpinned. */
	for (unsigned i = 0; !reader_given && o->reader_cpu < 0 && i < DBCAP_MAX_CPUS; i++)
		if (usable->on[i] && !used->on[i])
			o->reader_cpu = (int)i;
	o->ncpus = writers;

	for (unsigned i = 0; i < DBCAP_MAX_CPUS; i++) {
		distinct += used->on[i];
		if (used->on[i] && !isolated->on[i])
			all_isolated = false;
	}
	{
		const char *yield = "oversubscribed; writers will yield, then nap, when they wait";
		const char *iso = all_isolated ? "" : " (no isolation)";
		bool total = writers + 1 > nusable;
		bool shared = distinct < writers;
		bool reader_shares = o->reader_cpu >= 0 && used->on[o->reader_cpu];
		char list[4096];

		o->oversubscribed = total || shared || reader_shares;
		if (total)
			fprintf(stderr, "dbcap: warning: %u writer%s and the reader on %u %s core%s: %s%s\n",
				writers, writers == 1 ? "" : "s", nusable,
				restricted && nusable != cpuset_count(online) ? "usable" : "online",
				nusable == 1 ? "" : "s", yield, iso);
		else if (shared)
			fprintf(stderr, "dbcap: warning: %u writers on %u core%s (%s): %s%s\n", writers,
				distinct, distinct == 1 ? "" : "s",
				cpuset_format(used, list, sizeof(list)), yield, iso);
		else if (reader_shares)
			fprintf(stderr, "dbcap: warning: the reader shares CPU %d with a writer: %s%s\n",
				o->reader_cpu, yield, iso);
	}
	ret = 0;
out:
	free(sets);
	return ret;
}

/* Reads a sysfs list; NULL when the file is missing or unreadable. */
static char *read_list(const char *path)
{
	char *text = NULL;
	size_t len;

	if (read_file(path, 1u << 16, &text, &len) < 0)
		return NULL;
	return text;
}

int options_assign_cpus(struct dbcap_opts *o)
{
	char *online = read_list(SYSFS_ONLINE);
	char *isolated = read_list(SYSFS_ISOLATED);
	char fallback[32], *allowed = NULL;
	cpu_set_t mask;
	int ret;

	/* No sysfs (a bare container): the CPUs the C library counts. */
	if (!online) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		snprintf(fallback, sizeof(fallback), "0-%ld", n > 1 ? n - 1 : 0);
	}
	/*
	 * taskset(1) and cgroup cpusets narrow the cores this process may run
	 * on; pinning a writer elsewhere would fail later, so choose within.
	 */
	CPU_ZERO(&mask);
	if (sched_getaffinity(0, sizeof(mask), &mask) == 0) {
		struct cpuset *s = calloc(1, sizeof(*s));

		allowed = malloc(8192);
		if (s && allowed) {
			for (unsigned i = 0; i < DBCAP_MAX_CPUS && i < CPU_SETSIZE; i++)
				s->on[i] = CPU_ISSET(i, &mask);
			cpuset_format(s, allowed, 8192);
			if (strcmp(allowed, "none") == 0) {
				free(allowed);
				allowed = NULL;
			}
		} else {
			free(allowed);
			allowed = NULL;
		}
		free(s);
	}
	ret = options__assign_cpus_from(o, online ? online : fallback, isolated ? isolated : "",
					allowed);
	free(allowed);
	free(isolated);
	free(online);
	return ret;
}
