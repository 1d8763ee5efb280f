/* SPDX-License-Identifier: MIT */
/*
 * cmdline.c - dbcap's command line: getopt_long's tables and --help, both
 * made from the settings table (settings.h), the order in which the
 * configuration file and the options apply, and the checks between
 * settings that no single value can make.
 */
#define _GNU_SOURCE
#include "settings.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef DBCAP_VERSION
#define DBCAP_VERSION "0.1.0"
#endif

#define complain options__complain

#define settings options__settings

/* getopt_long's value of a setting without a short option. */
#define OPT_SETTING 0x100

/* ------------------------------------------------------------------- --help */

/* The synopsis and what dbcap does; the options follow, from the table. */
static const char usage_text[] =
	"Usage: dbcap -w FILE|- [--format pcap|pcapng] [--force] [-c COUNT]\n"
	"             [--duration SECONDS] [-q]\n"
	"             [--writers N] [--cpus LIST] [--reader-cpu N]\n"
	"             [--layout per-writer|shared|mutex] [--buffers K]\n"
	"             [--buffer-size SIZE] [--on-full drop|wait]\n"
	"             [--block-min N] [--block-max N] [--seed N]\n"
	"             [--writer-work N] [--reader-work N] [--io-engine io_uring|pwrite]\n"
	"             [--direct[=auto|on|off] | --buffered]\n"
	"             [--sync[=auto|on|off] | --no-sync] [--io-depth N]\n"
	"             [--flush-age SECONDS] [--stats FILE [--stats-interval SECONDS]]\n"
	"             [--config FILE]\n"
	"             [-C SIZE] [-G SECONDS] [-W N] [-z PROGRAM]\n"
	"             [--min-free SIZE|PERCENT%] [--digest[=auto|on|off]]\n"
	"       dbcap -r FILE|- -w FILE|- [-s SNAPLEN] [--speed X] [-c COUNT] [other options]\n"
	"             [FILTER EXPRESSION]\n"
	"       dbcap -i IFACE [-i IFACE]... -w FILE [-s SNAPLEN] [-c COUNT] [-p] [-Z USER]\n"
	"             [other options] [FILTER EXPRESSION]\n"
	"       dbcap -D | -h | --help | --version\n"
	"\n"
	"Writer threads generate synthetic blocks into a lock-free multi-writer double\n"
	"buffer; one reader thread appends them to a pcapng file.  Runs until COUNT\n"
	"blocks, SECONDS, SIGINT or SIGTERM, whichever comes first.  With -r, the\n"
	"writers replay a pcap or pcapng file instead, sharded by flow, into a pcap\n"
	"file; a filter expression (pcap-filter(7)) may follow the options.  With -i,\n"
	"they take the packets of network interfaces from the kernel's rings.  FILE's\n"
	"extension (.pcap, .pcapng) or --format chooses the output's format; - is\n"
	"standard output (-w) or input (-r).\n"
	"\n";

static const char *const group_titles[] = {
	[G_OUTPUT] = "Output:",
	[G_STOP] = "Stop conditions (default: none, run until SIGINT or SIGTERM):",
	[G_WRITERS] = "Writers and buffer:",
	[G_REPLAY] = "Replay source:",
	[G_SYNTHETIC] = "Synthetic source:",
	[G_PERSIST] = "Persistence:",
	[G_STATS] = "Statistics:",
	[G_CONFIG] = "Configuration:",
	[G_LIVE] = "Live source:",
	[G_NONE] = NULL,
};

/* Where the descriptions start: the options' column is this wide. */
#define HELP_COLUMN 27

/* A size as the option takes it: 4194304 is "4M". */
static void size_text(uint64_t u, char *buf, size_t n)
{
	static const char suffix[] = "GMk";

	for (unsigned i = 0; i < 3; i++) {
		unsigned shift = 30 - 10 * i;

		if (u && u % (UINT64_C(1) << shift) == 0) {
			snprintf(buf, n, "%" PRIu64 "%c", u >> shift, suffix[i]);
			return;
		}
	}
	snprintf(buf, n, "%" PRIu64, u);
}

/* A default value as the option would take it, from the defaults' snapshot. */
static const char *value_text(const struct setting *k, const struct stats_config_value *v,
			      char *buf, size_t n)
{
	switch (v->type) {
	case STATS_CFG_STR:
		return v->s ? v->s : "none";
	case STATS_CFG_BOOL:
		return v->b ? "true" : "false";
	case STATS_CFG_U64:
		if (k->kind == KIND_SIZE)
			size_text(v->u, buf, n);
		else
			snprintf(buf, n, "%" PRIu64, v->u);
		return buf;
	case STATS_CFG_INT:
		snprintf(buf, n, "%" PRId64, v->i);
		return buf;
	case STATS_CFG_DBL:
		snprintf(buf, n, "%g", v->d);
		return buf;
	case STATS_CFG_INTS:
		break;
	}
	return "";
}

/* The defaults, in words, for --help's %D: from options_defaults() itself. */
struct help_defaults {
	struct dbcap_opts o;
	struct stats_config_value v[STATS_CONFIG_MAX];
	unsigned n;
};

static const char *default_text(const struct help_defaults *d, const struct setting *k,
				char *buf, size_t n)
{
	for (unsigned i = 0; k->stats && i < d->n; i++)
		if (strcmp(d->v[i].key, k->stats) == 0)
			return value_text(k, &d->v[i], buf, n);
	return "?";
}

/*
 * One option: "  -w, --write FILE", padded to the description's column (a
 * longer one gets a line of its own), then the description, its further
 * lines indented to the same column.
 */
static void print_option(FILE *f, const struct setting *k, const struct help_defaults *d)
{
	char left[160], arg[160], text[1024], dflt[64];
	const char *line = text;
	size_t len = 0;
	int width;

	if (k->shortopt)
		width = snprintf(left, sizeof(left), "  -%c, --%s%s", k->shortopt, k->opt,
				 options__arg(k, arg, sizeof(arg)));
	else
		width = snprintf(left, sizeof(left), "      --%s%s", k->opt,
				 options__arg(k, arg, sizeof(arg)));
	if (width < HELP_COLUMN)
		fprintf(f, "%-*s", HELP_COLUMN, left);
	else
		fprintf(f, "%s\n%*s", left, HELP_COLUMN, "");
	for (const char *h = k->help; *h && len < sizeof(text) - 1; h++) {
		if (h[0] == '%' && h[1] == 'D') {
			len += (size_t)snprintf(text + len, sizeof(text) - len, "%s",
						default_text(d, k, dflt, sizeof(dflt)));
			h++;
		} else {
			text[len++] = *h;
		}
		if (len > sizeof(text) - 1)
			len = sizeof(text) - 1;
	}
	text[len] = '\0';
	for (;;) {
		size_t n = strcspn(line, "\n");

		fprintf(f, "%.*s\n", (int)n, line);
		if (!line[n])
			break;
		line += n + 1;
		fprintf(f, "%*s", HELP_COLUMN, "");
	}
}

static void print_help(FILE *f)
{
	struct help_defaults *d = malloc(sizeof(*d));
	int group = -1;

	if (!d) {
		complain("out of memory");
		return;
	}
	options_defaults(&d->o);
	d->n = options_snapshot(&d->o, NULL, d->v, STATS_CONFIG_MAX);
	fputs(usage_text, f);
	for (int id = 0; id < NSETTINGS; id++) {
		const struct setting *k = &settings[id];

		if (!k->opt || k->group == G_NONE)
			continue;
		if ((int)k->group != group) {
			if (group >= 0)
				fputc('\n', f);
			group = (int)k->group;
			fprintf(f, "%s\n", group_titles[group]);
		}
		print_option(f, k, d);
	}
	options_free(&d->o);
	free(d);
}

/* ------------------------------------------------------------ getopt_long */

/* ":w:qc:r:s:h": a leading ':' so that a missing value is told apart. */
static void build_short_options(char *s)
{
	*s++ = ':';
	for (int id = 0; id < NSETTINGS; id++) {
		const struct setting *k = &settings[id];

		if (!k->shortopt)
			continue;
		*s++ = (char)k->shortopt;
		if (k->kind != KIND_BOOL && k->kind != KIND_ACTION && k->kind != KIND_ALIAS)
			*s++ = ':';
	}
	*s = '\0';
}

static int has_arg(const struct setting *k)
{
	if (k->kind == KIND_BOOL || k->kind == KIND_ACTION || k->kind == KIND_ALIAS)
		return no_argument;
	return k->flags & F_OPTIONAL_ARG ? optional_argument : required_argument;
}

static void build_long_options(struct option *lo)
{
	int n = 0;

	for (int id = 0; id < NSETTINGS; id++) {
		const struct setting *k = &settings[id];

		if (!k->opt)
			continue;
		lo[n++] = (struct option){k->opt, has_arg(k), NULL,
					  k->shortopt ? k->shortopt : OPT_SETTING + id};
	}
	lo[n] = (struct option){NULL, 0, NULL, 0};
}

/* The setting behind a getopt_long value, or -1. */
static int setting_of(int val)
{
	if (val >= OPT_SETTING && val < OPT_SETTING + NSETTINGS)
		return val - OPT_SETTING;
	for (int id = 0; id < NSETTINGS; id++)
		if (settings[id].shortopt && settings[id].shortopt == val)
			return id;
	return -1;
}

/* The option's name for messages: "buffers", "config". */
static const char *option_name(int val)
{
	int id = setting_of(val);

	return id >= 0 ? settings[id].opt : NULL;
}

static void report_getopt_error(int c, char **argv, const struct option *longopts)
{
	const char *name = option_name(optopt);
	const char *arg = optind > 0 ? argv[optind - 1] : "?";

	if (c == ':') {
		int k = setting_of(optopt);

		char range[128];

		if (k >= 0 && settings[k].kind != KIND_PATH)
			complain("--%s: missing value (%s)", name,
				 options__range(&settings[k], range, sizeof(range)));
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
static const char *setting(const struct options__ctx *c, enum setting_id id, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static const char *setting(const struct options__ctx *c, enum setting_id id, const char *fmt, ...)
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
		snprintf(out, sizeof(buf[0]), "key \"%s\" %s (in %s)", settings[id].json, value,
			 c->config);
	else
		snprintf(out, sizeof(buf[0]), "--%s %s", settings[id].opt, value);
	return out;
}

/*
 * --min-free SIZE|PERCENT%: a size with the suffixes -C takes, or a
 * percentage of the file system (0 < PERCENT < 100, fractions allowed).
 */
static int parse_min_free(struct dbcap_opts *o, char *err, size_t n)
{
	const char *text = o->min_free;
	size_t len = strlen(text);
	struct value v;

	if (len > 1 && text[len - 1] == '%') {
		char *end;
		double pct = strtod(text, &end);

		if (end != text + len - 1 || !(pct > 0 && pct < 100) || strpbrk(text, "xXpPeE") ||
		    !(text[0] >= '0' && text[0] <= '9')) {
			snprintf(err, n, "\"%s\" is not a percentage above 0 and below 100", text);
			return -1;
		}
		o->min_free_percent = pct;
		return 0;
	}
	if (options__check_text(&settings[S_FILE_SIZE], text, &v, err, n) < 0)
		return -1;
	if (v.u == 0) {
		snprintf(err, n, "0 is no free space to keep (leave --min-free out)");
		return -1;
	}
	o->min_free_bytes = v.u;
	return 0;
}

/* The rotation's options: -W, -z, --min-free and --digest need -C or -G. */
static int check_rotation(const struct options__ctx *c)
{
	struct dbcap_opts *o = c->o;
	char err[SETTINGS_MSG_MAX];
	static const enum setting_id needs[] = {S_FILE_COUNT, S_HOOK, S_MIN_FREE, S_DIGEST};
	bool set[] = {o->file_count > 0, o->hook != NULL, o->min_free != NULL, o->digest == IO_ON};

	for (size_t i = 0; i < sizeof(needs) / sizeof(needs[0]); i++) {
		if (set[i] && !options_rotating(o)) {
			complain("%s needs rotation: -C SIZE or -G SECONDS",
				 setting(c, needs[i], "%s", "(given)"));
			return -1;
		}
	}
	if (options_rotating(o) && strcmp(o->output, "-") == 0) {
		complain("-w - (standard output) cannot rotate: -C and -G need a file name");
		return -1;
	}
	if (o->min_free && parse_min_free(o, err, sizeof(err)) < 0) {
		complain("%s: %s", setting(c, S_MIN_FREE, "%s", o->min_free), err);
		return -1;
	}
	return 0;
}

static int cross_check(const struct options__ctx *c)
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
	if (o->stats_interval > 0 && !o->stats_path && !o->prom_path) {
		complain("%s needs --stats FILE or --prom FILE",
			 setting(c, S_STATS_INTERVAL, "%g", o->stats_interval));
		return -1;
	}
	if (o->pcap && o->interface) {
		complain("--pcap and --interface: one source at a time");
		return -1;
	}
	/* The kernel's rings take blocks of a power of two of pages (PACKET_RX_RING). */
	if (o->interface && (o->ring_block_size < psize ||
			     (o->ring_block_size & (o->ring_block_size - 1)) != 0)) {
		complain("%s: a ring block must be a power of two of at least the page size (%" PRIu64
			 ")", setting(c, S_RING_BLOCK_SIZE, "%zu", o->ring_block_size), psize);
		return -1;
	}
	if (!o->interface && o->no_promisc) {
		complain("-p (--no-promiscuous-mode) needs --interface IFACE");
		return -1;
	}
	if (!o->pcap && !o->interface && o->snaplen) {
		complain("%s needs --pcap FILE (replay mode) or --interface IFACE",
			 setting(c, S_SNAPLEN, "%" PRIu32, o->snaplen));
		return -1;
	}
	/* The configuration's filter (the command line's words need --pcap or -i already). */
	if (!o->pcap && !o->interface && o->filter) {
		complain("%s needs \"pcap\" or \"interface\" (replay or live mode)",
			 setting(c, S_FILTER, "\"%s\"", o->filter));
		return -1;
	}
	if (!o->pcap && o->speed > 0) {
		complain("%s needs --pcap FILE (replay mode)", setting(c, S_SPEED, "%g", o->speed));
		return -1;
	}
	if (check_rotation(c) < 0)
		return -1;
	if (o->block_min > o->block_max) {
		complain("%s is larger than %s", setting(c, S_BLOCK_MIN, "%" PRIu32, o->block_min),
			 setting(c, S_BLOCK_MAX, "%" PRIu32, o->block_max));
		return -1;
	}
	/*
	 * dbuf refuses a block larger than a buffer, and a record is one block:
	 * with a smaller buffer every large block would be dropped as too big.
	 * Replay records come from the input: dbcap checks them against the
	 * buffer once it has read the input's snapshot length.
	 */
	if (rounded < record && !o->pcap && !o->interface) {
		char rounding[80] = "";

		if (rounded != o->buffer_size)
			snprintf(rounding, sizeof(rounding), "; buffers are rounded up to %" PRIu64,
				 rounded);
		complain("%s is too small for %s (a record needs %" PRIu64 " bytes%s)",
			 setting(c, S_BUFFER_SIZE, "%zu", o->buffer_size),
			 setting(c, S_BLOCK_MAX, "%" PRIu32, o->block_max), record, rounding);
		return -1;
	}
	/* The same bound as dbuf_create() checks; see docs/DESIGN.md, "The head word". */
	if (o->layout == DBUF_LAYOUT_SHARED &&
	    rounded * (o->writers + 3u) >= (UINT64_C(1) << 32)) {
		uint64_t largest = ((UINT64_C(1) << 32) - 1) / (o->writers + 3u) / psize * psize;

		complain("%s is too large for the shared layout with %s: the shared layout's "
			 "32-bit offset needs buffer-size × (writers + 3) < 4 GiB (here at most %"
			 PRIu64 " bytes)",
			 setting(c, S_BUFFER_SIZE, "%zu", o->buffer_size),
			 setting(c, S_WRITERS, "%u", o->writers), largest);
		return -1;
	}
	return 0;
}

/* -i given again: o->interface becomes "first,second".  0 or -1 (said). */
static int append_interface(struct dbcap_opts *o, const char *name)
{
	size_t a = strlen(o->interface), b = strlen(name);
	char *s = malloc(a + b + 2);

	if (!s) {
		complain("out of memory");
		return -1;
	}
	memcpy(s, o->interface, a);
	s[a] = ',';
	memcpy(s + a + 1, name, b + 1);
	free(o->interface);
	o->interface = s;
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
	struct option longopts[NSETTINGS + 1];
	char short_options[2 * NSETTINGS + 2];
	struct options__ctx c = {.o = o};
	const char *config = NULL;
	bool help = false, version = false;
	char err[SETTINGS_MSG_MAX];
	struct value *v;
	int opt, ret = -1;

	options_defaults(o);
	build_long_options(longopts);
	build_short_options(short_options);

	/*
	 * First pass: only --config, --help and --version, so that the file is
	 * loaded before the command line overrides it wherever --config stands.
	 * Errors are left to the second pass.
	 */
	opterr = 0;
	optind = 0;
	while ((opt = getopt_long(argc, argv, short_options, longopts, NULL)) != -1) {
		int id = setting_of(opt);

		if (id == S_CONFIG)
			config = optarg;
		else if (id == S_HELP)
			help = true;
		else if (id == S_VERSION)
			version = true;
		else if (id == S_LIST_INTERFACES)
			o->list_interfaces = true;
	}
	if (help) {
		print_help(stdout);
		fflush(stdout);
		return 1;
	}
	if (version) {
		printf("dbcap %s\n", DBCAP_VERSION);
		fflush(stdout);
		return 1;
	}
	if (o->list_interfaces)
		return 1; /* main prints them (src/source/live.c) */
	if (config) {
		if (options__set_string(&o->config_path, config) < 0)
			return -1;
		if (options__load_config(&c, config) < 0)
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
		int id = setting_of(opt);
		const struct setting *k;

		if (opt == '?' || opt == ':') {
			report_getopt_error(opt, argv, longopts);
			goto out;
		}
		if (id < 0) {
			complain("internal error: option %d", opt);
			goto out;
		}
		k = &settings[id];
		switch (k->kind) {
		case KIND_ACTION:
			continue;
		case KIND_ALIAS:
			/* --buffered: --direct=off. */
			text = k->dflt;
			id = (int)k->min;
			k = &settings[id];
			break;
		case KIND_BOOL:
			text = "true";
			break;
		default:
			if (id == S_CONFIG)
				continue; /* loaded above */
			/* --direct alone: --direct=on. */
			if (!text && (k->flags & F_OPTIONAL_ARG))
				text = "on";
			break;
		}
		if (options__check_text(k, text, v, err, sizeof(err)) < 0) {
			complain("--%s: %s", k->opt, err);
			goto out;
		}
		/* -i again: one more interface (tcpdump takes one; dumpcap several). */
		if (id == S_INTERFACE && c.origin[id] == FROM_CLI && o->interface) {
			if (append_interface(o, text) < 0)
				goto out;
			continue;
		}
		if (options__store(o, (enum setting_id)id, v) < 0)
			goto out;
		c.origin[id] = FROM_CLI;
	}
	if (optind < argc && (o->pcap || o->interface)) {
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
