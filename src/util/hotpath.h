/* SPDX-License-Identifier: MIT */
/*
 * Small helpers for the appliance's hot loops (writers, replay pacing, the
 * reader): the clock here, and with it the single-writer counter
 * (counter.h).  A leaf: it includes nothing of the project but counter.h.
 * now_ns() needs the POSIX clocks: an includer defines _GNU_SOURCE (or
 * _POSIX_C_SOURCE) before its first include.
 *
 * The busy-wait step is not here: it is the buffer library's public
 * dbuf_cpu_relax() (include/dbuf.h), which the library must carry itself
 * because its header stands alone; callers' polling loops use that one.
 */
#ifndef DBCAP_HOTPATH_H
#define DBCAP_HOTPATH_H

#include <stdint.h>
#include <time.h>

#include "counter.h"

/* CLOCK_MONOTONIC and CLOCK_REALTIME are served by the vDSO: no syscall. */
static inline uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;
	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#endif
