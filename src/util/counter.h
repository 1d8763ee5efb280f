/* SPDX-License-Identifier: MIT */
/*
 * The single-writer counter: a 64-bit statistic that one thread stores and
 * any thread reads.  Used by the writers, the reader, the buffer library,
 * the dissector and the histogram.  A leaf: plain C11, nothing of the
 * project.
 */
#ifndef DBCAP_COUNTER_H
#define DBCAP_COUNTER_H

#include <stdatomic.h>
#include <stdint.h>

/*
 * Adds v to a counter that ONE thread stores and any thread may read.
 *
 * Only the owning thread ever stores into *c, so a relaxed load followed by
 * a relaxed store cannot lose an increment: there is no second writer to
 * race with, and fetch_add would buy nothing but a locked read-modify-write
 * (a full barrier on x86) on the hot path.  The counter is _Atomic so that
 * readers on other threads get a whole 64-bit value without a data race;
 * relaxed order suffices because a reader only wants each counter to be
 * exact at some instant, never ordered against other memory: a snapshot may
 * be an increment behind, never torn or wrong.  On x86-64 and arm64 this is
 * a plain load, add and store.  Calling it from a second thread on the same
 * counter WOULD lose increments: every caller names the owner.
 */
static inline void counter_add(_Atomic uint64_t *c, uint64_t v)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + v,
			      memory_order_relaxed);
}

#endif
