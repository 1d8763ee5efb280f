/* SPDX-License-Identifier: MIT */
/*
 * The directory that holds a file: its name (to check it before anything is
 * created), and a descriptor of it for fsync(), which makes a new file's
 * name (or a rename) durable where fsync() of the file itself does not.
 * Shared by the capture's persistence, the statistics' atomic replace and
 * the program's start-up checks of its paths.
 */
#ifndef DBCAP_PARENTDIR_H
#define DBCAP_PARENTDIR_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>

/*
 * The directory part of path into dir (PATH_MAX bytes): "." for a bare
 * name, "/" for "/x".  0, or -1 with errno ENAMETOOLONG.
 */
static inline int parent_dir_name(const char *path, char dir[PATH_MAX])
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

/* An O_RDONLY descriptor of path's directory ("." for a bare name), or -1 with errno. */
static inline int open_parent_dir(const char *path)
{
	char dir[PATH_MAX];

	if (parent_dir_name(path, dir) < 0)
		return -1;
	return open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

#endif
