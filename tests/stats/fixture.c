/* SPDX-License-Identifier: MIT */
/* A run_report with known numbers, shared by the statistics tests. */
#include "fixture.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void fx_set(_Atomic uint64_t *p, uint64_t v)
{
	atomic_store_explicit(p, v, memory_order_relaxed);
}

static void *zalloc_aligned(size_t size)
{
	size = (size + 63) & ~(size_t)63; /* aligned_alloc wants a multiple */
	void *p = aligned_alloc(64, size);
	if (p)
		memset(p, 0, size);
	return p;
}

void fixture_empty(struct fixture *f)
{
	memset(f->reader, 0, sizeof(*f->reader));
	hist_init(&f->reader->persist_latency);
	for (unsigned i = 0; i < FX_WRITERS; i++) {
		fx_set(&f->writers[i].generated, 0);
		fx_set(&f->writers[i].generated_bytes, 0);
		fx_set(&f->writers[i].dropped_bytes, 0);
		memset(&f->lib[i], 0, sizeof(f->lib[i]));
	}
}

int fixture_init(struct fixture *f)
{
	memset(f, 0, sizeof(*f));
	f->writers = zalloc_aligned(FX_WRITERS * sizeof(*f->writers));
	f->reader = zalloc_aligned(sizeof(*f->reader));
	if (!f->writers || !f->reader) {
		fixture_free(f);
		return -ENOMEM;
	}

	/* The program's defaults, from its one table; then what this run changed. */
	struct dbcap_opts *o = &f->opts;
	options_defaults(o);
	o->output = "/tmp/capture.pcapng";
	o->force = true;
	o->writers = FX_WRITERS;
	o->cpus[0] = 2;
	o->cpus[1] = 3;
	o->ncpus = 2;
	o->reader_cpu = 1;
	o->layout = DBUF_LAYOUT_SHARED;
	o->buffers = 4;
	o->buffer_size = 65000; /* dbuf rounds it up to 65536 */
	o->on_full = DBUF_ON_FULL_DROP;
	o->duration = 2.5;
	o->count = 115;
	o->block_max = 5000;
	o->seed = UINT64_C(0xfedcba9876543210);
	o->writer_work = 7;
	o->io_depth = 8;
	o->flush_age = 0.25;
	o->stats_path = "/tmp/stats.json";
	o->stats_interval = 1.0;

	f->buf.layout = o->layout;
	f->buf.writers = o->writers;
	f->buf.buffers = o->buffers;
	f->buf.buffer_size = 65536;
	f->buf.on_full = o->on_full;
	f->buf.spin_limit = DBUF_DEFAULT_SPIN_LIMIT;

	/* Writer 0: 60 blocks of 6000 bytes; 5 full (500 bytes) and 2 zero-length refused. */
	struct writer_stats *w = &f->writers[0];
	fx_set(&w->generated, 60);
	fx_set(&w->generated_bytes, 6000);
	fx_set(&w->dropped_bytes, 500);
	w->cpu = 2;
	atomic_store_explicit(&w->tid, 4242, memory_order_relaxed);
	hist_init(&w->write_latency);
	hist_record(&w->write_latency, 100);
	hist_record(&w->write_latency, 200);
	hist_record(&w->write_latency, 300);
	f->lib[0] = (struct dbuf_writer_stats){ .blocks = 53, .bytes = 5500, .drop_full = 5,
						.drop_zero = 2, .seals = 6, .full_waits = 0,
						.yields = 0 };

	/* Writer 1: 55 blocks of 73700 bytes; one of 60000 too big, 3 (300 bytes) after close. */
	w = &f->writers[1];
	fx_set(&w->generated, 55);
	fx_set(&w->generated_bytes, 73700);
	fx_set(&w->dropped_bytes, 60300);
	w->cpu = 3;
	atomic_store_explicit(&w->tid, 4243, memory_order_relaxed);
	hist_init(&w->write_latency); /* nothing recorded: an empty histogram */
	f->lib[1] = (struct dbuf_writer_stats){ .blocks = 51, .bytes = 13400, .drop_too_big = 1,
						.drop_closed = 3, .seals = 5, .full_waits = 9,
						.yields = 11 };

	/* Reader: 100 blocks persisted (50 x 10, 40 x 100, 9 x 1000, 1 x 5000), 4 lost to EIO. */
	struct reader_stats *r = f->reader;
	fx_set(&r->chunks, 12);
	fx_set(&r->chunk_bytes, 22100);
	fx_set(&r->blocks, 100);
	fx_set(&r->block_bytes, 18500);
	fx_set(&r->file_bytes, 22100 + 96);
	fx_set(&r->lost_io_blocks, 4);
	fx_set(&r->lost_io_bytes, 400);
	fx_set(&r->size_count[10], 50);
	fx_set(&r->size_count[100], 40);
	fx_set(&r->size_count[1000], 9);
	fx_set(&r->size_count[5000], 1);
	fx_set(&r->flushes, 3);
	hist_init(&r->persist_latency);
	for (uint64_t v = 1; v <= 1000; v++)
		hist_record(&r->persist_latency, v * 1000);

	struct run_report *rep = &f->report;
	rep->version = "0.1.0";
	rep->start_real = (struct timespec){ .tv_sec = 1714564800, .tv_nsec = 123456789 };
	rep->end_real = (struct timespec){ .tv_sec = 1714564802, .tv_nsec = 123456789 };
	rep->duration_seconds = 2.0;
	rep->final = true;
	rep->stop_reason = "error";
	rep->error = "write /tmp/capture.pcapng: No space left on device";
	rep->buf = &f->buf;
	rep->mlock_result = 0;
	rep->reader_cpu = 1;
	rep->oversubscribed = false;
	rep->nwriters = FX_WRITERS;
	rep->writers = f->writers;
	rep->lib = f->lib;
	rep->reader = r;
	rep->lib_reader = (struct dbuf_reader_stats){ .chunks = 12, .bytes = 22100, .flushes = 2,
						      .stalled_polls = 17 };
	rep->io = (struct io_report){ .engine = "io_uring", .fallback_reason = NULL, .direct = true, .sync = true,
				      .dio_align = 4096, .registered_buffers = true, .depth = 8,
				      .submissions = 12, .completions = 12, .short_writes = 1,
				      .retries = 2, .bytes_written = 24576, .max_in_flight = 5,
				      .mean_in_flight = 2.5, .error = -ENOSPC,
				      .error_op = "write" };
	rep->output = o->output;
	fixture_snapshot(f);
	return 0;
}

void fixture_snapshot(struct fixture *f)
{
	f->report.nconfig = options_snapshot(&f->opts, f->report.buf, f->report.config,
					     STATS_CONFIG_MAX);
}

void fixture_free(struct fixture *f)
{
	free(f->writers);
	free(f->reader);
	f->writers = NULL;
	f->reader = NULL;
}
