/* SPDX-License-Identifier: MIT */
/*
 * dbcap-malloc-count.so: an LD_PRELOAD module that counts every heap
 * allocation of a process (malloc, calloc, realloc, the aligned variants) by
 * calling thread and by 10 ms of time, so that run.sh can show that dbcap
 * allocates nothing in its steady state.
 *
 *   DBCAP_MALLOC_COUNT_OUT=FILE LD_PRELOAD=.../dbcap-malloc-count.so dbcap ...
 *
 * At exit FILE gets, with times counted from the moment the module was
 * loaded:
 *   "bin T_MS THREAD COUNT BYTES"  allocations in [T_MS, T_MS + 10) by THREAD
 *   "event T_NS KIND SIZE THREAD"  the first MAX_EVENTS allocations, one by one
 *   "total N", "vmhwm_kib K"       all allocations; the process's peak RSS
 * The peak RSS is read here, at exit, from /proc/self/status: a parent's
 * wait4() would report the larger of the child's peak and the forking
 * parent's RSS, which the kernel carries across exec.
 *
 * glibc only: it forwards to the __libc_* entry points, which avoids the
 * dlsym(RTLD_NEXT) bootstrap problem (dlsym itself calls calloc).  The module
 * never allocates; its tables are static and only touched pages are resident.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);
extern void *__libc_memalign(size_t align, size_t size);
extern void __libc_free(void *p);

/* The interposed entry points: exported, so they need prototypes of their own. */
void *malloc(size_t size);
void *calloc(size_t n, size_t size);
void *realloc(void *p, size_t size);
void *reallocarray(void *p, size_t n, size_t size);
void *memalign(size_t align, size_t size);
void *aligned_alloc(size_t align, size_t size);
int posix_memalign(void **out, size_t align, size_t size);
void *valloc(size_t size);
void *pvalloc(size_t size);

#define MAX_EVENTS 512u
#define MAX_NAMES 64u
#define BIN_NS 10000000u /* 10 ms */
#define MAX_BINS 6000u   /* 60 s */

struct event {
	uint64_t t_ns, size;
	unsigned name;
	char kind;
};

struct bin {
	_Atomic uint32_t count;
	_Atomic uint64_t bytes;
};

static struct event events[MAX_EVENTS];
static char names[MAX_NAMES][16];
static _Atomic unsigned nnames;
static pthread_mutex_t names_lock = PTHREAD_MUTEX_INITIALIZER;
static struct bin bins[MAX_NAMES][MAX_BINS];
static _Atomic uint64_t nevents;
static uint64_t t_load;

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The index of the calling thread's current name (names are set after creation). */
static unsigned name_index(void)
{
	char me[16] = "?";
	prctl(PR_GET_NAME, me);
	me[15] = '\0';
	/* acquire pairs with the release store below: a published name is complete */
	unsigned n = atomic_load_explicit(&nnames, memory_order_acquire);
	for (unsigned i = 0; i < n; i++)
		if (strcmp(names[i], me) == 0)
			return i;
	pthread_mutex_lock(&names_lock);
	n = atomic_load_explicit(&nnames, memory_order_relaxed);
	unsigned i;
	for (i = 0; i < n && strcmp(names[i], me) != 0; i++)
		;
	if (i == n && n < MAX_NAMES) {
		memcpy(names[n], me, sizeof(me));
		/* pairs with the acquire load above */
		atomic_store_explicit(&nnames, n + 1, memory_order_release);
	}
	pthread_mutex_unlock(&names_lock);
	return i < MAX_NAMES ? i : MAX_NAMES - 1;
}

static void note(char kind, size_t size)
{
	uint64_t t = now_ns() - t_load;
	unsigned name = name_index();
	uint64_t b = t / BIN_NS;
	/* relaxed: counters only, read by the exit handler when the threads are gone */
	if (b < MAX_BINS) {
		atomic_fetch_add_explicit(&bins[name][b].count, 1, memory_order_relaxed);
		atomic_fetch_add_explicit(&bins[name][b].bytes, size, memory_order_relaxed);
	}
	uint64_t i = atomic_fetch_add_explicit(&nevents, 1, memory_order_relaxed);
	if (i < MAX_EVENTS)
		events[i] = (struct event){t, size, name, kind};
}

void *malloc(size_t size)
{
	note('m', size);
	return __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
	note('c', n * size);
	return __libc_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
	note('r', size);
	return __libc_realloc(p, size);
}

void *reallocarray(void *p, size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		return NULL;
	note('r', n * size);
	return __libc_realloc(p, n * size);
}

void *memalign(size_t align, size_t size)
{
	note('a', size);
	return __libc_memalign(align, size);
}

void *aligned_alloc(size_t align, size_t size)
{
	note('a', size);
	return __libc_memalign(align, size);
}

int posix_memalign(void **out, size_t align, size_t size)
{
	note('a', size);
	void *p = __libc_memalign(align, size);
	if (!p)
		return 12; /* ENOMEM */
	*out = p;
	return 0;
}

void *valloc(size_t size)
{
	note('a', size);
	return __libc_memalign((size_t)sysconf(_SC_PAGESIZE), size);
}

void *pvalloc(size_t size)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	note('a', size);
	return __libc_memalign(page, (size + page - 1) & ~(page - 1));
}

void free(void *p)
{
	__libc_free(p);
}

__attribute__((constructor)) static void loaded(void)
{
	t_load = now_ns();
}

static void put(int fd, const char *line, int len)
{
	if (len > 0 && write(fd, line, (size_t)len) < 0)
		return;
}

/* VmHWM from /proc/self/status, in KiB; 0 if unknown. */
static unsigned long vmhwm_kib(void)
{
	static char buf[4096];
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	const char *p = strstr(buf, "VmHWM:");
	return p ? strtoul(p + 6, NULL, 10) : 0;
}

__attribute__((destructor)) static void unloaded(void)
{
	const char *path = getenv("DBCAP_MALLOC_COUNT_OUT");
	uint64_t n = atomic_load_explicit(&nevents, memory_order_relaxed);
	unsigned nn = atomic_load_explicit(&nnames, memory_order_acquire);
	char line[160];

	if (!path)
		return;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	for (unsigned t = 0; t < nn; t++)
		for (unsigned b = 0; b < MAX_BINS; b++) {
			uint32_t c = atomic_load_explicit(&bins[t][b].count, memory_order_relaxed);
			if (c)
				put(fd, line, snprintf(line, sizeof(line), "bin %u %s %u %llu\n",
						       b * (BIN_NS / 1000000u), names[t], c,
						       (unsigned long long)atomic_load_explicit(
							       &bins[t][b].bytes, memory_order_relaxed)));
		}
	for (uint64_t i = 0; i < n && i < MAX_EVENTS; i++)
		put(fd, line, snprintf(line, sizeof(line), "event %llu %c %llu %s\n",
				       (unsigned long long)events[i].t_ns, events[i].kind,
				       (unsigned long long)events[i].size, names[events[i].name]));
	put(fd, line, snprintf(line, sizeof(line), "total %llu\n", (unsigned long long)n));
	put(fd, line, snprintf(line, sizeof(line), "vmhwm_kib %lu\n", vmhwm_kib()));
	close(fd);
}
