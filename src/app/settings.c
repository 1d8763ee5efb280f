/* SPDX-License-Identifier: MIT */
/*
 * settings.c - the table of dbcap's settings (made from SETTINGS() in
 * settings.h), the validators every value goes through, the defaults and
 * the statistics' snapshot of the effective configuration.
 *
 * The command line and the configuration file both turn their value into
 * text and hand it to options__check_text(), so that a value is accepted or
 * refused with the same words wherever it came from; only the prefix
 * differs ("--buffers: " or "FILE: key \"buffers\": ").  The defaults take
 * the same road, from the table's text.
 */
#define _GNU_SOURCE
#include "settings.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ------------------------------------------------------------- the choices */

/* The buffer library spells its layouts and policies; the options use its words. */
static const char *layout_name(int v)
{
	return dbuf_layout_name((enum dbuf_layout)v);
}

static const char *on_full_name(int v)
{
	return dbuf_on_full_name((enum dbuf_on_full)v);
}

static const int layout_values[] = {DBUF_LAYOUT_PER_WRITER, DBUF_LAYOUT_SHARED,
				    DBUF_LAYOUT_MUTEX};
const struct choices options__layout_choices = {layout_values, 3, layout_name, NULL};

static const int on_full_values[] = {DBUF_ON_FULL_DROP, DBUF_ON_FULL_WAIT};
const struct choices options__on_full_choices = {on_full_values, 2, on_full_name, NULL};

/*
 * The engine's one spelling is persist's, "io_uring" (the option, run.config
 * and run.io_engine alike); "uring", the option's word before schema_version
 * 4, is still accepted.
 */
static const char *engine_name(int v)
{
	return io_engine_name((enum io_engine)v);
}

static const int engine_values[] = {IO_ENGINE_URING, IO_ENGINE_PWRITE};
static const struct alias engine_aliases[] = {{"uring", IO_ENGINE_URING}, {NULL, 0}};
const struct choices options__engine_choices = {engine_values, 2, engine_name, engine_aliases};

/* --direct and --sync: both an enum io_toggle, spelled by persist's io_toggle_name(). */
static const char *auto_off_on_name(int v)
{
	return io_toggle_name((enum io_toggle)v);
}

static const int auto_off_on_values[] = {IO_AUTO, IO_ON, IO_OFF};
const struct choices options__auto_off_on_choices = {auto_off_on_values, 3, auto_off_on_name,
						     NULL};

/* --format: auto, pcap or pcapng. */
static const char *format_name(int v)
{
	return options_format_name((enum out_format)v);
}

static const int format_values[] = {FORMAT_AUTO, FORMAT_PCAP, FORMAT_PCAPNG};
const struct choices options__format_choices = {format_values, 3, format_name, NULL};

/* --------------------------------------------------------------- the table */

#define SPEC(...) __VA_ARGS__
#define SETTING_ENTRY(ID, field, KIND, grp, json_, opt_, short_, stats_, dflt_, flags_, spec,    \
		      arg_, help_)                                                                \
	[S_##ID] = {.kind = KIND_##KIND, .group = grp, .json = json_, .opt = opt_,                \
		    .shortopt = short_, .stats = stats_, .dflt = dflt_, .flags = flags_,            \
		    .arg = arg_, .help = help_, SPEC spec},

const struct setting options__settings[NSETTINGS] = {SETTINGS(SETTING_ENTRY)};

#undef SETTING_ENTRY

/* ------------------------------------------------------------------ helpers */

void options__complain(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("dbcap: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

void options__say(char *err, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, n, fmt, ap);
	va_end(ap);
}

#define complain options__complain
#define say options__say

int options__set_string(char **dst, const char *src)
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

int options__find_json(const char *name)
{
	for (int i = 0; i < NSETTINGS; i++)
		if (options__settings[i].json && strcmp(options__settings[i].json, name) == 0)
			return i;
	return -1;
}

/* The choices joined by sep: "per-writer, shared, mutex" or "auto|on|off". */
static const char *join_choices(const struct choices *c, const char *sep, char *buf, size_t n)
{
	size_t len = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < c->n && len < n; i++)
		len += (size_t)snprintf(buf + len, n - len, "%s%s", i ? sep : "",
					c->name(c->values[i]));
	return buf;
}

const char *options__range(const struct setting *k, char *buf, size_t n)
{
	if (k->range)
		return k->range;
	if (k->kind == KIND_ENUM)
		return join_choices(k->choices, ", ", buf, n);
	/* An integer's range in words is its bounds: they cannot drift apart. */
	snprintf(buf, n, "%" PRId64 "..%" PRIu64 "%s", k->min, k->max,
		 k->flags & F_ZERO_NONE ? ", or 0 for none" : "");
	return buf;
}

const char *options__arg(const struct setting *k, char *buf, size_t n)
{
	char list[128];

	if (k->arg)
		return k->arg;
	join_choices(k->choices, "|", list, sizeof(list));
	snprintf(buf, n, k->flags & F_OPTIONAL_ARG ? "[=%s]" : " %s", list);
	return buf;
}

/* ----------------------------------------------------------- the validators */

/* strtoull() would also take blanks, a plus sign and turn "-1" into a huge number. */
enum num_result options__scan_integer(const char *s, bool *neg, uint64_t *mag, const char **end)
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

/*
 * The one range check of every integer setting, in magnitude and sign so
 * that the whole of 0..UINT64_MAX and small negative minimums both fit.
 */
static bool int_in_range(const struct setting *k, bool neg, uint64_t mag)
{
	if (mag == 0 && (k->flags & F_ZERO_NONE))
		return true;
	if (neg && mag != 0)
		return k->min < 0 && mag <= (uint64_t)(-(k->min + 1)) + 1;
	return (k->min <= 0 || mag >= (uint64_t)k->min) && mag <= k->max;
}

static int check_int(const struct setting *k, const char *text, struct value *v, char *err,
		     size_t n)
{
	const char *end;
	enum num_result r = options__scan_integer(text, &v->neg, &v->u, &end);
	char range[128];

	if (r == NUM_NOT_A_NUMBER || *end != '\0') {
		say(err, n, "\"%s\" is not an integer (%s)", text,
		    options__range(k, range, sizeof(range)));
		return -1;
	}
	if (r == NUM_TOO_LARGE || !int_in_range(k, v->neg, v->u)) {
		say(err, n, "%s is out of range (%s)", text, options__range(k, range, sizeof(range)));
		return -1;
	}
	return 0;
}

static int check_size(const struct setting *k, const char *text, struct value *v, char *err,
		      size_t n)
{
	const char *end;
	unsigned shift = 0;
	bool neg;
	uint64_t mag;
	enum num_result r = options__scan_integer(text, &neg, &mag, &end);

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

static int check_seconds(const struct setting *k, const char *text, struct value *v, char *err,
			 size_t n)
{
	char *end;
	double d;

	/*
	 * strtod() skips blanks and takes "inf", "nan" and hexadecimal floats
	 * ("0x0.4p0"): none is the decimal number --help promises.
	 */
	if (!((*text >= '0' && *text <= '9') || *text == '.' || *text == '-' || *text == '+') ||
	    strpbrk(text, "xX"))
		goto not_a_number;
	errno = 0;
	d = strtod(text, &end);
	if (end == text || *end != '\0' || !isfinite(d))
		goto not_a_number;
	if (!(d > 0 && d <= SETTINGS_MAX_SECONDS) && !(d == 0 && (k->flags & F_ZERO_NONE))) {
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

static int check_enum(const struct setting *k, const char *text, struct value *v, char *err,
		      size_t n)
{
	const struct choices *c = k->choices;
	char range[128];

	for (unsigned i = 0; i < c->n; i++) {
		if (strcmp(text, c->name(c->values[i])) == 0) {
			v->e = c->values[i];
			return 0;
		}
	}
	for (const struct alias *a = c->aliases; a && a->name; a++) {
		if (strcmp(text, a->name) == 0) {
			v->e = a->value;
			return 0;
		}
	}
	say(err, n, "\"%s\" is not one of %s", text, options__range(k, range, sizeof(range)));
	return -1;
}

int options__check_text(const struct setting *k, const char *text, struct value *v, char *err,
			size_t n)
{
	switch (k->kind) {
	case KIND_PATH:
	case KIND_TEXT:
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
		return options__parse_cpulist(text, true, v->cpus, DBCAP_MAX_CPUS, &v->ncpus, err, n);
	case KIND_ALIAS:
	case KIND_ACTION:
		break;
	}
	say(err, n, "takes no value");
	return -1;
}

/* ------------------------------------------------------------ store, report */

/*
 * How each kind is stored into its field and reported to the statistics.
 * The field's C type varies within a kind (unsigned, uint32_t, uint64_t,
 * size_t for KIND_INT), so these are macros the table expands per setting.
 */
#define STORE_PATH(o, f, v) return options__set_string(&(o)->f, (v)->s)
#define STORE_TEXT(o, f, v) return options__set_string(&(o)->f, (v)->s)
#define STORE_BOOL(o, f, v) (o)->f = (v)->b
#define STORE_INT(o, f, v)                                                                     \
	do {                                                                                   \
		if ((v)->neg)                                                                  \
			(o)->f = -(int)(v)->u;                                                 \
		else                                                                           \
			(o)->f = (v)->u;                                                       \
	} while (0)
#define STORE_SIZE(o, f, v) (o)->f = (v)->u
#define STORE_SECONDS(o, f, v) (o)->f = (v)->d
#define STORE_FACTOR(o, f, v) (o)->f = (v)->d
#define STORE_ENUM(o, f, v) (o)->f = (v)->e
#define STORE_CPULIST(o, f, v)                                                                 \
	do {                                                                                   \
		memcpy((o)->f, (v)->cpus, (v)->ncpus * sizeof((o)->f[0]));                     \
		(o)->ncpus = (v)->ncpus;                                                       \
	} while (0)
#define STORE_ALIAS(o, f, v) (void)0
#define STORE_ACTION(o, f, v) (void)0

int options__store(struct dbcap_opts *o, enum setting_id id, const struct value *v)
{
#define SETTING_STORE(ID, field, KIND, ...)                                                    \
	case S_##ID:                                                                           \
		STORE_##KIND(o, field, v);                                                     \
		break;
	switch (id) {
		SETTINGS(SETTING_STORE)
	case NSETTINGS:
		return -1;
	}
#undef SETTING_STORE
	return 0;
}

#define REPORT_PATH(out, k, val) (out)->type = STATS_CFG_STR, (out)->s = (val)
#define REPORT_TEXT(out, k, val) (out)->type = STATS_CFG_STR, (out)->s = (val)
#define REPORT_BOOL(out, k, val) (out)->type = STATS_CFG_BOOL, (out)->b = (val)
#define REPORT_INT(out, k, val)                                                                \
	do {                                                                                   \
		if ((k)->min < 0)                                                              \
			(out)->type = STATS_CFG_INT, (out)->i = (int64_t)(val);                \
		else                                                                           \
			(out)->type = STATS_CFG_U64, (out)->u = (uint64_t)(val);               \
	} while (0)
#define REPORT_SIZE(out, k, val) (out)->type = STATS_CFG_U64, (out)->u = (uint64_t)(val)
#define REPORT_SECONDS(out, k, val) (out)->type = STATS_CFG_DBL, (out)->d = (val)
#define REPORT_FACTOR(out, k, val) (out)->type = STATS_CFG_DBL, (out)->d = (val)
#define REPORT_ENUM(out, k, val) (out)->type = STATS_CFG_STR, (out)->s = (k)->choices->name((int)(val))
#define REPORT_CPULIST(out, k, val)                                                            \
	(out)->type = STATS_CFG_INTS, (out)->ints.v = (val),                                   \
	(out)->ints.n = o->ncpus < DBCAP_MAX_CPUS ? o->ncpus : DBCAP_MAX_CPUS
#define REPORT_ALIAS(out, k, val) (void)0
#define REPORT_ACTION(out, k, val) (void)0

_Static_assert(NSETTINGS <= STATS_CONFIG_MAX, "run.config has room for every setting");

unsigned options_snapshot(const struct dbcap_opts *o, const struct dbuf_config *buf,
			  struct stats_config_value *out, unsigned max)
{
	unsigned n = 0;

#define SETTING_REPORT(ID, field, KIND, ...)                                                   \
	case S_##ID:                                                                           \
		REPORT_##KIND(&out[n], k, o->field);                                           \
		break;
	for (int id = 0; id < NSETTINGS && n < max; id++) {
		const struct setting *k = &options__settings[id];

		if (!k->stats)
			continue;
		out[n].key = k->stats;
		switch ((enum setting_id)id) {
			SETTINGS(SETTING_REPORT)
		case NSETTINGS:
			break;
		}
		/* The library rounds the buffer size up to the page size: report what it uses. */
		if (id == S_BUFFER_SIZE && buf)
			out[n].u = buf->buffer_size;
		n++;
	}
#undef SETTING_REPORT
	return n;
}

/* ------------------------------------------------------------------ defaults */

void options_defaults(struct dbcap_opts *o)
{
	struct dbuf_config bc;
	struct value *v = malloc(sizeof(*v));
	char err[SETTINGS_MSG_MAX];

	/* Zeroed first, padding included, so two defaulted structs compare equal. */
	memset(o, 0, sizeof(*o));
	for (int id = 0; id < NSETTINGS && v; id++) {
		const struct setting *k = &options__settings[id];

		if (!k->dflt || k->kind == KIND_ALIAS)
			continue;
		/* The table's text takes the road a user's value takes: a test catches a bad one. */
		if (options__check_text(k, k->dflt, v, err, sizeof(err)) < 0 ||
		    options__store(o, (enum setting_id)id, v) < 0)
			complain("internal error: the default of %s: %s", k->opt, err);
	}
	free(v);
	/* The buffer's settings default to the library's own (F_LIB_DEFAULT). */
	dbuf_config_init(&bc);
	o->writers = bc.writers;
	o->layout = bc.layout;
	o->buffers = bc.buffers;
	o->buffer_size = bc.buffer_size;
	o->on_full = bc.on_full;
}

bool options_sync(const struct dbcap_opts *o)
{
	if (o->sync == IO_AUTO)
		return !o->pcap;
	return o->sync == IO_ON;
}

bool options_rotating(const struct dbcap_opts *o)
{
	return o->file_size > 0 || o->rotate_seconds > 0;
}

enum io_toggle options_direct(const struct dbcap_opts *o)
{
	if (o->direct == IO_AUTO && !options_sync(o))
		return IO_OFF;
	return o->direct;
}

const char *options_format_name(enum out_format f)
{
	return f == FORMAT_PCAP ? "pcap" : f == FORMAT_PCAPNG ? "pcapng" : "auto";
}

/* What the output name's extension says: FORMAT_AUTO when it says nothing. */
static enum out_format format_of_name(const char *path)
{
	const char *dot = path ? strrchr(path, '.') : NULL;

	if (!dot || strchr(dot, '/'))
		return FORMAT_AUTO;
	if (strcasecmp(dot, ".pcap") == 0)
		return FORMAT_PCAP;
	if (strcasecmp(dot, ".pcapng") == 0 || strcasecmp(dot, ".ntar") == 0)
		return FORMAT_PCAPNG;
	return FORMAT_AUTO;
}

enum out_format options_format(const struct dbcap_opts *o, bool *ext_conflict)
{
	enum out_format by_name = format_of_name(o->output);

	if (ext_conflict)
		*ext_conflict = o->format != FORMAT_AUTO && by_name != FORMAT_AUTO &&
				by_name != o->format;
	if (o->format != FORMAT_AUTO)
		return o->format;
	if (by_name != FORMAT_AUTO)
		return by_name;
	/* tcpdump's pcap for a replay and for one interface; pcapng for several and for synthetic data. */
	if (o->pcap || (o->interface && !strchr(o->interface, ',')))
		return FORMAT_PCAP;
	return FORMAT_PCAPNG;
}

/* The strings a setting owns; the others own nothing. */
#define FREE_PATH(o, f) free((o)->f), (o)->f = NULL
#define FREE_TEXT(o, f) free((o)->f), (o)->f = NULL
#define FREE_BOOL(o, f) (void)0
#define FREE_INT(o, f) (void)0
#define FREE_SIZE(o, f) (void)0
#define FREE_SECONDS(o, f) (void)0
#define FREE_FACTOR(o, f) (void)0
#define FREE_ENUM(o, f) (void)0
#define FREE_CPULIST(o, f) (void)0
#define FREE_ALIAS(o, f) (void)0
#define FREE_ACTION(o, f) (void)0

void options_free(struct dbcap_opts *o)
{
#define SETTING_FREE(ID, field, KIND, ...) FREE_##KIND(o, field);
	SETTINGS(SETTING_FREE)
#undef SETTING_FREE
}
