/* SPDX-License-Identifier: MIT */
/*
 * The log-linear histogram (hist.h).  Its counters have one writer, the
 * owning thread; any thread reads them with relaxed loads.
 */
#include "hist.h"

#include "counter.h"

/*
 * Bucket layout.  For v below 2^(HIST_SUB_BITS+1) the bucket is v itself
 * (exact).  Above, with m the index of v's top bit and
 * shift = m - HIST_SUB_BITS, the bucket is (shift << HIST_SUB_BITS) +
 * (v >> shift): v >> shift keeps the top bit and the HIST_SUB_BITS bits
 * below it, so it lies in [2^S, 2^(S+1)) and each power of two gets 2^S
 * sub-buckets of width 2^shift <= v / 2^S.  Both cases are one formula with
 * shift clamped at 0, so hist_record() needs no branch but the clamps.
 */
#define HIST_EXACT (UINT64_C(2) << HIST_SUB_BITS)   /* exact below this */
#define HIST_LIMIT ((UINT64_C(1) << HIST_MAX_BITS) - 1) /* larger values share the last bucket */

_Static_assert(HIST_MAX_BITS < 64, "histogram range must fit in 64 bits");
_Static_assert(((HIST_MAX_BITS - 1 - HIST_SUB_BITS) << HIST_SUB_BITS) +
			       (HIST_EXACT - 1) == HIST_BUCKETS - 1,
	       "the largest value must land in the last bucket");

static inline unsigned hist_index(uint64_t v)
{
	if (v > HIST_LIMIT)
		v = HIST_LIMIT;
	/* v | 1: __builtin_clzll(0) is undefined; 0 and 1 share the top bit 0. */
	unsigned top = 63u - (unsigned)__builtin_clzll(v | 1u);
	unsigned shift = top > HIST_SUB_BITS ? top - HIST_SUB_BITS : 0u;
	return (shift << HIST_SUB_BITS) + (unsigned)(v >> shift);
}

/* The largest value that lands in bucket b. */
static uint64_t hist_upper(unsigned b)
{
	if (b < HIST_EXACT)
		return b;
	unsigned shift = (b >> HIST_SUB_BITS) - 1u;
	uint64_t top = b - ((uint64_t)shift << HIST_SUB_BITS); /* in [2^S, 2^(S+1)) */
	return ((top + 1u) << shift) - 1u;
}

uint64_t hist_upper_bound(unsigned b)
{
	return hist_upper(b < HIST_BUCKETS ? b : HIST_BUCKETS - 1);
}

/*
 * Loads a counter the owning thread stores: relaxed, because each value is
 * meaningful on its own (see hist_record()).
 */
static inline uint64_t ld(const _Atomic uint64_t *p)
{
	return atomic_load_explicit((_Atomic uint64_t *)p, memory_order_relaxed);
}

void hist_init(struct hist *h)
{
	for (unsigned i = 0; i < HIST_BUCKETS; i++)
		atomic_store_explicit(&h->bucket[i], 0, memory_order_relaxed);
	atomic_store_explicit(&h->count, 0, memory_order_relaxed);
	atomic_store_explicit(&h->sum, 0, memory_order_relaxed);
	atomic_store_explicit(&h->max, 0, memory_order_relaxed);
	atomic_store_explicit(&h->min, UINT64_MAX, memory_order_relaxed);
}

/*
 * Only the owning thread ever stores into h, so each counter is a
 * single-writer counter_add() (counter.h says why a relaxed load and store
 * cannot lose an increment there, and why no fetch_add is needed).  Readers
 * on other threads want each counter exact at some instant; count, sum and
 * the buckets may be skewed against each other by the record in flight,
 * which hist_quantile() tolerates.  min and max are replaced, not added to,
 * by the same single writer.  On x86-64 and arm64 every access here
 * compiles to a plain load or store.
 */
void hist_record(struct hist *h, uint64_t v)
{
	counter_add(&h->bucket[hist_index(v)], 1);
	counter_add(&h->count, 1);
	counter_add(&h->sum, v);
	if (v < atomic_load_explicit(&h->min, memory_order_relaxed))
		atomic_store_explicit(&h->min, v, memory_order_relaxed);
	if (v > atomic_load_explicit(&h->max, memory_order_relaxed))
		atomic_store_explicit(&h->max, v, memory_order_relaxed);
}

uint64_t hist_rank(double q, uint64_t n)
{
	if (!(q > 0.0)) /* also NaN */
		return 1;
	if (q >= 1.0)
		return n;
	/* ceil() by hand: the library does not link libm. */
	double x = q * (double)n;
	if (x >= (double)n)
		return n;
	uint64_t r = (uint64_t)x;
	if ((double)r < x)
		r++;
	return r < 1 ? 1 : r;
}

uint64_t hist_quantile(const struct hist *h, double q)
{
	/*
	 * Rank against the buckets' own total, not h->count: while the owner
	 * records, the two may differ by the record in flight, and the walk
	 * below must find the rank it looks for.
	 */
	uint64_t total = 0;
	for (unsigned i = 0; i < HIST_BUCKETS; i++)
		total += ld(&h->bucket[i]);
	if (total == 0)
		return 0;

	uint64_t max = ld(&h->max);
	uint64_t rank = hist_rank(q, total), seen = 0;
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		seen += ld(&h->bucket[i]);
		if (seen >= rank) {
			uint64_t up = hist_upper(i);
			return up < max ? up : max;
		}
	}
	/* Buckets changed between the two passes; the largest value is a fair answer. */
	return max;
}
