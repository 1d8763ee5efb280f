/* SPDX-License-Identifier: MIT */
/* Description: ICMP over IPv4 and ICMPv6 over IPv6 count icmp (with ports 0); crossed or cut short they do not. */
#include "common.h"

static struct t_res v4(uint32_t proto, uint32_t len, uint32_t caplen)
{
	struct t_pkt p = {0};

	t_eth_macs(&p);
	t_u16(&p, 0x0800);
	t_ipv4(&p, proto, 0x01020304, 0x05060708, len, 0);
	t_icmp(&p, 8);
	p.len = 14 + 20 + len;
	return t_run(T_DLT_EN10MB, p.b, caplen ? caplen : p.len, p.len);
}

static struct t_res v6(uint32_t nh, uint32_t len)
{
	struct t_pkt p = {0};

	t_eth_macs(&p);
	t_u16(&p, 0x86dd);
	t_ipv6(&p, nh, t_v6a, t_v6b, len);
	t_icmp(&p, 128);
	p.len = 14 + 40 + len;
	return t_run_all(T_DLT_EN10MB, p.b, p.len);
}

int main(void)
{
	struct t_res r;

	r = v4(1, 8, 0);
	CHECK_ROWS(r.rows, R(ETHERNET) | R(IPV4) | R(ICMP));
	CHECK_EQ(r.flow.is_ip, 1);
	CHECK_EQ(r.flow.hash, v4(1, 8, 0).flow.hash);
	r = v4(1, 4, 0); /* shorter than an ICMP header */
	CHECK_ROWS(r.rows, R(ETHERNET) | R(IPV4) | R(MALFORMED));
	r = v4(1, 8, 14 + 20 + 7); /* captured short of it */
	CHECK_ROWS(r.rows, R(ETHERNET) | R(IPV4) | R(MALFORMED));
	r = v4(58, 8, 0); /* ICMPv6 over IPv4 is nothing we know */
	CHECK_ROWS(r.rows, R(ETHERNET) | R(IPV4) | R(OTHER));

	r = v6(58, 8);
	CHECK_ROWS(r.rows, R(ETHERNET) | R(IPV6) | R(ICMP));
	CHECK_EQ(r.flow.is_ip, 1);
	r = v6(58, 6);
	CHECK_ROWS(r.rows, R(ETHERNET) | R(IPV6) | R(MALFORMED));
	r = v6(1, 8); /* ICMP over IPv6 */
	CHECK_ROWS(r.rows, R(ETHERNET) | R(IPV6) | R(OTHER));
	return T_EXIT_PASS;
}
