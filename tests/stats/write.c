/* SPDX-License-Identifier: MIT */
/* stats_write_json: the target is always a complete document with the mode asked for, and no temporary file is left behind. */
#define _GNU_SOURCE

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "fixture.h"

static char dir[] = "/tmp/dbcap-stats-write.XXXXXX";

/* The names in dir, sorted and joined by spaces. */
static void listing(char *out, size_t len)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort);
	size_t k = 0;

	out[0] = '\0';
	for (int i = 0; i < n; i++) {
		const char *s = names[i]->d_name;
		if (strcmp(s, ".") && strcmp(s, "..") && k < len)
			k += (size_t)snprintf(out + k, len - k, "%s%s", k ? " " : "", s);
		free(names[i]);
	}
	free(names);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	char *buf = NULL;
	size_t cap = 0, len = 0;
	for (;;) {
		if (len + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 65536;
			char *p = realloc(buf, cap);
			if (!p) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = p;
		}
		size_t n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
		if (n == 0)
			break;
	}
	buf[len] = '\0';
	fclose(f);
	return buf;
}

/* The file holds exactly the document (and a newline). */
static void check_file(const char *path, const struct run_report *r, unsigned mode)
{
	char *want = stats_to_json(r), *got = slurp(path);
	struct stat st;

	CHECK(want && got);
	if (want && got) {
		size_t n = strlen(want);
		CHECK_EQ(strlen(got), n + 1);
		CHECK(strncmp(got, want, n) == 0);
		CHECK(got[n] == '\n');
	}
	CHECK(stat(path, &st) == 0);
	CHECK_INT(st.st_mode & 07777, mode);
	free(want);
	free(got);
}

int main(void)
{
	struct fixture f;
	char path[256], names[1024];

	t_keep_going = true; /* report every wrong value, not only the first */
	if (fixture_init(&f) < 0 || !mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/stats.json", dir);

	/* A fresh file. */
	CHECK_INT(stats_write_json(&f.report, path, 0640), 0);
	check_file(path, &f.report, 0640);
	listing(names, sizeof(names));
	CHECK_STR(names, "stats.json");

	/* Replacing it: a periodic snapshot of other numbers, again complete, same single name. */
	f.report.final = false;
	fx_set(&f.reader->blocks, 90);
	CHECK_INT(stats_write_json(&f.report, path, 0600), 0); /* a capture made under umask 077 */
	check_file(path, &f.report, 0600);
	listing(names, sizeof(names));
	CHECK_STR(names, "stats.json");

	/* Back to the final document, which is longer: the old bytes must not survive. */
	f.report.final = true;
	fx_set(&f.reader->blocks, 100);
	CHECK_INT(stats_write_json(&f.report, path, 0640), 0);
	check_file(path, &f.report, 0640);

	/* A relative name works too (the directory is "."). */
	char cwd[4096];
	if (getcwd(cwd, sizeof(cwd)) && chdir(dir) == 0) {
		CHECK_INT(stats_write_json(&f.report, "relative.json", 0640), 0);
		check_file("relative.json", &f.report, 0640);
		unlink("relative.json");
		CHECK(chdir(cwd) == 0);
	}

	/* A missing directory: -ENOENT, nothing created. */
	char missing[300];
	snprintf(missing, sizeof(missing), "%s/no/such/dir/stats.json", dir);
	CHECK_INT(stats_write_json(&f.report, missing, 0640), -ENOENT);

	/* rename() fails (the target is a non-empty directory): the temporary file is removed. */
	char blocked[300], inner[320];
	snprintf(blocked, sizeof(blocked), "%s/blocked", dir);
	snprintf(inner, sizeof(inner), "%s/keep", blocked);
	CHECK(mkdir(blocked, 0755) == 0);
	int fd = open(inner, O_CREAT | O_WRONLY, 0644);
	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
	int ret = stats_write_json(&f.report, blocked, 0640);
	CHECK(ret == -EISDIR || ret == -ENOTEMPTY || ret == -EEXIST);
	listing(names, sizeof(names));
	CHECK_STR(names, "blocked stats.json");
	/* ... and the complete old document is still in place. */
	check_file(path, &f.report, 0640);

	/* A directory we may not write to (skipped as root, who may). */
	char ro[300], ro_path[320];
	snprintf(ro, sizeof(ro), "%s/readonly", dir);
	snprintf(ro_path, sizeof(ro_path), "%s/stats.json", ro);
	CHECK(mkdir(ro, 0555) == 0);
	if (geteuid() != 0)
		CHECK_INT(stats_write_json(&f.report, ro_path, 0640), -EACCES);
	CHECK(access(ro_path, F_OK) != 0);

	unlink(inner);
	rmdir(blocked);
	rmdir(ro);
	unlink(path);
	CHECK(rmdir(dir) == 0); /* fails if anything was left behind */
	fixture_free(&f);
	return t_result();
}
