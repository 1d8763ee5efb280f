/* SPDX-License-Identifier: MIT */
/* Description: dissect_proto_names and dissect_size_names name every row and bucket, as the statistics document spells them. */
#include <string.h>

#include "common.h"

int main(void)
{
	static const char *const protos[DP_PROTOS] = {"ethernet", "vlan", "ipv4", "ipv6", "tcp",
						      "udp", "icmp", "other", "malformed"};
	static const char *const sizes[DS_BUCKETS] = {"64", "65_127", "128_255", "256_511",
						      "512_1023", "1024_1518", "1519_max"};

	for (unsigned i = 0; i < DP_PROTOS; i++) {
		CHECK(dissect_proto_names[i] != NULL);
		if (strcmp(dissect_proto_names[i], protos[i]) != 0)
			t_fail(__FILE__, __LINE__, "proto name", "row %u is \"%s\", want \"%s\"",
			       i, dissect_proto_names[i], protos[i]);
	}
	for (unsigned i = 0; i < DS_BUCKETS; i++) {
		CHECK(dissect_size_names[i] != NULL);
		if (strcmp(dissect_size_names[i], sizes[i]) != 0)
			t_fail(__FILE__, __LINE__, "size name", "bucket %u is \"%s\", want \"%s\"",
			       i, dissect_size_names[i], sizes[i]);
	}
	return T_EXIT_PASS;
}
