/* SPDX-License-Identifier: MIT */
/*
 * Start-up checks of the run's paths (paths.h).  They run after the options
 * are parsed and before the buffer, the input or the output is touched.
 *
 * The statistics are written by an atomic replace (a temporary file renamed
 * over the path), so whatever the path names is lost: the capture, the
 * input, the configuration, or what a symbolic link points to (rename()
 * replaces the link itself with a regular file).  Hence the rules below.
 * The capture itself is created with O_EXCL|O_NOFOLLOW by persist, which
 * refuses what exists; only --force can replace, and never the input or the
 * configuration.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "paths.h"
#include "../util/durable.h"

static const char *last_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

static bool same_inode(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

bool paths_same_file(const char *a, const char *b)
{
	struct stat sa, sb;
	char da[PATH_MAX], db[PATH_MAX];
	bool ea = stat(a, &sa) == 0, eb = stat(b, &sb) == 0;

	if (ea && eb)
		return same_inode(&sa, &sb);
	if (ea || eb)
		return false; /* one exists, the other does not: not (yet) one file */
	/* Neither exists: the same name in the same directory will be one file. */
	if (strcmp(last_name(a), last_name(b)) != 0)
		return false;
	if (parent_dir_name(a, da) < 0 || parent_dir_name(b, db) < 0)
		return false;
	return stat(da, &sa) == 0 && stat(db, &sb) == 0 && same_inode(&sa, &sb);
}

/* The options that name files the run reads or writes, in the words the user typed. */
struct named_path {
	const char *option;
	const char *path;
	const char *what; /* what would be lost */
};

/* "-": -w standard output, -r standard input; no file of that name is involved. */
static bool is_std(const char *path)
{
	return strcmp(path, "-") == 0;
}

/* The capture must not be created over its own input or configuration (even with --force). */
static int check_output(const struct dbcap_opts *o)
{
	const struct named_path others[] = {
		{"-r", o->pcap, "its own input"},
		{"--config", o->config_path, "the configuration"},
	};

	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		if (!others[i].path || !o->output || is_std(o->output) || is_std(others[i].path) ||
		    !paths_same_file(o->output, others[i].path))
			continue;
		fprintf(stderr, "dbcap: -w %s names the same file as %s %s: the capture would replace %s\n",
			o->output, others[i].option, others[i].path, others[i].what);
		return 2;
	}
	return 0;
}

/*
 * A file that a report replaces by a rename (--stats, --prom): what opt's
 * path names must be none of others, must be a regular file (not a link)
 * that --force allows to replace, in a directory that takes new files.
 * what: the report in words, for the messages.
 */
static int check_report_file(const struct dbcap_opts *o, const char *opt, const char *path,
			     const char *what, const struct named_path *others, size_t nothers)
{
	char dir[PATH_MAX];
	struct stat st;

	for (size_t i = 0; i < nothers; i++) {
		if (!others[i].path || is_std(others[i].path) || !paths_same_file(path, others[i].path))
			continue;
		fprintf(stderr, "dbcap: %s %s names the same file as %s %s: %s would "
				"replace %s\n",
			opt, path, others[i].option, others[i].path, what, others[i].what);
		return 2;
	}
	if (lstat(path, &st) == 0) {
		if (S_ISLNK(st.st_mode)) {
			fprintf(stderr, "dbcap: %s %s: a symbolic link; %s replace "
					"only regular files\n", opt, path, what);
			return 1;
		}
		if (!S_ISREG(st.st_mode)) {
			fprintf(stderr, "dbcap: %s %s: not a regular file; %s replace "
					"only regular files\n", opt, path, what);
			return 1;
		}
		if (!o->force) {
			fprintf(stderr, "dbcap: %s %s: %s (use --force to replace it)\n", opt, path,
				strerror(EEXIST));
			return 1;
		}
	} else if (errno != ENOENT) {
		fprintf(stderr, "dbcap: %s %s: %s\n", opt, path, strerror(errno));
		return 1;
	}
	/* The file is written by a rename in this directory: it must exist and take new files. */
	if (parent_dir_name(path, dir) < 0 || stat(dir, &st) < 0) {
		fprintf(stderr, "dbcap: %s %s: %s\n", opt, path, strerror(errno));
		return 1;
	}
	if (!S_ISDIR(st.st_mode)) {
		fprintf(stderr, "dbcap: %s %s: %s: %s\n", opt, path, dir, strerror(ENOTDIR));
		return 1;
	}
	if (access(dir, W_OK | X_OK) < 0) {
		fprintf(stderr, "dbcap: %s %s: cannot create files in %s: %s\n", opt, path, dir,
			strerror(errno));
		return 1;
	}
	return 0;
}

static int check_stats(const struct dbcap_opts *o)
{
	const char *path = o->stats_path;
	const struct named_path others[] = {
		{"-w", o->output, "the capture"},
		{"-r", o->pcap, "the input"},
		{"--config", o->config_path, "the configuration"},
		{"--prom", o->prom_path, "the metrics"},
	};

	if (!path)
		return 0;
	if (strcmp(path, STATS_TO_STDOUT) == 0) {
		if (o->output && is_std(o->output)) {
			fprintf(stderr, "dbcap: --stats - and -w - both write to standard output: "
					"give one of them a file\n");
			return 2;
		}
		if (o->stats_interval > 0) {
			fprintf(stderr, "dbcap: --stats - writes one document, at exit, to standard "
					"output: --stats-interval needs a file\n");
			return 2;
		}
		return 0;
	}
	return check_report_file(o, "--stats", path, "the statistics", others,
				 sizeof(others) / sizeof(others[0]));
}

/* --prom: the same rules as --stats (its own file: "-" is a file name here). */
static int check_prom(const struct dbcap_opts *o)
{
	const char *stats_file =
		o->stats_path && strcmp(o->stats_path, STATS_TO_STDOUT) != 0 ? o->stats_path : NULL;
	const struct named_path others[] = {
		{"-w", o->output, "the capture"},
		{"-r", o->pcap, "the input"},
		{"--config", o->config_path, "the configuration"},
		{"--stats", stats_file, "the statistics"},
	};

	if (!o->prom_path)
		return 0;
	return check_report_file(o, "--prom", o->prom_path, "the metrics", others,
				 sizeof(others) / sizeof(others[0]));
}

int paths_check(const struct dbcap_opts *o)
{
	int rc = check_output(o);

	if (!rc)
		rc = check_stats(o);
	return rc ? rc : check_prom(o);
}
