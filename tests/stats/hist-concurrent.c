/* SPDX-License-Identifier: MIT */
/* hist: one thread records while another reads (relaxed, single writer); run it under -Db_sanitize=thread too. */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "hist.h"

#define N 2000000u

static struct hist *h;
static atomic_bool done;

static void *recorder(void *arg)
{
	(void)arg;
	for (uint64_t i = 0; i < N; i++)
		hist_record(h, 100 + (i % 10000));
	/* pairs with the acquire load in main()'s reading loop */
	atomic_store_explicit(&done, true, memory_order_release);
	return NULL;
}

int main(void)
{
	pthread_t t;
	uint64_t last_count = 0, reads = 0;

	t_keep_going = true; /* report every wrong value, not only the first */
	h = malloc(sizeof(*h));
	if (!h)
		return 1;
	hist_init(h);
	if (pthread_create(&t, NULL, recorder, NULL) != 0)
		return 1;
	while (!atomic_load_explicit(&done, memory_order_acquire)) {
		uint64_t c = atomic_load_explicit(&h->count, memory_order_relaxed);
		uint64_t q = hist_quantile(h, 0.99);
		uint64_t m = atomic_load_explicit(&h->max, memory_order_relaxed);
		/* The owner's stores are seen in its program order by a reader of one variable. */
		if (c < last_count)
			t_fail(__FILE__, __LINE__, "count", "went back: %" PRIu64 " after %" PRIu64, c,
			       last_count);
		last_count = c;
		if (q && (q < 100 || q > 100 + 9999 + 9999 / 32 + 1))
			t_fail(__FILE__, __LINE__, "p99", "%" PRIu64 " out of the recorded range", q);
		if (m > 100 + 9999)
			t_fail(__FILE__, __LINE__, "max", "%" PRIu64 " out of the recorded range", m);
		reads++;
	}
	pthread_join(t, NULL);

	CHECK_EQ(atomic_load_explicit(&h->count, memory_order_relaxed), N);
	CHECK_EQ(atomic_load_explicit(&h->min, memory_order_relaxed), 100);
	CHECK_EQ(atomic_load_explicit(&h->max, memory_order_relaxed), 100 + 9999);
	uint64_t total = 0;
	for (unsigned i = 0; i < HIST_BUCKETS; i++)
		total += atomic_load_explicit(&h->bucket[i], memory_order_relaxed);
	CHECK_EQ(total, N);
	CHECK(reads > 0);
	free(h);
	return t_result();
}
