/* SPDX-License-Identifier: MIT */
/* captures.c - listing a corpus folder's capture files (see captures.h). */
#define _DEFAULT_SOURCE /* strdup() */
#include "captures.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int is_capture(const char *name)
{
	size_t n = strlen(name);

	return (n > 5 && strcmp(name + n - 5, ".pcap") == 0) ||
	       (n > 7 && strcmp(name + n - 7, ".pcapng") == 0);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int capture_names(const char *dir, char ***names, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **v = NULL;
	size_t cap = 0, len = 0;

	if (!d)
		return -errno;
	while ((e = readdir(d)) != NULL) {
		if (!is_capture(e->d_name))
			continue;
		if (len == cap) {
			size_t ncap = cap ? 2 * cap : 512;
			char **nv = realloc(v, ncap * sizeof(*nv));
			if (!nv)
				goto out_of_memory;
			v = nv;
			cap = ncap;
		}
		v[len] = strdup(e->d_name);
		if (!v[len])
			goto out_of_memory;
		len++;
	}
	closedir(d);
	if (len)
		qsort(v, len, sizeof(*v), by_name);
	*names = v;
	*n = len;
	return 0;

out_of_memory:
	while (len > 0)
		free(v[--len]);
	free(v);
	closedir(d);
	return -ENOMEM;
}
