/* SPDX-License-Identifier: MIT */
/* Description: IPv4 and IPv6 fragments: the first carries the transport header and its ports, a later one counts other and hashes with ports 0. */
#include "common.h"

static struct t_res v4(uint32_t proto, uint32_t frag, uint32_t sport, uint32_t dport)
{
	struct t_pkt p = {0};

	t_ipv4(&p, proto, 0xc0a80001, 0xc0a80002, 16, frag);
	t_udp(&p, sport, dport, 16); /* a later fragment's bytes are just data */
	t_u32(&p, 0);
	t_u32(&p, 0);
	return t_run_all(T_DLT_RAW, p.b, p.len);
}

static struct t_res v6(uint32_t offset, int more, uint32_t sport, uint32_t dport)
{
	struct t_pkt p = {0};

	t_ipv6(&p, 44, t_v6a, t_v6b, 8 + 16);
	t_frag6(&p, 17, offset, more);
	t_udp(&p, sport, dport, 16);
	t_u32(&p, 0);
	t_u32(&p, 0);
	return t_run_all(T_DLT_RAW, p.b, p.len);
}

int main(void)
{
	struct t_res whole, first, later, later2, zero;

	/* IPv4: MF with offset 0 is the first fragment. */
	whole = v4(17, 0, 1111, 2222);
	first = v4(17, 0x2000, 1111, 2222);
	CHECK_ROWS(first.rows, R(IPV4) | R(UDP));
	CHECK_EQ(first.flow.hash, whole.flow.hash);

	later = v4(17, 0x2000 | 185, 1111, 2222);
	CHECK_ROWS(later.rows, R(IPV4) | R(OTHER));
	CHECK_EQ(later.flow.is_ip, 1);
	later2 = v4(17, 185, 3333, 4444); /* the last fragment: MF clear */
	CHECK_ROWS(later2.rows, R(IPV4) | R(OTHER));
	zero = v4(17, 0, 0, 0);
	CHECK_EQ(later.flow.hash, later2.flow.hash); /* no ports read */
	CHECK_EQ(later.flow.hash, zero.flow.hash);   /* ... so hashed as ports 0 */
	CHECK_NE(later.flow.hash, v4(6, 185, 0, 0).flow.hash); /* the protocol still counts */

	/* A first fragment too short for the transport header it starts. */
	{
		struct t_pkt p = {0};

		t_ipv4(&p, 6, 0xc0a80001, 0xc0a80002, 8, 0x2000);
		t_tcp(&p, 1, 2);
		struct t_res r = t_run_all(T_DLT_RAW, p.b, p.len);
		CHECK_ROWS(r.rows, R(IPV4) | R(MALFORMED));
	}

	/* IPv6: the fragment header's offset decides. */
	whole = v6(0, 0, 1111, 2222); /* an atomic fragment */
	CHECK_ROWS(whole.rows, R(IPV6) | R(UDP));
	first = v6(0, 1, 1111, 2222);
	CHECK_ROWS(first.rows, R(IPV6) | R(UDP));
	CHECK_EQ(first.flow.hash, whole.flow.hash);
	later = v6(100, 1, 1111, 2222);
	CHECK_ROWS(later.rows, R(IPV6) | R(OTHER));
	later2 = v6(200, 0, 5555, 6666);
	CHECK_EQ(later.flow.hash, later2.flow.hash);
	CHECK_EQ(later.flow.hash, v6(0, 0, 0, 0).flow.hash);
	return T_EXIT_PASS;
}
