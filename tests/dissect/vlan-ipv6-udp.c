/* SPDX-License-Identifier: MIT */
/* Description: 802.1ad/802.1Q/0x9100 tags (stacked up to the bound) over IPv6 with hop-by-hop, routing, fragment, destination and AH headers before UDP. */
#include <stddef.h>

#include "common.h"

/* Ethernet with the given tags, IPv6, then nexts extension headers, then UDP. */
static struct t_pkt build(const uint32_t *tpids, unsigned ntags, const uint32_t *exts,
			  unsigned nexts)
{
	struct t_pkt p = {0};
	uint32_t ext_len = 0;

	t_eth_macs(&p);
	for (unsigned i = 0; i < ntags; i++)
		t_tag(&p, tpids[i], 100 + i);
	t_u16(&p, 0x86dd);
	for (unsigned i = 0; i < nexts; i++)
		ext_len += exts[i] == 51 ? 16 : exts[i] == 44 ? 8 : 16;
	t_ipv6(&p, nexts ? exts[0] : 17, t_v6a, t_v6b, ext_len + 8 + 4);
	for (unsigned i = 0; i < nexts; i++) {
		uint32_t nh = i + 1 < nexts ? exts[i + 1] : 17;

		if (exts[i] == 44) {
			t_frag6(&p, nh, 0, 1); /* the first fragment */
		} else if (exts[i] == 51) {
			t_u8(&p, nh); /* AH: length in 4-byte units, minus 2 */
			t_u8(&p, 2);
			t_zero(&p, 14);
		} else {
			t_ext6(&p, nh, 1);
		}
	}
	t_udp(&p, 5353, 53, 12);
	t_u32(&p, 0xdeadbeef);
	return p;
}

int main(void)
{
	static const uint32_t qinq[] = {0x88a8, 0x8100};
	static const uint32_t old_qinq[] = {0x9100, 0x8100};
	static const uint32_t many[] = {0x88a8, 0x9100, 0x8100, 0x8100, 0x8100, 0x8100, 0x8100,
					0x8100, 0x8100};
	static const uint32_t exts[] = {0, 43, 44, 60, 51};
	static const uint32_t eight[] = {0, 60, 60, 60, 60, 60, 60, 60, 60};
	struct t_pkt p;
	struct t_res r, plain;

	p = build(NULL, 0, NULL, 0);
	plain = t_run_all(T_DLT_EN10MB, p.b, p.len);
	CHECK_ROWS(plain.rows, R(ETHERNET) | R(IPV6) | R(UDP));
	CHECK_EQ(plain.flow.is_ip, 1);

	p = build(qinq, 2, exts, 5);
	r = t_run_all(T_DLT_EN10MB, p.b, p.len);
	CHECK_ROWS(r.rows, R(ETHERNET) | R(VLAN) | R(IPV6) | R(UDP));
	CHECK_EQ(r.flow.hash, plain.flow.hash); /* tags and extension headers are not the flow */

	p = build(old_qinq, 2, exts, 3);
	r = t_run_all(T_DLT_EN10MB, p.b, p.len);
	CHECK_ROWS(r.rows, R(ETHERNET) | R(VLAN) | R(IPV6) | R(UDP));
	CHECK_EQ(r.flow.hash, plain.flow.hash);

	/* Eight tags are dissected; the ninth is past the bound. */
	p = build(many, 8, NULL, 0);
	r = t_run_all(T_DLT_EN10MB, p.b, p.len);
	CHECK_ROWS(r.rows, R(ETHERNET) | R(VLAN) | R(IPV6) | R(UDP));
	p = build(many, 9, NULL, 0);
	r = t_run_all(T_DLT_EN10MB, p.b, p.len);
	CHECK_ROWS(r.rows, R(ETHERNET) | R(VLAN) | R(OTHER));
	CHECK_EQ(r.flow.is_ip, 0);

	/* Eight extension headers are walked; a ninth is past the bound. */
	p = build(NULL, 0, eight, 8);
	r = t_run_all(T_DLT_EN10MB, p.b, p.len);
	CHECK_ROWS(r.rows, R(ETHERNET) | R(IPV6) | R(UDP));
	CHECK_EQ(r.flow.hash, plain.flow.hash);
	p = build(NULL, 0, eight, 9);
	r = t_run_all(T_DLT_EN10MB, p.b, p.len);
	CHECK_ROWS(r.rows, R(ETHERNET) | R(IPV6) | R(OTHER));
	CHECK_EQ(r.flow.is_ip, 1);

	/* An extension header longer than the payload length says. */
	p = build(qinq, 2, exts, 5);
	t_put16(&p, 14 + 8 + 4, 8 + 4);
	r = t_run_all(T_DLT_EN10MB, p.b, p.len);
	CHECK_ROWS(r.rows, R(ETHERNET) | R(VLAN) | R(IPV6) | R(MALFORMED));

	/* A tag cut short. */
	p = build(qinq, 2, NULL, 0);
	r = t_run(T_DLT_EN10MB, p.b, 14 + 4 + 2, p.len);
	CHECK_ROWS(r.rows, R(ETHERNET) | R(VLAN) | R(MALFORMED));
	return T_EXIT_PASS;
}
