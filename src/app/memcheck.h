/* SPDX-License-Identifier: MIT */
/*
 * What the run will ask of the machine, checked against its limits before
 * anything is allocated: the buffers, which are prefaulted (MAP_POPULATE)
 * and locked, against the room left in the memory cgroup.  A cgroup that
 * cannot hold them does not fail an allocation: the kernel's OOM killer
 * ends dbcap while it fills them, with nothing said and no statistics.
 */
#ifndef DBCAP_MEMCHECK_H
#define DBCAP_MEMCHECK_H

#include <stdint.h>

#include "options.h"

/* Bytes the buffers take: per-writer writers x buffers, else buffers; each rounded to pages. */
uint64_t limits_buffer_bytes(const struct dbcap_opts *o);

/*
 * 0, or 1 after a message naming what the buffers need and the room the
 * memory cgroup (v2 memory.max, or v1 memory.limit_in_bytes, the tightest
 * of the process's cgroup and its ancestors, less what is in use) leaves.
 * Where no limit is set or readable, 0.
 */
int limits_check_memory(const struct dbcap_opts *o);

#endif
