/* SPDX-License-Identifier: MIT */
/* A run_report with known numbers, shared by the statistics tests. */
#ifndef DBCAP_TEST_FIXTURE_H
#define DBCAP_TEST_FIXTURE_H

#include "options.h"
#include "stats.h"

#define FX_WRITERS 2

/*
 * The numbers (see fixture.c): 115 blocks / 79700 bytes generated,
 * 100 / 18500 persisted, 15 / 61200 dropped (full 5, too_big 1, zero 2,
 * closed 3, io_error 4): a consistent final run of 2.0 s that ended with
 * ENOSPC (every block accounted for all the same).
 */
struct fixture {
	struct dbcap_opts opts;
	struct dbuf_config buf;
	struct writer_stats *writers; /* [FX_WRITERS], 64-byte aligned */
	struct dbuf_writer_stats lib[FX_WRITERS];
	struct reader_stats *reader;  /* 64-byte aligned */
	struct run_report report;
};

/* Fills *f; returns 0 or -ENOMEM. */
int fixture_init(struct fixture *f);

/* The report's run.config again from f->opts, after a test changed them. */
void fixture_snapshot(struct fixture *f);
void fixture_free(struct fixture *f);

/*
 * Nothing counted yet: the reader's counters and histogram and the
 * writers' block counts back to zero (the rest of the report stays).
 */
void fixture_empty(struct fixture *f);

/* Sets a relaxed atomic counter (the tests play every owner thread). */
void fx_set(_Atomic uint64_t *p, uint64_t v);

#endif
