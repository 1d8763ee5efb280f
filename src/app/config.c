/* SPDX-License-Identifier: MIT */
/*
 * config.c - dbcap's JSON configuration file (config/dbcap.json, --config
 * FILE): one object whose keys are the settings' "json" names in
 * settings.h.  Each value is checked for its JSON type here, then made the
 * text a person would have typed and handed to the same validator as the
 * command line's, so a value is refused with the same words from both.
 */
#define _GNU_SOURCE
#include "settings.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A configuration file is a page or two; refuse to slurp anything huge. */
#define MAX_CONFIG_BYTES (1u << 20)

#define complain options__complain
#define say options__say

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

static const char *json_expectation(const struct setting *k, char *buf, size_t n)
{
	char words[128];
	const char *range = options__range(k, words, sizeof(words));

	switch (k->kind) {
	case KIND_PATH:
		return "expected a file name (a string) or null";
	case KIND_BOOL:
		return "expected true or false";
	case KIND_INT:
		snprintf(buf, n, "expected a%s number (%s)", (k->flags & F_JSON_STRING) ? " string or a" : "",
			 range);
		return buf;
	case KIND_SIZE:
		snprintf(buf, n, "expected a number of bytes or a string like \"4M\" (%s)", range);
		return buf;
	case KIND_SECONDS:
	case KIND_FACTOR:
		snprintf(buf, n, "expected a number (%s)", range);
		return buf;
	case KIND_ENUM:
		snprintf(buf, n, "expected a string (%s)", range);
		return buf;
	case KIND_CPULIST:
		return "expected an array of CPU numbers or a string like \"0-3,5,7\"";
	case KIND_TEXT:
		return "expected a string (a filter expression) or null";
	case KIND_ALIAS:
	case KIND_ACTION:
		break;
	}
	return "unexpected value";
}

/* Validates a JSON value for key k: its type here, its value in check_text(). */
static int check_json(const struct setting *k, const cJSON *item, struct value *v, char *err,
		      size_t n)
{
	char text[64], expect[256];
	bool type_ok;

	switch (k->kind) {
	case KIND_PATH:
	case KIND_TEXT: /* the filter: the words after the options on the command line */
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
			/*
			 * cJSON reads every number as a double: above 2^53 an
			 * integer may already be rounded ("seed": 2^53 + 1 reads
			 * as 2^53).  Refuse it rather than run with another value.
			 */
			if ((k->kind == KIND_INT || k->kind == KIND_SIZE) &&
			    fabs(item->valuedouble) >= 9007199254740992.0) {
				say(err, n, "%.0f is at or beyond 2^53, where a JSON number is not exact%s",
				    item->valuedouble,
				    (k->flags & F_JSON_STRING) ? ": write it as a string" : "");
				return -1;
			}
			number_text(item->valuedouble, text, sizeof(text));
			return options__check_text(k, text, v, err, n);
		}
		type_ok = (k->flags & F_JSON_STRING) && cJSON_IsString(item);
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
			return options__check_text(k, list, v, err, n);
		}
		type_ok = cJSON_IsString(item);
		break;
	default:
		type_ok = false;
		break;
	}
	if (type_ok)
		return options__check_text(k, item->valuestring, v, err, n);
wrong_type:
	say(err, n, "%s", json_expectation(k, expect, sizeof(expect)));
	return -1;
}

int options__read_file(const char *path, size_t limit, char **out, size_t *len)
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

int options__load_config(struct options__ctx *c, const char *path)
{
	char *text = NULL, err[SETTINGS_MSG_MAX];
	const char *end = NULL;
	bool seen[NSETTINGS] = {false};
	const cJSON *item;
	struct value *v;
	cJSON *root;
	size_t len;
	int r, ret = -1;

	r = options__read_file(path, MAX_CONFIG_BYTES, &text, &len);
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
		id = options__find_json(item->string);
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
		if (check_json(&options__settings[id], item, v, err, sizeof(err)) < 0) {
			complain("%s: key \"%s\": %s", path, item->string, err);
			goto out_value;
		}
		if (options__store(c->o, (enum setting_id)id, v) < 0)
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
	struct options__ctx c = {.o = o};

	return options__load_config(&c, path);
}

