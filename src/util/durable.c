/* SPDX-License-Identifier: MIT */
/* Durability helpers (durable.h): parent directories, their fsync, atomic replace. */
#define _GNU_SOURCE

#include "durable.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h> /* rename() */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int parent_dir_name(const char *path, char dir[PATH_MAX])
{
	const char *slash = strrchr(path, '/');
	size_t n;

	if (!slash) {
		memcpy(dir, ".", 2);
		return 0;
	}
	n = slash == path ? 1 : (size_t)(slash - path); /* "/x": the root */
	if (n >= PATH_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(dir, path, n);
	dir[n] = '\0';
	return 0;
}

int open_parent_dir(const char *path)
{
	char dir[PATH_MAX];

	if (parent_dir_name(path, dir) < 0)
		return -1;
	return open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

int fsync_dir(int dirfd)
{
	/* Some filesystems cannot sync a directory; the files in it are complete. */
	if (fsync(dirfd) < 0 && errno != EINVAL)
		return -errno;
	return 0;
}

int sync_parent_dir(const char *path)
{
	int ret;
	int fd = open_parent_dir(path);

	if (fd < 0)
		return -errno;
	ret = fsync_dir(fd);
	close(fd);
	return ret;
}

/* write() until done: a regular file may still take a signal or a short write. */
static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int replace_file(const char *path, const void *data, size_t len, unsigned mode)
{
	int ret;
	size_t plen = strlen(path);
	char *tmp = malloc(plen + sizeof(".XXXXXX"));

	if (!tmp)
		return -ENOMEM;
	memcpy(tmp, path, plen);
	memcpy(tmp + plen, ".XXXXXX", sizeof(".XXXXXX"));

	/* Same directory as path, so that rename() replaces it atomically. */
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		goto out_tmpname;
	}
	/* mkstemp creates 0600; the caller says who else may read it. */
	if (fchmod(fd, (mode_t)(mode & 0777)) < 0) {
		ret = -errno;
		goto out_unlink;
	}
	ret = write_all(fd, data, len);
	if (ret)
		goto out_unlink;
	if (fsync(fd) < 0) {
		ret = -errno;
		goto out_unlink;
	}
	ret = close(fd);
	fd = -1;
	if (ret < 0) {
		ret = -errno;
		goto out_unlink;
	}
	if (rename(tmp, path) < 0) {
		ret = -errno;
		goto out_unlink;
	}
	/* From here path holds the whole new content; only its durability is in doubt. */
	ret = sync_parent_dir(path);
	goto out_tmpname;

out_unlink:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
out_tmpname:
	free(tmp);
	return ret;
}
