/* SPDX-License-Identifier: MIT */
/*
 * Seed corpus for fuzz-dissect: reads every capture (*.pcap, *.pcapng) in
 * PCAP_DIR and writes each distinct packet of a link type the target knows,
 * prefixed with its selector byte (fuzz-dissect.h), as one file in OUT_DIR,
 * at most MAX files (default 2000).  When there are more, it takes the first
 * packet of every capture, then the second of every capture, and so on, so
 * that a few long captures do not crowd out the rest.
 *
 * Usage: fuzz-corpus PCAP_DIR OUT_DIR [MAX]
 * Exits 0 with at least one seed written, 1 otherwise.
 */
#define _DEFAULT_SOURCE /* u_char and friends, which <pcap/pcap.h> uses */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "captures.h"
#include "fuzz-dissect.h"

struct seed {
	size_t file, index; /* which capture, which packet of it */
	uint64_t hash;
	uint32_t len;
	uint8_t *bytes;     /* selector byte + packet */
};

static struct seed *seeds;
static size_t nseeds, cap_seeds;

/* FNV-1a, then a finaliser: only to tell packets apart, not for sharding. */
static uint64_t content_hash(const uint8_t *p, size_t n)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * UINT64_C(0x100000001b3);
	h ^= h >> 33;
	h *= UINT64_C(0xff51afd7ed558ccd);
	return h ^ (h >> 33);
}

static int by_round(const void *a, const void *b)
{
	const struct seed *x = a, *y = b;

	if (x->index != y->index)
		return x->index < y->index ? -1 : 1;
	return x->file < y->file ? -1 : x->file > y->file;
}

static int add(size_t file, size_t index, int sel, const uint8_t *data, uint32_t caplen)
{
	if (nseeds == cap_seeds) {
		size_t n = cap_seeds ? 2 * cap_seeds : 4096;
		struct seed *s = realloc(seeds, n * sizeof(*s));
		if (!s)
			return -ENOMEM;
		seeds = s;
		cap_seeds = n;
	}
	struct seed *s = &seeds[nseeds];
	s->bytes = malloc((size_t)caplen + 1);
	if (!s->bytes)
		return -ENOMEM;
	s->bytes[0] = (uint8_t)sel;
	memcpy(s->bytes + 1, data, caplen);
	s->len = caplen + 1;
	s->hash = content_hash(s->bytes, s->len);
	s->file = file;
	s->index = index;
	nseeds++;
	return 0;
}

/* Reads one capture; returns 0, or -1 (reported) when libpcap refuses it. */
static int read_capture(const char *path, size_t file)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	size_t index = 0;
	int rc;

	pcap_t *p = pcap_open_offline(path, err);
	if (!p) {
		fprintf(stderr, "fuzz-corpus: %s: %s\n", path, err);
		return -1;
	}
	int sel = fuzz_selector(pcap_datalink(p), 0);
	while (sel >= 0 && (rc = pcap_next_ex(p, &h, &data)) == 1) {
		if (add(file, index++, sel, data, h->caplen) < 0) {
			fprintf(stderr, "fuzz-corpus: out of memory\n");
			exit(1);
		}
	}
	pcap_close(p);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: %s PCAP_DIR OUT_DIR [MAX]\n", argv[0]);
		return 1;
	}
	const char *in = argv[1], *out = argv[2];
	size_t max = argc == 4 ? strtoul(argv[3], NULL, 10) : 2000;

	char **names;
	size_t nnames;
	int err = capture_names(in, &names, &nnames);
	if (err) {
		fprintf(stderr, "fuzz-corpus: %s: %s\n", in, strerror(-err));
		return 1;
	}

	for (size_t i = 0; i < nnames; i++) {
		char path[4096];

		snprintf(path, sizeof(path), "%s/%s", in, names[i]);
		read_capture(path, i); /* a refused file is reported and skipped */
		free(names[i]);
	}
	free(names);

	if (mkdir(out, 0777) != 0 && errno != EEXIST) {
		fprintf(stderr, "fuzz-corpus: %s: %s\n", out, strerror(errno));
		return 1;
	}
	qsort(seeds, nseeds, sizeof(*seeds), by_round);

	/* Distinct contents only: a small open-addressing set of hashes. */
	size_t slots = 1;
	while (slots < 2 * nseeds + 2)
		slots *= 2;
	uint64_t *set = calloc(slots, sizeof(*set));
	size_t written = 0;
	if (!set)
		return 1;
	for (size_t i = 0; i < nseeds && written < max; i++) {
		uint64_t h = seeds[i].hash | 1; /* 0 marks a free slot */
		size_t j = (size_t)h & (slots - 1);
		while (set[j] && set[j] != h)
			j = (j + 1) & (slots - 1);
		if (set[j])
			continue;
		set[j] = h;

		char path[4096];
		snprintf(path, sizeof(path), "%s/seed-%016llx", out, (unsigned long long)h);
		FILE *f = fopen(path, "wb");
		if (!f || fwrite(seeds[i].bytes, 1, seeds[i].len, f) != seeds[i].len ||
		    fclose(f) != 0) {
			fprintf(stderr, "fuzz-corpus: %s: %s\n", path, strerror(errno));
			return 1;
		}
		written++;
	}
	fprintf(stderr, "fuzz-corpus: %zu packets of known link types, %zu distinct seeds written to %s\n",
		nseeds, written, out);
	for (size_t i = 0; i < nseeds; i++)
		free(seeds[i].bytes);
	free(seeds);
	free(set);
	return written ? 0 : 1;
}
