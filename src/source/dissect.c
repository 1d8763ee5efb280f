/* SPDX-License-Identifier: MIT */
/*
 * The packet dissector behind dissect.h: link layer, VLAN tags, IPv4/IPv6,
 * then TCP, UDP, ICMP and ICMPv6, in one forward pass without recursion.
 *
 * Every read goes through rd8()/rd16()/rd32()/rd64() at an offset that has
 * been checked against caplen by have() first; offsets are uint32_t and
 * have() is written so that no sum can wrap.  Loops that follow header
 * chains (stacked tags, IPv6 extension headers) are bounded by a count, so
 * the time per packet is bounded whatever the bytes say.
 *
 * What a row means: a row counts once its header is wholly captured and
 * agrees with itself (an IPv4 version nibble of 4, a TCP data offset of at
 * least 5, ...).  If a header is cut short or contradicts the one around it
 * (a TCP header longer than the IP payload that carries it), the packet
 * counts DP_MALFORMED and stops there, keeping the rows it had already
 * reached.  So every packet ends in exactly one of DP_TCP, DP_UDP, DP_ICMP,
 * DP_OTHER and DP_MALFORMED; the tests hold the dissector to that.
 */
#include <stddef.h>

#include "dissect.h"

#include "../util/counter.h"
#include "../util/splitmix.h"

const char *const dissect_proto_names[DP_PROTOS] = {
	[DP_ETHERNET] = "ethernet",
	[DP_VLAN] = "vlan",
	[DP_IPV4] = "ipv4",
	[DP_IPV6] = "ipv6",
	[DP_TCP] = "tcp",
	[DP_UDP] = "udp",
	[DP_ICMP] = "icmp",
	[DP_OTHER] = "other",
	[DP_MALFORMED] = "malformed",
};

const char *const dissect_size_names[DS_BUCKETS] = {
	[DS_64] = "64",
	[DS_65_127] = "65_127",
	[DS_128_255] = "128_255",
	[DS_256_511] = "256_511",
	[DS_512_1023] = "512_1023",
	[DS_1024_1518] = "1024_1518",
	[DS_1519_MAX] = "1519_max",
};

/*
 * Link types, by the values libpcap's pcap_datalink() returns and, where a
 * savefile's LINKTYPE_* differs from the DLT_*, by that value too (a caller
 * may hand either).
 */
enum {
	LT_NULL = 0,
	LT_EN10MB = 1,
	LT_RAW_12 = 12,     /* DLT_RAW on most systems */
	LT_RAW_14 = 14,     /* DLT_RAW on OpenBSD */
	LT_RAW = 101,       /* LINKTYPE_RAW */
	LT_LOOP = 108,
	LT_LINUX_SLL = 113,
	LT_IPV4 = 228,
	LT_IPV6 = 229,
	LT_LINUX_SLL2 = 276,
};

enum {
	ETH_IPV4 = 0x0800,
	ETH_IPV6 = 0x86dd,
	ETH_8021Q = 0x8100,
	ETH_8021AD = 0x88a8,
	ETH_QINQ = 0x9100,   /* the pre-802.1ad double-tagging TPID */
	ETH_MAX_LEN = 1500,  /* a type field up to this is an 802.3 length */
	ETH_MIN_TYPE = 0x0600,
	SLL_P_802_2 = 0x0004, /* Linux "cooked": an 802.2 LLC frame follows */
	ARPHRD_NETLINK = 824, /* Linux "cooked" netlink: the protocol is a netlink family */
};

enum {
	IPP_HOPOPTS = 0,
	IPP_ICMP = 1,
	IPP_TCP = 6,
	IPP_UDP = 17,
	IPP_ROUTING = 43,
	IPP_FRAGMENT = 44,
	IPP_AH = 51,
	IPP_ICMPV6 = 58,
	IPP_DSTOPTS = 60,
};

/* Bounds on header chains: more than this is not dissected further (DP_OTHER). */
enum { MAX_TAGS = 8, MAX_EXT_HEADERS = 8 };

#define ROW(r) (1u << (r))

/* The packet as the parser walks it: bytes [0, cap) are readable. */
struct pkt {
	const uint8_t *p;
	uint32_t cap;
	/*
	 * The frame's length on the wire, at least cap: length fields are
	 * checked against it (a snap length cuts the capture, not the frame).
	 */
	uint32_t wire;
	unsigned rows; /* ROW() bits of the rows reached */
};

/* What the flow hash is computed over; ports stay 0 unless a TCP/UDP header was found. */
struct tuple {
	uint64_t src[2], dst[2]; /* addresses, big-endian words; IPv4 in src[1]/dst[1] */
	uint16_t sport, dport;
	uint8_t proto;
	uint8_t version;         /* 4 or 6, or 0: not IP */
};

/* True when n bytes from off are captured; never wraps. */
static inline int have(const struct pkt *k, uint32_t off, uint32_t n)
{
	return off <= k->cap && n <= k->cap - off;
}

static inline uint32_t rd8(const struct pkt *k, uint32_t off)
{
	return k->p[off];
}

static inline uint32_t rd16(const struct pkt *k, uint32_t off)
{
	return (uint32_t)k->p[off] << 8 | k->p[off + 1];
}

static inline uint32_t rd32(const struct pkt *k, uint32_t off)
{
	return rd16(k, off) << 16 | rd16(k, off + 2);
}

static inline uint64_t rd64(const struct pkt *k, uint32_t off)
{
	return (uint64_t)rd32(k, off) << 32 | rd32(k, off + 4);
}

/* Bytes of the frame on the wire from off on (0 past its end). */
static inline uint32_t wire_left(const struct pkt *k, uint32_t off)
{
	return off < k->wire ? k->wire - off : 0;
}

/*
 * The transport header at off, inside an IP payload of plen bytes (already
 * checked to fit on the wire).  In a first fragment plen is the fragment's
 * payload, so a header that straddles fragments counts as malformed.
 * unsized: the IP length field was 0 and the frame gave plen (a GSO packet
 * or a jumbogram), where a UDP length of 0 is expected too.
 */
static void transport(struct pkt *k, struct tuple *t, uint32_t off, uint32_t plen,
		      int unsized)
{
	uint32_t hlen;

	switch (t->proto) {
	case IPP_TCP:
		hlen = 20;
		break;
	case IPP_UDP:
		hlen = 8;
		break;
	case IPP_ICMP:
		if (t->version != 4)
			goto other;
		hlen = 8;
		break;
	case IPP_ICMPV6:
		if (t->version != 6)
			goto other;
		hlen = 8;
		break;
	default:
		goto other;
	}

	/*
	 * The ports key the flow even when the rest of the header is bad, so
	 * that a flow's odd packet is sharded with its others.
	 */
	if ((t->proto == IPP_TCP || t->proto == IPP_UDP) && plen >= 4 && have(k, off, 4)) {
		t->sport = (uint16_t)rd16(k, off);
		t->dport = (uint16_t)rd16(k, off + 2);
	}
	if (plen < hlen || !have(k, off, hlen))
		goto malformed;

	switch (t->proto) {
	case IPP_TCP: {
		uint32_t doff = (rd8(k, off + 12) >> 4) * 4;

		if (doff < 20 || doff > plen || !have(k, off, doff))
			goto malformed;
		k->rows |= ROW(DP_TCP);
		return;
	}
	case IPP_UDP: {
		uint32_t ulen = rd16(k, off + 4);

		/*
		 * A jumbogram's UDP length is 0 (RFC 2675), and so is that of
		 * a Linux GSO packet over 64 KiB (a VXLAN-encapsulated BIG TCP
		 * one in the tcpdump corpus).
		 */
		if (ulen == 0 && unsized)
			ulen = plen;
		if (ulen < 8 || ulen > plen)
			goto malformed;
		k->rows |= ROW(DP_UDP);
		return;
	}
	default:
		k->rows |= ROW(DP_ICMP);
		return;
	}
malformed:
	k->rows |= ROW(DP_MALFORMED);
	return;
other:
	k->rows |= ROW(DP_OTHER);
}

static void ipv4(struct pkt *k, struct tuple *t, uint32_t off)
{
	if (!have(k, off, 20) || rd8(k, off) >> 4 != 4)
		goto malformed;
	uint32_t ihl = (rd8(k, off) & 15) * 4;
	if (ihl < 20 || !have(k, off, ihl))
		goto malformed;
	k->rows |= ROW(DP_IPV4);
	t->version = 4;
	t->proto = (uint8_t)rd8(k, off + 9);
	t->src[1] = rd32(k, off + 12);
	t->dst[1] = rd32(k, off + 16);

	/*
	 * A total length of 0 is what Linux puts in a GSO packet over 64 KiB
	 * ("BIG TCP"): the frame's length stands in for it.
	 */
	uint32_t tot = rd16(k, off + 2);
	int unsized = tot == 0;
	if (unsized)
		tot = wire_left(k, off);
	if (tot < ihl || tot > wire_left(k, off))
		goto malformed;

	/* Only the first fragment (offset 0) carries the transport header. */
	if ((rd16(k, off + 6) & 0x1fff) != 0) {
		k->rows |= ROW(DP_OTHER);
		return;
	}
	transport(k, t, off + ihl, tot - ihl, unsized);
	return;
malformed:
	k->rows |= ROW(DP_MALFORMED);
}

static void ipv6(struct pkt *k, struct tuple *t, uint32_t off)
{
	if (!have(k, off, 40) || rd8(k, off) >> 4 != 6)
		goto malformed;
	k->rows |= ROW(DP_IPV6);
	t->version = 6;
	t->src[0] = rd64(k, off + 8);
	t->src[1] = rd64(k, off + 16);
	t->dst[0] = rd64(k, off + 24);
	t->dst[1] = rd64(k, off + 32);

	uint32_t nh = rd8(k, off + 6);
	t->proto = (uint8_t)nh;
	/* A payload length of 0: a jumbogram or a GSO packet; the frame bounds it. */
	uint32_t plen = rd16(k, off + 4);
	uint32_t avail = wire_left(k, off + 40);
	int unsized = plen == 0;
	if (unsized)
		plen = avail;
	if (plen > avail)
		goto malformed;
	off += 40;

	for (unsigned n = 0;; n++) {
		uint32_t hlen;

		switch (nh) {
		case IPP_HOPOPTS:
		case IPP_ROUTING:
		case IPP_DSTOPTS:
		case IPP_FRAGMENT:
		case IPP_AH:
			break;
		default:
			transport(k, t, off, plen, unsized);
			return;
		}
		if (n == MAX_EXT_HEADERS) {
			k->rows |= ROW(DP_OTHER);
			return;
		}
		if (plen < 8 || !have(k, off, 8))
			goto malformed;
		if (nh == IPP_FRAGMENT)
			hlen = 8;
		else if (nh == IPP_AH)
			hlen = (rd8(k, off + 1) + 2) * 4;
		else
			hlen = (rd8(k, off + 1) + 1) * 8;
		if (hlen > plen || !have(k, off, hlen))
			goto malformed;
		if (nh == IPP_FRAGMENT && (rd16(k, off + 2) & 0xfff8) != 0) {
			/* Not the first fragment: no transport header here. */
			t->proto = (uint8_t)rd8(k, off);
			k->rows |= ROW(DP_OTHER);
			return;
		}
		nh = rd8(k, off);
		t->proto = (uint8_t)nh;
		off += hlen;
		plen -= hlen;
	}
malformed:
	k->rows |= ROW(DP_MALFORMED);
}

/* The network layer named by an EtherType at off. */
static void network(struct pkt *k, struct tuple *t, uint32_t type, uint32_t off)
{
	if (type == ETH_IPV4)
		ipv4(k, t, off);
	else if (type == ETH_IPV6)
		ipv6(k, t, off);
	else
		k->rows |= ROW(DP_OTHER);
}

/*
 * What follows an EtherType (or an 802.3 length) whose payload starts at
 * off: VLAN tags, an 802.2 LLC/SNAP header, then the network layer.
 */
static void ethertype(struct pkt *k, struct tuple *t, uint32_t type, uint32_t off)
{
	for (unsigned n = 0;; n++) {
		if (type == ETH_8021Q || type == ETH_8021AD || type == ETH_QINQ) {
			if (n == MAX_TAGS) {
				k->rows |= ROW(DP_OTHER);
				return;
			}
			if (!have(k, off, 4)) {
				k->rows |= ROW(DP_MALFORMED);
				return;
			}
			k->rows |= ROW(DP_VLAN);
			type = rd16(k, off + 2);
			off += 4;
			continue;
		}
		if (type <= ETH_MAX_LEN) {
			/* 802.3 length: LLC; SNAP with an EtherType only for OUI 0 / 0x0000f8. */
			if (!have(k, off, 3)) {
				k->rows |= ROW(DP_MALFORMED);
				return;
			}
			if (rd8(k, off) != 0xaa || rd8(k, off + 1) != 0xaa || rd8(k, off + 2) != 0x03) {
				k->rows |= ROW(DP_OTHER);
				return;
			}
			if (!have(k, off, 8)) {
				k->rows |= ROW(DP_MALFORMED);
				return;
			}
			uint32_t oui = rd32(k, off + 2) & 0xffffff;
			type = rd16(k, off + 6);
			off += 8;
			if ((oui != 0 && oui != 0xf8) || type < ETH_MIN_TYPE) {
				k->rows |= ROW(DP_OTHER);
				return;
			}
			continue; /* SNAP may name a tag: the count bounds the loop */
		}
		network(k, t, type, off);
		return;
	}
}

/* The link layer; DLT_NULL/LOOP carry an address family in either byte order. */
static void link_layer(struct pkt *k, struct tuple *t, int linktype)
{
	switch (linktype) {
	case LT_EN10MB:
		if (!have(k, 0, 14))
			break;
		k->rows |= ROW(DP_ETHERNET);
		ethertype(k, t, rd16(k, 12), 14);
		return;
	case LT_LINUX_SLL:
	case LT_LINUX_SLL2: {
		uint32_t hdr = linktype == LT_LINUX_SLL ? 16 : 20;
		if (!have(k, 0, hdr))
			break;
		k->rows |= ROW(DP_ETHERNET);
		uint32_t proto = linktype == LT_LINUX_SLL ? rd16(k, 14) : rd16(k, 0);
		uint32_t hatype = linktype == LT_LINUX_SLL ? rd16(k, 2) : rd16(k, 8);
		if (hatype == ARPHRD_NETLINK) {
			k->rows |= ROW(DP_OTHER);
		} else if (proto == SLL_P_802_2) {
			/* As if an 802.3 length: LLC follows. */
			ethertype(k, t, 0, hdr);
		} else if (proto < ETH_MIN_TYPE) {
			/* Another Linux pseudo-protocol (Novell 802.3, CAN, ...). */
			k->rows |= ROW(DP_OTHER);
		} else {
			ethertype(k, t, proto, hdr);
		}
		return;
	}
	case LT_RAW_12:
	case LT_RAW_14:
	case LT_RAW:
		if (!have(k, 0, 1))
			break;
		if (rd8(k, 0) >> 4 == 4)
			ipv4(k, t, 0);
		else if (rd8(k, 0) >> 4 == 6)
			ipv6(k, t, 0);
		else
			break;
		return;
	case LT_IPV4:
		ipv4(k, t, 0);
		return;
	case LT_IPV6:
		ipv6(k, t, 0);
		return;
	case LT_NULL:
	case LT_LOOP: {
		if (!have(k, 0, 4))
			break;
		/* Host order of the capturing machine: families are small numbers. */
		uint32_t af = rd32(k, 0);
		if (af > 0xffff)
			af = (af >> 24) | (af >> 8 & 0xff00) | (af << 8 & 0xff0000) | af << 24;
		if (af == 2)
			ipv4(k, t, 4);
		else if (af == 24 || af == 28 || af == 30) /* AF_INET6: BSDs, FreeBSD, Darwin */
			ipv6(k, t, 4);
		else
			k->rows |= ROW(DP_OTHER);
		return;
	}
	default:
		k->rows |= ROW(DP_OTHER);
		return;
	}
	k->rows |= ROW(DP_MALFORMED);
}

/*
 * Symmetric: the endpoints (address, port) go in ascending order, so both
 * directions hash alike.  The order compares the address first, then the
 * port, so that two endpoints of one host stay apart.
 */
static uint64_t flow_hash(const struct tuple *t)
{
	const uint64_t *a = t->src, *b = t->dst;
	uint32_t pa = t->sport, pb = t->dport;

	if (a[0] > b[0] || (a[0] == b[0] && (a[1] > b[1] || (a[1] == b[1] && pa > pb)))) {
		const uint64_t *x = a;
		a = b;
		b = x;
		pa = t->dport;
		pb = t->sport;
	}
	uint64_t h = splitmix64_final(SPLITMIX64_GAMMA ^ ((uint64_t)t->version << 40) ^
				      ((uint64_t)t->proto << 32) ^ ((uint64_t)pa << 16) ^ pb);
	if (t->version == 6) {
		h = splitmix64_final(h ^ a[0]);
		h = splitmix64_final(h ^ a[1]);
		h = splitmix64_final(h ^ b[0]);
		return splitmix64_final(h ^ b[1]);
	}
	/* IPv4: both 32-bit addresses fit in one word. */
	return splitmix64_final(h ^ (a[1] << 32 | b[1]));
}

static enum dissect_size size_bucket(uint32_t len)
{
	if (len <= 64)
		return DS_64;
	if (len <= 127)
		return DS_65_127;
	if (len <= 255)
		return DS_128_255;
	if (len <= 511)
		return DS_256_511;
	if (len <= 1023)
		return DS_512_1023;
	if (len <= 1518)
		return DS_1024_1518;
	return DS_1519_MAX;
}

/*
 * One writer owns *st; other threads only read it: its counters are
 * single-writer counter_add()s (util/counter.h says why that is enough).
 */

unsigned dissect_classify(int linktype, const uint8_t *pkt, uint32_t caplen, uint32_t origlen,
			  struct dissect_flow *flow)
{
	struct pkt k = {
		.p = pkt,
		.cap = pkt ? caplen : 0,
		.wire = origlen > caplen ? origlen : caplen,
		.rows = 0,
	};
	struct tuple t = {.version = 0};

	link_layer(&k, &t, linktype);

	if (flow) {
		flow->is_ip = t.version != 0;
		flow->hash = t.version ? flow_hash(&t) : 0;
	}
	return k.rows;
}

void dissect_count(struct dissect_stats *st, unsigned rows, uint32_t origlen)
{
	for (unsigned r = 0; r < DP_PROTOS; r++)
		if (rows & ROW(r))
			counter_add(&st->proto[r], 1);
	counter_add(&st->size[size_bucket(origlen)], 1);
}

void dissect_packet(int linktype, const uint8_t *pkt, uint32_t caplen, uint32_t origlen,
		    struct dissect_stats *st, struct dissect_flow *flow)
{
	unsigned rows = dissect_classify(linktype, pkt, caplen, origlen, flow);

	if (st)
		dissect_count(st, rows, origlen);
}
