/* SPDX-License-Identifier: MIT */
/*
 * An LD_PRELOAD shim for the tests: liburing's io_uring_wait_cqe() (an
 * inline function) waits through the exported __io_uring_get_cqe(); this
 * one passes the first DBCAP_WAIT_FAIL_AFTER calls that wait to liburing
 * and fails every later one with -DBCAP_WAIT_FAIL_ERRNO (default EIO), as a
 * kernel or a seccomp policy that starts refusing io_uring_enter() would.
 * The writes in flight are left to the kernel, which completes them.
 *
 * Chosen over a fault hook in persist.c: the program under test is the one
 * users run, unchanged.  Under ASan, set ASAN_OPTIONS=verify_asan_link_order=0
 * (the shim comes before the sanitizer's runtime in the library list).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <liburing.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int (*get_cqe_fn)(struct io_uring *, struct io_uring_cqe **, unsigned, unsigned,
			  sigset_t *);

static unsigned long env_or(const char *name, unsigned long dflt)
{
	const char *v = getenv(name);

	return v && *v ? strtoul(v, NULL, 10) : dflt;
}

int __io_uring_get_cqe(struct io_uring *ring, struct io_uring_cqe **cqe_ptr, unsigned submit,
		       unsigned wait_nr, sigset_t *sigmask)
{
	/* Only the reader thread waits; atomics keep a second caller well defined all the same. */
	static _Atomic unsigned long waits;
	static _Atomic(get_cqe_fn) real;
	get_cqe_fn fn = atomic_load(&real);

	if (wait_nr > 0 &&
	    atomic_fetch_add(&waits, 1) >= env_or("DBCAP_WAIT_FAIL_AFTER", 0)) {
		if (atomic_load(&waits) == env_or("DBCAP_WAIT_FAIL_AFTER", 0) + 1)
			fputs("wait-fail: io_uring_wait_cqe() fails from now on\n", stderr);
		return -(int)env_or("DBCAP_WAIT_FAIL_ERRNO", EIO);
	}
	if (!fn) {
		void *sym = dlsym(RTLD_NEXT, "__io_uring_get_cqe");

		if (!sym)
			return -ENOSYS;
		/* POSIX guarantees this conversion for dlsym(); ISO C does not know it. */
		memcpy(&fn, &sym, sizeof(fn));
		atomic_store(&real, fn);
	}
	return fn(ring, cqe_ptr, submit, wait_nr, sigmask);
}
