/* SPDX-License-Identifier: MIT */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */
#include "arena.h"

#include <stdint.h>
#include <sys/mman.h>

/* The first block; each further one twice the last (or what one allocation needs). */
#define ARENA_FIRST ((size_t)256 << 10)

struct arena_block {
	struct arena_block *next;
	size_t size; /* the mapping's, this header included */
	size_t used; /* from the start of the mapping */
};

#define HEADER ((sizeof(struct arena_block) + 15) & ~(size_t)15)

static struct arena_block *block_new(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	struct arena_block *b = p;
	b->next = NULL;
	b->size = size;
	b->used = HEADER;
	return b;
}

void *arena_alloc(struct arena *a, size_t n)
{
	if (n > SIZE_MAX / 4)
		return NULL;
	n = n ? (n + 15) & ~(size_t)15 : 16;
	if (!a->cur) {
		a->first = a->cur = block_new(ARENA_FIRST > n + HEADER ? ARENA_FIRST : n + HEADER);
		if (!a->cur)
			return NULL;
	}
	if (a->cur->size - a->cur->used < n) {
		/* cur is the chain's last block: a new one, at least twice its size. */
		size_t size = 2 * a->cur->size;
		while (size < n + HEADER)
			size *= 2;
		struct arena_block *b = block_new(size);
		if (!b)
			return NULL;
		a->cur->next = b;
		a->cur = b;
	}
	void *p = (uint8_t *)a->cur + a->cur->used;
	a->cur->used += n;
	return p;
}

static void unmap_chain(struct arena_block *b)
{
	while (b) {
		struct arena_block *next = b->next;
		munmap(b, b->size);
		b = next;
	}
}

void arena_reset(struct arena *a)
{
	if (!a->first)
		return;
	unmap_chain(a->first->next);
	a->first->next = NULL;
	a->first->used = HEADER;
	a->cur = a->first;
}

void arena_release(struct arena *a)
{
	unmap_chain(a->first);
	a->first = a->cur = NULL;
}
