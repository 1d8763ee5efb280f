/* SPDX-License-Identifier: MIT */
/* A stream (a pipe): written in order with write(2) whatever engine is asked for; a reader gone is a sticky -EPIPE, the durable prefix what the pipe took. */
#define _GNU_SOURCE

#include "helpers.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>

/* What the pipe's reader does: read everything, or keep only the first limit bytes and go. */
struct reader {
	int fd;
	size_t limit;        /* 0: to the end */
	unsigned char *got;
	size_t len, cap;
};

static void *read_pipe(void *argp)
{
	struct reader *r = argp;

	for (;;) {
		if (r->len == r->cap) {
			r->cap = r->cap ? r->cap * 2 : 1 << 20;
			r->got = realloc(r->got, r->cap);
			CHECK(r->got != NULL);
		}
		size_t want = r->cap - r->len;
		if (r->limit && want > r->limit - r->len)
			want = r->limit - r->len;
		ssize_t n = read(r->fd, r->got + r->len, want);
		if (n < 0 && errno == EINTR)
			continue;
		CHECK(n >= 0);
		if (n == 0)
			break;
		r->len += (size_t)n;
		if (r->limit && r->len == r->limit)
			break;
	}
	close(r->fd); /* the reader goes: the next write meets no one */
	return NULL;
}

static void run(const struct io_case *c, size_t limit, uint64_t seed)
{
	struct persist_opts o;
	struct io_report rep;
	struct driver d;
	struct reader r = {0};
	pthread_t t;
	uint64_t durable = 0, issued, rng = seed;
	int fds[2], err = 0;
	char msg[512];

	CHECK(pipe2(fds, O_CLOEXEC) == 0);
	r.fd = fds[0];
	r.limit = limit;
	CHECK(pthread_create(&t, NULL, read_pipe, &r) == 0);
	driver_start(&d, &o, c, "a pipe", seed);
	o.stream = true;
	o.stream_fd = fds[1];
	CHECK_INT(persist_open(&o, &d.p, msg, sizeof(msg)), 0);
	persist_report(d.p, &rep);
	CHECK_STR(rep.engine, "write");
	CHECK(!rep.direct);
	CHECK(!rep.sync);
	CHECK(rep.fallback_reason == NULL);

	/* 8 MiB in chunks of 1..100000 bytes; the pipe's reader sets the pace. */
	while (d.appended < (8u << 20)) {
		err = driver_append(&d, 1 + (size_t)(t_rand(&rng) % 100000));
		if (err == 0)
			err = driver_reap(&d, false);
		if (err)
			break;
	}
	if (!limit) {
		CHECK_INT(err, 0);
		issued = persist_appended(d.p);
		CHECK_INT(persist_close(d.p, &durable), 0);
	} else {
		/* Sticky: the next append says it again, and so does the close. */
		CHECK_INT(err, -EPIPE);
		CHECK_INT(driver_append(&d, 100), -EPIPE);
		/* Issued to the pipe, the failed write's bytes included; it took a prefix of them. */
		issued = persist_appended(d.p);
		CHECK_INT(persist_close(d.p, &durable), -EPIPE);
		CHECK_LT(durable, issued);
	}
	CHECK(pthread_join(t, NULL) == 0);
	/* The reader got a prefix of the stream, in order; the pipe took at least that. */
	unsigned char *want = malloc(r.len ? r.len : 1);
	CHECK(want != NULL);
	stream_fill(seed, 0, want, r.len);
	CHECK(memcmp(want, r.got, r.len) == 0);
	if (!limit) {
		CHECK_EQ(r.len, d.appended);
		CHECK_EQ(durable, d.appended);
	} else {
		CHECK_EQ(r.len, limit);
		CHECK_GE(durable, limit);
	}
	printf("%-10s %-8s issued %" PRIu64 ", durable %" PRIu64 ", the reader got %zu\n",
	       c->name, limit ? "gone" : "to end", issued, durable, r.len);
	free(want);
	free(r.got);
	driver_free(&d);
}

int main(void)
{
	static const struct io_case cases[] = {
		{ "io_uring", IO_ENGINE_URING, IO_AUTO, 4, 0 },
		{ "pwrite", IO_ENGINE_PWRITE, IO_AUTO, 4, 0 },
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN); /* as dbcap: the write fails with EPIPE instead */
	for (unsigned i = 0; i < 2; i++) {
		run(&cases[i], 0, 900 + i);
		run(&cases[i], 100000, 910 + i);
	}
	return 0;
}
