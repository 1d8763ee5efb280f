/* SPDX-License-Identifier: MIT */
/*
 * The files a run names, checked against each other and against the file
 * system before anything is created: the capture (-w), its input (-r), the
 * configuration (--config) and the statistics (--stats).  A run that would
 * write one of them over another, or could not write its statistics at the
 * end, is refused at start, so that it neither loses a file nor captures for
 * an hour and then fails to report it.
 */
#ifndef DBCAP_PATHS_H
#define DBCAP_PATHS_H

#include <stdbool.h>

#include "options.h"

/* --stats -: the final document goes to standard output. */
#define STATS_TO_STDOUT "-"

/*
 * Whether a and b name the same file: by device and inode where both exist
 * (so "./x", "a/../x", a hard link and a symbolic link to it all match x),
 * else by the device and inode of their directories and the same last name.
 */
bool paths_same_file(const char *a, const char *b);

/*
 * Checks o's paths.  Returns 0, or the exit status (message printed): 2 when
 * two options name the same file or contradict each other, 1 when the file
 * system refuses (the statistics' directory is missing or not writable, the
 * name is taken and --force was not given, or it is a symbolic link or not a
 * regular file: the same answers as -w gets).
 */
int paths_check(const struct dbcap_opts *o);

#endif
