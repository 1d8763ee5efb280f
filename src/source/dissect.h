/* SPDX-License-Identifier: MIT */
/*
 * The replay writers' auxiliary work: a strictly bounded packet dissector
 * that keeps per-writer protocol counters and RMON-style size buckets.
 *
 * dissect_packet() never reads outside [pkt, pkt + caplen), whatever the
 * bytes say (the tcpdump test corpus is full of malformed packets; a libFuzzer
 * target in tests/fuzz/ holds it to that).  It makes no syscall, takes no
 * lock, allocates nothing: it runs between a writer's writes.
 */
#ifndef DBCAP_DISSECT_H
#define DBCAP_DISSECT_H

#include <stdatomic.h>
#include <stdint.h>

/* What a packet turned out to be (each packet counts once per row it reached). */
enum dissect_proto {
	DP_ETHERNET, /* an Ethernet II / 802.3 frame (link types EN10MB, Linux SLL, SLL2 count their own) */
	DP_VLAN,     /* carried at least one 802.1Q / 802.1ad tag */
	DP_IPV4,
	DP_IPV6,
	DP_TCP,
	DP_UDP,
	DP_ICMP,     /* ICMP or ICMPv6 */
	DP_OTHER,    /* reached no transport we know (ARP, other link types, other IP protocols) */
	DP_MALFORMED, /* a header we parse was cut short or inconsistent */
	DP_PROTOS
};
extern const char *const dissect_proto_names[DP_PROTOS]; /* "ethernet", "vlan", "ipv4", ... */

/* RMON etherStatsPkts* buckets, by original packet length. */
enum dissect_size {
	DS_64,        /* <= 64 */
	DS_65_127,
	DS_128_255,
	DS_256_511,
	DS_512_1023,
	DS_1024_1518,
	DS_1519_MAX,  /* > 1518 */
	DS_BUCKETS
};
extern const char *const dissect_size_names[DS_BUCKETS]; /* "64", "65_127", ..., "1519_max" */

/* Owned by one writer; single-writer counters (relaxed load + store). */
struct dissect_stats {
	_Atomic uint64_t proto[DP_PROTOS];
	_Atomic uint64_t size[DS_BUCKETS];
};

/* The flow of a packet, for sharding: 0 when it does not parse as IP. */
struct dissect_flow {
	uint64_t hash;   /* symmetric: both directions of a conversation hash alike */
	int is_ip;
};

/*
 * Dissects one packet of link type linktype (DLT_* / LINKTYPE_* value from
 * libpcap), caplen bytes captured of origlen.  Updates *st (may be NULL) and
 * fills *flow (may be NULL).
 */
void dissect_packet(int linktype, const uint8_t *pkt, uint32_t caplen, uint32_t origlen,
		    struct dissect_stats *st, struct dissect_flow *flow);

/*
 * dissect_packet() in two steps, for a caller that counts a packet only once
 * it knows the packet is good (replay: once the input is known not to have
 * shrunk under it): dissect_classify() reads the packet and returns what it
 * is (a set of rows, opaque), dissect_count() counts that into *st, reading
 * nothing but its arguments.
 */
unsigned dissect_classify(int linktype, const uint8_t *pkt, uint32_t caplen, uint32_t origlen,
			  struct dissect_flow *flow);
void dissect_count(struct dissect_stats *st, unsigned rows, uint32_t origlen);

#endif
