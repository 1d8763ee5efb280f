/* SPDX-License-Identifier: MIT */
/*
 * common.h - what the dissector's unit tests share beyond the assertions of
 * tests/common/check.h: CHECK_ROWS, a small packet builder, and t_run(),
 * which dissects a copy of the packet in a heap buffer of exactly caplen
 * bytes (so that AddressSanitizer reports any read past it) and checks the
 * invariants every packet must keep:
 *
 *   - each row counts 0 or 1 per packet;
 *   - exactly one of tcp, udp, icmp, other, malformed ends each packet;
 *   - exactly one size bucket counts, the one for origlen;
 *   - is_ip is set exactly when ipv4 or ipv6 counted; the hash is 0 otherwise;
 *   - NULL stats or NULL flow change nothing else.
 */
#ifndef DISSECT_TEST_COMMON_H
#define DISSECT_TEST_COMMON_H

#include <stdint.h>

#include "check.h"
#include "dissect.h"

/* Row sets: R(TCP) | R(IPV4) ...; compared by CHECK_ROWS with their names printed. */
#define R(name) (1u << DP_##name)

#define CHECK_ROWS(got, want)                                                      \
	do {                                                                       \
		unsigned t_g_ = (got), t_w_ = (want);                              \
		if (t_g_ != t_w_) {                                                \
			char t_gs_[128], t_ws_[128];                               \
			t_fail(__FILE__, __LINE__, #got " == " #want,              \
			       "rows {%s}, want {%s}", t_rows_str(t_g_, t_gs_),    \
			       t_rows_str(t_w_, t_ws_));                           \
		}                                                                  \
	} while (0)

/* "ethernet,ipv4,tcp" for a row set; buf holds at least 128 bytes. */
const char *t_rows_str(unsigned rows, char *buf);

/* What one packet did. */
struct t_res {
	unsigned rows;             /* R() bits of the rows that counted */
	enum dissect_size size;    /* the bucket that counted */
	struct dissect_flow flow;
};

/* Dissects a copy of pkt[0, caplen) and checks the invariants above. */
struct t_res t_run(int linktype, const uint8_t *pkt, uint32_t caplen, uint32_t origlen);

/* t_run() on a whole packet: caplen = origlen = len. */
struct t_res t_run_all(int linktype, const uint8_t *pkt, uint32_t len);

/* Adds the counters of one t_run() to *sum (the corpus test's totals). */
void t_add(struct dissect_stats *sum, const struct t_res *r);

/* A packet under construction: append headers in order. */
struct t_pkt {
	uint8_t b[4096];
	uint32_t len;
};

void t_bytes(struct t_pkt *p, const void *src, uint32_t n);
void t_zero(struct t_pkt *p, uint32_t n);
void t_u8(struct t_pkt *p, uint32_t v);
void t_u16(struct t_pkt *p, uint32_t v); /* big-endian */
void t_u32(struct t_pkt *p, uint32_t v); /* big-endian */
void t_put16(struct t_pkt *p, uint32_t off, uint32_t v); /* overwrite, big-endian */

/* Ethernet: the two MAC addresses; then t_tag()s; then t_u16(type). */
void t_eth_macs(struct t_pkt *p);
void t_tag(struct t_pkt *p, uint32_t tpid, uint32_t vid);

/* IPv4 header (20 bytes), total length 20 + payload; frag = flags|offset field. */
void t_ipv4(struct t_pkt *p, uint32_t proto, uint32_t src, uint32_t dst, uint32_t payload,
	    uint32_t frag);
/* IPv6 header (40 bytes); addresses are 16 bytes each. */
void t_ipv6(struct t_pkt *p, uint32_t nh, const uint8_t *src, const uint8_t *dst,
	    uint32_t payload);
/* A generic extension header of (units + 1) * 8 bytes. */
void t_ext6(struct t_pkt *p, uint32_t nh, uint32_t units);
/* A fragment header: offset in 8-byte units, more = the M flag. */
void t_frag6(struct t_pkt *p, uint32_t nh, uint32_t offset, int more);
void t_tcp(struct t_pkt *p, uint32_t sport, uint32_t dport);
void t_udp(struct t_pkt *p, uint32_t sport, uint32_t dport, uint32_t ulen);
void t_icmp(struct t_pkt *p, uint32_t type);

/* Link types, as libpcap's DLT_* values. */
enum {
	T_DLT_NULL = 0,
	T_DLT_EN10MB = 1,
	T_DLT_RAW = 12,
	T_DLT_RAW_OPENBSD = 14,
	T_LINKTYPE_RAW = 101,
	T_DLT_LOOP = 108,
	T_DLT_LINUX_SLL = 113,
	T_DLT_IPV4 = 228,
	T_DLT_IPV6 = 229,
	T_DLT_LINUX_SLL2 = 276,
};

extern const uint8_t t_v6a[16], t_v6b[16];

#endif
