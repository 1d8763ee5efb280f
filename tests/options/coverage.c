/* SPDX-License-Identifier: MIT */
/*
 * The configuration file covers the command line, and the reverse, for
 * every setting of the table (src/app/settings.h), whoever adds it: every
 * option that sets something has its key (an alias through the setting it
 * sets), the filter too, so that a service runs "dbcap --config FILE" with
 * nothing else; every key is an option or the filter's words.  --config
 * itself (a file cannot name another), --help and --version have none.
 * The shipped config/dbcap.json (argv[1]) holds every key of the table.
 */
#define _GNU_SOURCE

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "settings.h"

#define FAIL(...) t_fail(__FILE__, __LINE__, "configuration", __VA_ARGS__)

static bool is_option(const struct setting *k)
{
	return k->opt || k->shortopt;
}

static const char *name_of(const struct setting *k, char *buf, size_t n)
{
	if (k->opt)
		snprintf(buf, n, "--%s", k->opt);
	else if (k->shortopt)
		snprintf(buf, n, "-%c", k->shortopt);
	else
		snprintf(buf, n, "key \"%s\"", k->json ? k->json : "?");
	return buf;
}

/* Every key of the table is in the shipped file (its values: options-shipped-config). */
static void check_shipped(const char *path)
{
	char *text = NULL;
	size_t len;

	if (options__read_file(path, 1 << 20, &text, &len) != 0) {
		FAIL("%s: cannot read it", path);
		return;
	}
	for (int i = 0; i < NSETTINGS; i++) {
		char quoted[80];

		if (!options__settings[i].json)
			continue;
		snprintf(quoted, sizeof(quoted), "\"%s\":", options__settings[i].json);
		if (!strstr(text, quoted))
			FAIL("%s lacks the key %s", path, quoted);
	}
	free(text);
}

int main(int argc, char **argv)
{
	char name[64];
	unsigned options = 0, keys = 0;

	t_keep_going = true;
	for (int i = 0; i < NSETTINGS; i++) {
		const struct setting *k = &options__settings[i];

		name_of(k, name, sizeof(name));
		if (k->json) {
			keys++;
			CHECK_INT(options__find_json(k->json), i);
			/* A key stands for an option, or for the filter's words after the options. */
			if (!is_option(k) && k->kind != KIND_TEXT)
				FAIL("key \"%s\" has no command-line option", k->json);
		}
		if (!is_option(k))
			continue;
		options++;
		if (k->kind == KIND_ACTION || i == S_CONFIG) {
			if (k->json)
				FAIL("%s has a key, but it acts before any file is read", name);
			continue;
		}
		if (k->kind == KIND_ALIAS) {
			const struct setting *target = &options__settings[k->min];
			if (!target->json)
				FAIL("%s sets %s, which has no key", name, target->opt);
			continue;
		}
		if (!k->json)
			FAIL("%s has no key in the configuration file", name);
	}
	if (argc > 1)
		check_shipped(argv[1]);
	else
		FAIL("usage: test-config-coverage config/dbcap.json");
	/* The filter is part of a run: a file must be able to hold it. */
	if (!options__settings[S_FILTER].json)
		FAIL("the filter expression has no key in the configuration file");

	/* The filter from a file, beside the output: a run with nothing on its command line. */
	char path[] = "/tmp/dbcap-coverage.XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f) {
		FAIL("cannot create a temporary file");
		return t_result();
	}
	fputs("{\n  \"output\": \"/tmp/x.pcapng\",\n  \"filter\": \"tcp port 443\"\n}\n", f);
	fclose(f);
	struct dbcap_opts o;
	options_defaults(&o);
	CHECK_INT(options_load_config(&o, path), 0);
	CHECK_STR(o.filter, "tcp port 443");
	CHECK_STR(o.output, "/tmp/x.pcapng");
	options_free(&o);
	unlink(path);

	if (!t_failures)
		t_log("ok: %u options, %u keys", options, keys);
	return t_result();
}
