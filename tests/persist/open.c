/* SPDX-License-Identifier: MIT */
/* The output is created exclusively: an existing file needs force, links and non-regular files are never replaced; the reason comes back unprefixed. */
#define _GNU_SOURCE

#include "helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char msg[1024];

static int try_open(const char *path, bool force, struct persist **p)
{
	struct persist_opts o = { 0 };

	o.path = path;
	o.force = force;
	o.engine = IO_ENGINE_URING;
	o.direct = IO_AUTO;
	o.depth = 2;
	msg[0] = '\0';
	return persist_open(&o, p, msg, sizeof(msg));
}

static const char *read_file(const char *path)
{
	static char text[256];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	CHECK(fd >= 0);
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	CHECK(n >= 0);
	text[n] = '\0';
	return text;
}

/* Appends text through persist and closes. */
static void persist_text(struct persist *p, const char *text)
{
	void *cookie;
	uint64_t durable = 0;

	CHECK_INT(persist_append(p, text, strlen(text), -1, &cookie), 0);
	CHECK_INT(persist_close(p, &durable), 0);
	CHECK_EQ(durable, strlen(text));
}

int main(void)
{
	const char *dir = t_tmpdir();
	char path[8600], link[4200], sub[4200];
	struct persist *p = NULL;
	struct stat st;
	bool can_drop;

	umask(027);

	/* A new file: created, mode 0640 minus the umask. */
	snprintf(path, sizeof(path), "%s/out.pcapng", dir);
	CHECK_INT(try_open(path, false, &p), 0);
	CHECK_STR(msg, "");
	CHECK(stat(path, &st) == 0 && S_ISREG(st.st_mode));
	CHECK_INT(st.st_mode & 0777, 0640);
	persist_text(p, "first");
	CHECK_STR(read_file(path), "first");

	/* An existing file without force: refused, untouched, the message names it. */
	CHECK_INT(try_open(path, false, &p), -EEXIST);
	/* The reason only: the program puts its name and the path before it. */
	CHECK_STR(msg, "File exists (use --force to replace it)");
	CHECK_STR(read_file(path), "first");

	/* With force: replaced. */
	CHECK_INT(try_open(path, true, &p), 0);
	CHECK(stat(path, &st) == 0);
	CHECK_INT(st.st_size, 0);
	persist_text(p, "second!");
	CHECK_STR(read_file(path), "second!");

	/* A symbolic link is refused even with force, and its target is untouched. */
	snprintf(link, sizeof(link), "%s/link.pcapng", dir);
	CHECK(symlink(path, link) == 0);
	CHECK_INT(try_open(link, false, &p), -EEXIST);
	CHECK_CONTAINS(msg, "File exists");
	CHECK_INT(try_open(link, true, &p), -EEXIST);
	CHECK_CONTAINS(msg, "File exists");
	CHECK_CONTAINS(msg, "symbolic link");
	CHECK(lstat(link, &st) == 0 && S_ISLNK(st.st_mode));
	CHECK_STR(read_file(path), "second!");
	/* A dangling link too: O_EXCL must not create its target. */
	snprintf(link, sizeof(link), "%s/dangling.pcapng", dir);
	snprintf(sub, sizeof(sub), "%s/target-never-created", dir);
	CHECK(symlink(sub, link) == 0);
	CHECK_INT(try_open(link, true, &p), -EEXIST);
	CHECK(lstat(sub, &st) < 0 && errno == ENOENT);

	/* A directory or FIFO at the path is not replaced either. */
	snprintf(sub, sizeof(sub), "%s/a-directory", dir);
	CHECK(mkdir(sub, 0700) == 0);
	CHECK_INT(try_open(sub, true, &p), -EEXIST);
	CHECK_CONTAINS(msg, "not a regular file");
	CHECK(stat(sub, &st) == 0 && S_ISDIR(st.st_mode));
	snprintf(sub, sizeof(sub), "%s/a-fifo", dir);
	CHECK(mkfifo(sub, 0600) == 0);
	CHECK_INT(try_open(sub, true, &p), -EEXIST);
	CHECK_CONTAINS(msg, "not a regular file");

	/* A missing directory: the open error with the path. */
	snprintf(sub, sizeof(sub), "%s/missing/out.pcapng", dir);
	CHECK_INT(try_open(sub, false, &p), -ENOENT);
	CHECK_STR(msg, "No such file or directory");

	/*
	 * An unwritable directory.  Root writes anywhere, so drop the
	 * capabilities that allow it for the duration (where we hold them).
	 */
	snprintf(sub, sizeof(sub), "%s/read-only", dir);
	CHECK(mkdir(sub, 0500) == 0);
	can_drop = geteuid() != 0 ||
		   (t_cap_set(CAP_DAC_OVERRIDE, false) && t_cap_set(CAP_DAC_READ_SEARCH, false));
	if (can_drop) {
		snprintf(path, sizeof(path), "%s/out.pcapng", sub);
		CHECK_INT(try_open(path, false, &p), -EACCES);
		CHECK_STR(msg, "Permission denied");
		if (geteuid() == 0)
			CHECK(t_cap_set(CAP_DAC_OVERRIDE, true) && t_cap_set(CAP_DAC_READ_SEARCH, true));
	} else {
		printf("unwritable directory: not run (cannot drop CAP_DAC_OVERRIDE)\n");
	}

	/* Bad depth: refused before anything is created. */
	{
		struct persist_opts o = { 0 };

		snprintf(path, sizeof(path), "%s/depth.pcapng", dir);
		o.path = path;
		o.depth = 1;
		CHECK_INT(persist_open(&o, &p, msg, sizeof(msg)), -EINVAL);
		CHECK_CONTAINS(msg, "depth");
		CHECK(lstat(path, &st) < 0 && errno == ENOENT);
	}
	printf("ok\n");
	return 0;
}
