/* SPDX-License-Identifier: MIT */
/* Description: ARP, unknown EtherTypes, LLC without SNAP, other IP protocols and other link types count other (and no flow). */
#include "common.h"

static struct t_res eth(uint32_t type, uint32_t payload)
{
	struct t_pkt p = {0};

	t_eth_macs(&p);
	t_u16(&p, type);
	t_zero(&p, payload);
	return t_run_all(T_DLT_EN10MB, p.b, p.len);
}

int main(void)
{
	struct t_pkt p = {0};
	struct t_res r;

	/* ARP request: 28 bytes after the Ethernet header. */
	r = eth(0x0806, 28);
	CHECK_ROWS(r.rows, R(ETHERNET) | R(OTHER));
	CHECK_EQ(r.flow.is_ip, 0);
	CHECK_EQ(r.flow.hash, 0);
	r = eth(0x8847, 46); /* MPLS */
	CHECK_ROWS(r.rows, R(ETHERNET) | R(OTHER));
	r = eth(1535, 46); /* neither a length nor a type */
	CHECK_ROWS(r.rows, R(ETHERNET) | R(OTHER));

	/* 802.3 + LLC for STP (DSAP 0x42): no SNAP, no EtherType. */
	p.len = 0;
	t_eth_macs(&p);
	t_u16(&p, 38);
	t_u8(&p, 0x42);
	t_u8(&p, 0x42);
	t_u8(&p, 0x03);
	t_zero(&p, 35);
	r = t_run_all(T_DLT_EN10MB, p.b, p.len);
	CHECK_ROWS(r.rows, R(ETHERNET) | R(OTHER));

	/* Tagged ARP. */
	p.len = 0;
	t_eth_macs(&p);
	t_tag(&p, 0x8100, 5);
	t_u16(&p, 0x0806);
	t_zero(&p, 28);
	r = t_run_all(T_DLT_EN10MB, p.b, p.len);
	CHECK_ROWS(r.rows, R(ETHERNET) | R(VLAN) | R(OTHER));

	/* GRE over IPv4, ESP and "no next header" over IPv6: IP with a flow, no transport. */
	p.len = 0;
	t_ipv4(&p, 47, 1, 2, 8, 0);
	t_zero(&p, 8);
	r = t_run_all(T_DLT_RAW, p.b, p.len);
	CHECK_ROWS(r.rows, R(IPV4) | R(OTHER));
	CHECK_EQ(r.flow.is_ip, 1);
	p.len = 0;
	t_ipv6(&p, 50, t_v6a, t_v6b, 8);
	t_zero(&p, 8);
	r = t_run_all(T_DLT_RAW, p.b, p.len);
	CHECK_ROWS(r.rows, R(IPV6) | R(OTHER));
	p.b[6] = 59;
	r = t_run_all(T_DLT_RAW, p.b, p.len);
	CHECK_ROWS(r.rows, R(IPV6) | R(OTHER));

	/* Link types we do not dissect: 802.11 (105), PPP (9), even with no bytes. */
	r = t_run_all(105, p.b, p.len);
	CHECK_ROWS(r.rows, R(OTHER));
	CHECK_EQ(r.flow.is_ip, 0);
	r = t_run_all(9, p.b, 0);
	CHECK_ROWS(r.rows, R(OTHER));
	r = t_run_all(-1, p.b, p.len);
	CHECK_ROWS(r.rows, R(OTHER));
	return T_EXIT_PASS;
}
