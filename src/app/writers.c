/* SPDX-License-Identifier: MIT */
/*
 * The writer threads: each produces blocks into its dbuf_writer until the
 * stop flag, its quota (-c) or the end of its shard of the input.  The
 * synthetic source builds pcapng records; replay copies the input's packets
 * into pcap records.  The per-block path calls only static inline helpers
 * (pcapng.h, pcap.h, hotpath.h, counter_add() in util/counter.h) and the buffer library,
 * as it did before the program was split into files.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "app.h"
#include "../util/hotpath.h"
#include "../format/pcap.h"
#include "../format/pcapng.h"
#include "../source/synth.h"

/* Replay writers time the write of one packet in this many (write_latency_ns). */
#define REPLAY_LATENCY_SAMPLE 16u

/*
 * A packet's counts once it is handed over (committed, or refused by a full
 * buffer), and its write latency when it is the sampled one: replay and
 * live count alike.
 */
static inline void count_packet(struct writer_stats *st, bool written, bool timed, uint64_t t0,
				uint32_t origlen)
{
	if (!written)
		counter_add(&st->dropped_bytes, origlen);
	else if (timed)
		hist_record(&st->write_latency, now_ns(CLOCK_MONOTONIC) - t0);
	counter_add(&st->generated, 1);
	counter_add(&st->generated_bytes, origlen);
}

/*
 * Reserves room for one packet and writes its record (pcap, or a pcapng
 * EPB) into it; the caller confirms and commits.  DBUF_OK or the refusal.
 */
static inline int reserve_packet(struct dbuf_writer *w, bool ng, const struct replay_pkt *pk)
{
	void *rec;
	int r = dbuf_reserve(w, ng ? pcapng_epb_size(pk->caplen) : (size_t)pcapf_rec_size(pk->caplen),
			     &rec);

	if (r != DBUF_OK)
		return r;
	if (ng) {
		/* The interface's own time stamp units (replay.h, replay_pkt.ng_ts). */
		uint8_t *data = pcapng_epb_begin(rec, pk->iface, pk->ng_ts, pk->caplen, pk->origlen);
		memcpy(data, pk->data, pk->caplen);
		pcapng_epb_end(rec, pk->caplen);
	} else {
		memcpy(pcapf_rec_begin(rec, pk->sec, pk->frac, pk->caplen, pk->origlen), pk->data,
		       pk->caplen);
	}
	return DBUF_OK;
}

/*
 * Replay: the writer's shard of the input file, one pcap record per packet,
 * built in place.  replay_next() reads the mapped file without a syscall;
 * Under --speed, replay_next() itself waits for the packet's time (it
 * sleeps only when the packet is due milliseconds ahead), never between
 * reserve and commit; a stop during that wait leaves the packet unread.
 *
 * A file cut while it is replayed (replay.h, replay_confirm()): a packet is
 * confirmed after it was copied and before it is committed, and a fault in
 * the mapping leaves this loop for replay_writer()'s recovery point.  Such
 * a fault may come while a reservation is held: the per-writer layout
 * publishes nothing until the commit, so the reservation is simply never
 * committed (dbuf.h); the shared and mutex layouts cannot leave one (the
 * reader would wait on it, or the mutex stay locked), so there the packet
 * is first copied to the writer's bounce buffer and confirmed, and only
 * then reserved and copied again.
 */
static __attribute__((noinline)) void replay_loop(struct app *app, unsigned id,
						  struct replay_cursor *cur)
{
	struct writer_stats *st = &app->ws[id];
	struct dbuf_writer *w = dbuf_writer(app->db, id);
	uint8_t *bounce = app->bounce ? app->bounce[id] : NULL;
	struct replay_pkt pk;
	const bool ng = app->format == FORMAT_PCAPNG;

	/* relaxed: stop carries no data, it only ends the loop (the join orders the rest) */
	for (uint64_t seq = 0; !atomic_load_explicit(&app->stop, memory_order_relaxed); seq++) {
		if (replay_next(cur, &pk, &st->replay) <= 0)
			break;
		/* A packet read is always handed over, even after a stop: read = filtered + generated. */
		/*
		 * The write latency of one packet in REPLAY_LATENCY_SAMPLE: two
		 * clock reads cost as much as the rest of a small packet's write.
		 */
		bool timed = seq % REPLAY_LATENCY_SAMPLE == 0;
		uint64_t t0 = timed ? now_ns(CLOCK_MONOTONIC) : 0;
		int r;
		if (bounce && pk.mapped) {
			memcpy(bounce, pk.data, pk.caplen);
			pk.data = bounce;
			replay_confirm(&pk);
			r = reserve_packet(w, ng, &pk);
		} else {
			r = reserve_packet(w, ng, &pk);
			replay_confirm(&pk);
		}
		if (r == DBUF_OK)
			dbuf_commit(w);
		count_packet(st, r == DBUF_OK, timed, t0, pk.origlen);
	}
}

static void replay_writer(struct app *app, unsigned id)
{
	struct replay_cursor *cur = app->cursors[id];

	replay_cursor_pace(cur, app->start_mono_ns, &app->stop);
	/*
	 * The recovery point of a fault in the mapping (the file shrank): the
	 * packet in hand is neither counted nor committed; the writer reads on
	 * to the new end, or stops, as at the end of a cut file.  sigsetjmp()
	 * without the signal mask makes no system call.
	 */
	if (sigsetjmp(*replay_cursor_jmp(cur), 0) != 0 && !replay_cursor_fault(cur))
		return;
	/* Here at the start, and again after a fault when the cursor reads on to the new end. */
	replay_cursor_arm(cur);
	replay_loop(app, id, cur);
	replay_cursor_disarm(cur, &app->ws[id].replay);
}

/*
 * Live: the writer's rings (one per interface), one record per frame,
 * built in place: the frame is copied out of the kernel's block into the
 * buffer (so the block goes back to the kernel at once, whatever the disk
 * does), dissected there, committed.  live_next() makes no system call
 * while frames come; an idle writer waits in poll(2) (source/live.h).
 * A frame taken is always handed over, even after a stop: captured =
 * generated = persisted + dropped.
 */
static void live_writer(struct app *app, unsigned id)
{
	struct writer_stats *st = &app->ws[id];
	struct dbuf_writer *w = dbuf_writer(app->db, id);
	struct live_cursor *cur = app->live_cursors[id];
	const bool ng = app->live_pcapng;
	struct live_pkt pk;

	for (uint64_t seq = 0; live_next(cur, &pk, &st->replay, &st->live, &app->stop) > 0; seq++) {
		bool timed = seq % REPLAY_LATENCY_SAMPLE == 0;
		uint64_t t0 = timed ? now_ns(CLOCK_MONOTONIC) : 0;
		size_t size = ng ? pcapng_epb_size(pk.caplen) : (size_t)pcapf_rec_size(pk.caplen);
		void *rec;
		int r = dbuf_reserve(w, size, &rec);
		if (r == DBUF_OK) {
			uint8_t *data = ng ? pcapng_epb_begin(rec, pk.iface, pk.ts_ns, pk.caplen,
							      pk.origlen)
					   : pcapf_rec_begin(rec, pk.sec, pk.nsec, pk.caplen,
							     pk.origlen);
			live_copy(data, &pk);
			if (ng)
				pcapng_epb_end(rec, pk.caplen);
			/* From the record: the dissector sees the VLAN tag put back. */
			dissect_packet(pk.dlt, data, pk.caplen, pk.origlen, &st->replay.dissect, NULL);
			dbuf_commit(w);
		}
		count_packet(st, r == DBUF_OK, timed, t0, pk.origlen);
	}
}

/*
 * The steady-state loop makes no syscall: clock_gettime goes through the
 * vDSO, the buffer calls are lock-free, the statistics are plain stores.
 * The one exception is sched_yield() inside dbuf_reserve() under the wait
 * policy when every buffer is busy.  tests/e2e/no-syscalls.sh checks it.
 */
void *writer_main(void *argp)
{
	struct writer_arg *wa = argp;
	struct app *app = wa->app;
	const unsigned id = wa->id;
	const struct dbcap_opts *o = &app->o;
	struct writer_stats *st = &app->ws[id];
	struct dbuf_writer *w = dbuf_writer(app->db, id);
	const uint64_t quota = app->quota[id];
	const bool ng = app->format == FORMAT_PCAPNG;
	uint64_t sink = id;

	/* relaxed: the thread id is a statistic on its own, nothing is published with it */
	atomic_store_explicit(&st->tid, (int)syscall(SYS_gettid), memory_order_relaxed);
	/* pairs with the release store of go in start_threads(): the setup is visible */
	while (!atomic_load_explicit(&app->go, memory_order_acquire))
		sched_yield();
	if (app->live_mode) {
		live_writer(app, id);
		/* relaxed: a count for stop_threads(); the joins order the writers' data */
		atomic_fetch_add_explicit(&app->writers_done, 1, memory_order_relaxed);
		return NULL;
	}
	if (app->replaying) {
		replay_writer(app, id);
		/*
		 * The input's end stops the run: the last writer out wakes main
		 * at once (a short file need not wait for main's next tick).
		 * relaxed: a count, read in wait_for_stop() only to decide to
		 * stop; the joins in stop_threads() order the writers' data.
		 */
		if (atomic_fetch_add_explicit(&app->writers_done, 1, memory_order_relaxed) + 1 ==
		    app->o.writers)
			pthread_kill(app->main_thread, DBCAP_SIG_WAKE);
		return NULL;
	}

	/* relaxed: stop carries no data, it only ends the loop (the join orders the rest) */
	for (uint64_t seq = 0; !atomic_load_explicit(&app->stop, memory_order_relaxed); seq++) {
		if (quota && seq >= quota)
			break;
		uint32_t len = synth_size(o->seed, id, seq, o->block_min, o->block_max);
		uint64_t t0 = now_ns(CLOCK_MONOTONIC);
		void *rec;
		int r = dbuf_reserve(w, ng ? pcapng_epb_size(len) : (size_t)pcapf_rec_size(len), &rec);
		if (r == DBUF_OK) {
			uint64_t ts = now_ns(CLOCK_REALTIME);
			if (ng) {
				uint8_t *data = pcapng_epb_begin(rec, id, ts, len, len);
				synth_fill(o->seed, id, seq, data, len);
				pcapng_epb_end(rec, len);
			} else {
				/* pcap has no interfaces: the block's own writer field says whose it is */
				uint8_t *data = pcapf_rec_begin(rec, (uint32_t)(ts / 1000000000u),
								(uint32_t)(ts % 1000000000u), len, len);
				synth_fill(o->seed, id, seq, data, len);
			}
			dbuf_commit(w);
			hist_record(&st->write_latency, now_ns(CLOCK_MONOTONIC) - t0);
		} else {
			/* Counted by reason inside the library; we add the bytes. */
			counter_add(&st->dropped_bytes, len);
		}
		counter_add(&st->generated, 1);
		counter_add(&st->generated_bytes, len);
		if (o->writer_work)
			sink = synth_work(sink, o->writer_work);
	}
	/* Keep the auxiliary work from being optimised away. */
	if (sink == 42)
		fputs("", stderr);
	/* relaxed: a count for wait_for_stop(), see the replay case above */
	atomic_fetch_add_explicit(&app->writers_done, 1, memory_order_relaxed);
	return NULL;
}
