/* SPDX-License-Identifier: MIT */
/*
 * A replay into pcapng (--format pcapng): the output's section header and
 * interface descriptions (replay.h, replay_pcapng_header()).
 *
 * A pcapng input keeps its interfaces: every Interface Description Block of
 * its section is copied with its options, so that the packets' interface ids
 * and their time stamps (copied as written, in each interface's own
 * resolution) keep their meaning.  An input in the other byte order is
 * turned into host order; its options whose layout is known are kept
 * (strings, bytes, addresses, 32- and 64-bit numbers), the others (custom
 * options, whose contents only their author knows) are left out.  A pcap
 * input gets one interface: its link type, snapshot length and time stamp
 * resolution.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replay.h"
#include "../format/pcapng.h"

#define NG_SHB_FIXED 24u /* type, length, byte-order magic, version, section length */
#define NG_IDB_FIXED 16u /* type, length, link type, reserved, snaplen */
#define OPT_END 0u
#define SHB_USERAPPL 4u
#define IF_TSRESOL 9u
#define IF_FCSLEN 13u

/* A growing output. */
struct out {
	uint8_t *p;
	size_t len, cap;
	bool failed;
};

static void put(struct out *o, const void *v, size_t n)
{
	if (o->failed || n == 0)
		return; /* n == 0: v may be NULL (an empty option), which memcpy() must not get */
	if (o->len + n > o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 1024;
		while (cap < o->len + n)
			cap *= 2;
		uint8_t *p = realloc(o->p, cap);
		if (!p) {
			o->failed = true;
			return;
		}
		o->p = p;
		o->cap = cap;
	}
	memcpy(o->p + o->len, v, n);
	o->len += n;
}

static void put32(struct out *o, uint32_t v)
{
	put(o, &v, 4);
}

static void put_opt(struct out *o, uint16_t code, const void *val, uint16_t len)
{
	static const uint8_t zeros[4];

	put(o, &code, 2);
	put(o, &len, 2);
	put(o, val, len);
	put(o, zeros, pcapng_pad4(len) - len);
}

/* Ends the block that starts at start: the end-of-options, both lengths. */
static void end_block(struct out *o, size_t start, bool options)
{
	if (options)
		put_opt(o, OPT_END, NULL, 0);
	uint32_t total = (uint32_t)(o->len + 4 - start);
	put32(o, total);
	if (!o->failed)
		memcpy(o->p + start + 4, &total, 4);
}

static uint32_t swap32(uint32_t v)
{
	return (v >> 24) | ((v >> 8) & 0xff00u) | ((v << 8) & 0xff0000u) | (v << 24);
}

static uint16_t swap16(uint16_t v)
{
	return (uint16_t)((v >> 8) | (v << 8));
}

/* The input's words in host order. */
struct in {
	const uint8_t *map;
	size_t size;
	bool swapped;
};

static uint32_t in32(const struct in *in, size_t off)
{
	uint32_t v;

	memcpy(&v, in->map + off, 4);
	return in->swapped ? swap32(v) : v;
}

static uint16_t in16(const struct in *in, size_t off)
{
	uint16_t v;

	memcpy(&v, in->map + off, 2);
	return in->swapped ? swap16(v) : v;
}

/*
 * Whether an option of the other byte order can be kept, and how: 0 drop,
 * 1 copy its bytes, 2 swap it as one number of its length (4 or 8).
 * shb: in the section header (codes 2-4 are strings there).
 */
static int swapped_rule(uint16_t code, uint16_t len, bool shb)
{
	if (code == 1 || (shb && code >= 2 && code <= 4))
		return 1; /* opt_comment; shb_hardware, shb_os, shb_userappl */
	if (shb)
		return 0;
	switch (code) {
	case 2: case 3: case 4: case 5: case 6: case 7: /* name, description, addresses */
	case 9: case 11: case 12: case 13: case 15:     /* tsresol, filter, os, fcslen, hardware */
		return 1;
	case 8: case 10: case 14: case 16: case 17:     /* speed, tzone, tsoffset, tx/rx speed */
		return len == 4 || len == 8 ? 2 : 0;
	default:
		return 0;
	}
}

/*
 * Copies the options in [off, end) of an input block, host order; skip:
 * an option code not to copy (0: none).
 */
static void copy_options(struct out *o, const struct in *in, size_t off, size_t end, bool shb,
			 uint16_t skip)
{
	while (off + 4 <= end) {
		uint16_t code = in16(in, off), len = in16(in, off + 2);
		size_t next = off + 4 + pcapng_pad4(len);

		if (code == OPT_END || next > end)
			break;
		if (code != skip) {
			int rule = in->swapped ? swapped_rule(code, len, shb) : 1;
			if (rule == 1) {
				put_opt(o, code, in->map + off + 4, len);
			} else if (rule == 2 && len == 4) {
				uint32_t v = in32(in, off + 4);
				put_opt(o, code, &v, 4);
			} else if (rule == 2) {
				uint64_t v;

				memcpy(&v, in->map + off + 4, 8);
				v = __builtin_bswap64(v);
				put_opt(o, code, &v, 8);
			}
		}
		off = next;
	}
}

static void shb_start(struct out *o, size_t *start)
{
	uint16_t version[2] = {1, 0};
	uint64_t section_len = UINT64_MAX; /* unknown: written as a stream */

	*start = o->len;
	put32(o, PCAPNG_SHB);
	put32(o, 0); /* total length, by end_block() */
	put32(o, PCAPNG_BOM);
	put(o, version, 4);
	put(o, &section_len, 8);
}

static void put_appl(struct out *o, const char *appl)
{
	put_opt(o, SHB_USERAPPL, appl, (uint16_t)strlen(appl));
}

/* A pcap input: one interface with its link type, snapshot length and resolution. */
static void from_pcap(struct out *o, const struct replay *rp, const char *appl)
{
	uint16_t linktype = (uint16_t)(rp->linktype & 0xffffu), reserved = 0;
	uint8_t tsresol = rp->nano ? 9 : 6;
	size_t start;

	shb_start(o, &start);
	put_appl(o, appl);
	end_block(o, start, true);
	start = o->len;
	put32(o, PCAPNG_IDB);
	put32(o, 0);
	put(o, &linktype, 2);
	put(o, &reserved, 2);
	put32(o, rp->snaplen);
	put_opt(o, IF_TSRESOL, &tsresol, 1);
	/* The link type's FCS bits (pcap-savefile(5)): present, and its length in 16-bit words. */
	if (rp->linktype & (1u << 28)) {
		uint8_t fcslen = (uint8_t)(((rp->linktype >> 29) & 7u) * 2u);
		put_opt(o, IF_FCSLEN, &fcslen, 1);
	}
	end_block(o, start, true);
}

/* A pcapng input: its section header's options and every interface description. */
static int from_pcapng(struct out *o, const struct replay *rp, const char *appl, char *msg,
		       size_t msglen)
{
	const struct in in = {rp->map, rp->size, rp->ng_swapped};
	size_t off = 0, start;
	unsigned sections = 0;

	while (off + 12 <= in.size) {
		uint32_t type = in32(&in, off), total = in32(&in, off + 4);

		if (total < 12 || total % 4 || total > in.size - off)
			break; /* a cut or damaged block: the replay reports it */
		if (type == PCAPNG_SHB) {
			if (++sections > 1) {
				snprintf(msg, msglen, "%s: more than one section: --format pcapng keeps "
					 "one (--format pcap replays them all)", rp->o.path);
				return -1;
			}
			shb_start(o, &start);
			if (total >= NG_SHB_FIXED + 4)
				copy_options(o, &in, off + NG_SHB_FIXED, off + total - 4, true,
					     SHB_USERAPPL);
			put_appl(o, appl);
			end_block(o, start, true);
		} else if (type == PCAPNG_IDB && total >= NG_IDB_FIXED + 4) {
			uint16_t linktype = in16(&in, off + 8), reserved = 0;
			uint32_t snaplen = rp->o.snaplen ? rp->snaplen : in32(&in, off + 12);

			start = o->len;
			put32(o, PCAPNG_IDB);
			put32(o, 0);
			put(o, &linktype, 2);
			put(o, &reserved, 2);
			put32(o, snaplen);
			copy_options(o, &in, off + NG_IDB_FIXED, off + total - 4, false, 0);
			end_block(o, start, true);
		}
		off += total;
	}
	return 0;
}

int replay_pcapng_header(const struct replay *rp, const char *appl, uint8_t **out, size_t *len,
			 char *msg, size_t msglen)
{
	struct out o = {0};

	if (rp->ng) {
		if (from_pcapng(&o, rp, appl, msg, msglen) < 0) {
			free(o.p);
			return -1;
		}
	} else {
		from_pcap(&o, rp, appl);
	}
	if (o.failed) {
		free(o.p);
		snprintf(msg, msglen, "%s: out of memory", rp->o.path);
		return -1;
	}
	*out = o.p;
	*len = o.len;
	return 0;
}
