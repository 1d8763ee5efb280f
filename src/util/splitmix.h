/* SPDX-License-Identifier: MIT */
/*
 * SplitMix64, the hash behind the synthetic blocks (source/synth.h) and the
 * dissector's flow hash.  A leaf: plain C11, nothing of the project.
 */
#ifndef DBCAP_SPLITMIX_H
#define DBCAP_SPLITMIX_H

#include <stdint.h>

/*
 * SplitMix64's finaliser (Steele, Lea, Flood): every input bit reaches every
 * output bit.  A fast, well-mixed 64-bit hash, not a cryptographic one.
 */
static inline uint64_t splitmix64_final(uint64_t z)
{
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* SplitMix64's step: the golden-ratio increment, then the finaliser. */
#define SPLITMIX64_GAMMA UINT64_C(0x9e3779b97f4a7c15)
static inline uint64_t splitmix64(uint64_t x)
{
	return splitmix64_final(x + SPLITMIX64_GAMMA);
}

#endif
