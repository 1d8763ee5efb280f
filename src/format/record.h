/* SPDX-License-Identifier: MIT */
/*
 * The framing a record costs in a buffer and in the file, for the settings'
 * checks (a record must fit a buffer) and for sizing.  Synthetic mode frames
 * each block as a pcapng Enhanced Packet Block (pcapng.h); replay frames each
 * packet as a classic pcap record (pcap.h), whose 16-byte header and missing
 * padding make it never larger than the EPB of the same data.  So the EPB's
 * size bounds both, and one pair of macros serves the writers and the reader.
 */
#ifndef DBCAP_RECORD_H
#define DBCAP_RECORD_H

#include "pcap.h"
#include "pcapng.h"

/* pcapng Enhanced Packet Block: 28-byte header + data padded to 4 + 4-byte trailer. */
#define DBCAP_RECORD_OVERHEAD (PCAPNG_EPB_HEADER + 4u)
/* Whole bytes of the record for len data bytes; len may be 64-bit, so no overflow. */
#define DBCAP_RECORD_SIZE(len) (DBCAP_RECORD_OVERHEAD + (((len) + 3u) & ~3u))

_Static_assert(PCAPF_REC_HEADER <= DBCAP_RECORD_OVERHEAD,
	       "a pcap record must never be larger than the EPB that bounds it");

#endif
