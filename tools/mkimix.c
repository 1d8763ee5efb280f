/* SPDX-License-Identifier: MIT */
/*
 * mkimix: writes a valid Ethernet/IPv4 TCP+UDP capture with an IMIX size mix,
 * for replay benchmarks and tests.
 *
 *   mkimix -o FILE [--bytes SIZE | --packets N] [--flows N] [--seed N]
 *          [--span SECONDS] [--nano] [--vlan PERCENT] [--arp PERCENT]
 *
 * Frames are the simple IMIX: 7 of 64 bytes, 4 of 594, 1 of 1518, counted on
 * the wire with the frame check sequence; a capture holds them without it
 * (60, 590 and 1514 bytes), as Linux captures do.  Every packet belongs to
 * one of --flows conversations (TCP for three in four, UDP otherwise) and
 * goes either way; TCP sequence numbers advance per direction; IPv4, TCP and
 * UDP checksums are correct.  Timestamps start at 2023-11-14 22:13:20 UTC
 * and are spread evenly over --span seconds (default: one packet per
 * microsecond).  --vlan tags that share of the packets with 802.1Q (the
 * frame keeps its size); --arp replaces that share with ARP requests, so
 * that a capture holds some traffic that is not IP.
 *
 * The output is a classic pcap file (microseconds, or nanoseconds with
 * --nano) in host byte order, link type EN10MB, snapshot length 262144:
 * what tcpdump -w writes.  Everything is a function of --seed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/format/pcap.h"

#define START_SECONDS UINT64_C(1700000000)
#define SNAPLEN PCAPF_SNAPLEN_MAX
#define LINKTYPE_ETHERNET 1u

struct flow {
	uint32_t addr[2];   /* client, server (host order) */
	uint16_t port[2];
	uint32_t seq[2];    /* next TCP sequence number per direction */
	bool tcp;
};

static uint64_t rng_state;

/* xorshift64*: fast and good enough for traffic that only has to look plausible. */
static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * UINT64_C(0x2545F4914F6CDD1D);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* The Internet checksum's running sum over len bytes (big-endian words). */
static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void mac_of(uint8_t *mac, uint32_t addr)
{
	mac[0] = 0x02; /* locally administered, unicast */
	mac[1] = 0x00;
	put32(mac + 2, addr);
}

/* An ARP request for the server of flow f, from its client: 60 bytes with padding. */
static size_t build_arp(uint8_t *pkt, const struct flow *f)
{
	memset(pkt, 0, 60);
	memset(pkt, 0xff, 6);
	mac_of(pkt + 6, f->addr[0]);
	put16(pkt + 12, 0x0806);
	put16(pkt + 14, 1);      /* Ethernet */
	put16(pkt + 16, 0x0800); /* IPv4 */
	pkt[18] = 6;
	pkt[19] = 4;
	put16(pkt + 20, 1);      /* request */
	mac_of(pkt + 22, f->addr[0]);
	put32(pkt + 28, f->addr[0]);
	put32(pkt + 38, f->addr[1]);
	return 60;
}

/* One IPv4 packet of flow f in direction dir, frame of len bytes (FCS excluded). */
static size_t build_ip(uint8_t *pkt, size_t len, struct flow *f, int dir, bool vlan,
		       uint16_t ip_id)
{
	uint32_t src = f->addr[dir], dst = f->addr[!dir];
	size_t l2 = vlan ? 18 : 14, l4 = f->tcp ? 20 : 8;
	size_t ip_len = len - l2, payload = ip_len - 20 - l4;
	uint8_t *ip = pkt + l2, *th = ip + 20, *data = th + l4;
	uint32_t sum;

	mac_of(pkt, dst);
	mac_of(pkt + 6, src);
	if (vlan) {
		put16(pkt + 12, 0x8100);
		put16(pkt + 14, (uint16_t)(100 + (src & 0xff)));
	}
	put16(pkt + l2 - 2, 0x0800);

	for (size_t i = 0; i < payload; i += 8) {
		uint64_t r = rnd();
		memcpy(data + i, &r, payload - i < 8 ? payload - i : 8);
	}

	ip[0] = 0x45;
	ip[1] = 0;
	put16(ip + 2, (uint16_t)ip_len);
	put16(ip + 4, ip_id);
	put16(ip + 6, 0x4000); /* don't fragment */
	ip[8] = 64;
	ip[9] = f->tcp ? 6 : 17;
	put16(ip + 10, 0);
	put32(ip + 12, src);
	put32(ip + 16, dst);
	put16(ip + 10, csum_fold(csum_add(0, ip, 20)));

	put16(th, f->port[dir]);
	put16(th + 2, f->port[!dir]);
	if (f->tcp) {
		put32(th + 4, f->seq[dir]);
		put32(th + 8, f->seq[!dir]);
		th[12] = 5 << 4;
		th[13] = payload > 6 ? 0x18 : 0x10; /* PSH+ACK, or a bare ACK */
		put16(th + 14, 65535);
		put16(th + 16, 0);
		put16(th + 18, 0);
		f->seq[dir] += (uint32_t)payload;
	} else {
		put16(th + 4, (uint16_t)(l4 + payload));
		put16(th + 6, 0);
	}
	/* Pseudo-header: addresses, protocol, transport length. */
	sum = (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + ip[9] +
	      (uint32_t)(l4 + payload);
	sum = csum_add(sum, th, l4 + payload);
	uint16_t c = csum_fold(sum);
	if (!f->tcp && c == 0)
		c = 0xffff; /* UDP: 0 means "no checksum" */
	put16(th + (f->tcp ? 16 : 6), c);
	return len;
}

static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -1;
	switch (*end) {
	case 'k': case 'K': v <<= 10; end++; break;
	case 'm': case 'M': v <<= 20; end++; break;
	case 'g': case 'G': v <<= 30; end++; break;
	default: break;
	}
	if (*end)
		return -1;
	*out = v;
	return 0;
}

static void usage(void)
{
	fputs("usage: mkimix -o FILE [--bytes SIZE | --packets N] [--flows N] [--seed N]\n"
	      "              [--span SECONDS] [--nano] [--vlan PERCENT] [--arp PERCENT]\n",
	      stderr);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"output", required_argument, NULL, 'o'}, {"bytes", required_argument, NULL, 'b'},
		{"packets", required_argument, NULL, 'n'}, {"flows", required_argument, NULL, 'f'},
		{"seed", required_argument, NULL, 's'},    {"span", required_argument, NULL, 't'},
		{"nano", no_argument, NULL, 'N'},          {"vlan", required_argument, NULL, 'V'},
		{"arp", required_argument, NULL, 'A'},     {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	static const uint32_t imix[12] = {60, 60, 60, 60, 60, 60, 60, 590, 590, 590, 590, 1514};
	const char *path = NULL;
	uint64_t bytes = 0, packets = 0, nflows = 1000, seed = 1;
	double span = 0;
	unsigned vlan_pct = 0, arp_pct = 0;
	bool nano = false;
	int c;

	while ((c = getopt_long(argc, argv, "o:b:n:f:s:t:NV:A:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': path = optarg; break;
		case 'b': if (parse_size(optarg, &bytes) < 0) goto bad; break;
		case 'n': if (parse_size(optarg, &packets) < 0) goto bad; break;
		case 'f': if (parse_size(optarg, &nflows) < 0 || nflows == 0) goto bad; break;
		case 's': if (parse_size(optarg, &seed) < 0) goto bad; break;
		case 't': span = strtod(optarg, NULL); if (!(span >= 0)) goto bad; break;
		case 'N': nano = true; break;
		case 'V': vlan_pct = (unsigned)atoi(optarg); break;
		case 'A': arp_pct = (unsigned)atoi(optarg); break;
		case 'h': usage(); return 0;
		default: goto bad;
		}
	}
	if (!path || optind != argc || (bytes == 0) == (packets == 0) || vlan_pct > 100 ||
	    arp_pct > 100)
		goto bad;

	FILE *out = fopen(path, "wb");
	if (!out) {
		fprintf(stderr, "mkimix: %s: %s\n", path, strerror(errno));
		return 1;
	}
	setvbuf(out, NULL, _IOFBF, 1 << 20);

	rng_state = seed * UINT64_C(0x9E3779B97F4A7C15) | 1;
	struct flow *flows = calloc(nflows, sizeof(*flows));
	if (!flows) {
		fputs("mkimix: out of memory\n", stderr);
		return 1;
	}
	for (uint64_t i = 0; i < nflows; i++) {
		struct flow *f = &flows[i];
		f->addr[0] = 0x0a000000u | (uint32_t)(rnd() & 0xffffff);  /* 10.0.0.0/8 */
		f->addr[1] = 0xac100000u | (uint32_t)(rnd() & 0xfffff);   /* 172.16.0.0/12 */
		f->port[0] = (uint16_t)(32768 + rnd() % 28232);
		f->port[1] = (uint16_t)(rnd() % 4 == 0 ? 53 : rnd() % 2 ? 443 : 80);
		f->tcp = rnd() % 4 != 0;
		f->seq[0] = (uint32_t)rnd();
		f->seq[1] = (uint32_t)rnd();
	}

	uint32_t hdr[6] = {nano ? PCAPF_MAGIC_NS : PCAPF_MAGIC_US, 2u | 4u << 16, 0, 0, SNAPLEN,
			   LINKTYPE_ETHERNET};
	fwrite(hdr, sizeof(hdr), 1, out);

	/* With --bytes the count follows from the mean record size, for the span. */
	uint64_t total = 24, n = 0, want = packets;
	if (!want)
		want = bytes / (16 + (7 * 60 + 4 * 590 + 1514) / 12) + 1;
	double gap_ns = span > 0 ? span * 1e9 / (double)want : 1000.0;
	uint8_t pkt[1600];
	uint16_t ip_id = 0;

	while (packets ? n < packets : total < bytes) {
		struct flow *f = &flows[rnd() % nflows];
		uint64_t r = rnd();
		size_t len;

		if (arp_pct && r % 100 < arp_pct)
			len = build_arp(pkt, f);
		else
			len = build_ip(pkt, imix[(r >> 8) % 12], f, (int)((r >> 16) & 1),
				       vlan_pct && (r >> 24) % 100 < vlan_pct, ip_id++);
		uint64_t ts = (uint64_t)((double)n * gap_ns);
		uint32_t rec[4] = {(uint32_t)(START_SECONDS + ts / 1000000000u),
				   (uint32_t)(nano ? ts % 1000000000u : ts % 1000000000u / 1000u),
				   (uint32_t)len, (uint32_t)len};
		fwrite(rec, sizeof(rec), 1, out);
		fwrite(pkt, len, 1, out);
		total += 16 + len;
		n++;
	}
	free(flows);
	if (fclose(out) != 0) {
		fprintf(stderr, "mkimix: %s: %s\n", path, strerror(errno));
		return 1;
	}
	fprintf(stderr, "mkimix: %s: %" PRIu64 " packets, %" PRIu64 " bytes\n", path, n, total);
	return 0;

bad:
	usage();
	return 2;
}
