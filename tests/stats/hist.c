/* SPDX-License-Identifier: MIT */
/* hist: exact small values, bounded relative error, exact min/max/mean, empty and clamped histograms. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "hist.h"

/* The bound stats.h promises above the exact range: less than 1/2^HIST_SUB_BITS. */
#define REL_ERR (1.0 / (double)(1u << HIST_SUB_BITS))

static uint64_t xorshift(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static uint64_t load(const _Atomic uint64_t *p)
{
	return atomic_load_explicit((_Atomic uint64_t *)p, memory_order_relaxed);
}

static void test_empty(struct hist *h)
{
	hist_init(h);
	CHECK_EQ(load(&h->count), 0);
	CHECK_EQ(load(&h->sum), 0);
	CHECK_EQ(load(&h->max), 0);
	CHECK_EQ(load(&h->min), UINT64_MAX);
	CHECK_EQ(hist_quantile(h, 0.0), 0);
	CHECK_EQ(hist_quantile(h, 0.5), 0);
	CHECK_EQ(hist_quantile(h, 1.0), 0);
}

/* Every value below 2^HIST_SUB_BITS has a bucket of its own. */
static void test_exact_small(struct hist *h)
{
	const uint64_t n = 1u << HIST_SUB_BITS;

	for (uint64_t v = 0; v < n; v++) {
		hist_init(h);
		hist_record(h, v);
		hist_record(h, 1000000); /* keeps max (the clamp) out of the way */
		CHECK_EQ(hist_quantile(h, 0.5), v);
	}
	/* All of 0..31 once each: the k-th smallest is k - 1, at every rank. */
	hist_init(h);
	for (uint64_t v = 0; v < n; v++)
		hist_record(h, v);
	for (uint64_t k = 1; k <= n; k++)
		CHECK_EQ(hist_quantile(h, (double)k / (double)n), k - 1);
	CHECK_EQ(hist_quantile(h, 0.0), 0);
	CHECK_EQ(load(&h->min), 0);
	CHECK_EQ(load(&h->max), n - 1);
}

/* The quantile is the upper bound of v's bucket: >= v, and less than v * (1 + 2^-S) above it. */
static void check_bound(struct hist *h, uint64_t v)
{
	hist_init(h);
	hist_record(h, v);
	hist_record(h, (UINT64_C(1) << HIST_MAX_BITS) - 1);
	uint64_t q = hist_quantile(h, 0.5);
	bool exact = v < (1u << HIST_SUB_BITS);
	if (q < v || (exact ? q != v : (double)(q - v) >= REL_ERR * (double)v))
		t_fail(__FILE__, __LINE__, "bucket bound", "bucket of %" PRIu64 " reports %" PRIu64
		       " (error %.5f)", v, q, v ? (double)(q - v) / (double)v : 0.0);
}

static void test_single_values(struct hist *h)
{
	uint64_t seed = 0x9e3779b97f4a7c15u;

	for (unsigned b = 0; b < HIST_MAX_BITS; b++) {
		uint64_t p = UINT64_C(1) << b;
		check_bound(h, p);
		check_bound(h, p - 1);
		check_bound(h, p + 1);
		check_bound(h, p + p / 2);
	}
	for (int i = 0; i < 20000; i++) {
		/* log-uniform: a random bit width, then random bits below it */
		unsigned bits = (unsigned)(xorshift(&seed) % HIST_MAX_BITS) + 1;
		uint64_t v = xorshift(&seed) >> (64 - bits);
		check_bound(h, v);
	}
}

/* n values from gen: every quantile within [true, true * (1 + 2^-S)], min/max/mean exact. */
static void check_distribution(struct hist *h, const char *name, uint64_t *v, size_t n)
{
	static const double qs[] = { 0.0, 0.001, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999, 0.9999, 1.0 };
	uint64_t sum = 0;

	hist_init(h);
	for (size_t i = 0; i < n; i++) {
		hist_record(h, v[i]);
		sum += v[i];
	}
	qsort(v, n, sizeof(*v), cmp_u64);

	CHECK_EQ(load(&h->count), n);
	CHECK_EQ(load(&h->sum), sum);
	CHECK_EQ(load(&h->min), v[0]);
	CHECK_EQ(load(&h->max), v[n - 1]);
	for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
		/* the value at rank ceil(q * n), at least 1 */
		size_t rank = (size_t)(qs[i] * (double)n);
		if ((double)rank < qs[i] * (double)n)
			rank++;
		if (rank < 1)
			rank = 1;
		uint64_t want = v[rank - 1], got = hist_quantile(h, qs[i]);
		if (got < want || (double)(got - want) >= REL_ERR * (double)want + 1e-9 ||
		    got > v[n - 1])
			t_fail(__FILE__, __LINE__, "quantile", "%s: q %g: got %" PRIu64 ", true %" PRIu64,
			       name, qs[i], got, want);
	}
}

static void test_distributions(struct hist *h)
{
	enum { N = 1000000 };
	uint64_t *v = malloc(N * sizeof(*v));
	uint64_t seed = 12345;

	if (!v) {
		fprintf(stderr, "out of memory\n");
		exit(1);
	}
	for (size_t i = 0; i < N; i++)
		v[i] = i + 1; /* uniform 1..N */
	check_distribution(h, "uniform", v, N);

	for (size_t i = 0; i < N; i++) {
		/* exponential-like: a random power of two times a random fraction, 50 ns .. ~1 s */
		unsigned e = (unsigned)(xorshift(&seed) % 24);
		v[i] = 50 + ((xorshift(&seed) >> 40) << e) / (1u << 20);
	}
	check_distribution(h, "log-spread", v, N);

	for (size_t i = 0; i < N; i++)
		v[i] = (i % 1000 == 0) ? 5000000 : 800 + xorshift(&seed) % 100; /* bimodal: rare stalls */
	check_distribution(h, "bimodal", v, N);
	/* p9999 lands on the rare mode (0.1 % of the values): the tail must not be lost. */
	CHECK(hist_quantile(h, 0.9999) >= 5000000);
	CHECK(hist_quantile(h, 0.99) < 1000);
	free(v);
}

static void test_mean_min_max(struct hist *h)
{
	hist_init(h);
	hist_record(h, 7);
	hist_record(h, 1000003);
	hist_record(h, 123456789);
	CHECK_EQ(load(&h->count), 3);
	CHECK_EQ(load(&h->sum), 7 + 1000003 + 123456789);
	CHECK_EQ(load(&h->min), 7);
	CHECK_EQ(load(&h->max), 123456789);
	/* The top quantile never exceeds max, although its bucket reaches further. */
	CHECK_EQ(hist_quantile(h, 1.0), 123456789);
	CHECK_EQ(hist_quantile(h, 0.0), 7);
}

/* Values beyond 2^HIST_MAX_BITS share the last bucket; max stays exact. */
static void test_clamp(struct hist *h)
{
	const uint64_t limit = (UINT64_C(1) << HIST_MAX_BITS) - 1;

	hist_init(h);
	hist_record(h, UINT64_C(1) << 50);
	hist_record(h, UINT64_MAX);
	CHECK_EQ(load(&h->max), UINT64_MAX);
	CHECK_EQ(load(&h->min), UINT64_C(1) << 50);
	CHECK_EQ(hist_quantile(h, 0.5), limit);
	CHECK_EQ(hist_quantile(h, 1.0), limit);
	CHECK_EQ(load(&h->bucket[HIST_BUCKETS - 1]), 2);
	hist_record(h, 0);
	CHECK_EQ(load(&h->min), 0);
	CHECK_EQ(hist_quantile(h, 0.0), 0);
}

int main(void)
{
	t_keep_going = true; /* report every wrong value, not only the first */
	struct hist *h = malloc(sizeof(*h));
	if (!h)
		return 1;
	test_empty(h);
	test_exact_small(h);
	test_single_values(h);
	test_distributions(h);
	test_mean_min_max(h);
	test_clamp(h);
	free(h);
	return t_result();
}
