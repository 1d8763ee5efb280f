/* SPDX-License-Identifier: MIT */
/*
 * The synthetic source: every block is a pure function of (seed, writer,
 * sequence number), so a verifier can re-derive each one from the file alone.
 *
 * A block of len bytes (len >= SYNTH_HEADER):
 *   bytes 0..1   writer id, little-endian u16
 *   bytes 2..9   sequence number, little-endian u64
 *   bytes 10..   a pseudo-random stream seeded from (seed, writer, seq)
 * Its length is synth_size(seed, writer, seq, min, max), uniform in [min, max].
 */
#ifndef DBCAP_SYNTH_H
#define DBCAP_SYNTH_H

#include <stddef.h>
#include <stdint.h>

#include "../util/splitmix.h"

#define SYNTH_HEADER 10u

/*
 * SplitMix64's step (util/splitmix.h): a fast, well-mixed 64-bit hash.  The
 * file format depends on it: tools/dbcap-verify re-derives every block.
 */
static inline uint64_t synth_mix(uint64_t x)
{
	return splitmix64(x);
}

static inline uint64_t synth_key(uint64_t seed, uint32_t writer, uint64_t seq)
{
	return synth_mix(seed ^ synth_mix(((uint64_t)writer << 48) ^ synth_mix(seq)));
}

static inline uint32_t synth_size(uint64_t seed, uint32_t writer, uint64_t seq,
				  uint32_t min, uint32_t max)
{
	uint64_t span = (uint64_t)max - min + 1;
	return min + (uint32_t)(synth_mix(synth_key(seed, writer, seq) ^ 0x5a5a) % span);
}

/* Writes the whole block (header and payload) of len >= SYNTH_HEADER bytes. */
void synth_fill(uint64_t seed, uint32_t writer, uint64_t seq, uint8_t *dst, size_t len);

/* Reads writer and seq back from a block's header (len >= SYNTH_HEADER). */
void synth_parse(const uint8_t *block, uint32_t *writer, uint64_t *seq);

/* 1 if block (len bytes) is exactly what synth_fill() writes for its header. */
int synth_check(uint64_t seed, const uint8_t *block, size_t len);

/*
 * Auxiliary work: units rounds of integer mixing on a register-resident
 * value, standing in for the parsing a real source would do between blocks.
 */
uint64_t synth_work(uint64_t x, unsigned units);

#endif
