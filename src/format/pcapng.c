/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "pcapng.h"

static size_t put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
	return 4;
}

/* One option: code, length, value padded to 4 bytes. */
static size_t put_opt(uint8_t *p, uint16_t code, const void *val, uint16_t len)
{
	memcpy(p, &code, 2);
	memcpy(p + 2, &len, 2);
	memcpy(p + 4, val, len);
	memset(p + 4 + len, 0, pcapng_pad4(len) - len);
	return 4 + pcapng_pad4(len);
}

size_t pcapng_file_header(uint8_t *dst, size_t cap, unsigned nif, uint16_t linktype,
			  uint32_t snaplen, const char *appl)
{
	size_t need = 28 + 4 + pcapng_pad4((uint32_t)strlen(appl)) + 4 + 4 +
		      (size_t)nif * (20 + 4 + 16 + 8 + 4 + 4);
	if (cap < need)
		return 0;

	uint8_t *p = dst, *blk = p;
	uint64_t section_len = UINT64_MAX; /* unknown: we stream */
	uint16_t major = 1, minor = 0, end = 0;

	p += put32(p, PCAPNG_SHB);
	p += 4; /* total length, filled below */
	p += put32(p, PCAPNG_BOM);
	memcpy(p, &major, 2);
	memcpy(p + 2, &minor, 2);
	p += 4;
	memcpy(p, &section_len, 8);
	p += 8;
	p += put_opt(p, 4 /* shb_userappl */, appl, (uint16_t)strlen(appl));
	p += put_opt(p, 0, &end, 0);
	uint32_t total = (uint32_t)(p + 4 - blk);
	put32(blk + 4, total);
	p += put32(p, total);

	for (unsigned i = 0; i < nif; i++) {
		char name[16];
		uint8_t tsresol = 9; /* 10^-9 s */
		int n = snprintf(name, sizeof(name), "dbcap-w%u", i);

		blk = p;
		p += put32(p, PCAPNG_IDB);
		p += 4;
		memcpy(p, &linktype, 2);
		memset(p + 2, 0, 2);
		p += 4;
		p += put32(p, snaplen);
		p += put_opt(p, 2 /* if_name */, name, (uint16_t)n);
		p += put_opt(p, 9 /* if_tsresol */, &tsresol, 1);
		p += put_opt(p, 0, &end, 0);
		total = (uint32_t)(p + 4 - blk);
		put32(blk + 4, total);
		p += put32(p, total);
	}
	return (size_t)(p - dst);
}

size_t pcapng_idb(uint8_t *dst, size_t cap, uint16_t linktype, uint32_t snaplen, const char *name,
		  const char *filter)
{
	size_t nlen = strlen(name), flen = filter ? strlen(filter) : 0;
	size_t need = 20 + 4 + pcapng_pad4((uint32_t)nlen) + 8 + 4 + 4 +
		      (filter ? 4 + pcapng_pad4((uint32_t)flen + 1) : 0);
	uint8_t tsresol = 9; /* 10^-9 s */
	uint16_t end = 0;
	uint8_t *p = dst;

	if (cap < need || nlen > 0xfff0 || flen > 0xfff0)
		return 0;
	p += put32(p, PCAPNG_IDB);
	p += 4;
	memcpy(p, &linktype, 2);
	memset(p + 2, 0, 2);
	p += 4;
	p += put32(p, snaplen);
	p += put_opt(p, 2 /* if_name */, name, (uint16_t)nlen);
	p += put_opt(p, 9 /* if_tsresol */, &tsresol, 1);
	if (filter) {
		/* if_filter: a first byte 0 says "a libpcap filter string" */
		uint16_t code = 11, len = (uint16_t)(flen + 1);
		memcpy(p, &code, 2);
		memcpy(p + 2, &len, 2);
		p[4] = 0;
		memcpy(p + 5, filter, flen);
		memset(p + 4 + len, 0, pcapng_pad4(len) - len);
		p += 4 + pcapng_pad4(len);
	}
	p += put_opt(p, 0, &end, 0);
	uint32_t total = (uint32_t)(p + 4 - dst);
	put32(dst + 4, total);
	p += put32(p, total);
	return (size_t)(p - dst);
}

/* Length of the valid block at p (avail bytes there), or 0 if none. */
static uint32_t block_len(const uint8_t *p, size_t avail)
{
	uint32_t total, trailer;

	if (avail < 12)
		return 0;
	memcpy(&total, p + 4, 4);
	if (total < 12 || total % 4 != 0 || total > avail)
		return 0;
	memcpy(&trailer, p + total - 4, 4);
	return trailer == total ? total : 0;
}

size_t pcapng_walk(const uint8_t *p, size_t len, pcapng_epb_fn fn, void *arg, uint64_t *epbs)
{
	size_t off = 0;
	uint64_t n = 0;

	while (off < len) {
		uint32_t total = block_len(p + off, len - off), type, caplen, iface;
		if (total == 0)
			break;
		memcpy(&type, p + off, 4);
		if (type == PCAPNG_EPB) {
			if (total < PCAPNG_EPB_HEADER + 4)
				break;
			memcpy(&iface, p + off + 8, 4);
			memcpy(&caplen, p + off + 20, 4);
			if (pcapng_epb_size(caplen) > total)
				break;
			n++;
			if (fn)
				fn(arg, iface, p + off + PCAPNG_EPB_HEADER, caplen);
		}
		off += total;
	}
	if (epbs)
		*epbs = n;
	return off;
}

int pcapng_scan_fd(int fd, uint64_t limit, pcapng_epb_fn fn, void *arg, uint64_t *end)
{
	/* Read in windows; a block never exceeds the window (records are < 64 KiB + header). */
	const size_t win = 1u << 20;
	uint8_t *buf = malloc(win);
	uint64_t pos = 0; /* file offset of buf[0] */
	size_t have = 0;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		size_t want = win - have;
		if (want > limit - (pos + have))
			want = (size_t)(limit - (pos + have));
		ssize_t r = want ? pread(fd, buf + have, want, (off_t)(pos + have)) : 0;
		if (r < 0) {
			if (errno == EINTR)
				continue;
			int err = -errno;
			free(buf);
			return err;
		}
		have += (size_t)r;
		size_t used = pcapng_walk(buf, have, fn, arg, NULL);
		pos += used;
		if (r == 0 || used == 0) {
			/* No progress possible: the rest is a torn block (or nothing). */
			if (r == 0 || have == win)
				break;
		}
		memmove(buf, buf + used, have - used);
		have -= used;
	}
	free(buf);
	*end = pos;
	return 0;
}
