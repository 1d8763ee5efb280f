/* SPDX-License-Identifier: MIT */
/* The format table (format.h): pcapng through pcapng.c, pcap through pcap.c. */
#include "format.h"

#include "pcap.h"
#include "pcapng.h"

/* pcapng.c's walks report (iface, data, caplen); the record also has origlen. */
struct pcapng_tramp {
	capfmt_rec_fn fn;
	void *arg;
};

static void pcapng_rec(void *argp, uint32_t iface, const uint8_t *data, uint32_t caplen)
{
	const struct pcapng_tramp *t = argp;
	struct capfmt_rec r = {.data = data, .caplen = caplen, .iface = iface};

	/* An EPB's header ends with the original length, right before the data. */
	memcpy(&r.origlen, data - 4, 4);
	/* The block's header: type, total length, interface, time stamp (high, low), lengths. */
	memcpy(&r.reclen, data - PCAPNG_EPB_HEADER + 4, 4);
	memcpy(&r.ts_hi, data - PCAPNG_EPB_HEADER + 12, 4);
	memcpy(&r.ts_lo, data - PCAPNG_EPB_HEADER + 16, 4);
	t->fn(t->arg, &r);
}

static size_t pcapng_walk_rec(const uint8_t *p, size_t len, capfmt_rec_fn fn, void *arg,
			      uint64_t *recs)
{
	struct pcapng_tramp t = {fn, arg};

	return pcapng_walk(p, len, fn ? pcapng_rec : NULL, &t, recs);
}

static int pcapng_scan_rec(int fd, uint64_t limit, capfmt_rec_fn fn, void *arg, uint64_t *end)
{
	struct pcapng_tramp t = {fn, arg};

	return pcapng_scan_fd(fd, limit, fn ? pcapng_rec : NULL, &t, end);
}

const struct capfmt capfmt_pcapng = {
	.walk = pcapng_walk_rec,
	.scan_fd = pcapng_scan_rec,
};

const struct capfmt capfmt_pcap = {
	.walk = pcapf_walk,
	.scan_fd = pcapf_scan_fd,
};
