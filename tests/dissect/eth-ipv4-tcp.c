/* SPDX-License-Identifier: MIT */
/* Description: Ethernet II and 802.3 LLC/SNAP frames carrying IPv4/TCP count ethernet, ipv4, tcp; a snap length that cuts the TCP header counts malformed but keeps the flow. */
#include "common.h"

static void eth_ipv4_tcp(struct t_pkt *p, uint32_t doff_words)
{
	uint32_t opt = (doff_words - 5) * 4;

	t_eth_macs(p);
	t_u16(p, 0x0800);
	t_ipv4(p, 6, 0x0a000001, 0x0a000002, 20 + opt, 0x4000 /* DF */);
	t_tcp(p, 40000, 80);
	p->b[14 + 20 + 12] = (uint8_t)(doff_words << 4);
	for (uint32_t i = 0; i < opt; i++)
		t_u8(p, 1); /* NOP options */
}

int main(void)
{
	struct t_pkt p = {0};
	struct t_res r, full;

	eth_ipv4_tcp(&p, 5);
	full = t_run_all(T_DLT_EN10MB, p.b, p.len);
	CHECK_ROWS(full.rows, R(ETHERNET) | R(IPV4) | R(TCP));
	CHECK_EQ(full.flow.is_ip, 1);
	CHECK_NE(full.flow.hash, 0);
	CHECK_EQ(full.size, DS_64);

	/* Padding after the datagram (a 60-byte minimum frame, an FCS) is fine. */
	t_zero(&p, 10);
	r = t_run_all(T_DLT_EN10MB, p.b, p.len);
	CHECK_ROWS(r.rows, R(ETHERNET) | R(IPV4) | R(TCP));
	CHECK_EQ(r.flow.hash, full.flow.hash);

	/* TCP options, wholly captured. */
	p = (struct t_pkt){0};
	eth_ipv4_tcp(&p, 15);
	r = t_run_all(T_DLT_EN10MB, p.b, p.len);
	CHECK_ROWS(r.rows, R(ETHERNET) | R(IPV4) | R(TCP));
	CHECK_EQ(r.flow.hash, full.flow.hash);

	/* A snap length that ends inside the options: cut short, same flow. */
	r = t_run(T_DLT_EN10MB, p.b, 14 + 20 + 30, p.len);
	CHECK_ROWS(r.rows, R(ETHERNET) | R(IPV4) | R(MALFORMED));
	CHECK_EQ(r.flow.is_ip, 1);
	CHECK_EQ(r.flow.hash, full.flow.hash);

	/* A snap length after the TCP header: payload cut, headers whole. */
	p = (struct t_pkt){0};
	eth_ipv4_tcp(&p, 5);
	t_zero(&p, 1000);
	t_put16(&p, 14 + 2, 20 + 20 + 1000);
	r = t_run(T_DLT_EN10MB, p.b, 14 + 20 + 20 + 10, p.len);
	CHECK_ROWS(r.rows, R(ETHERNET) | R(IPV4) | R(TCP));
	CHECK_EQ(r.size, DS_1024_1518);
	CHECK_EQ(r.flow.hash, full.flow.hash);

	/* 802.3 + LLC/SNAP (OUI 0) carrying IPv4. */
	p = (struct t_pkt){0};
	t_eth_macs(&p);
	t_u16(&p, 8 + 20 + 20); /* the 802.3 length */
	t_u8(&p, 0xaa);
	t_u8(&p, 0xaa);
	t_u8(&p, 0x03);
	t_u8(&p, 0);
	t_u16(&p, 0);
	t_u16(&p, 0x0800);
	t_ipv4(&p, 6, 0x0a000001, 0x0a000002, 20, 0);
	t_tcp(&p, 40000, 80);
	r = t_run_all(T_DLT_EN10MB, p.b, p.len);
	CHECK_ROWS(r.rows, R(ETHERNET) | R(IPV4) | R(TCP));
	CHECK_EQ(r.flow.hash, full.flow.hash);

	/* SNAP with another OUI: not an EtherType we may read. */
	p.b[14 + 3] = 0x08;
	r = t_run_all(T_DLT_EN10MB, p.b, p.len);
	CHECK_ROWS(r.rows, R(ETHERNET) | R(OTHER));
	return T_EXIT_PASS;
}
