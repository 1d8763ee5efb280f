/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for dissect_packet(): the first byte picks the link type
 * and the origlen (fuzz-dissect.h), the rest is the packet, copied into a
 * heap buffer of exactly its length so that AddressSanitizer reports any
 * read past caplen.  Beyond memory safety it checks the dissector's promises
 * and aborts when one breaks (libFuzzer then keeps the input):
 * each row counts at most once, exactly one of tcp/udp/icmp/other/malformed
 * ends the packet, exactly one size bucket counts, is_ip says whether ipv4 or
 * ipv6 counted, and the hash is 0 without IP.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dissect.h"
#include "fuzz-dissect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void broken(const char *what, int linktype, size_t caplen)
{
	fprintf(stderr, "fuzz-dissect: %s (link type %d, caplen %zu)\n", what, linktype, caplen);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size - 1 > UINT32_MAX)
		return 0;

	int linktype = fuzz_linktypes[(data[0] & 15) % FUZZ_NLINKTYPES];
	uint32_t caplen = (uint32_t)(size - 1);
	uint32_t origlen = fuzz_origlen(data[0] >> 4 & 7, caplen);
	uint8_t *pkt = malloc(caplen ? caplen : 1);
	struct dissect_stats st;
	struct dissect_flow fl;

	if (!pkt)
		return 0;
	memcpy(pkt, data + 1, caplen);
	memset(&st, 0, sizeof(st));
	/* With caplen 0 the pointer is one past a 1-byte buffer: any read is an overflow. */
	dissect_packet(linktype, caplen ? pkt : pkt + 1, caplen, origlen, &st, &fl);

	unsigned ends = 0, buckets = 0;
	for (unsigned r = 0; r < DP_PROTOS; r++) {
		uint64_t n = atomic_load_explicit(&st.proto[r], memory_order_relaxed);
		if (n > 1)
			broken("a row counted twice", linktype, caplen);
		if (r >= DP_TCP)
			ends += (unsigned)n;
	}
	for (unsigned b = 0; b < DS_BUCKETS; b++)
		buckets += (unsigned)atomic_load_explicit(&st.size[b], memory_order_relaxed);
	if (ends != 1)
		broken("not exactly one end row", linktype, caplen);
	if (buckets != 1)
		broken("not exactly one size bucket", linktype, caplen);
	int ip = atomic_load_explicit(&st.proto[DP_IPV4], memory_order_relaxed) ||
		 atomic_load_explicit(&st.proto[DP_IPV6], memory_order_relaxed);
	if (fl.is_ip != ip)
		broken("is_ip disagrees with the ipv4/ipv6 rows", linktype, caplen);
	if (!fl.is_ip && fl.hash != 0)
		broken("a hash without IP", linktype, caplen);
	free(pkt);
	return 0;
}
