/* SPDX-License-Identifier: MIT */
/* Description: inconsistent IPv4, IPv6, TCP and UDP length fields count malformed after the rows reached; the legitimate zero lengths of GSO packets and jumbograms do not. */
#include "common.h"

/* Ethernet / IPv4 / TCP, 54 bytes; offsets of the fields the cases change. */
enum { IP = 14, IP_LEN = IP + 2, TCP = IP + 20, UDP = IP + 20 };

static struct t_pkt tcp4(void)
{
	struct t_pkt p = {0};

	t_eth_macs(&p);
	t_u16(&p, 0x0800);
	t_ipv4(&p, 6, 0x0a000001, 0x0a000002, 20, 0);
	t_tcp(&p, 1234, 22);
	return p;
}

static struct t_pkt udp4(uint32_t ulen)
{
	struct t_pkt p = {0};

	t_eth_macs(&p);
	t_u16(&p, 0x0800);
	t_ipv4(&p, 17, 0x0a000001, 0x0a000002, 12, 0);
	t_udp(&p, 1234, 53, ulen);
	t_u32(&p, 0);
	return p;
}

static struct t_pkt udp6(uint32_t plen, uint32_t ulen)
{
	struct t_pkt p = {0};

	t_eth_macs(&p);
	t_u16(&p, 0x86dd);
	t_ipv6(&p, 17, t_v6a, t_v6b, plen);
	t_udp(&p, 1234, 53, ulen);
	t_u32(&p, 0);
	return p;
}

static unsigned rows(const struct t_pkt *p)
{
	return t_run_all(T_DLT_EN10MB, p->b, p->len).rows;
}

int main(void)
{
	const unsigned eth4 = R(ETHERNET) | R(IPV4), eth6 = R(ETHERNET) | R(IPV6);
	struct t_pkt p;
	struct t_res r;

	p = tcp4();
	CHECK_ROWS(rows(&p), eth4 | R(TCP));

	/* Short frames. */
	r = t_run_all(T_DLT_EN10MB, p.b, 13);
	CHECK_ROWS(r.rows, R(MALFORMED));
	r = t_run_all(T_DLT_EN10MB, p.b, 14 + 19);
	CHECK_ROWS(r.rows, R(ETHERNET) | R(MALFORMED));

	/* IPv4: a version of 5, an IHL under 5, options past the capture. */
	p = tcp4();
	p.b[IP] = 0x55;
	CHECK_ROWS(rows(&p), R(ETHERNET) | R(MALFORMED));
	p.b[IP] = 0x44;
	CHECK_ROWS(rows(&p), R(ETHERNET) | R(MALFORMED));
	p.b[IP] = 0x4f;
	CHECK_ROWS(rows(&p), R(ETHERNET) | R(MALFORMED));
	CHECK_EQ(t_run_all(T_DLT_EN10MB, p.b, p.len).flow.is_ip, 0);

	/* IPv4 total length: under the header, over the frame; 0 is a GSO packet. */
	p = tcp4();
	t_put16(&p, IP_LEN, 19);
	CHECK_ROWS(rows(&p), eth4 | R(MALFORMED));
	t_put16(&p, IP_LEN, 41);
	CHECK_ROWS(rows(&p), eth4 | R(MALFORMED));
	r = t_run(T_DLT_EN10MB, p.b, p.len, p.len + 1); /* ... unless the frame was longer */
	CHECK_ROWS(r.rows, eth4 | R(TCP));
	t_put16(&p, IP_LEN, 0);
	CHECK_ROWS(rows(&p), eth4 | R(TCP));
	t_put16(&p, IP_LEN, 39); /* the TCP header straddles the end of the datagram */
	CHECK_ROWS(rows(&p), eth4 | R(MALFORMED));

	/* TCP data offset under 5, past the datagram, past the capture. */
	p = tcp4();
	p.b[TCP + 12] = 4 << 4;
	CHECK_ROWS(rows(&p), eth4 | R(MALFORMED));
	p.b[TCP + 12] = 6 << 4;
	CHECK_ROWS(rows(&p), eth4 | R(MALFORMED));
	t_put16(&p, IP_LEN, 44);
	r = t_run(T_DLT_EN10MB, p.b, p.len, p.len + 4);
	CHECK_ROWS(r.rows, eth4 | R(MALFORMED));
	t_zero(&p, 4);
	CHECK_ROWS(rows(&p), eth4 | R(TCP));

	/* UDP length under 8, over the datagram. */
	p = udp4(12);
	CHECK_ROWS(rows(&p), eth4 | R(UDP));
	p = udp4(7);
	CHECK_ROWS(rows(&p), eth4 | R(MALFORMED));
	p = udp4(0);
	CHECK_ROWS(rows(&p), eth4 | R(MALFORMED));
	p = udp4(13);
	CHECK_ROWS(rows(&p), eth4 | R(MALFORMED));
	/* A GSO packet over 64 KiB: IPv4 and UDP lengths both 0 (BIG TCP over VXLAN). */
	p = udp4(0);
	t_put16(&p, IP_LEN, 0);
	CHECK_ROWS(rows(&p), eth4 | R(UDP));

	/* IPv6 payload length over the frame; 0 (jumbogram, GSO) with UDP length 0. */
	p = udp6(12, 12);
	CHECK_ROWS(rows(&p), eth6 | R(UDP));
	p = udp6(13, 12);
	CHECK_ROWS(rows(&p), eth6 | R(MALFORMED));
	p = udp6(0, 0);
	CHECK_ROWS(rows(&p), eth6 | R(UDP));
	p = udp6(12, 0); /* ... but not with a payload length */
	CHECK_ROWS(rows(&p), eth6 | R(MALFORMED));
	p = udp6(10, 12);
	CHECK_ROWS(rows(&p), eth6 | R(MALFORMED));
	p = udp6(12, 12);
	p.b[IP] = 0x40;
	CHECK_ROWS(rows(&p), R(ETHERNET) | R(MALFORMED));

	/* Caplen above origlen (a damaged savefile): the captured bytes bound the frame. */
	p = tcp4();
	r = t_run(T_DLT_EN10MB, p.b, p.len, 20);
	CHECK_ROWS(r.rows, eth4 | R(TCP));
	CHECK_EQ(r.size, DS_64);
	return T_EXIT_PASS;
}
