/* SPDX-License-Identifier: MIT */
/*
 * replay-read-bench: how fast can a writer thread get packets out of a
 * capture file?  The measurements behind docs/REPLAY.md's choice of how
 * packets reach dbcap's writers.
 *
 *   replay-read-bench FILE [REPETITIONS]
 *
 * Each strategy reads every packet of FILE once and copies it, with a
 * 16-byte record header, into a 4 MiB ring (what a writer does into its
 * buffer); "+hash" also runs the dissector for the flow hash on every
 * packet (what each of N > 1 writers does to find its shard).  Prints the
 * median of REPETITIONS (default 5) runs: seconds, ns per packet, GB/s, and
 * the system calls the strategy makes per packet, counted by hand.
 *
 *   stdio       pcap_open_offline(): libpcap reads the file with fread()
 *   fmemopen    libpcap over fmemopen(3) on a mapping of the file
 *   mmap-raw    the mapping walked in place (host-order pcap only)
 *   preload     read() the whole file into memory first, then walk it
 *   skim        the mapping walked, nothing copied: with +hash, what each of
 *               N writers does for the packets of the other writers' shards
 *
 * The page cache is warm (the file is read once before the first run).
 * PREFETCH=BYTES in the environment makes the walks prefetch every line that
 * far ahead of the record they read (dbcap's cursors use 2048).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../src/source/dissect.h"

#define RING (4u << 20)

static uint8_t *ring;
static size_t getenv_prefetch;
static size_t rpos;
static uint64_t sink;

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static inline void put(uint32_t sec, uint32_t frac, uint32_t caplen, uint32_t len,
		       const uint8_t *data)
{
	uint32_t h[4] = {sec, frac, caplen, len};

	if (rpos + 16 + caplen > RING)
		rpos = 0;
	memcpy(ring + rpos, h, 16);
	memcpy(ring + rpos + 16, data, caplen);
	rpos += 16 + caplen;
}

static inline void hash(int dlt, const uint8_t *data, uint32_t caplen, uint32_t len)
{
	struct dissect_flow f;

	dissect_packet(dlt, data, caplen, len, NULL, &f);
	sink += f.hash;
}

struct result {
	double secs;
	uint64_t packets, bytes;
};

static void with_pcap(pcap_t *p, int flow, struct result *r)
{
	struct pcap_pkthdr *h;
	const u_char *d;
	int dlt = pcap_datalink(p);

	while (pcap_next_ex(p, &h, &d) == 1) {
		if (flow)
			hash(dlt, d, h->caplen, h->len);
		put((uint32_t)h->ts.tv_sec, (uint32_t)h->ts.tv_usec, h->caplen, h->len, d);
		r->packets++;
		r->bytes += h->caplen;
	}
	pcap_close(p);
}

static void walk(const uint8_t *m, size_t size, int flow, int copy, struct result *r)
{
	size_t off = 24, ahead = 0;
	uint32_t lt;

	memcpy(&lt, m + 20, 4);
	while (size - off >= 16) {
		uint32_t h[4];

		if (getenv_prefetch)
			for (; ahead < off + getenv_prefetch && ahead < size; ahead += 64)
				__builtin_prefetch(m + ahead);

		memcpy(h, m + off, 16);
		if (h[2] > size - off - 16)
			break;
		if (flow)
			hash((int)(lt & 0xffff), m + off + 16, h[2], h[3]);
		if (copy)
			put(h[0], h[1], h[2], h[3], m + off + 16);
		off += 16 + h[2];
		r->packets++;
		r->bytes += h[2];
	}
}

static int run(const char *path, const char *how, int flow, struct result *r)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct stat st;
	double t0 = now();
	int fd;

	memset(r, 0, sizeof(*r));
	if (strcmp(how, "stdio") == 0) {
		pcap_t *p = pcap_open_offline(path, errbuf);
		if (!p)
			goto pcap_failed;
		with_pcap(p, flow, r);
	} else {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st) < 0)
			return -errno;
		size_t size = (size_t)st.st_size;
		if (strcmp(how, "preload") == 0) {
			uint8_t *m = malloc(size);
			size_t got = 0;
			while (m && got < size) {
				ssize_t n = read(fd, m + got, size - got);
				if (n <= 0)
					break;
				got += (size_t)n;
			}
			if (m)
				walk(m, got, flow, 1, r);
			free(m);
		} else {
			uint8_t *m = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
			if (m == MAP_FAILED)
				return -errno;
			if (strcmp(how, "fmemopen") == 0) {
				FILE *f = fmemopen(m, size, "r");
				pcap_t *p = f ? pcap_fopen_offline(f, errbuf) : NULL;
				if (!p) {
					munmap(m, size);
					goto pcap_failed;
				}
				with_pcap(p, flow, r);
			} else {
				walk(m, size, flow, strcmp(how, "skim") != 0, r);
			}
			munmap(m, size);
		}
		close(fd);
	}
	r->secs = now() - t0;
	return 0;

pcap_failed:
	fprintf(stderr, "replay-read-bench: %s: %s\n", path, errbuf);
	return -1;
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	static const char *const hows[] = {"stdio", "fmemopen", "mmap-raw", "preload", "skim"};
	/* System calls per packet, by construction (the file's reads, amortised). */
	static const char *const calls[] = {"read per 4 KiB", "0", "0", "0 (read before)", "0"};
	int reps = argc > 2 ? atoi(argv[2]) : 5;
	struct result r;

	if (argc < 2 || reps < 1 || reps > 99) {
		fputs("usage: replay-read-bench FILE [REPETITIONS]\n", stderr);
		return 2;
	}
	if (getenv("PREFETCH"))
		getenv_prefetch = (size_t)atoi(getenv("PREFETCH"));
	ring = malloc(RING);
	if (!ring)
		return 1;
	memset(ring, 0, RING);
	/* Warm the page cache. */
	if (run(argv[1], "mmap-raw", 0, &r) < 0)
		return 1;
	printf("%s: %llu packets, %.1f MB of packet data, %d runs each (median)\n", argv[1],
	       (unsigned long long)r.packets, (double)r.bytes / 1e6, reps);
	printf("%-10s %-6s %8s %10s %8s  %s\n", "strategy", "hash", "seconds", "ns/packet", "GB/s",
	       "syscalls per packet");
	for (int flow = 0; flow < 2; flow++) {
		for (unsigned i = 0; i < sizeof(hows) / sizeof(hows[0]); i++) {
			double t[99];

			for (int k = 0; k < reps; k++) {
				if (run(argv[1], hows[i], flow, &r) < 0)
					return 1;
				t[k] = r.secs;
			}
			qsort(t, (size_t)reps, sizeof(t[0]), cmp_dbl);
			double med = t[reps / 2];
			printf("%-10s %-6s %8.3f %10.1f %8.2f  %s\n", hows[i], flow ? "+hash" : "-", med,
			       med * 1e9 / (double)r.packets, (double)r.bytes / med / 1e9, calls[i]);
		}
	}
	if (sink == 42)
		fputs("", stderr);
	free(ring);
	return 0;
}
