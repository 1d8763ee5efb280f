/* SPDX-License-Identifier: MIT */
/*
 * The capture file: pcapng (https://www.ietf.org/archive/id/draft-ietf-opsawg-pcapng-02.html),
 * written in host byte order with nanosecond timestamps.
 *
 *   Section Header Block, then one Interface Description Block per writer
 *   (named "dbcap-wN", if_tsresol 9), then one Enhanced Packet Block per
 *   block, its interface id being the writer that made it.
 *
 * Why pcapng and not pcap: every pcapng block carries its length at both
 * ends and a length of zero is invalid, so bytes that never got written (a
 * hole left by a crash between two in-flight writes) can never parse as a
 * record: tools stop there, as at a torn record.  In pcap, 16 zero bytes are
 * a valid empty record.
 */
#ifndef DBCAP_PCAPNG_H
#define DBCAP_PCAPNG_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define PCAPNG_SHB 0x0A0D0D0Au
#define PCAPNG_IDB 0x00000001u
#define PCAPNG_EPB 0x00000006u
#define PCAPNG_BOM 0x1A2B3C4Du
#define PCAPNG_EPB_HEADER 28u
#define PCAPNG_LINKTYPE_USER0 147u /* DLT_USER0: private use, our synthetic blocks */

static inline uint32_t pcapng_pad4(uint32_t n)
{
	return (n + 3u) & ~3u;
}

/* Total length of the EPB that carries caplen bytes (no options). */
static inline uint32_t pcapng_epb_size(uint32_t caplen)
{
	return PCAPNG_EPB_HEADER + pcapng_pad4(caplen) + 4u;
}

/*
 * Writes an EPB's header at rec and returns where its data goes.  Inline:
 * it runs once per block on the writer's hot path (seven 4-byte stores).
 */
static inline uint8_t *pcapng_epb_begin(uint8_t *rec, uint32_t iface, uint64_t ts_ns,
					uint32_t caplen, uint32_t origlen)
{
	uint32_t h[7] = {PCAPNG_EPB, pcapng_epb_size(caplen), iface,
			 (uint32_t)(ts_ns >> 32), (uint32_t)ts_ns, caplen, origlen};
	memcpy(rec, h, sizeof(h));
	return rec + PCAPNG_EPB_HEADER;
}

/* Zeroes the data's padding and writes the trailing length. */
static inline void pcapng_epb_end(uint8_t *rec, uint32_t caplen)
{
	uint32_t total = pcapng_epb_size(caplen);
	uint32_t pad = pcapng_pad4(caplen) - caplen;
	memset(rec + PCAPNG_EPB_HEADER + caplen, 0, pad);
	memcpy(rec + total - 4, &total, 4);
}

/*
 * Writes the Section Header Block and nif Interface Description Blocks
 * ("dbcap-w0"...) into dst (cap bytes).  Returns the length, or 0 if cap is
 * too small.
 */
size_t pcapng_file_header(uint8_t *dst, size_t cap, unsigned nif, uint16_t linktype,
			  uint32_t snaplen, const char *appl);

/*
 * Writes one Interface Description Block for a captured interface: its link
 * type, snapshot length, name, nanosecond time stamps and (when not NULL)
 * the filter expression.  With pcapng_file_header(..., nif = 0, ...) before
 * it, a file of named interfaces.  Returns the length, or 0 if cap is too
 * small.
 */
size_t pcapng_idb(uint8_t *dst, size_t cap, uint16_t linktype, uint32_t snaplen, const char *name,
		  const char *filter);
/* What a walk finds in a run of blocks. */
typedef void (*pcapng_epb_fn)(void *arg, uint32_t iface, const uint8_t *data, uint32_t caplen);

/*
 * Walks whole blocks in [p, p + len) calling fn (if not NULL) for each EPB.
 * Returns the number of bytes that form complete valid blocks (== len when
 * the run is well formed); *epbs gets how many EPBs were seen.
 */
size_t pcapng_walk(const uint8_t *p, size_t len, pcapng_epb_fn fn, void *arg, uint64_t *epbs);

/*
 * Reads the file fd from offset 0 up to limit bytes and finds the end of the
 * last complete block, calling fn for each EPB on the way.  Returns 0 and
 * sets *end, or -errno.
 */
int pcapng_scan_fd(int fd, uint64_t limit, pcapng_epb_fn fn, void *arg, uint64_t *end);

#endif
