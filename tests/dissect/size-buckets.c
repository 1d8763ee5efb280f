/* SPDX-License-Identifier: MIT */
/* Description: RMON size buckets by origlen at every boundary (64/65, 127/128, ..., 1518/1519), whatever caplen and link type. */
#include "common.h"

int main(void)
{
	static const struct {
		uint32_t len;
		enum dissect_size want;
	} cases[] = {
		{0, DS_64},          {1, DS_64},           {60, DS_64},
		{64, DS_64},         {65, DS_65_127},      {127, DS_65_127},
		{128, DS_128_255},   {255, DS_128_255},    {256, DS_256_511},
		{511, DS_256_511},   {512, DS_512_1023},   {1023, DS_512_1023},
		{1024, DS_1024_1518}, {1518, DS_1024_1518}, {1519, DS_1519_MAX},
		{9000, DS_1519_MAX}, {65535, DS_1519_MAX}, {UINT32_MAX, DS_1519_MAX},
	};
	static const int linktypes[] = {T_DLT_EN10MB, T_DLT_RAW, T_DLT_LINUX_SLL, 147};
	static uint8_t zeros[1600];
	struct t_res r;

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t len = cases[i].len;

		for (unsigned l = 0; l < sizeof(linktypes) / sizeof(linktypes[0]); l++) {
			/* The whole frame when it fits the buffer, else a snap length of 96. */
			uint32_t cap = len <= sizeof(zeros) ? len : 96;

			r = t_run(linktypes[l], zeros, cap, len);
			if (r.size != cases[i].want)
				t_fail(__FILE__, __LINE__, "bucket", "origlen %u: bucket %s, want %s",
				       len, dissect_size_names[r.size],
				       dissect_size_names[cases[i].want]);
			r = t_run(linktypes[l], zeros, 0, len); /* nothing captured */
			CHECK_EQ(r.size, cases[i].want);
		}
	}
	return T_EXIT_PASS;
}
