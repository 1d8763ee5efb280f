/* SPDX-License-Identifier: MIT */
/*
 * Small helpers for the appliance's hot loops (writers, replay pacing,
 * reader), shared by src/app and src/source.  The busy-wait step is the
 * buffer library's (dbuf_cpu_relax() in include/dbuf.h).
 */
#ifndef DBCAP_HOTPATH_H
#define DBCAP_HOTPATH_H

#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

/* CLOCK_MONOTONIC and CLOCK_REALTIME are served by the vDSO: no syscall. */
static inline uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;
	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#endif
