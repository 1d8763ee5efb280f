/* SPDX-License-Identifier: MIT */
/*
 * A bump allocator for memory that lives exactly as long as one piece of
 * work (one statistics document: its cJSON tree and its text), then goes all
 * at once.  Why not malloc: a document is thousands of small allocations
 * freed together every --stats-interval, and glibc's per-thread caches keep
 * some of them pinned across the heap, so a process that reports every
 * second for hours grew its heap slowly for minutes (tests/e2e/rotate-soak.sh
 * saw 200 kB a minute).  An arena takes its memory from mmap in blocks, never
 * from the heap, and keeps its first block between documents.
 *
 * Not thread-safe: one thread owns an arena.
 */
#ifndef DBCAP_UTIL_ARENA_H
#define DBCAP_UTIL_ARENA_H

#include <stddef.h>

struct arena_block;

struct arena {
	struct arena_block *first; /* kept by arena_reset() */
	struct arena_block *cur;   /* the block allocations come from */
};

#define ARENA_INIT {NULL, NULL}

/* n bytes, 16-byte aligned, or NULL when mmap fails. */
void *arena_alloc(struct arena *a, size_t n);

/* Everything allocated goes; the first block stays mapped for the next use. */
void arena_reset(struct arena *a);

/* Everything goes, the first block too. */
void arena_release(struct arena *a);

#endif
