/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "synth.h"

static inline void put_le(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

void synth_fill(uint64_t seed, uint32_t writer, uint64_t seq, uint8_t *dst, size_t len)
{
	put_le(dst, writer, 2);
	put_le(dst + 2, seq, 8);
	/*
	 * xorshift64* stream, 8 bytes per step: fast enough that generating
	 * the payload costs about as much as copying it, so the benchmarks
	 * measure the buffer rather than the generator.
	 */
	uint64_t s = synth_key(seed, writer, seq) | 1;
	size_t i = SYNTH_HEADER;
	for (; i + 8 <= len; i += 8) {
		s ^= s >> 12;
		s ^= s << 25;
		s ^= s >> 27;
		uint64_t v = s * UINT64_C(0x2545f4914f6cdd1d);
		memcpy(dst + i, &v, 8); /* host order: the verifier runs the same code */
	}
	if (i < len) {
		s ^= s >> 12;
		s ^= s << 25;
		s ^= s >> 27;
		uint64_t v = s * UINT64_C(0x2545f4914f6cdd1d);
		memcpy(dst + i, &v, len - i);
	}
}

void synth_parse(const uint8_t *b, uint32_t *writer, uint64_t *seq)
{
	uint64_t s = 0;
	*writer = (uint32_t)b[0] | (uint32_t)b[1] << 8;
	for (unsigned i = 0; i < 8; i++)
		s |= (uint64_t)b[2 + i] << (8 * i);
	*seq = s;
}

int synth_check(uint64_t seed, const uint8_t *block, size_t len)
{
	uint8_t want[65536];
	uint32_t writer;
	uint64_t seq;

	if (len < SYNTH_HEADER || len > sizeof(want))
		return 0;
	synth_parse(block, &writer, &seq);
	synth_fill(seed, writer, seq, want, len);
	return memcmp(want, block, len) == 0;
}

uint64_t synth_work(uint64_t x, unsigned units)
{
	for (unsigned i = 0; i < units; i++)
		x = synth_mix(x + i);
	return x;
}
