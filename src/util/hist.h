/* SPDX-License-Identifier: MIT */
/*
 * Log-linear histogram of nanosecond values: exact below 2^HIST_SUB_BITS,
 * then 2^HIST_SUB_BITS sub-buckets per power of two (relative error below
 * 1/2^HIST_SUB_BITS), up to 2^HIST_MAX_BITS ns (values above are clamped
 * into the last bucket; max stays exact).
 *
 * Threads: one writer per histogram (the owning thread calls hist_init()
 * and hist_record()); any number of readers on any thread at the same time
 * (hist_quantile(), relaxed loads of the fields).  A leaf: it includes
 * nothing of the project but the other leaf helpers.
 */
#ifndef DBCAP_HIST_H
#define DBCAP_HIST_H

#include <stdatomic.h>
#include <stdint.h>

#define HIST_SUB_BITS 5
#define HIST_MAX_BITS 44
#define HIST_BUCKETS ((HIST_MAX_BITS - HIST_SUB_BITS + 1) << HIST_SUB_BITS)

struct hist {
	_Atomic uint64_t bucket[HIST_BUCKETS];
	_Atomic uint64_t count, sum, max;
	_Atomic uint64_t min; /* UINT64_MAX when empty */
};

/* Owner, before any reader looks: empties h. */
void hist_init(struct hist *h);
/* Single writer: only the owning thread records (plain load+store, no lock). */
void hist_record(struct hist *h, uint64_t v);
/* Any thread: the value at quantile q (0..1), the bucket's upper bound, <= max. 0 if empty. */
uint64_t hist_quantile(const struct hist *h, double q);
/*
 * The 1-based rank of quantile q among n values: ceil(q * n), within [1, n].
 * The rule hist_quantile() uses, for callers that keep exact counts.
 */
uint64_t hist_rank(double q, uint64_t n);
/*
 * The largest value that lands in bucket b (0 <= b < HIST_BUCKETS): every
 * value counted in bucket b is at most this, so cumulative counts against
 * fixed bounds (the statistics' latency buckets) never count a value above
 * its bound.
 */
uint64_t hist_upper_bound(unsigned b);

#endif
