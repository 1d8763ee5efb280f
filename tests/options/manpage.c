/* SPDX-License-Identifier: MIT */
/* dbcap(1) documents every option and configuration key of the settings table, and no other (argv: the man page). */
#define _GNU_SOURCE
#include "check.h"
#include "settings.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every finding is reported, not only the first. */
#define FAIL(...) t_fail(__FILE__, __LINE__, "dbcap(1)", __VA_ARGS__)

#define MAX_NAMES 256

/* What one section's item tags (the line after each .TP) name. */
struct names {
	char *longs[MAX_NAMES]; /* "buffer-size" */
	unsigned nlongs;
	char shorts[MAX_NAMES]; /* 'w' */
	unsigned nshorts;
	char *keys[MAX_NAMES];  /* "buffer_size" */
	unsigned nkeys;
	/* For each key, the options its tag names in parentheses: "(\-\-direct, \-\-buffered)". */
	char *key_opts[MAX_NAMES];
};

static void names_free(struct names *s)
{
	for (unsigned i = 0; s && i < s->nlongs; i++)
		free(s->longs[i]);
	for (unsigned i = 0; s && i < s->nkeys; i++) {
		free(s->keys[i]);
		free(s->key_opts[i]);
	}
	free(s);
}

static bool has(char *const *list, unsigned n, const char *name)
{
	for (unsigned i = 0; i < n; i++)
		if (strcmp(list[i], name) == 0)
			return true;
	return false;
}

/* "\-\-buffer\-size" at p (after the dashes): the name with its escapes undone. */
static char *option_word(const char *p, const char **end)
{
	char buf[64];
	size_t n = 0;

	while (n < sizeof(buf) - 1) {
		if (islower((unsigned char)*p) || isdigit((unsigned char)*p)) {
			buf[n++] = *p++;
		} else if (p[0] == '\\' && p[1] == '-' &&
			   (islower((unsigned char)p[2]) || isdigit((unsigned char)p[2]))) {
			buf[n++] = '-';
			p += 2;
		} else {
			break;
		}
	}
	buf[n] = '\0';
	*end = p;
	return strdup(buf);
}

/* The options a tag names: \-\-long and \-x. */
static void scan_options(const char *tag, struct names *s)
{
	for (const char *p = tag; *p;) {
		if (strncmp(p, "\\-\\-", 4) == 0 && islower((unsigned char)p[4])) {
			char *w = option_word(p + 4, &p);

			if (s->nlongs < MAX_NAMES)
				s->longs[s->nlongs++] = w;
			else
				free(w);
		} else if (strncmp(p, "\\-", 2) == 0 && isalpha((unsigned char)p[2]) &&
			   !isalnum((unsigned char)p[3]) && p[3] != '\\') {
			if (s->nshorts < MAX_NAMES)
				s->shorts[s->nshorts++] = p[2];
			p += 3;
		} else {
			p++;
		}
	}
}

/* A CONFIGURATION tag: .BR \(dqKEY\(dq " (" \-\-option ) */
static void scan_key(const char *tag, struct names *s)
{
	const char *p = strstr(tag, "\\(dq"), *q;

	if (!p || s->nkeys >= MAX_NAMES)
		return;
	p += 4;
	q = strstr(p, "\\(dq");
	if (!q)
		return;
	s->keys[s->nkeys] = strndup(p, (size_t)(q - p));
	s->key_opts[s->nkeys] = strdup(q);
	s->nkeys++;
}

/* Reads the tags of sections OPTIONS and CONFIGURATION. */
static int read_page(const char *path, struct names *opts, struct names *conf)
{
	FILE *f = fopen(path, "r");
	char line[4096];
	struct names *in = NULL;
	bool tag = false;

	if (!f) {
		perror(path);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, ".SH ", 4) == 0) {
			in = strncmp(line, ".SH OPTIONS", 11) == 0	       ? opts
			     : strncmp(line, ".SH CONFIGURATION", 17) == 0 ? conf
									   : NULL;
			tag = false;
			continue;
		}
		if (!in)
			continue;
		if (strncmp(line, ".TP", 3) == 0) {
			tag = true;
			continue;
		}
		if (tag) {
			if (in == opts)
				scan_options(line, in);
			else
				scan_key(line, in);
		}
		tag = false;
	}
	fclose(f);
	return 0;
}

/* The option named in a key's tag belongs to the key's setting, or is an alias of it. */
static bool option_sets(const char *name, char shortopt, int id)
{
	for (int i = 0; i < NSETTINGS; i++) {
		const struct setting *k = &options__settings[i];
		bool named = (name && k->opt && strcmp(k->opt, name) == 0) ||
			     (shortopt && k->shortopt == shortopt);

		if (named && (i == id || (k->kind == KIND_ALIAS && k->min == id)))
			return true;
	}
	return false;
}

int main(int argc, char **argv)
{
	struct names *opts = calloc(1, sizeof(*opts)), *conf = calloc(1, sizeof(*conf));
	const char *page = argc > 1 ? argv[1] : "docs/dbcap.1";

	t_keep_going = true;

	if (!opts || !conf || read_page(page, opts, conf) < 0)
		return 1;
	if (opts->nlongs == 0 || conf->nkeys == 0) {
		FAIL("%s: no OPTIONS or CONFIGURATION items found", page);
		return 1;
	}
	/* The table's options and keys are in the page. */
	for (int i = 0; i < NSETTINGS; i++) {
		const struct setting *k = &options__settings[i];

		if (k->opt && !has(opts->longs, opts->nlongs, k->opt))
			FAIL("%s: OPTIONS does not document --%s", page, k->opt);
		if (k->shortopt && !memchr(opts->shorts, k->shortopt, opts->nshorts))
			FAIL("%s: OPTIONS does not document -%c (--%s)", page, k->shortopt, k->opt);
		if (k->json && !has(conf->keys, conf->nkeys, k->json))
			FAIL("%s: CONFIGURATION does not document the key \"%s\"", page, k->json);
	}
	/* The page's options and keys are in the table. */
	for (unsigned i = 0; i < opts->nlongs; i++) {
		bool found = false;

		for (int id = 0; id < NSETTINGS; id++)
			found |= options__settings[id].opt &&
				 strcmp(options__settings[id].opt, opts->longs[i]) == 0;
		if (!found)
			FAIL("%s: OPTIONS documents --%s, which dbcap does not have", page,
			     opts->longs[i]);
	}
	for (unsigned i = 0; i < opts->nshorts; i++) {
		bool found = false;

		for (int id = 0; id < NSETTINGS; id++)
			found |= options__settings[id].shortopt == opts->shorts[i];
		if (!found)
			FAIL("%s: OPTIONS documents -%c, which dbcap does not have", page,
			     opts->shorts[i]);
	}
	for (unsigned i = 0; i < conf->nkeys; i++) {
		int id = options__find_json(conf->keys[i]);
		struct names named = {.nlongs = 0};

		if (id < 0) {
			FAIL("%s: CONFIGURATION documents the key \"%s\", which dbcap does not have",
			     page, conf->keys[i]);
			continue;
		}
		/* The option in parentheses is the one the key stands for. */
		scan_options(conf->key_opts[i], &named);
		/* A key with no option (the filter: the words after the options) names none. */
		if (named.nlongs + named.nshorts == 0 &&
		    (options__settings[id].opt || options__settings[id].shortopt))
			FAIL("%s: CONFIGURATION: key \"%s\" names no option", page, conf->keys[i]);
		for (unsigned j = 0; j < named.nlongs; j++)
			if (!option_sets(named.longs[j], 0, id))
				FAIL("%s: CONFIGURATION: key \"%s\" is not set by --%s", page,
				     conf->keys[i], named.longs[j]);
		for (unsigned j = 0; j < named.nshorts; j++)
			if (!option_sets(NULL, named.shorts[j], id))
				FAIL("%s: CONFIGURATION: key \"%s\" is not set by -%c", page,
				     conf->keys[i], named.shorts[j]);
		for (unsigned j = 0; j < named.nlongs; j++)
			free(named.longs[j]);
	}
	if (!t_failures)
		t_log("ok: %u option tags, %u short options and %u keys documented", opts->nlongs,
		      opts->nshorts, conf->nkeys);
	names_free(opts);
	names_free(conf);
	return t_result();
}
