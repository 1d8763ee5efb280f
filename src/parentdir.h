/* SPDX-License-Identifier: MIT */
/*
 * The directory that holds a file, opened for fsync(): what makes a new
 * file's name (or a rename) durable, which fsync() of the file itself does
 * not.  Shared by the capture's persistence and the statistics' atomic
 * replace.
 */
#ifndef DBCAP_PARENTDIR_H
#define DBCAP_PARENTDIR_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>

/* An O_RDONLY descriptor of path's directory ("." for a bare name), or -1 with errno. */
static inline int open_parent_dir(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	size_t n;

	if (!slash)
		return open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	n = slash == path ? 1 : (size_t)(slash - path); /* "/x": the root */
	if (n >= sizeof(dir)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(dir, path, n);
	dir[n] = '\0';
	return open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

#endif
