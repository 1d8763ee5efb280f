/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

const uint8_t t_v6a[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
const uint8_t t_v6b[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};

const char *t_rows_str(unsigned rows, char *buf)
{
	buf[0] = '\0';
	for (unsigned r = 0; r < DP_PROTOS; r++) {
		if (!(rows & 1u << r))
			continue;
		if (buf[0])
			strcat(buf, ",");
		strcat(buf, dissect_proto_names[r]);
	}
	return buf;
}

static enum dissect_size want_bucket(uint32_t len)
{
	static const uint32_t top[DS_BUCKETS - 1] = {64, 127, 255, 511, 1023, 1518};

	for (unsigned i = 0; i < DS_BUCKETS - 1; i++)
		if (len <= top[i])
			return (enum dissect_size)i;
	return DS_1519_MAX;
}

struct t_res t_run(int linktype, const uint8_t *pkt, uint32_t caplen, uint32_t origlen)
{
	/* Exactly caplen bytes, so that a read past them is a heap overflow. */
	uint8_t *copy = malloc(caplen);
	struct dissect_stats st;
	struct dissect_flow fl = {.hash = 12345, .is_ip = 7}, fl2;
	struct t_res res = {0};

	CHECK(copy != NULL || caplen == 0);
	if (caplen)
		memcpy(copy, pkt, caplen);
	memset(&st, 0, sizeof(st));
	dissect_packet(linktype, copy, caplen, origlen, &st, &fl);

	unsigned ends = 0, buckets = 0;
	for (unsigned r = 0; r < DP_PROTOS; r++) {
		uint64_t n = atomic_load_explicit(&st.proto[r], memory_order_relaxed);
		CHECK(n <= 1);
		if (n)
			res.rows |= 1u << r;
	}
	for (unsigned b = 0; b < DS_BUCKETS; b++) {
		uint64_t n = atomic_load_explicit(&st.size[b], memory_order_relaxed);
		CHECK(n <= 1);
		if (n) {
			res.size = (enum dissect_size)b;
			buckets++;
		}
	}
	for (unsigned r = DP_TCP; r <= DP_MALFORMED; r++)
		ends += !!(res.rows & 1u << r);
	if (ends != 1) {
		char s[128];
		t_fail(__FILE__, __LINE__, "one end row", "rows {%s} (link type %d, caplen %u)",
		       t_rows_str(res.rows, s), linktype, caplen);
	}
	CHECK_EQ(buckets, 1);
	CHECK_EQ(res.size, want_bucket(origlen));
	CHECK_EQ(fl.is_ip, !!(res.rows & (R(IPV4) | R(IPV6))));
	if (!fl.is_ip)
		CHECK_EQ(fl.hash, 0);
	res.flow = fl;

	/* The optional outputs are independent of each other. */
	dissect_packet(linktype, copy, caplen, origlen, NULL, &fl2);
	CHECK_EQ(fl2.hash, fl.hash);
	CHECK_EQ(fl2.is_ip, fl.is_ip);
	dissect_packet(linktype, copy, caplen, origlen, NULL, NULL);
	free(copy);
	return res;
}

struct t_res t_run_all(int linktype, const uint8_t *pkt, uint32_t len)
{
	return t_run(linktype, pkt, len, len);
}

void t_add(struct dissect_stats *sum, const struct t_res *r)
{
	for (unsigned i = 0; i < DP_PROTOS; i++)
		if (r->rows & 1u << i)
			atomic_fetch_add(&sum->proto[i], 1);
	atomic_fetch_add(&sum->size[r->size], 1);
}

void t_bytes(struct t_pkt *p, const void *src, uint32_t n)
{
	CHECK(n <= sizeof(p->b) - p->len);
	if (n) /* src may be NULL then, which memcpy() does not allow */
		memcpy(p->b + p->len, src, n);
	p->len += n;
}

void t_zero(struct t_pkt *p, uint32_t n)
{
	CHECK(n <= sizeof(p->b) - p->len);
	memset(p->b + p->len, 0, n);
	p->len += n;
}

void t_u8(struct t_pkt *p, uint32_t v)
{
	uint8_t b = (uint8_t)v;

	t_bytes(p, &b, 1);
}

void t_u16(struct t_pkt *p, uint32_t v)
{
	t_u8(p, v >> 8);
	t_u8(p, v);
}

void t_u32(struct t_pkt *p, uint32_t v)
{
	t_u16(p, v >> 16);
	t_u16(p, v);
}

void t_put16(struct t_pkt *p, uint32_t off, uint32_t v)
{
	CHECK(off + 2 <= p->len);
	p->b[off] = (uint8_t)(v >> 8);
	p->b[off + 1] = (uint8_t)v;
}

void t_eth_macs(struct t_pkt *p)
{
	static const uint8_t macs[12] = {0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2};

	t_bytes(p, macs, sizeof(macs));
}

void t_tag(struct t_pkt *p, uint32_t tpid, uint32_t vid)
{
	t_u16(p, tpid);
	t_u16(p, vid & 0xfff);
}

void t_ipv4(struct t_pkt *p, uint32_t proto, uint32_t src, uint32_t dst, uint32_t payload,
	    uint32_t frag)
{
	t_u8(p, 0x45);
	t_u8(p, 0);
	t_u16(p, 20 + payload);
	t_u16(p, 0x1234); /* identification */
	t_u16(p, frag);
	t_u8(p, 64);
	t_u8(p, proto);
	t_u16(p, 0); /* checksum: the dissector does not verify it */
	t_u32(p, src);
	t_u32(p, dst);
}

void t_ipv6(struct t_pkt *p, uint32_t nh, const uint8_t *src, const uint8_t *dst,
	    uint32_t payload)
{
	t_u32(p, 0x60000000);
	t_u16(p, payload);
	t_u8(p, nh);
	t_u8(p, 64);
	t_bytes(p, src, 16);
	t_bytes(p, dst, 16);
}

void t_ext6(struct t_pkt *p, uint32_t nh, uint32_t units)
{
	t_u8(p, nh);
	t_u8(p, units);
	t_zero(p, (units + 1) * 8 - 2);
}

void t_frag6(struct t_pkt *p, uint32_t nh, uint32_t offset, int more)
{
	t_u8(p, nh);
	t_u8(p, 0);
	t_u16(p, offset << 3 | (more ? 1 : 0));
	t_u32(p, 0xabcd);
}

void t_tcp(struct t_pkt *p, uint32_t sport, uint32_t dport)
{
	t_u16(p, sport);
	t_u16(p, dport);
	t_u32(p, 1000); /* seq */
	t_u32(p, 0);    /* ack */
	t_u8(p, 5 << 4);
	t_u8(p, 0x02);  /* SYN */
	t_u16(p, 65535);
	t_u16(p, 0);
	t_u16(p, 0);
}

void t_udp(struct t_pkt *p, uint32_t sport, uint32_t dport, uint32_t ulen)
{
	t_u16(p, sport);
	t_u16(p, dport);
	t_u16(p, ulen);
	t_u16(p, 0);
}

void t_icmp(struct t_pkt *p, uint32_t type)
{
	t_u8(p, type);
	t_u8(p, 0);
	t_u16(p, 0);
	t_u32(p, 0x00010001);
}
