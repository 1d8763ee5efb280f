/* SPDX-License-Identifier: MIT */
/*
 * The classic pcap capture file (pcap-savefile(5)), as replay mode writes
 * it: host byte order, version 2.4, thiszone 0, sigfigs 0 (the header
 * tcpdump -w writes), microsecond or nanosecond timestamps.
 *
 *   file header (24 bytes), then per packet a 16-byte record header
 *   (seconds, microseconds or nanoseconds, captured length, original
 *   length) and the captured bytes, unpadded.
 *
 * Crash consistency is weaker than pcapng's: a record has no length at its
 * end and a zero length is valid, so 16 zero bytes read as an empty record.
 * docs/DESIGN.md ("Replay output: pcap") says what that means after a
 * SIGKILL and how the appliance keeps the file a prefix of the stream.
 *
 * Prefix pcapf_: libpcap owns pcap_.
 */
#ifndef DBCAP_PCAP_H
#define DBCAP_PCAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "format.h"

/* The file header's first word, read in the writer's byte order. */
#define PCAPF_MAGIC_US 0xa1b2c3d4u /* microsecond time stamps */
#define PCAPF_MAGIC_NS 0xa1b23c4du /* nanosecond time stamps */
/*
 * libpcap's MAXIMUM_SNAPLEN: the snapshot length tcpdump writes by default
 * and the longest record libpcap accepts for most link types.  dbcap's -s
 * stops there, and replay reads records up to it in place.
 */
#define PCAPF_SNAPLEN_MAX 262144u
#define PCAPF_FILE_HEADER 24u
#define PCAPF_REC_HEADER 16u

/* Bytes of the record that carries caplen bytes. */
static inline uint64_t pcapf_rec_size(uint32_t caplen)
{
	return PCAPF_REC_HEADER + (uint64_t)caplen;
}

/*
 * Writes a record header at rec and returns where its caplen bytes go.
 * Inline: it runs once per packet on a writer's hot path (four stores).
 * frac is microseconds or nanoseconds, as the file header says.
 */
static inline uint8_t *pcapf_rec_begin(uint8_t *rec, uint32_t sec, uint32_t frac, uint32_t caplen,
				       uint32_t origlen)
{
	uint32_t h[4] = {sec, frac, caplen, origlen};
	memcpy(rec, h, sizeof(h));
	return rec + PCAPF_REC_HEADER;
}

/*
 * Writes the 24-byte file header (host order, version 2.4, thiszone and
 * sigfigs 0) at dst: micro- or nanosecond time stamps, snaplen, linktype
 * (the LINKTYPE_ value with its FCS bits).  Returns PCAPF_FILE_HEADER.
 */
size_t pcapf_file_header(uint8_t *dst, bool nano, uint32_t snaplen, uint32_t linktype);

/*
 * 1 if the 24 bytes at p are a file header that this module writes (host
 * order, version 2.4), and then *nano tells the precision; 0 otherwise.
 */
int pcapf_header_ok(const uint8_t *p, bool *nano);

/* capfmt_pcap's functions (see format.h): records without the file header... */
size_t pcapf_walk(const uint8_t *p, size_t len, capfmt_rec_fn fn, void *arg, uint64_t *recs);
/* ...and a whole file, header included. */
int pcapf_scan_fd(int fd, uint64_t limit, capfmt_rec_fn fn, void *arg, uint64_t *end);

#endif
