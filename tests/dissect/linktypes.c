/* SPDX-License-Identifier: MIT */
/* Description: one IPv4/TCP and one IPv6/UDP packet over every link type the dissector knows dissect alike and hash alike. */
#include <stddef.h>
#include <string.h>

#include "common.h"

static struct t_pkt ip4, ip6;

/* Prepends hdr (n bytes) to the IP packet ip and dissects it. */
static struct t_res over(int linktype, const void *hdr, uint32_t n, const struct t_pkt *ip)
{
	struct t_pkt p = {0};

	t_bytes(&p, hdr, n);
	t_bytes(&p, ip->b, ip->len);
	return t_run_all(linktype, p.b, p.len);
}

/* Linux cooked v1: packet type, ARPHRD type, address length, 8 address bytes, protocol. */
static uint32_t sll(uint8_t *h, uint32_t hatype, uint32_t proto)
{
	memset(h, 0, 16);
	h[2] = (uint8_t)(hatype >> 8);
	h[3] = (uint8_t)hatype;
	h[5] = 6;
	h[14] = (uint8_t)(proto >> 8);
	h[15] = (uint8_t)proto;
	return 16;
}

/* Linux cooked v2: protocol, reserved, ifindex, ARPHRD type, packet type, address length, 8 address bytes. */
static uint32_t sll2(uint8_t *h, uint32_t hatype, uint32_t proto)
{
	memset(h, 0, 20);
	h[0] = (uint8_t)(proto >> 8);
	h[1] = (uint8_t)proto;
	h[7] = 2;
	h[8] = (uint8_t)(hatype >> 8);
	h[9] = (uint8_t)hatype;
	h[11] = 6;
	return 20;
}

static void check_over(const struct t_pkt *ip, uint32_t type, unsigned rows, uint64_t hash)
{
	uint8_t h[32];
	struct t_res r;
	const uint32_t af6[] = {24, 28, 30};

	CHECK_EQ(over(T_DLT_RAW, NULL, 0, ip).rows, rows);
	CHECK_EQ(over(T_DLT_RAW_OPENBSD, NULL, 0, ip).rows, rows);
	CHECK_EQ(over(T_LINKTYPE_RAW, NULL, 0, ip).rows, rows);
	CHECK_EQ(over(type == 0x0800 ? T_DLT_IPV4 : T_DLT_IPV6, NULL, 0, ip).flow.hash, hash);

	/* The wrong one of DLT_IPV4 / DLT_IPV6 sees a bad version. */
	r = over(type == 0x0800 ? T_DLT_IPV6 : T_DLT_IPV4, NULL, 0, ip);
	CHECK_ROWS(r.rows, R(MALFORMED));
	CHECK_EQ(r.flow.is_ip, 0);

	r = over(T_DLT_LINUX_SLL, h, sll(h, 1, type), ip);
	CHECK_ROWS(r.rows, R(ETHERNET) | rows);
	CHECK_EQ(r.flow.hash, hash);
	r = over(T_DLT_LINUX_SLL2, h, sll2(h, 1, type), ip);
	CHECK_ROWS(r.rows, R(ETHERNET) | rows);
	CHECK_EQ(r.flow.hash, hash);

	/* A cooked header may carry a tag the NIC did not strip. */
	sll(h, 1, 0x8100);
	h[16] = 0;
	h[17] = 7;
	h[18] = (uint8_t)(type >> 8);
	h[19] = (uint8_t)type;
	r = over(T_DLT_LINUX_SLL, h, 20, ip);
	CHECK_ROWS(r.rows, R(ETHERNET) | R(VLAN) | rows);
	CHECK_EQ(r.flow.hash, hash);

	/* LINUX_SLL protocol 4: an 802.2 frame, here LLC/SNAP. */
	sll(h, 1, 4);
	memcpy(h + 16, "\xaa\xaa\x03\x00\x00\x00", 6);
	h[22] = (uint8_t)(type >> 8);
	h[23] = (uint8_t)type;
	r = over(T_DLT_LINUX_SLL, h, 24, ip);
	CHECK_ROWS(r.rows, R(ETHERNET) | rows);
	CHECK_EQ(r.flow.hash, hash);

	/* DLT_NULL and DLT_LOOP: the family in either byte order. */
	for (unsigned i = 0; i < (type == 0x0800 ? 1u : 3u); i++) {
		uint32_t af = type == 0x0800 ? 2 : af6[i];
		const uint8_t le[4] = {(uint8_t)af, 0, 0, 0}, be[4] = {0, 0, 0, (uint8_t)af};

		r = over(T_DLT_NULL, le, 4, ip);
		CHECK_ROWS(r.rows, rows);
		CHECK_EQ(r.flow.hash, hash);
		r = over(T_DLT_NULL, be, 4, ip);
		CHECK_ROWS(r.rows, rows);
		r = over(T_DLT_LOOP, be, 4, ip);
		CHECK_ROWS(r.rows, rows);
		r = over(T_DLT_LOOP, le, 4, ip);
		CHECK_ROWS(r.rows, rows);
		CHECK_EQ(r.flow.hash, hash);
	}
}

int main(void)
{
	uint8_t h[32];
	struct t_res r4, r6, r;

	t_ipv4(&ip4, 6, 0xac100001, 0xac100002, 20, 0);
	t_tcp(&ip4, 443, 51000);
	t_ipv6(&ip6, 17, t_v6a, t_v6b, 8);
	t_udp(&ip6, 123, 123, 8);

	r4 = over(T_DLT_RAW, NULL, 0, &ip4);
	CHECK_ROWS(r4.rows, R(IPV4) | R(TCP));
	r6 = over(T_DLT_RAW, NULL, 0, &ip6);
	CHECK_ROWS(r6.rows, R(IPV6) | R(UDP));
	check_over(&ip4, 0x0800, r4.rows, r4.flow.hash);
	check_over(&ip6, 0x86dd, r6.rows, r6.flow.hash);

	/* DLT_NULL with a family that is not IP; with a header cut short. */
	const uint8_t osi[4] = {7, 0, 0, 0};
	r = over(T_DLT_NULL, osi, 4, &ip4);
	CHECK_ROWS(r.rows, R(OTHER));
	r = t_run_all(T_DLT_NULL, osi, 3);
	CHECK_ROWS(r.rows, R(MALFORMED));

	/* Raw IP with a version that is neither 4 nor 6, or with no byte at all. */
	r = t_run_all(T_DLT_RAW, (const uint8_t *)"\x55", 1);
	CHECK_ROWS(r.rows, R(MALFORMED));
	r = t_run_all(T_DLT_RAW, ip4.b, 0);
	CHECK_ROWS(r.rows, R(MALFORMED));

	/* Cooked netlink and cooked Novell 802.3: other. */
	r = over(T_DLT_LINUX_SLL, h, sll(h, 824, 0x0800), &ip4);
	CHECK_ROWS(r.rows, R(ETHERNET) | R(OTHER));
	r = over(T_DLT_LINUX_SLL2, h, sll2(h, 824, 0x0800), &ip4);
	CHECK_ROWS(r.rows, R(ETHERNET) | R(OTHER));
	r = over(T_DLT_LINUX_SLL, h, sll(h, 1, 1), &ip4);
	CHECK_ROWS(r.rows, R(ETHERNET) | R(OTHER));
	r = t_run_all(T_DLT_LINUX_SLL2, h, 19);
	CHECK_ROWS(r.rows, R(MALFORMED));
	return T_EXIT_PASS;
}
