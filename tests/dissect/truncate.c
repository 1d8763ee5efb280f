/* SPDX-License-Identifier: MIT */
/* Description: every prefix of full packets (caplen 0..len, origlen len or caplen) dissects in bounds, keeps the invariants, and counts malformed exactly while a header is cut. */
#include "common.h"

struct sample {
	const char *name;
	int linktype;
	struct t_pkt p;
	uint32_t headers; /* where the last header ends */
};

static void run(const struct sample *s)
{
	const struct t_res full = t_run_all(s->linktype, s->p.b, s->p.len);
	unsigned malformed = 0;

	CHECK(!(full.rows & R(MALFORMED)));
	for (uint32_t cap = 0; cap <= s->p.len; cap++) {
		/* A snap length: the frame was longer than what was kept. */
		struct t_res r = t_run(s->linktype, s->p.b, cap, s->p.len);

		if (cap >= s->headers) {
			CHECK_ROWS(r.rows, full.rows);
			CHECK_EQ(r.flow.hash, full.flow.hash);
		} else {
			CHECK_ROWS(r.rows & R(MALFORMED), R(MALFORMED));
			malformed++;
		}
		/* The frame itself was short: whatever the lengths inside say. */
		(void)t_run(s->linktype, s->p.b, cap, cap);
	}
	t_log("%s: %u bytes, %u prefixes cut a header", s->name, s->p.len, malformed);
	CHECK_EQ(malformed, s->headers);
}

int main(void)
{
	static struct sample s[6];
	unsigned n = 0;
	struct t_pkt *p;

	s[n] = (struct sample){.name = "ethernet/ipv4/tcp", .linktype = T_DLT_EN10MB};
	p = &s[n].p;
	t_eth_macs(p);
	t_u16(p, 0x0800);
	t_ipv4(p, 6, 0x0a000001, 0x0a000002, 20 + 5, 0);
	t_tcp(p, 1, 2);
	s[n++].headers = p->len;
	t_zero(p, 5);

	s[n] = (struct sample){.name = "qinq/ipv6/ext/udp", .linktype = T_DLT_EN10MB};
	p = &s[n].p;
	t_eth_macs(p);
	t_tag(p, 0x88a8, 1);
	t_tag(p, 0x8100, 2);
	t_u16(p, 0x86dd);
	t_ipv6(p, 0, t_v6a, t_v6b, 16 + 8 + 16 + 8 + 3);
	t_ext6(p, 44, 1);
	t_frag6(p, 60, 0, 1);
	t_ext6(p, 17, 1);
	t_udp(p, 7, 9, 11);
	s[n++].headers = p->len;
	t_zero(p, 3);

	s[n] = (struct sample){.name = "802.3/snap/ipv4/icmp", .linktype = T_DLT_EN10MB};
	p = &s[n].p;
	t_eth_macs(p);
	t_u16(p, 8 + 28);
	t_bytes(p, "\xaa\xaa\x03\x00\x00\x00\x08\x00", 8);
	t_ipv4(p, 1, 0x0a000001, 0x0a000002, 8, 0);
	t_icmp(p, 0);
	s[n++].headers = p->len;

	s[n] = (struct sample){.name = "sll2/ipv6/icmpv6", .linktype = T_DLT_LINUX_SLL2};
	p = &s[n].p;
	t_u16(p, 0x86dd);
	t_zero(p, 18);
	t_ipv6(p, 58, t_v6a, t_v6b, 8);
	t_icmp(p, 135);
	s[n++].headers = p->len;

	s[n] = (struct sample){.name = "loop/ipv4/udp", .linktype = T_DLT_LOOP};
	p = &s[n].p;
	t_u32(p, 2);
	t_ipv4(p, 17, 0x0a000001, 0x0a000002, 8 + 20, 0);
	t_udp(p, 53, 53, 28);
	s[n++].headers = p->len;
	t_zero(p, 20);

	s[n] = (struct sample){.name = "sll/ipv4-options/tcp-options", .linktype = T_DLT_LINUX_SLL};
	p = &s[n].p;
	t_zero(p, 14);
	t_u16(p, 0x0800);
	t_ipv4(p, 6, 0x0a000001, 0x0a000002, 32, 0);
	p->b[16] = 0x47;
	t_put16(p, 18, 28 + 32);
	t_u32(p, 0x01010101); /* IP options: NOPs */
	t_u32(p, 0x01010100);
	t_tcp(p, 1, 2);
	p->b[p->len - 8] = 8 << 4;
	t_u32(p, 0x01010101);
	t_u32(p, 0x01010101);
	t_u32(p, 0x01010100);
	s[n++].headers = p->len;

	for (unsigned i = 0; i < n; i++)
		run(&s[i]);
	return T_EXIT_PASS;
}
