/* SPDX-License-Identifier: MIT */
/*
 * The capture file formats the reader thread knows, behind one small table
 * of functions, so that the reader counts records and salvages a file after
 * a write error without caring which format the writers build.
 *
 *   synthetic mode: pcapng (pcapng.h), for its crash consistency
 *   replay mode:    classic pcap (pcap.h), what tcpdump -w writes
 *
 * Only the reader thread calls these, on memory the buffer handed it or on
 * the file it wrote; nothing here is shared between threads.
 */
#ifndef DBCAP_FORMAT_H
#define DBCAP_FORMAT_H

#include <stddef.h>
#include <stdint.h>

/* One record, as a walk sees it. */
struct capfmt_rec {
	const uint8_t *data; /* caplen bytes */
	uint32_t caplen;     /* bytes in the file */
	uint32_t origlen;    /* the packet's length on the wire (== caplen for synthetic blocks) */
	uint32_t iface;      /* pcapng: the interface (writer); pcap: 0 */
	uint32_t reclen;     /* the whole record in the file: header, data, padding, trailer */
	/*
	 * The time stamp as the file holds it: pcapng (dbcap's interfaces,
	 * if_tsresol 9) the high and low 32 bits of nanoseconds; pcap seconds
	 * and the fraction (micro- or nanoseconds, as the file header says).
	 */
	uint32_t ts_hi, ts_lo;
};

typedef void (*capfmt_rec_fn)(void *arg, const struct capfmt_rec *rec);

struct capfmt {
	/*
	 * Walks the whole records in [p, p + len) (a chunk: records only, no
	 * file header), calling fn (if not NULL) for each packet record.
	 * Returns the bytes that form complete records; *recs (if not NULL)
	 * gets how many packet records were seen.
	 */
	size_t (*walk)(const uint8_t *p, size_t len, capfmt_rec_fn fn, void *arg, uint64_t *recs);
	/*
	 * Reads the file fd from offset 0 up to limit bytes, file header
	 * included, and finds the end of the last complete record, calling fn
	 * for each packet record on the way.  Returns 0 and sets *end, or
	 * -errno.
	 */
	int (*scan_fd)(int fd, uint64_t limit, capfmt_rec_fn fn, void *arg, uint64_t *end);
};

extern const struct capfmt capfmt_pcapng;
extern const struct capfmt capfmt_pcap;

#endif
