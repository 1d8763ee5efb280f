/* SPDX-License-Identifier: MIT */
/*
 * The memory cgroup's room for the buffers (memcheck.h).  Written here rather
 * than taken from a library: Debian's libcgroup reads cgroup v1 only and
 * would add a dependency for two numbers per directory.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "memcheck.h"

/* A v1 limit this large (the page-rounded LONG_MAX) means none. */
#define V1_NO_LIMIT (UINT64_C(1) << 62)

uint64_t limits_buffer_bytes(const struct dbcap_opts *o)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	uint64_t size = (o->buffer_size + page - 1) / page * page;
	uint64_t n = o->layout == DBUF_LAYOUT_PER_WRITER ? (uint64_t)o->writers * o->buffers
							 : o->buffers;
	return size * n;
}

/* The first line of a file as a number; false for "max", a missing file or anything else. */
static bool read_number(const char *dir, const char *name, uint64_t *out)
{
	char path[PATH_MAX + 64], line[64], *end;
	FILE *f;
	bool ok = false;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "re");
	if (!f)
		return false;
	if (fgets(line, sizeof(line), f)) {
		unsigned long long v = strtoull(line, &end, 10);
		ok = end != line && (*end == '\n' || *end == '\0');
		*out = v;
	}
	fclose(f);
	return ok;
}

struct memcg {
	char root[64];        /* where the hierarchy is mounted */
	char dir[PATH_MAX];   /* the process's cgroup in it */
	const char *limit, *usage;
};

/* Whether the word is in a comma-separated list ("cpu,memory"), or a space-separated one. */
static bool has_word(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = list; (p = strstr(p, word)); p += n)
		if ((p == list || p[-1] == ',' || p[-1] == ' ') &&
		    (p[n] == '\0' || p[n] == ',' || p[n] == ' ' || p[n] == '\n'))
			return true;
	return false;
}

/*
 * The process's memory cgroup, from /proc/self/cgroup: a v1 line
 * "N:...memory...:/path" (the memory controller mounted at
 * /sys/fs/cgroup/memory), else the v2 line "0::/path" where the unified
 * tree at /sys/fs/cgroup has the memory controller.
 */
static bool find_memcg(struct memcg *cg)
{
	FILE *f = fopen("/proc/self/cgroup", "re");
	char line[PATH_MAX + 64], v1[PATH_MAX] = "", v2[PATH_MAX] = "", ctls[256] = "";
	bool have_v1 = false, have_v2 = false;

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		char *ctl = strchr(line, ':'), *path = ctl ? strchr(ctl + 1, ':') : NULL;

		if (!path)
			continue;
		*path++ = '\0';
		path[strcspn(path, "\n")] = '\0';
		if (has_word(++ctl, "memory")) {
			snprintf(v1, sizeof(v1), "%s", path);
			have_v1 = true;
		} else if (strcmp(line, "0") == 0 && *ctl == '\0') {
			snprintf(v2, sizeof(v2), "%s", path);
			have_v2 = true;
		}
	}
	fclose(f);
	if (have_v1) {
		snprintf(cg->root, sizeof(cg->root), "/sys/fs/cgroup/memory");
		snprintf(cg->dir, sizeof(cg->dir), "%s%s", cg->root, strcmp(v1, "/") ? v1 : "");
		cg->limit = "memory.limit_in_bytes";
		cg->usage = "memory.usage_in_bytes";
		return true;
	}
	f = have_v2 ? fopen("/sys/fs/cgroup/cgroup.controllers", "re") : NULL;
	if (!f)
		return false;
	bool v2_memory = fgets(ctls, sizeof(ctls), f) && has_word(ctls, "memory");
	fclose(f);
	if (!v2_memory)
		return false;
	snprintf(cg->root, sizeof(cg->root), "/sys/fs/cgroup");
	snprintf(cg->dir, sizeof(cg->dir), "%s%s", cg->root, strcmp(v2, "/") ? v2 : "");
	cg->limit = "memory.max";
	cg->usage = "memory.current";
	return true;
}

int limits_check_memory(const struct dbcap_opts *o)
{
	uint64_t need = limits_buffer_bytes(o), best_room = UINT64_MAX, best_limit = 0,
		 best_usage = 0;
	char best_dir[PATH_MAX] = "";
	struct memcg cg;

	if (!find_memcg(&cg))
		return 0;
	/* The tightest room on the way up: every ancestor's limit counts. */
	for (char dir[PATH_MAX]; strlen(cg.dir) >= strlen(cg.root);) {
		uint64_t limit, usage = 0;

		if (read_number(cg.dir, cg.limit, &limit) && limit < V1_NO_LIMIT) {
			read_number(cg.dir, cg.usage, &usage);
			uint64_t room = limit > usage ? limit - usage : 0;
			if (room < best_room) {
				best_room = room;
				best_limit = limit;
				best_usage = usage;
				snprintf(best_dir, sizeof(best_dir), "%s", cg.dir);
			}
		}
		char *slash = strrchr(cg.dir, '/');
		if (!slash || strlen(cg.dir) == strlen(cg.root))
			break;
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - cg.dir), cg.dir);
		snprintf(cg.dir, sizeof(cg.dir), "%s", dir);
	}
	if (need <= best_room)
		return 0;
	fprintf(stderr,
		"dbcap: the buffers need %" PRIu64 " bytes (%s%u x %zu), more than the memory "
		"cgroup has room for: %" PRIu64 " bytes (%s %" PRIu64 ", in use %" PRIu64
		", in %s); filling them, the kernel would kill dbcap: use fewer or smaller "
		"buffers (--buffers, --buffer-size)\n",
		need, o->layout == DBUF_LAYOUT_PER_WRITER ? "writers x buffers: " : "",
		o->layout == DBUF_LAYOUT_PER_WRITER ? o->writers * o->buffers : o->buffers,
		o->buffer_size, best_room, cg.limit, best_limit, best_usage, best_dir);
	return 1;
}
