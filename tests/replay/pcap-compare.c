/* SPDX-License-Identifier: MIT */
/*
 * pcap-compare: checks a pcap file that dbcap replayed against what libpcap
 * reads from the input (or from a reference file).
 *
 *   pcap-compare [--flows] [--snaplen N] [--count N] [--nano] EXPECTED OUTPUT
 *
 * EXPECTED is read with libpcap (pcap or pcapng, with the time stamp
 * precision of OUTPUT's header); OUTPUT is parsed byte by byte, without
 * libpcap, so that anything dbcap writes differently from what libpcap reads
 * shows.  Checks:
 *  - OUTPUT's file header is the one pcap_dump_open() writes for EXPECTED
 *    (tcpdump -w's), with --snaplen N as the snapshot length when given;
 *    pcap EXPECTED keeps its precision, pcapng gives nanoseconds;
 *  - default: OUTPUT's records are EXPECTED's, in order, header fields and
 *    bytes (with --snaplen: cut to N bytes, original length kept; with
 *    --count: only the first N);
 *  - --flows: the records are the same multiset, and the records of each
 *    TCP or UDP flow over IPv4/IPv6 (Ethernet, 802.1Q), and the ARP packets,
 *    come in EXPECTED's order (what N writers sharding by flow must keep);
 *  - nothing follows the last record.
 * Exit 0 when all hold, 1 when one fails (the first difference is printed),
 * 2 when a file cannot be read.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../src/format/pcap.h"
#include "../../src/util/splitmix.h"

struct rec {
	uint32_t sec, frac, caplen, len;
	const uint8_t *data;
	uint64_t hash;    /* of header and data */
	uint64_t flow;    /* 0: not a flow we check */
	uint64_t next;    /* --flows: index of the flow's next record in EXPECTED, or UINT64_MAX */
};

static const char *out_path;

static uint64_t hash_bytes(uint64_t h, const uint8_t *p, size_t n)
{
	/* FNV-1a, then mixed: fast enough for a few MB, spreads well. */
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * UINT64_C(0x100000001b3);
	return splitmix64(h);
}

static uint64_t rec_hash(const struct rec *r)
{
	uint32_t h[4] = {r->sec, r->frac, r->caplen, r->len};
	return hash_bytes(hash_bytes(UINT64_C(0xcbf29ce484222325), (const uint8_t *)h, sizeof(h)),
			  r->data, r->caplen);
}

static unsigned rd16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

/*
 * A direction-independent key for the TCP/UDP flow (or the ARP group) of an
 * Ethernet frame; 0 for anything else.  Fragments other than the first have
 * no ports: they are left out, as are first fragments.
 */
static uint64_t flow_key(int dlt, const uint8_t *p, uint32_t caplen)
{
	uint32_t off = 14;
	unsigned type, proto;
	const uint8_t *a, *b;
	uint32_t alen, l4;

	if (dlt != DLT_EN10MB || caplen < 14)
		return 0;
	type = rd16(p + 12);
	while ((type == 0x8100 || type == 0x88a8) && off + 4 <= caplen) {
		type = rd16(p + off + 2);
		off += 4;
	}
	if (type == 0x0806)
		return 1; /* every ARP packet: one group, kept in order */
	if (type == 0x0800) {
		if (off + 20 > caplen || (p[off] >> 4) != 4)
			return 0;
		if (rd16(p + off + 6) & 0x3fff)
			return 0; /* a fragment */
		proto = p[off + 9];
		a = p + off + 12;
		b = p + off + 16;
		alen = 4;
		l4 = off + (uint32_t)(p[off] & 15) * 4;
	} else if (type == 0x86dd) {
		if (off + 40 > caplen)
			return 0;
		proto = p[off + 6];
		a = p + off + 8;
		b = p + off + 24;
		alen = 16;
		l4 = off + 40;
	} else {
		return 0;
	}
	if ((proto != 6 && proto != 17) || l4 + 4 > caplen)
		return 0;
	uint64_t ha = hash_bytes(rd16(p + l4), a, alen);
	uint64_t hb = hash_bytes(rd16(p + l4 + 2), b, alen);
	return splitmix64((ha ^ hb) + (ha + hb) * 3 + proto) | 2;
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (!p) {
		fputs("pcap-compare: out of memory\n", stderr);
		exit(2);
	}
	return p;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void usage(void)
{
	fputs("usage: pcap-compare [--flows] [--snaplen N] [--count N] EXPECTED OUTPUT\n", stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"flows", no_argument, NULL, 'f'},
		{"snaplen", required_argument, NULL, 's'},
		{"count", required_argument, NULL, 'c'},
		{NULL, 0, NULL, 0}};
	bool flows = false;
	uint32_t cut = 0;
	uint64_t count = 0;
	int c;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'f': flows = true; break;
		case 's': cut = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'c': count = strtoull(optarg, NULL, 10); break;
		default: usage();
		}
	}
	if (argc - optind != 2)
		usage();
	const char *exp_path = argv[optind];
	out_path = argv[optind + 1];

	/* The output, mapped whole. */
	int fd = open(out_path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		fprintf(stderr, "pcap-compare: %s: %s\n", out_path, strerror(errno));
		return 2;
	}
	size_t size = (size_t)st.st_size;
	const uint8_t *out = size ? mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0) : NULL;
	if (size && out == MAP_FAILED) {
		fprintf(stderr, "pcap-compare: %s: %s\n", out_path, strerror(errno));
		return 2;
	}
	close(fd);
	if (size < 24) {
		fprintf(stderr, "pcap-compare: %s: %zu bytes, not even a file header\n", out_path, size);
		return 1;
	}
	uint32_t magic;
	memcpy(&magic, out, 4);
	if (magic != PCAPF_MAGIC_US && magic != PCAPF_MAGIC_NS) {
		fprintf(stderr, "pcap-compare: %s: magic 0x%08x is not a host-order pcap\n", out_path,
			magic);
		return 1;
	}
	bool nano = magic == PCAPF_MAGIC_NS;

	/* EXPECTED through libpcap, with the output's precision. */
	char errbuf[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline_with_tstamp_precision(
		exp_path, nano ? PCAP_TSTAMP_PRECISION_NANO : PCAP_TSTAMP_PRECISION_MICRO, errbuf);
	if (!p) {
		fprintf(stderr, "pcap-compare: %s: %s\n", exp_path, errbuf);
		return 2;
	}
	int dlt = pcap_datalink(p);

	/* The header tcpdump -w would write. */
	char *hbuf = NULL;
	size_t hlen = 0;
	FILE *mf = open_memstream(&hbuf, &hlen);
	pcap_dumper_t *d = mf ? pcap_dump_fopen(p, mf) : NULL;
	if (!d) {
		fprintf(stderr, "pcap-compare: %s: cannot make the reference header: %s\n", exp_path,
			pcap_geterr(p));
		return 2;
	}
	pcap_dump_close(d);
	if (hlen != 24) {
		fprintf(stderr, "pcap-compare: reference header is %zu bytes\n", hlen);
		return 2;
	}
	if (cut)
		memcpy(hbuf + 16, &cut, 4);
	int failures = 0;
	if (memcmp(hbuf, out, 24) != 0) {
		uint32_t want[6], got[6];
		memcpy(want, hbuf, 24);
		memcpy(got, out, 24);
		fprintf(stderr,
			"pcap-compare: %s: file header differs: magic %08x/%08x version %08x/%08x "
			"zone %u/%u sigfigs %u/%u snaplen %u/%u linktype %u/%u (got/want)\n",
			out_path, got[0], want[0], got[1], want[1], got[2], want[2], got[3], want[3],
			got[4], want[4], got[5], want[5]);
		failures++;
	}
	free(hbuf);

	/* EXPECTED's records (copied: libpcap reuses its buffer). */
	struct rec *exp = NULL;
	size_t nexp = 0, cap = 0;
	uint8_t *store = NULL;
	size_t used = 0, scap = 0;
	struct pcap_pkthdr *h;
	const u_char *data;
	int r;
	while ((count == 0 || nexp < count) && (r = pcap_next_ex(p, &h, &data)) == 1) {
		if (nexp == cap) {
			cap = cap ? cap * 2 : 1024;
			exp = xrealloc(exp, cap * sizeof(*exp));
		}
		uint32_t caplen = cut && h->caplen > cut ? cut : h->caplen;
		if (used + caplen > scap) {
			scap = (used + caplen) * 2 + 65536;
			store = xrealloc(store, scap);
		}
		if (caplen)
			memcpy(store + used, data, caplen);
		exp[nexp] = (struct rec){.sec = (uint32_t)h->ts.tv_sec,
					 .frac = (uint32_t)h->ts.tv_usec,
					 .caplen = caplen,
					 .len = h->len,
					 .data = (const uint8_t *)(uintptr_t)used,
					 /* as the output's record will show it, cut or not */
					 .flow = flows ? flow_key(dlt, data, caplen) : 0};
		used += caplen;
		nexp++;
	}
	for (size_t i = 0; i < nexp; i++) {
		exp[i].data = store + (uintptr_t)exp[i].data;
		exp[i].hash = rec_hash(&exp[i]);
	}

	/* The output's records, by hand. */
	struct rec *got = NULL;
	size_t ngot = 0, gcap = 0, off = 24;
	while (size - off >= 16) {
		uint32_t rh[4];
		memcpy(rh, out + off, 16);
		if (rh[2] > size - off - 16)
			break;
		if (ngot == gcap) {
			gcap = gcap ? gcap * 2 : 1024;
			got = xrealloc(got, gcap * sizeof(*got));
		}
		got[ngot] = (struct rec){.sec = rh[0], .frac = rh[1], .caplen = rh[2], .len = rh[3],
					 .data = out + off + 16};
		got[ngot].hash = rec_hash(&got[ngot]);
		ngot++;
		off += 16 + (size_t)rh[2];
	}
	if (off != size) {
		fprintf(stderr, "pcap-compare: %s: %zu bytes after the last complete record (at %zu)\n",
			out_path, size - off, off);
		failures++;
	}
	if (ngot != nexp) {
		fprintf(stderr, "pcap-compare: %s: %zu records, %s has %zu\n", out_path, ngot,
			exp_path, nexp);
		failures++;
	}

	if (!flows) {
		for (size_t i = 0; i < ngot && i < nexp; i++) {
			const struct rec *a = &got[i], *b = &exp[i];
			if (a->sec == b->sec && a->frac == b->frac && a->caplen == b->caplen &&
			    a->len == b->len && (!a->caplen || memcmp(a->data, b->data, a->caplen) == 0))
				continue;
			fprintf(stderr,
				"pcap-compare: %s: record %zu differs: ts %u.%u/%u.%u caplen %u/%u "
				"len %u/%u%s (got/want)\n",
				out_path, i, a->sec, a->frac, b->sec, b->frac, a->caplen, b->caplen,
				a->len, b->len,
				a->caplen == b->caplen && a->caplen &&
						memcmp(a->data, b->data, a->caplen) ? ", data" : "");
			failures++;
			break;
		}
	} else {
		/* The same multiset: sorted hashes compare equal. */
		uint64_t *hg = xrealloc(NULL, (ngot + 1) * sizeof(*hg));
		uint64_t *he = xrealloc(NULL, (nexp + 1) * sizeof(*he));
		for (size_t i = 0; i < ngot; i++)
			hg[i] = got[i].hash;
		for (size_t i = 0; i < nexp; i++)
			he[i] = exp[i].hash;
		qsort(hg, ngot, sizeof(*hg), cmp_u64);
		qsort(he, nexp, sizeof(*he), cmp_u64);
		if (ngot == nexp && memcmp(hg, he, ngot * sizeof(*hg)) != 0) {
			fprintf(stderr, "pcap-compare: %s: not the same records as %s\n", out_path,
				exp_path);
			failures++;
		}
		free(hg);
		free(he);
		/*
		 * Per-flow order: each flow's records in the output must be the
		 * flow's records of EXPECTED, in order.  A small open-addressing
		 * table maps a flow to the hash of the record it expects next.
		 */
		size_t tsize = 1;
		while (tsize < 2 * nexp + 2)
			tsize *= 2;
		struct slot {
			uint64_t flow;
			size_t next; /* index into exp of the flow's next record */
		} *tab = calloc(tsize, sizeof(*tab));
		if (!tab) {
			fputs("pcap-compare: out of memory\n", stderr);
			return 2;
		}
		/* Chain each flow's records: next[i] = the flow's record after i. */
		for (size_t i = nexp; i-- > 0;) {
			if (!exp[i].flow)
				continue;
			size_t k = exp[i].flow & (tsize - 1);
			while (tab[k].flow && tab[k].flow != exp[i].flow)
				k = (k + 1) & (tsize - 1);
			exp[i].next = tab[k].flow ? tab[k].next : SIZE_MAX;
			tab[k].flow = exp[i].flow;
			tab[k].next = i; /* after the loop: the flow's first record */
		}
		size_t checked = 0;
		for (size_t i = 0; i < ngot && !failures; i++) {
			uint64_t fl = flow_key(dlt, got[i].data, got[i].caplen);
			if (!fl)
				continue;
			size_t k = fl & (tsize - 1);
			while (tab[k].flow && tab[k].flow != fl)
				k = (k + 1) & (tsize - 1);
			if (!tab[k].flow || tab[k].next == SIZE_MAX ||
			    exp[tab[k].next].hash != got[i].hash) {
				fprintf(stderr,
					"pcap-compare: %s: record %zu is out of its flow's order\n",
					out_path, i);
				failures++;
				break;
			}
			tab[k].next = exp[tab[k].next].next;
			checked++;
		}
		if (getenv("PCAP_COMPARE_VERBOSE"))
			fprintf(stderr, "pcap-compare: %zu records in flow order checked\n", checked);
		free(tab);
	}
	pcap_close(p);
	free(exp);
	free(got);
	free(store);
	return failures ? 1 : 0;
}
