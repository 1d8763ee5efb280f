/* SPDX-License-Identifier: MIT */
/*
 * The fuzz input format, shared by the fuzz target and the corpus helper:
 *
 *   byte 0: selector.  Bits 0-3 pick the link type (fuzz_linktypes[], modulo
 *           its size); bits 4-6 pick how origlen relates to caplen
 *           (fuzz_origlen()); bit 7 is unused.
 *   rest:   the packet; caplen is its length.
 */
#ifndef DBCAP_FUZZ_DISSECT_H
#define DBCAP_FUZZ_DISSECT_H

#include <stdint.h>

/* The link types the dissector knows, then one it does not (802.11). */
static const int fuzz_linktypes[] = {1, 113, 276, 12, 101, 14, 228, 229, 0, 108, 105};
enum { FUZZ_NLINKTYPES = sizeof(fuzz_linktypes) / sizeof(fuzz_linktypes[0]) };

/* origlen classes: 0 = caplen (the whole frame); others model snap lengths and damaged files. */
static inline uint32_t fuzz_origlen(unsigned cls, uint32_t caplen)
{
	static const uint32_t more[8] = {0, 1, 4, 64, 1500, 65535, 0, 0};

	if (cls == 6)
		return caplen / 2; /* shorter than caplen: a damaged savefile */
	if (cls == 7)
		return UINT32_MAX;
	return caplen + more[cls & 7];
}

/* The selector byte for link type linktype and origlen class cls; -1 if unknown. */
static inline int fuzz_selector(int linktype, unsigned cls)
{
	for (unsigned i = 0; i < FUZZ_NLINKTYPES; i++)
		if (fuzz_linktypes[i] == linktype)
			return (int)(i | (cls & 7) << 4);
	return -1;
}

#endif
