/* SPDX-License-Identifier: MIT */
/* Description: N writers and one reader race for a while; every block arrives intact, once, in order, and every count adds up. */
/*
 * Usage: stress [--layout L] [--writers N] [--policy drop|wait] [--seconds S]
 *               [--buffers K] [--buffer-size BYTES] [--seed X]
 *
 * --seconds defaults to $DBUF_STRESS_SECONDS, else 0.5.  The run is bounded
 * by time, not by a block count, so a slow build (sanitizers) does less work
 * in the same time instead of running longer.
 *
 * Each block is a 32-byte header {magic, writer, seq, payload length, kind,
 * checksum} and a payload of 10..10,000 bytes that is a function of (writer,
 * seq).  A writer consumes one sequence number per block it places or gets
 * DBUF_EFULL for; the reader checks that, per writer, sequence numbers only
 * grow, and that the gaps are exactly the writer's drop_full counter.
 *
 * Exit 0 when every check holds, 1 otherwise (or on a bad option).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dbuf.h"

#define EXIT_PASS 0
#define EXIT_FAIL 1

#define BLK_MAGIC 0xdb0f5e7au
#define MIN_PAYLOAD 10u
#define MAX_PAYLOAD 10000u
#define MAX_ERRORS_SHOWN 20
#define NONE UINT64_MAX

struct blk_hdr {
	uint32_t magic;
	uint32_t writer;
	uint64_t seq;
	uint32_t len;  /* payload bytes after the header */
	uint32_t kind; /* 0: dbuf_write, 1: dbuf_reserve + dbuf_commit */
	uint64_t sum;  /* block_sum() of the header fields above and the payload */
};
#define HDR sizeof(struct blk_hdr)
_Static_assert(sizeof(struct blk_hdr) == 32, "header layout");

/* ------------------------------------------------------------ block data */

static uint64_t mix64(uint64_t x)
{
	/* The splitmix64 finaliser: every input bit reaches every output bit. */
	x ^= x >> 30;
	x *= UINT64_C(0xbf58476d1ce4e5b9);
	x ^= x >> 27;
	x *= UINT64_C(0x94d049bb133111eb);
	x ^= x >> 31;
	return x;
}

static uint64_t rng_next(uint64_t *state)
{
	*state += UINT64_C(0x9e3779b97f4a7c15);
	return mix64(*state);
}

/* Payload word i of block (writer, seq): random access, so the reader can
 * check any word without regenerating the block. */
static uint64_t payload_word(uint32_t writer, uint64_t seq, size_t i)
{
	uint64_t base = mix64(((uint64_t)writer << 48) ^ seq ^ UINT64_C(0x5bd1e995));
	return mix64(base + (uint64_t)(i + 1) * UINT64_C(0x9e3779b97f4a7c15));
}

static void fill_payload(uint8_t *p, size_t n, uint32_t writer, uint64_t seq)
{
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t v = payload_word(writer, seq, i / 8);
		memcpy(p + i, &v, 8);
	}
	if (i < n) {
		uint64_t v = payload_word(writer, seq, i / 8);
		memcpy(p + i, &v, n - i);
	}
}

/* A 64-bit checksum: FNV-1a over 8-byte words, then a finaliser. */
static uint64_t block_sum(const struct blk_hdr *h, const uint8_t *p, size_t n)
{
	const uint64_t prime = UINT64_C(0x100000001b3);
	uint64_t s = UINT64_C(0xcbf29ce484222325);
	s = (s ^ h->magic ^ ((uint64_t)h->writer << 32)) * prime;
	s = (s ^ h->seq) * prime;
	s = (s ^ h->len ^ ((uint64_t)h->kind << 32)) * prime;
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t v;
		memcpy(&v, p + i, 8);
		s = (s ^ v) * prime;
	}
	for (; i < n; i++)
		s = (s ^ p[i]) * prime;
	return mix64(s ^ n);
}

static void build_block(uint8_t *dst, uint32_t writer, uint64_t seq, size_t plen, uint32_t kind)
{
	struct blk_hdr h = {.magic = BLK_MAGIC, .writer = writer, .seq = seq,
			    .len = (uint32_t)plen, .kind = kind};
	fill_payload(dst + HDR, plen, writer, seq);
	h.sum = block_sum(&h, dst + HDR, plen);
	memcpy(dst, &h, HDR);
}

/* ------------------------------------------------------------- the run */

struct opts {
	enum dbuf_layout layout;
	unsigned writers;
	enum dbuf_on_full policy;
	double seconds;
	unsigned buffers;
	size_t buffer_size;
	uint64_t seed;
	unsigned yield_limit; /* dbuf_config.yield_limit: 0, or naps after that many yields */
};

struct writer {
	struct ctx *ctx;
	unsigned id;
	pthread_t th;
	uint64_t rng;
	uint8_t *scratch;
	/* Results, read by main after the join. */
	uint64_t next_seq;  /* sequence numbers consumed: written + dropped */
	uint64_t written, dropped, bytes, via_reserve;
	uint64_t last_ok;   /* seq of the last block placed, NONE if none */
	int bad_result;     /* an unexpected result, 0 if none */
};

struct wrx {                /* the reader's view of one writer */
	uint64_t last_seq;  /* NONE before the first block */
	uint64_t blocks, bytes, gaps;
	uint64_t chunk_seq; /* per-writer layout: seq of the next chunk */
	const char *chunk_end; /* end of the last PARTIAL chunk, else NULL */
};

struct ctx {
	struct opts o;
	struct dbuf *db;
	size_t cap, max_payload;
	struct iovec *regions;
	unsigned nregions;
	struct writer *w;
	struct wrx *rx;
	pthread_t reader;
	atomic_bool writers_joined; /* main: every writer has returned */
	atomic_bool reader_done;
	atomic_uint writers_exited;
	/* Reader results, read by main after the join. */
	uint64_t chunks, chunk_bytes, empties, partials, max_held, errors;
	uint64_t gen_next; /* shared/mutex: the generation of the next chunk */
	uint64_t rng;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void sleep_s(double s)
{
	struct timespec ts = {.tv_sec = (time_t)s, .tv_nsec = (long)((s - (double)(time_t)s) * 1e9)};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

__attribute__((format(printf, 2, 3)))
static void reader_error(struct ctx *c, const char *fmt, ...)
{
	va_list ap;
	if (c->errors++ >= MAX_ERRORS_SHOWN)
		return;
	fprintf(stderr, "stress: reader: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void *writer_main(void *arg)
{
	struct writer *ws = arg;
	struct ctx *c = ws->ctx;
	struct dbuf_writer *w = dbuf_writer(c->db, ws->id);
	const size_t span = c->max_payload - MIN_PAYLOAD + 1;

	for (;;) {
		uint64_t r = rng_next(&ws->rng);
		size_t plen = MIN_PAYLOAD + (size_t)(r % span);
		size_t len = HDR + plen;
		bool zero_copy = (r >> 40) % 3 == 0;
		uint64_t seq = ws->next_seq;
		int res;

		if (zero_copy) {
			void *where;
			res = dbuf_reserve(w, len, &where);
			if (res == DBUF_OK) {
				build_block(where, ws->id, seq, plen, 1);
				/* Now and then stall between reserve and commit, so
				 * that seals, flushes and swaps meet open claims. */
				if ((r >> 50) % 32 == 0)
					sched_yield();
				dbuf_commit(w);
				ws->via_reserve++;
			}
		} else {
			build_block(ws->scratch, ws->id, seq, plen, 0);
			res = dbuf_write(w, ws->scratch, len);
		}
		if (res == DBUF_OK) {
			ws->written++;
			ws->bytes += len;
			ws->last_ok = seq;
			ws->next_seq++;
		} else if (res == DBUF_EFULL && c->o.policy == DBUF_ON_FULL_DROP) {
			ws->dropped++; /* the block's sequence number is gone */
			ws->next_seq++;
			/* A real source moves on to its next block, which comes
			 * later; retrying at once would only starve the reader of
			 * CPU on a small machine. */
			sched_yield();
		} else if (res == DBUF_ECLOSED) {
			break;
		} else {
			ws->bad_result = res;
			break;
		}
	}
	atomic_fetch_add(&c->writers_exited, 1);
	return NULL;
}

/* Every check on one chunk and the blocks in it. */
static void check_chunk(struct ctx *c, const struct dbuf_chunk *ch)
{
	const bool pw = c->o.layout == DBUF_LAYOUT_PER_WRITER;
	const char *d = ch->data;

	c->chunks++;
	c->chunk_bytes += ch->len;
	c->empties += ch->len == 0;
	if (ch->len > c->cap || ch->region >= c->nregions) {
		reader_error(c, "chunk seq %" PRIu64 ": len %zu, region %u out of range", ch->seq,
			     ch->len, ch->region);
		return;
	}
	const char *base = c->regions[ch->region].iov_base;
	if (d < base || d + ch->len > base + c->regions[ch->region].iov_len) {
		reader_error(c, "chunk seq %" PRIu64 ": data %p+%zu outside region %u", ch->seq,
			     ch->data, ch->len, ch->region);
		return;
	}
	if (ch->flags & ~DBUF_CHUNK_PARTIAL || (!pw && ch->flags)) {
		reader_error(c, "chunk seq %" PRIu64 ": flags %#x", ch->seq, ch->flags);
		return;
	}
	if (pw) {
		if (ch->writer >= c->o.writers || ch->region / c->o.buffers != ch->writer) {
			reader_error(c, "chunk seq %" PRIu64 ": writer %u, region %u", ch->seq,
				     ch->writer, ch->region);
			return;
		}
		struct wrx *x = &c->rx[ch->writer];
		if (ch->seq != x->chunk_seq)
			reader_error(c, "writer %u: chunk seq %" PRIu64 ", want %" PRIu64,
				     ch->writer, ch->seq, x->chunk_seq);
		if (x->chunk_end && d != x->chunk_end)
			reader_error(c, "writer %u: chunk seq %" PRIu64 " starts at %p, not at the "
				     "end of its partial prefix %p", ch->writer, ch->seq, ch->data,
				     (const void *)x->chunk_end);
		if (ch->flags & DBUF_CHUNK_PARTIAL) {
			c->partials++;
			x->chunk_end = d + ch->len;
		} else {
			x->chunk_seq = ch->seq + 1;
			x->chunk_end = NULL;
		}
	} else {
		if (ch->writer != DBUF_ANY_WRITER || ch->seq != c->gen_next ||
		    ch->region != ch->seq % c->o.buffers)
			reader_error(c, "chunk seq %" PRIu64 " (want %" PRIu64 "), writer %u, region %u",
				     ch->seq, c->gen_next, ch->writer, ch->region);
		c->gen_next = ch->seq + 1;
	}

	size_t off = 0;
	while (off < ch->len) {
		const uint8_t *p = (const uint8_t *)d + off;
		struct blk_hdr h;
		if (ch->len - off < HDR) {
			reader_error(c, "chunk seq %" PRIu64 " offset %zu: %zu trailing bytes", ch->seq,
				     off, ch->len - off);
			return;
		}
		memcpy(&h, p, HDR);
		if (h.magic != BLK_MAGIC || h.writer >= c->o.writers || h.kind > 1 ||
		    h.len < MIN_PAYLOAD || h.len > c->max_payload || HDR + h.len > ch->len - off ||
		    (pw && h.writer != ch->writer)) {
			reader_error(c, "chunk seq %" PRIu64 " offset %zu: bad header magic %#x writer "
				     "%u len %u kind %u", ch->seq, off, h.magic, h.writer, h.len, h.kind);
			return;
		}
		const uint8_t *pl = p + HDR;
		uint64_t first = payload_word(h.writer, h.seq, 0);
		uint64_t last = payload_word(h.writer, h.seq, (h.len - 1) / 8);
		size_t last_at = (h.len - 1) / 8 * 8;
		if (block_sum(&h, pl, h.len) != h.sum || memcmp(pl, &first, 8) != 0 ||
		    memcmp(pl + last_at, &last, h.len - last_at) != 0) {
			reader_error(c, "writer %u seq %" PRIu64 " (chunk seq %" PRIu64 " offset %zu, "
				     "len %u): corrupt payload", h.writer, h.seq, ch->seq, off, h.len);
			return;
		}
		struct wrx *x = &c->rx[h.writer];
		if (x->last_seq == NONE) {
			x->gaps += h.seq;
		} else if (h.seq <= x->last_seq) {
			reader_error(c, "writer %u: seq %" PRIu64 " after %" PRIu64 " (%s)", h.writer,
				     h.seq, x->last_seq, h.seq == x->last_seq ? "duplicate" : "reordered");
			return;
		} else {
			x->gaps += h.seq - x->last_seq - 1;
		}
		x->last_seq = h.seq;
		x->blocks++;
		x->bytes += HDR + h.len;
		off += HDR + h.len;
	}
}

static void backoff(unsigned *polls)
{
	/* Bounded spin, then yield, then sleep: with more threads than cores
	 * the reader must not take the CPU from the writers it waits for. */
	if (*polls < 64) {
#if defined(__x86_64__) || defined(__i386__)
		__builtin_ia32_pause();
#endif
	} else if (*polls < 128) {
		sched_yield();
	} else {
		sleep_s(20e-6);
	}
	(*polls)++;
}

static void *reader_main(void *arg)
{
	struct ctx *c = arg;
	struct dbuf_chunk held[DBUF_MAX_BUFFERS + 1];
	unsigned nheld = 0, hold_limit = 0, polls = 0;
	double last_flush = now_s();

	for (;;) {
		/* Loaded before the poll: ENODATA after it is final (dbuf.h). */
		bool joined = atomic_load_explicit(&c->writers_joined, memory_order_acquire);
		struct dbuf_chunk ch;
		int r = dbuf_reader_next(c->db, &ch);

		if (r == 0) {
			check_chunk(c, &ch);
			held[nheld++] = ch;
			if (nheld > c->max_held)
				c->max_held = nheld;
			/* Sometimes keep up to K chunks, to hold buffers across polls. */
			if (nheld > hold_limit) {
				dbuf_reader_release(c->db, &held[0]);
				memmove(held, held + 1, --nheld * sizeof(held[0]));
				hold_limit = (unsigned)(rng_next(&c->rng) % c->o.buffers);
			}
			polls = 0;
		} else if (r == DBUF_EAGAIN || r == DBUF_ENODATA) {
			for (unsigned i = 0; i < nheld; i++)
				dbuf_reader_release(c->db, &held[i]);
			nheld = 0;
			if (r == DBUF_ENODATA && joined)
				break;
			backoff(&polls);
		} else {
			reader_error(c, "dbuf_reader_next: %d (%s)", r, dbuf_strerror(r));
			break;
		}
		double t = now_s();
		if (t - last_flush >= 1e-3) {
			dbuf_reader_flush(c->db);
			last_flush = t;
		}
	}
	for (unsigned i = 0; i < nheld; i++)
		dbuf_reader_release(c->db, &held[i]);
	atomic_store(&c->reader_done, true);
	return NULL;
}

/* Waits until *flag (or *count == want) or the deadline; false on timeout. */
static bool wait_for(atomic_bool *flag, atomic_uint *count, unsigned want, double deadline)
{
	while (flag ? !atomic_load(flag) : atomic_load(count) != want) {
		if (now_s() > deadline)
			return false;
		sleep_s(1e-3);
	}
	return true;
}

static void usage(const char *argv0)
{
	fprintf(stderr,
		"usage: %s [--layout per-writer|shared|mutex] [--writers N] [--policy drop|wait]\n"
		"          [--seconds S] [--buffers K] [--buffer-size BYTES] [--seed X]\n"
		"          [--yield-limit N]\n",
		argv0);
	exit(EXIT_FAIL);
}

static unsigned long long num_arg(const char *argv0, const char *s)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || *s == '\0' || *end != '\0' || *s == '-')
		usage(argv0);
	return v;
}

static void parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{"layout", required_argument, NULL, 'l'},
		{"writers", required_argument, NULL, 'w'},
		{"policy", required_argument, NULL, 'p'},
		{"seconds", required_argument, NULL, 's'},
		{"buffers", required_argument, NULL, 'k'},
		{"buffer-size", required_argument, NULL, 'b'},
		{"seed", required_argument, NULL, 'r'},
		{"yield-limit", required_argument, NULL, 'y'},
		{NULL, 0, NULL, 0},
	};
	const char *env = getenv("DBUF_STRESS_SECONDS");
	char *end;
	int opt;

	o->layout = DBUF_LAYOUT_SHARED;
	o->writers = 4;
	o->policy = DBUF_ON_FULL_WAIT;
	o->seconds = 0.5;
	o->buffers = DBUF_DEFAULT_BUFFERS;
	o->buffer_size = 64 * 1024;
	o->seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	if (env && *env) {
		o->seconds = strtod(env, &end);
		if (*end != '\0' || !(o->seconds > 0)) {
			fprintf(stderr, "stress: bad DBUF_STRESS_SECONDS=%s\n", env);
			exit(EXIT_FAIL);
		}
	}
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 'l':
			if (dbuf_layout_parse(optarg, &o->layout) != 0)
				usage(argv[0]);
			break;
		case 'w': o->writers = (unsigned)num_arg(argv[0], optarg); break;
		case 'p':
			if (dbuf_on_full_parse(optarg, &o->policy) != 0)
				usage(argv[0]);
			break;
		case 's':
			o->seconds = strtod(optarg, &end);
			if (*end != '\0' || !(o->seconds > 0))
				usage(argv[0]);
			break;
		case 'k': o->buffers = (unsigned)num_arg(argv[0], optarg); break;
		case 'b': o->buffer_size = (size_t)num_arg(argv[0], optarg); break;
		case 'r': o->seed = num_arg(argv[0], optarg); break;
		case 'y': o->yield_limit = (unsigned)num_arg(argv[0], optarg); break;
		default: usage(argv[0]);
		}
	}
	if (optind != argc)
		usage(argv[0]);
}

#define FAILF(...)                                                                 \
	do {                                                                       \
		fprintf(stderr, "stress: FAIL: " __VA_ARGS__);                     \
		fputc('\n', stderr);                                               \
		failed = true;                                                     \
	} while (0)

/* Compares two counters and reports both when they differ. */
#define EXPECT_EQ(what, a, b)                                                      \
	do {                                                                       \
		uint64_t e_a_ = (a), e_b_ = (b);                                   \
		if (e_a_ != e_b_)                                                  \
			FAILF("%s: %s = %" PRIu64 " but %s = %" PRIu64, what, #a,   \
			      e_a_, #b, e_b_);                                     \
	} while (0)

int main(int argc, char **argv)
{
	struct ctx c = {0};
	struct dbuf_config cfg;
	bool failed = false;

	parse_opts(argc, argv, &c.o);
	dbuf_config_init(&cfg);
	cfg.layout = c.o.layout;
	cfg.writers = c.o.writers;
	cfg.buffers = c.o.buffers;
	cfg.buffer_size = c.o.buffer_size;
	cfg.on_full = c.o.policy;
	cfg.yield_limit = c.o.yield_limit;
	int r = dbuf_create(&cfg, &c.db);
	if (r != 0) {
		fprintf(stderr, "stress: dbuf_create: %d (%s)\n", r, dbuf_strerror(r));
		return EXIT_FAIL;
	}
	c.cap = dbuf_get_config(c.db)->buffer_size;
	if (c.cap < HDR + MIN_PAYLOAD) {
		fprintf(stderr, "stress: buffer size %zu is below one block\n", c.cap);
		return EXIT_FAIL;
	}
	c.max_payload = c.cap - HDR < MAX_PAYLOAD ? c.cap - HDR : MAX_PAYLOAD;
	c.nregions = dbuf_regions(c.db, NULL, 0);
	c.regions = calloc(c.nregions, sizeof(*c.regions));
	c.w = calloc(c.o.writers, sizeof(*c.w));
	c.rx = calloc(c.o.writers, sizeof(*c.rx));
	if (!c.regions || !c.w || !c.rx) {
		fprintf(stderr, "stress: out of memory\n");
		return EXIT_FAIL;
	}
	dbuf_regions(c.db, c.regions, c.nregions);
	c.rng = c.o.seed ^ UINT64_C(0x7265616465720000);
	for (unsigned i = 0; i < c.o.writers; i++) {
		c.w[i] = (struct writer){.ctx = &c, .id = i, .last_ok = NONE,
					 .rng = c.o.seed ^ mix64(i + 1)};
		c.w[i].scratch = malloc(HDR + c.max_payload);
		c.rx[i].last_seq = NONE;
		if (!c.w[i].scratch) {
			fprintf(stderr, "stress: out of memory\n");
			return EXIT_FAIL;
		}
	}

	double t0 = now_s();
	if (pthread_create(&c.reader, NULL, reader_main, &c) != 0) {
		fprintf(stderr, "stress: pthread_create failed\n");
		return EXIT_FAIL;
	}
	for (unsigned i = 0; i < c.o.writers; i++)
		if (pthread_create(&c.w[i].th, NULL, writer_main, &c.w[i]) != 0) {
			fprintf(stderr, "stress: pthread_create failed\n");
			return EXIT_FAIL;
		}

	sleep_s(c.o.seconds);
	dbuf_close(c.db);

	/* Liveness: after close every writer returns and the reader drains.
	 * A generous deadline, so that only a wedge trips it. */
	double deadline = now_s() + 30 + 10 * c.o.seconds;
	if (!wait_for(NULL, &c.writers_exited, c.o.writers, deadline)) {
		fprintf(stderr, "stress: FAIL (seed %" PRIu64 "): %u of %u writers still inside the "
			"library after dbuf_close()\n", c.o.seed,
			c.o.writers - atomic_load(&c.writers_exited), c.o.writers);
		return EXIT_FAIL;
	}
	for (unsigned i = 0; i < c.o.writers; i++)
		pthread_join(c.w[i].th, NULL);
	atomic_store_explicit(&c.writers_joined, true, memory_order_release);
	if (!wait_for(&c.reader_done, NULL, 0, deadline)) {
		struct dbuf_reader_stats rs;
		dbuf_reader_stats(c.db, &rs);
		fprintf(stderr, "stress: FAIL (seed %" PRIu64 "): the reader never saw DBUF_ENODATA "
			"after close and join (%" PRIu64 " chunks, %" PRIu64 " stalled polls)\n",
			c.o.seed, rs.chunks, rs.stalled_polls);
		return EXIT_FAIL;
	}
	pthread_join(c.reader, NULL);
	double elapsed = now_s() - t0;

	/* ---------------------------------------------------------- checks */
	if (c.errors)
		FAILF("%" PRIu64 " errors in the data (first %d shown above)", c.errors,
		      MAX_ERRORS_SHOWN);
	uint64_t blocks = 0, bytes = 0, drops = 0, reserved = 0, waits = 0, naps = 0, seals = 0;
	for (unsigned i = 0; i < c.o.writers; i++) {
		const struct writer *ws = &c.w[i];
		const struct wrx *x = &c.rx[i];
		struct dbuf_writer_stats st;
		char who[32];

		snprintf(who, sizeof(who), "writer %u", i);
		dbuf_writer_stats(c.db, i, &st);
		if (ws->bad_result)
			FAILF("writer %u: unexpected result %d (%s)", i, ws->bad_result,
			      dbuf_strerror(ws->bad_result));
		/* The library's counters against the writer's own. */
		EXPECT_EQ(who, st.blocks, ws->written);
		EXPECT_EQ(who, st.bytes, ws->bytes);
		EXPECT_EQ(who, st.drop_full, ws->dropped);
		EXPECT_EQ(who, st.drop_too_big + st.drop_zero, 0);
		EXPECT_EQ(who, st.drop_closed, 1); /* each writer stops at its first ECLOSED */
		EXPECT_EQ(who, ws->next_seq, ws->written + ws->dropped);
		/* What the reader got against what was written. */
		EXPECT_EQ(who, x->blocks, st.blocks);
		EXPECT_EQ(who, x->bytes, st.bytes);
		EXPECT_EQ(who, x->last_seq, ws->last_ok);
		/* Gaps, the dropped tail included, are exactly the drops. */
		uint64_t tail = ws->next_seq - (x->last_seq == NONE ? 0 : x->last_seq + 1);
		EXPECT_EQ(who, x->gaps + tail, st.drop_full);
		if (ws->last_ok != NONE && ws->last_ok + 1 == ws->next_seq)
			EXPECT_EQ(who, x->last_seq + 1, ws->written + ws->dropped);
		if (c.o.policy == DBUF_ON_FULL_WAIT) {
			EXPECT_EQ(who, st.drop_full, 0);
			EXPECT_EQ(who, x->gaps, 0);
		} else {
			EXPECT_EQ(who, st.full_waits + st.yields + st.naps, 0);
		}
		/* Naps only past yield_limit yields in one wait, and only with a limit. */
		if (c.o.yield_limit == 0)
			EXPECT_EQ(who, st.naps, 0);
		else if (st.yields > (uint64_t)c.o.yield_limit * st.full_waits)
			FAILF("%s: %" PRIu64 " yields in %" PRIu64 " waits, more than %u per wait",
			      who, st.yields, st.full_waits, c.o.yield_limit);
		blocks += st.blocks;
		bytes += st.bytes;
		drops += st.drop_full;
		reserved += ws->via_reserve;
		waits += st.full_waits;
		naps += st.naps;
		seals += st.seals;
	}
	struct dbuf_reader_stats rs;
	dbuf_reader_stats(c.db, &rs);
	EXPECT_EQ("reader", rs.chunks, c.chunks);
	EXPECT_EQ("reader", rs.bytes, c.chunk_bytes);
	EXPECT_EQ("reader", c.chunk_bytes, bytes);
	if (c.o.layout != DBUF_LAYOUT_PER_WRITER && c.partials)
		FAILF("%" PRIu64 " PARTIAL chunks outside the per-writer layout", c.partials);
	if (blocks == 0)
		FAILF("no block went through in %.2f s", c.o.seconds);

	printf("stress %s %s writers=%u K=%u size=%zu seed=%" PRIu64 ": %s | blocks %" PRIu64
	       " (%" PRIu64 " zero-copy) bytes %" PRIu64 " drops %" PRIu64 " waits %" PRIu64
	       " naps %" PRIu64 " seals %" PRIu64 " | chunks %" PRIu64 " (%" PRIu64 " empty, %" PRIu64
	       " partial, up to %" PRIu64 " held) flushes %" PRIu64 " stalled polls %" PRIu64
	       " | %.1f MB/s, %.0f blocks/s over %.2f s\n",
	       dbuf_layout_name(c.o.layout), dbuf_on_full_name(c.o.policy), c.o.writers,
	       c.o.buffers, c.cap, c.o.seed, failed ? "FAIL" : "ok", blocks, reserved, bytes,
	       drops, waits, naps, seals, c.chunks, c.empties, c.partials, c.max_held, rs.flushes,
	       rs.stalled_polls, (double)bytes / elapsed / 1e6, (double)blocks / elapsed,
	       elapsed);

	for (unsigned i = 0; i < c.o.writers; i++)
		free(c.w[i].scratch);
	free(c.w);
	free(c.rx);
	free(c.regions);
	dbuf_destroy(c.db);
	return failed ? EXIT_FAIL : EXIT_PASS;
}
