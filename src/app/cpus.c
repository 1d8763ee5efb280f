/* SPDX-License-Identifier: MIT */
/*
 * cpus.c - where dbcap's threads run: the kernel's CPU list syntax (one
 * parser, for --cpus and for the lists in /sys), the choice of cores for
 * the writers and the reader, and the warning when they must share.
 */
#define _GNU_SOURCE
#include "settings.h"

#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SYSFS_ONLINE "/sys/devices/system/cpu/online"
#define SYSFS_ISOLATED "/sys/devices/system/cpu/isolated"

#define complain options__complain
#define say options__say

/* ----------------------------------------------------------- the list syntax */

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n';
}

/*
 * The order is the writers' order, so it is kept, and so are duplicates
 * (--cpus 0,0 puts two writers on core 0).  The kernel's files end with a
 * newline and never name a CPU twice.
 */
int options__parse_cpulist(const char *text, bool strict, int *out, unsigned max,
			   unsigned *count, char *err, size_t n)
{
	const char *p = text;
	unsigned c = 0;

	*count = 0;
	if (!strict)
		while (is_blank(*p))
			p++;
	if (*p == '\0')
		return 0;
	for (;;) {
		bool neg;
		uint64_t lo, hi;
		const char *end;

		if (options__scan_integer(p, &neg, &lo, &end) == NUM_NOT_A_NUMBER || neg)
			goto syntax;
		hi = lo;
		if (*end == '-') {
			if (options__scan_integer(end + 1, &neg, &hi, &end) == NUM_NOT_A_NUMBER || neg)
				goto syntax;
		}
		if (strict && (lo >= DBCAP_MAX_CPUS || hi >= DBCAP_MAX_CPUS)) {
			say(err, n, "CPU %" PRIu64 " is out of range (0..%u)",
			    lo >= DBCAP_MAX_CPUS ? lo : hi, DBCAP_MAX_CPUS - 1);
			return -1;
		}
		if (hi < lo) {
			say(err, n, "\"%.*s\" is a backwards range (write %" PRIu64 "-%" PRIu64 ")",
			    (int)(end - p), p, hi, lo);
			return -1;
		}
		for (uint64_t cpu = lo; cpu <= hi && cpu < DBCAP_MAX_CPUS; cpu++) {
			if (c == max) {
				say(err, n, "more than %u CPUs in \"%s\"", max, text);
				return -1;
			}
			out[c++] = (int)cpu;
		}
		if (!strict)
			while (is_blank(*end))
				end++;
		if (*end == '\0')
			break;
		if (*end != ',')
			goto syntax;
		p = end + 1;
	}
	*count = c;
	return 0;

syntax:
	say(err, n, "\"%s\" is not a CPU list (like 0-3,5,7; CPUs 0..%u)", text, DBCAP_MAX_CPUS - 1);
	return -1;
}

/* -------------------------------------------------------------- placement */

struct cpuset {
	bool on[DBCAP_MAX_CPUS];
};

/*
 * A kernel list ("0-3,8\n") into a set, by the parser --cpus uses.  CPUs at
 * or beyond DBCAP_MAX_CPUS are left out: they can be neither named with
 * --cpus nor counted here.
 */
static int cpuset_parse(const char *text, struct cpuset *s)
{
	int list[DBCAP_MAX_CPUS];
	unsigned n;
	char err[SETTINGS_MSG_MAX];

	memset(s, 0, sizeof(*s));
	if (options__parse_cpulist(text, false, list, DBCAP_MAX_CPUS, &n, err, sizeof(err)) < 0)
		return -1;
	for (unsigned i = 0; i < n; i++)
		s->on[list[i]] = true;
	return 0;
}

static unsigned cpuset_count(const struct cpuset *s)
{
	unsigned n = 0;

	for (unsigned i = 0; i < DBCAP_MAX_CPUS; i++)
		n += s->on[i];
	return n;
}

/* "0-3,5" */
static const char *cpuset_format(const struct cpuset *s, char *buf, size_t n)
{
	size_t len = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < DBCAP_MAX_CPUS && len < n; i++) {
		unsigned j = i;

		if (!s->on[i])
			continue;
		while (j + 1 < DBCAP_MAX_CPUS && s->on[j + 1])
			j++;
		if (j == i)
			len += (size_t)snprintf(buf + len, n - len, "%s%u", len ? "," : "", i);
		else
			len += (size_t)snprintf(buf + len, n - len, "%s%u-%u", len ? "," : "", i, j);
		i = j;
	}
	if (len == 0)
		snprintf(buf, n, "none");
	return buf;
}

static int check_cpu(const char *opt, int cpu, const struct cpuset *online,
		     const struct cpuset *allowed, bool restricted)
{
	char list[4096];

	if (cpu < 0 || cpu >= (int)DBCAP_MAX_CPUS || !online->on[cpu]) {
		complain("--%s: CPU %d is not online (online: %s)", opt, cpu,
			 cpuset_format(online, list, sizeof(list)));
		return -1;
	}
	if (restricted && !allowed->on[cpu]) {
		complain("--%s: CPU %d is outside this process's CPU affinity (allowed: %s)", opt,
			 cpu, cpuset_format(allowed, list, sizeof(list)));
		return -1;
	}
	return 0;
}

int options__assign_cpus_from(struct dbcap_opts *o, const char *online_list,
			      const char *isolated_list, const char *allowed_list)
{
	struct cpuset *sets = malloc(6 * sizeof(*sets));
	struct cpuset *online, *isolated, *allowed, *usable, *used, *pool;
	bool restricted = allowed_list != NULL;
	unsigned nusable, distinct = 0, writers = o->writers;
	bool all_isolated = true, reader_given = o->reader_cpu >= 0;
	int ret = -1;

	if (!sets) {
		complain("out of memory");
		return -1;
	}
	online = &sets[0];
	isolated = &sets[1];
	allowed = &sets[2];
	usable = &sets[3];
	used = &sets[4];
	pool = &sets[5];
	memset(used, 0, sizeof(*used));
	if (cpuset_parse(online_list ? online_list : "", online) < 0 ||
	    cpuset_parse(isolated_list ? isolated_list : "", isolated) < 0 ||
	    cpuset_parse(allowed_list ? allowed_list : "", allowed) < 0) {
		complain("cannot read the list of CPUs");
		goto out;
	}
	for (unsigned i = 0; i < DBCAP_MAX_CPUS; i++)
		usable->on[i] = online->on[i] && (!restricted || allowed->on[i]);
	nusable = cpuset_count(usable);
	if (cpuset_count(online) == 0 || nusable == 0) {
		char a[4096], b[4096];

		complain("no usable CPU (online: %s; allowed: %s)",
			 cpuset_format(online, a, sizeof(a)),
			 restricted ? cpuset_format(allowed, b, sizeof(b)) : "all");
		goto out;
	}
	if (writers == 0 || writers > DBUF_MAX_WRITERS) {
		complain("--writers: %u is out of range (1..%u)", writers, DBUF_MAX_WRITERS);
		goto out;
	}
	if (reader_given && check_cpu("reader-cpu", o->reader_cpu, online, allowed, restricted) < 0)
		goto out;

	if (o->ncpus > 0) {
		unsigned n = o->ncpus;
		int list[DBCAP_MAX_CPUS];

		memcpy(list, o->cpus, n * sizeof(list[0]));
		for (unsigned i = 0; i < n; i++)
			if (check_cpu("cpus", list[i], online, allowed, restricted) < 0)
				goto out;
		for (unsigned i = 0; i < writers; i++) {
			o->cpus[i] = list[i % n];
			used->on[o->cpus[i]] = true;
		}
		/* Cores listed beyond the writers' are the reader's first choice. */
		for (unsigned i = writers; !reader_given && o->reader_cpu < 0 && i < n; i++)
			if (!used->on[list[i]])
				o->reader_cpu = list[i];
	} else {
		int cand[DBCAP_MAX_CPUS];
		unsigned m = 0;

		/* The isolated cores are the writers' pool when there are any. */
		for (unsigned i = 0; i < DBCAP_MAX_CPUS; i++)
			pool->on[i] = isolated->on[i] && usable->on[i];
		if (cpuset_count(pool) == 0)
			*pool = *usable;
		/* Writers stay off a given reader core while other cores are left. */
		for (unsigned i = 0; i < DBCAP_MAX_CPUS; i++)
			if (pool->on[i] && (int)i != o->reader_cpu)
				cand[m++] = (int)i;
		if (m == 0)
			cand[m++] = o->reader_cpu;
		for (unsigned i = 0; i < writers; i++) {
			o->cpus[i] = cand[i % m];
			used->on[o->cpus[i]] = true;
		}
		for (unsigned i = 0; !reader_given && o->reader_cpu < 0 && i < DBCAP_MAX_CPUS; i++)
			if (pool->on[i] && !used->on[i])
				o->reader_cpu = (int)i;
	}
	/* Otherwise the reader takes any core no writer uses; none left: unpinned. */
	for (unsigned i = 0; !reader_given && o->reader_cpu < 0 && i < DBCAP_MAX_CPUS; i++)
		if (usable->on[i] && !used->on[i])
			o->reader_cpu = (int)i;
	o->ncpus = writers;

	for (unsigned i = 0; i < DBCAP_MAX_CPUS; i++) {
		distinct += used->on[i];
		if (used->on[i] && !isolated->on[i])
			all_isolated = false;
	}
	{
		const char *yield = "oversubscribed; writers will yield, then nap, when they wait";
		const char *iso = all_isolated ? "" : " (no isolation)";
		bool total = writers + 1 > nusable;
		bool shared = distinct < writers;
		bool reader_shares = o->reader_cpu >= 0 && used->on[o->reader_cpu];
		char list[4096];

		o->oversubscribed = total || shared || reader_shares;
		if (total)
			fprintf(stderr, "dbcap: warning: %u writer%s and the reader on %u %s core%s: %s%s\n",
				writers, writers == 1 ? "" : "s", nusable,
				restricted && nusable != cpuset_count(online) ? "usable" : "online",
				nusable == 1 ? "" : "s", yield, iso);
		else if (shared)
			fprintf(stderr, "dbcap: warning: %u writers on %u core%s (%s): %s%s\n", writers,
				distinct, distinct == 1 ? "" : "s",
				cpuset_format(used, list, sizeof(list)), yield, iso);
		else if (reader_shares)
			fprintf(stderr, "dbcap: warning: the reader shares CPU %d with a writer: %s%s\n",
				o->reader_cpu, yield, iso);
	}
	ret = 0;
out:
	free(sets);
	return ret;
}

/* Reads a sysfs list; NULL when the file is missing or unreadable. */
static char *read_list(const char *path)
{
	char *text = NULL;
	size_t len;

	if (options__read_file(path, 1u << 16, &text, &len) < 0)
		return NULL;
	return text;
}

int options_assign_cpus(struct dbcap_opts *o)
{
	char *online = read_list(SYSFS_ONLINE);
	char *isolated = read_list(SYSFS_ISOLATED);
	char fallback[32], *allowed = NULL;
	cpu_set_t mask;
	int ret;

	/* No sysfs (a bare container): the CPUs the C library counts. */
	if (!online) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		snprintf(fallback, sizeof(fallback), "0-%ld", n > 1 ? n - 1 : 0);
	}
	/*
	 * taskset(1) and cgroup cpusets narrow the cores this process may run
	 * on; pinning a writer elsewhere would fail later, so choose within.
	 */
	CPU_ZERO(&mask);
	if (sched_getaffinity(0, sizeof(mask), &mask) == 0) {
		struct cpuset *s = calloc(1, sizeof(*s));

		allowed = malloc(8192);
		if (s && allowed) {
			for (unsigned i = 0; i < DBCAP_MAX_CPUS && i < CPU_SETSIZE; i++)
				s->on[i] = CPU_ISSET(i, &mask);
			cpuset_format(s, allowed, 8192);
			if (strcmp(allowed, "none") == 0) {
				free(allowed);
				allowed = NULL;
			}
		} else {
			free(allowed);
			allowed = NULL;
		}
		free(s);
	}
	ret = options__assign_cpus_from(o, online ? online : fallback, isolated ? isolated : "",
					allowed);
	free(allowed);
	free(isolated);
	free(online);
	return ret;
}
