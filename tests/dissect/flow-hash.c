/* SPDX-License-Identifier: MIT */
/* Description: the flow hash is symmetric (both directions alike), tells flows apart by every tuple field, and spreads flows evenly over shards. */
#include <string.h>

#include "common.h"

/* Appends a TCP header (proto 6) or a UDP one with 12 bytes of payload; the packet's flow hash. */
static uint64_t transport_hash(struct t_pkt *p, int linktype, uint32_t proto, uint32_t sport,
			       uint32_t dport)
{
	if (proto == 6) {
		t_tcp(p, sport, dport);
	} else {
		t_udp(p, sport, dport, 20);
		t_zero(p, 12);
	}
	struct t_res r = t_run_all(linktype, p->b, p->len);
	CHECK_EQ(r.flow.is_ip, 1);
	return r.flow.hash;
}

static uint64_t v4(uint32_t proto, uint32_t src, uint32_t dst, uint32_t sport, uint32_t dport)
{
	struct t_pkt p = {0};

	t_eth_macs(&p);
	t_u16(&p, 0x0800);
	t_ipv4(&p, proto, src, dst, 20, 0);
	return transport_hash(&p, T_DLT_EN10MB, proto, sport, dport);
}

static uint64_t v6(uint32_t proto, const uint8_t *src, const uint8_t *dst, uint32_t sport,
		   uint32_t dport)
{
	struct t_pkt p = {0};

	t_ipv6(&p, proto, src, dst, 20);
	return transport_hash(&p, T_DLT_IPV6, proto, sport, dport);
}

int main(void)
{
	const uint32_t a = 0xc0000201, b = 0xc6336402;
	uint8_t x[16], y[16];

	/* Symmetric. */
	CHECK_EQ(v4(6, a, b, 40000, 443), v4(6, b, a, 443, 40000));
	CHECK_EQ(v4(17, a, b, 5353, 53), v4(17, b, a, 53, 5353));
	CHECK_EQ(v6(6, t_v6a, t_v6b, 40000, 443), v6(6, t_v6b, t_v6a, 443, 40000));
	CHECK_EQ(v6(17, t_v6a, t_v6b, 1, 2), v6(17, t_v6b, t_v6a, 2, 1));
	/* One host talking to itself: the ports order the endpoints. */
	CHECK_EQ(v4(6, a, a, 1000, 2000), v4(6, a, a, 2000, 1000));
	CHECK_EQ(v6(6, t_v6a, t_v6a, 1000, 2000), v6(6, t_v6a, t_v6a, 2000, 1000));

	/* Every field matters: ports, their pairing with addresses, protocol, addresses, version. */
	CHECK_NE(v4(6, a, b, 40000, 443), v4(6, a, b, 40001, 443));
	CHECK_NE(v4(6, a, b, 40000, 443), v4(6, a, b, 40000, 444));
	CHECK_NE(v4(6, a, b, 40000, 443), v4(6, a, b, 443, 40000));
	CHECK_NE(v4(6, a, b, 40000, 443), v4(17, a, b, 40000, 443));
	/* Each bit of either IPv4 address or port; no single flip reorders these endpoints. */
	const uint32_t lo4 = 0x0a000001, hi4 = 0xc0000002;
	const uint64_t base4 = v4(17, lo4, hi4, 1000, 2000);
	for (unsigned i = 0; i < 96; i++) {
		uint32_t bit = 1u << (i % 32);
		uint64_t h = i < 32   ? v4(17, lo4 ^ bit, hi4, 1000, 2000)
			     : i < 64 ? v4(17, lo4, hi4 ^ bit, 1000, 2000)
			     : i < 80 ? v4(17, lo4, hi4, 1000 ^ bit, 2000)
				      : v4(17, lo4, hi4, 1000, 2000 ^ (bit >> 16));
		if (h == base4)
			t_fail(__FILE__, __LINE__, "tuple bit", "flipping bit %u leaves the hash alike", i);
	}
	/*
	 * Each byte of either IPv6 address.  The two differ in their first
	 * byte (0x20, 0x30), which a flip of bit 0 does not reorder: so this
	 * reaches both the lower and the higher endpoint's words.
	 */
	uint8_t x0[16], y0[16];
	memcpy(x0, t_v6a, 16);
	memcpy(y0, t_v6b, 16);
	y0[0] = 0x30;
	const uint64_t base6 = v6(6, x0, y0, 1, 2);
	for (unsigned i = 0; i < 32; i++) {
		memcpy(x, x0, 16);
		memcpy(y, y0, 16);
		(i < 16 ? x : y)[i % 16] ^= 0x01;
		if (v6(6, x, y, 1, 2) == base6)
			t_fail(__FILE__, __LINE__, "address byte", "changing byte %u of the %s address "
			       "leaves the hash alike", i % 16, i < 16 ? "source" : "destination");
	}
	/* ::a.b.c.d is not a.b.c.d. */
	memset(x, 0, 16);
	memset(y, 0, 16);
	x[12] = 0xc0, x[13] = 0, x[14] = 2, x[15] = 1;
	y[12] = 0xc6, y[13] = 0x33, y[14] = 0x64, y[15] = 2;
	CHECK_NE(v6(6, x, y, 1, 2), v4(6, a, b, 1, 2));

	/* Spread: 16384 client ports to one server over 16 shards, and over 64 by the top bits. */
	enum { FLOWS = 16384 };
	unsigned lo[16] = {0}, hi[64] = {0};
	for (uint32_t i = 0; i < FLOWS; i++) {
		uint64_t h = v4(6, a + (i & 7), b, 32768 + i, 443);

		lo[h % 16]++;
		hi[h >> 58]++;
	}
	for (unsigned s = 0; s < 16; s++)
		if (lo[s] < FLOWS / 16 * 8 / 10 || lo[s] > FLOWS / 16 * 12 / 10)
			t_fail(__FILE__, __LINE__, "spread", "shard %u of 16 has %u of %u flows", s,
			       lo[s], FLOWS);
	for (unsigned s = 0; s < 64; s++)
		if (hi[s] < FLOWS / 64 * 7 / 10 || hi[s] > FLOWS / 64 * 13 / 10)
			t_fail(__FILE__, __LINE__, "spread", "top-bit shard %u of 64 has %u of %u",
			       s, hi[s], FLOWS);
	return T_EXIT_PASS;
}
