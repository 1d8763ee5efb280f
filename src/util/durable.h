/* SPDX-License-Identifier: MIT */
/*
 * Durability helpers: the directory that holds a file (its name, to check it
 * before anything is created, and a descriptor of it for fsync(), which
 * makes a new file's name or a rename durable where fsync() of the file
 * itself does not), and the atomic replacement of a whole small file.
 * Shared by the capture's persistence, the statistics' document and the
 * program's start-up checks of its paths.  A leaf: it includes nothing of
 * the project.  Every function is safe on any thread; none keeps state.
 */
#ifndef DBCAP_DURABLE_H
#define DBCAP_DURABLE_H

#include <limits.h>
#include <stddef.h>

/*
 * The directory part of path into dir (PATH_MAX bytes): "." for a bare
 * name, "/" for "/x".  0, or -1 with errno ENAMETOOLONG (errno, not -errno:
 * callers use it beside stat() and open()).
 */
int parent_dir_name(const char *path, char dir[PATH_MAX]);

/* An O_RDONLY descriptor of path's directory ("." for a bare name), or -1 with errno. */
int open_parent_dir(const char *path);

/*
 * fsync() of a directory descriptor: makes the names created or renamed in
 * it durable.  0 or -errno; EINVAL counts as success, because some
 * filesystems cannot sync a directory and the files themselves are complete.
 */
int fsync_dir(int dirfd);

/* fsync_dir() of the directory that holds path.  0 or -errno. */
int sync_parent_dir(const char *path);

/*
 * Replaces the file at path with exactly len bytes, atomically: a temporary
 * file in the same directory (path + ".XXXXXX"), created with the permission
 * bits mode & 0777, written whole, fsync, rename over path (so a reader never
 * sees a partial file), then fsync of the directory (so the rename survives
 * a crash).  0 or -errno; on an error before the rename the temporary file
 * is removed and path is untouched.  An error after the rename (only the
 * directory's fsync) leaves path complete, its durability in doubt.
 */
int replace_file(const char *path, const void *data, size_t len, unsigned mode);

#endif
