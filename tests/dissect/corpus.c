/* SPDX-License-Identifier: MIT */
/*
 * Description: every packet of every capture in the tcpdump test corpus
 * dissects in bounds and keeps the per-packet invariants; prints totals.
 *
 * Usage: dissect-corpus DIR            the test (each packet in a buffer of exactly caplen bytes)
 *        dissect-corpus --bench DIR    ns per packet over the whole corpus, held in memory
 *
 * DIR must exist and hold captures (*.pcap, *.pcapng): a missing corpus is a
 * failure, not a skip, because CI always has it.
 */
#define _DEFAULT_SOURCE /* u_char and friends, which <pcap/pcap.h> uses; clock_gettime() */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "captures.h"
#include "common.h"

/* Fewer captures than this means the folder is not the corpus. */
enum { MIN_FILES = 100 };

struct held {
	int linktype;
	uint32_t caplen, origlen;
	uint8_t *data;
};

static struct held *packets;
static size_t npackets, cap_packets;

/* The capture file names in dir, sorted; exits T_EXIT_FAIL when dir is unreadable. */
static char **list(const char *dir, size_t *n)
{
	char **names;
	int err = capture_names(dir, &names, n);

	if (err) {
		fprintf(stderr, "%s: cannot open the corpus folder (it exists in CI): %s\n", dir,
			strerror(-err));
		exit(T_EXIT_FAIL);
	}
	return names;
}

/* Calls fn on each packet of each capture; returns the number of files read. */
static size_t each_packet(const char *dir, void (*fn)(int, const uint8_t *, const struct pcap_pkthdr *))
{
	size_t nfiles;
	char **names = list(dir, &nfiles);

	for (size_t i = 0; i < nfiles; i++) {
		char path[4096], err[PCAP_ERRBUF_SIZE];
		struct pcap_pkthdr *h;
		const u_char *data;
		int rc;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		pcap_t *p = pcap_open_offline(path, err);
		if (!p) {
			fprintf(stderr, "%s: %s\n", path, err);
			exit(T_EXIT_FAIL);
		}
		int linktype = pcap_datalink(p);
		while ((rc = pcap_next_ex(p, &h, &data)) == 1)
			fn(linktype, data, h);
		if (rc != PCAP_ERROR_BREAK) {
			fprintf(stderr, "%s: %s\n", path, pcap_geterr(p));
			exit(T_EXIT_FAIL);
		}
		pcap_close(p);
		free(names[i]);
	}
	free(names);
	if (nfiles < MIN_FILES) {
		fprintf(stderr, "%s: %zu captures, expected at least %d\n", dir, nfiles, MIN_FILES);
		exit(T_EXIT_FAIL);
	}
	return nfiles;
}

static struct dissect_stats totals;
static uint64_t n_ip, n_linktype[512];

static void check_one(int linktype, const uint8_t *data, const struct pcap_pkthdr *h)
{
	/* t_run() copies into exactly caplen bytes and checks the invariants. */
	struct t_res r = t_run(linktype, data, h->caplen, h->len);

	t_add(&totals, &r);
	n_ip += (uint64_t)r.flow.is_ip;
	n_linktype[linktype >= 0 && linktype < 511 ? linktype : 511]++;
}

static void hold_one(int linktype, const uint8_t *data, const struct pcap_pkthdr *h)
{
	if (npackets == cap_packets) {
		cap_packets = cap_packets ? 2 * cap_packets : 4096;
		packets = realloc(packets, cap_packets * sizeof(*packets));
		CHECK(packets != NULL);
	}
	struct held *k = &packets[npackets++];
	k->linktype = linktype;
	k->caplen = h->caplen;
	k->origlen = h->len;
	k->data = malloc(h->caplen ? h->caplen : 1);
	CHECK(k->data != NULL);
	memcpy(k->data, data, h->caplen);
}

static double now_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int bench(const char *dir)
{
	struct dissect_stats st;
	struct dissect_flow fl;
	uint64_t sink = 0;
	double best = 0, best_cpu = 0;

	each_packet(dir, hold_one);
	memset(&st, 0, sizeof(st));
	/*
	 * Best of 5 runs of 20 million packets each; the cache is warm, as on
	 * the hot path.  Wall time and this thread's CPU time: on a shared
	 * machine the CPU time is the dissector's own cost.
	 */
	unsigned rounds = (unsigned)(20000000 / (npackets + 1)) + 1;
	for (int run = 0; run < 5; run++) {
		double t0 = now_ns(CLOCK_MONOTONIC), c0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
		for (unsigned r = 0; r < rounds; r++)
			for (size_t i = 0; i < npackets; i++) {
				const struct held *k = &packets[i];

				dissect_packet(k->linktype, k->data, k->caplen, k->origlen, &st, &fl);
				sink += fl.hash;
			}
		double n = (double)rounds * (double)npackets;
		double ns = (now_ns(CLOCK_MONOTONIC) - t0) / n;
		double cpu = (now_ns(CLOCK_THREAD_CPUTIME_ID) - c0) / n;
		if (run == 0 || ns < best)
			best = ns;
		if (run == 0 || cpu < best_cpu)
			best_cpu = cpu;
	}
	printf("%zu packets x %u rounds: %.1f ns per packet wall, %.1f ns CPU (best of 5; sink %llx)\n",
	       npackets, rounds, best, best_cpu, (unsigned long long)(sink & 0xf));
	for (size_t i = 0; i < npackets; i++)
		free(packets[i].data);
	free(packets);
	return T_EXIT_PASS;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--bench") == 0)
		return bench(argv[2]);
	if (argc != 2) {
		fprintf(stderr, "usage: %s [--bench] CORPUS_DIR\n", argv[0]);
		return T_EXIT_FAIL;
	}

	size_t nfiles = each_packet(argv[1], check_one);
	uint64_t n = 0;
	for (unsigned b = 0; b < DS_BUCKETS; b++)
		n += atomic_load(&totals.size[b]);

	printf("%zu files, %llu packets, %llu with an IP flow\n", nfiles, (unsigned long long)n,
	       (unsigned long long)n_ip);
	for (unsigned r = 0; r < DP_PROTOS; r++)
		printf("  %-10s %8llu\n", dissect_proto_names[r],
		       (unsigned long long)atomic_load(&totals.proto[r]));
	printf("size buckets:");
	for (unsigned b = 0; b < DS_BUCKETS; b++)
		printf(" %s=%llu", dissect_size_names[b], (unsigned long long)atomic_load(&totals.size[b]));
	printf("\nlink types:");
	for (unsigned l = 0; l < 512; l++)
		if (n_linktype[l])
			printf(" %u=%llu", l, (unsigned long long)n_linktype[l]);
	printf("\n");
	CHECK(n > 0);
	return T_EXIT_PASS;
}
