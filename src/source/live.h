/* SPDX-License-Identifier: MIT */
/*
 * The live source: packets from network interfaces, taken by the writers
 * straight from the kernel's AF_PACKET rings.  docs/DESIGN.md ("Live
 * capture: the ring protocol with the kernel") explains the protocol.
 *
 *   per interface, per writer: one AF_PACKET socket with a TPACKET_V3
 *   memory-mapped RX ring; the writers' sockets of one interface form one
 *   PACKET_FANOUT group (hash, defrag), so that a flow stays with one writer.
 *
 * The kernel fills a ring's blocks with frames and hands a block to user
 * space by setting its status to TP_STATUS_USER; the writer walks the
 * block's frames and gives it back by storing TP_STATUS_KERNEL.  With
 * traffic flowing live_next() makes no system call; an idle writer spins a
 * bounded time and then waits in poll(2).
 *
 * Threads: live_open(), live_cursor_open(), live_quiesce(), live_poll_stats(),
 * live_check_ifaces(), live_cursor_close() and live_close() on one thread
 * (main), never a writer: reading PACKET_STATISTICS resets the kernel's
 * counters, so one thread alone reads them and keeps the sums.  Each cursor
 * is used by one writer thread alone.
 */
#ifndef DBCAP_LIVE_H
#define DBCAP_LIVE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "dissect.h"
#include "replay.h" /* struct replay_counts: read, read_bytes, the dissector's counts */

#define LIVE_MAX_IFACES 16
#define LIVE_IFNAMSIZ 16 /* the kernel's IFNAMSIZ */
/* -i any's records: the LINKTYPE_LINUX_SLL2 header (20 bytes), then a stripped VLAN tag's 4 */
#define LIVE_SLL2_LEN 20
#define LIVE_HEAD_MAX (LIVE_SLL2_LEN + 4)

/* The interface counters of /sys/class/net/IF/statistics, at the start and at the end. */
enum live_sys {
	LIVE_SYS_RX_PACKETS,
	LIVE_SYS_RX_BYTES,
	LIVE_SYS_RX_DROPPED,
	LIVE_SYS_RX_ERRORS,
	LIVE_SYS_RX_MISSED,
	LIVE_SYS_N
};
/* "rx_packets", ...: the file's name under statistics/, and the key in the statistics. */
static inline const char *live_sys_name(enum live_sys k)
{
	static const char *const names[LIVE_SYS_N] = {
		"rx_packets", "rx_bytes", "rx_dropped", "rx_errors", "rx_missed_errors",
	};
	return names[k];
}

struct live_opts {
	const char *ifaces;      /* interface names, separated by commas */
	const char *filter;      /* a BPF filter expression, or NULL */
	uint32_t snaplen;        /* -s: cut frames to this; 0: keep them whole */
	bool promisc;            /* promiscuous mode (tcpdump's default; -p turns it off) */
	unsigned writers;        /* one ring per writer per interface */
	uint32_t block_size;     /* bytes per ring block: a power of two pages */
	uint32_t block_count;    /* blocks per ring */
	uint32_t retire_ms;      /* a block not full is handed over after this many ms */
	uint64_t count;          /* -c: frames to capture over all writers; 0: no limit */
};

/* One interface; main writes it, the writers read only what live_open() set. */
struct live_iface {
	char name[LIVE_IFNAMSIZ];
	int ifindex;
	int dlt;                    /* libpcap's DLT_ value (the filter's and the dissector's) */
	uint32_t linktype;          /* the file's LINKTYPE_ value */
	const char *linktype_name;  /* "EN10MB", ... */
	bool ethernet;              /* frames start with an Ethernet header: VLAN tags go back in */
	bool any;                   /* "any": every interface, cooked (SOCK_DGRAM): dbcap writes
				     * a LINKTYPE_LINUX_SLL2 header in front of each frame */
	uint32_t mtu;
	int fanout_id;              /* the kernel's unique fanout group id */
	char offloads[64];          /* offloads found on at the start ("gro, tso"), or "" */
	/* main: sums of PACKET_STATISTICS over the writers' sockets (reading resets the kernel's) */
	uint64_t seen;              /* packets the sockets' filter passed: captured + dropped */
	uint64_t drops;             /* packets the kernel dropped: the ring was full */
	uint64_t freezes;           /* times a ring was frozen: every block was user space's */
	uint64_t sys_start[LIVE_SYS_N], sys_end[LIVE_SYS_N];
	bool sys_start_ok, sys_end_ok;
	bool gone;                  /* main: the interface disappeared during the capture */
};

/* One ring: its socket and its mapping. */
struct live_ring {
	int fd;
	uint8_t *map;
	size_t map_len;
	uint32_t block_size, nblocks;
	uint32_t cur;   /* writer: the next block to look at */
	unsigned iface; /* index into struct live.ifs */
	/* main: this socket's PACKET_STATISTICS, summed (the writer's share of ifs[iface]'s) */
	uint64_t seen, drops, freezes;
};

struct live {
	struct live_opts o;
	unsigned nifaces;
	struct live_iface ifs[LIVE_MAX_IFACES];
	struct live_ring *rings; /* [writers * nifaces]: writer w's are rings[w * nifaces ...] */
	unsigned nrings;         /* rings opened so far */
	uint32_t snaplen;        /* the output's snapshot length */
	char *names;             /* main: the copy of o.ifaces that ifs' names came from */
	/* The writers' common count under -c: frames claimed for capture. */
	_Alignas(64) _Atomic uint64_t claimed;
};

/*
 * What one writer counts beside struct replay_counts (where read and
 * read_bytes are the frames it captured and their original lengths).
 * Owner: that writer (counter_add()); other threads read with relaxed loads.
 */
struct live_counts {
	_Atomic uint64_t cut;           /* frames longer than the ring stores: stored cut */
	_Atomic uint64_t cut_bytes;     /* their original bytes */
	_Atomic uint64_t vlan_restored; /* frames whose stripped VLAN tag was put back */
	_Atomic uint64_t after_count;   /* frames taken from the ring after -c was reached */
	_Atomic uint64_t blocks;        /* ring blocks walked and handed back */
	_Atomic uint64_t waits;         /* idle waits in poll(2) */
};

/* A frame handed to a writer; data stays valid until the cursor's next call. */
struct live_pkt {
	const uint8_t *data;  /* as the ring holds it, without the stripped VLAN tag */
	uint32_t ringlen;     /* bytes at data */
	uint32_t caplen;      /* what the record holds: the tag put back, cut to -s */
	uint32_t origlen;     /* the length on the wire (the tag included) */
	uint32_t sec, nsec;
	uint64_t ts_ns;
	unsigned iface;       /* index into struct live.ifs (the pcapng interface id) */
	int dlt;
	bool vlan;            /* tag[] goes after the two MAC addresses */
	uint8_t tag[4];
	uint32_t head_len;    /* -i any: bytes of head[] in front of data (0: none) */
	uint8_t head[LIVE_HEAD_MAX]; /* the cooked header (and a VLAN tag's TCI and type) */
};

/* The bytes of a frame as the record holds them: the VLAN tag back in place, cut to caplen. */
static inline void live_copy(uint8_t *dst, const struct live_pkt *pk)
{
	uint32_t n = pk->caplen;

	if (pk->head_len) {
		/* -i any: the cooked header dbcap made, then the frame from its network header */
		uint32_t h = n < pk->head_len ? n : pk->head_len;
		memcpy(dst, pk->head, h);
		if (n > h)
			memcpy(dst + h, pk->data, n - h);
		return;
	}
	if (!pk->vlan) {
		memcpy(dst, pk->data, n);
		return;
	}
	/* Ethernet: 12 bytes of addresses, the tag, then the rest (type and payload). */
	uint32_t head = n < 12 ? n : 12;
	memcpy(dst, pk->data, head);
	if (n > 12) {
		uint32_t t = n - 12 < 4 ? n - 12 : 4;
		memcpy(dst + 12, pk->tag, t);
		if (n > 16)
			memcpy(dst + 16, pk->data + 12, n - 16);
	}
}

/* What live_open() failed on: the exit status the caller should use. */
enum live_fail {
	LIVE_FAIL = 1,       /* no such interface, down, no privilege, a ring refused (exit 1) */
	LIVE_BAD_FILTER = 2  /* the filter does not compile (exit 2, like a bad option) */
};

/*
 * Opens every interface's sockets and rings, attaches the filter, joins the
 * fanout groups and reads the interface counters.  Creates no file.  Returns
 * 0, or a positive enum live_fail with the reason in msg (everything opened
 * is closed again).  Warnings (offloads) go to warn when it is not NULL.
 */
int live_open(struct live *lv, const struct live_opts *o, FILE *warn, char *msg, size_t msglen);

/* Closes every socket and unmaps every ring; lv may be partly set up or zeroed. */
void live_close(struct live *lv);

struct live_cursor;

/* Writer id's cursor over its rings.  0 or -ENOMEM. */
int live_cursor_open(struct live *lv, unsigned id, struct live_cursor **out);
void live_cursor_close(struct live_cursor *c);

/*
 * The writer's next frame, from any of its rings.  Counts into st (read,
 * read_bytes, the dissector's counts are the caller's) and lc.  Blocks until
 * a frame comes or *stop: spinning LIVE_SPIN times, then in poll(2).  Once
 * *stop is seen it takes what is left in its rings and then returns 0.
 * Under -c, frames beyond the count are taken from the ring and counted as
 * after_count, never returned.  With traffic flowing: no system call.
 */
int live_next(struct live_cursor *c, struct live_pkt *pk, struct replay_counts *st,
	      struct live_counts *lc, const _Atomic bool *stop);

/* True once -c frames were claimed over all writers. */
bool live_count_reached(const struct live *lv);

/*
 * The stop, before the writers are told: every socket gets a filter that
 * takes nothing, so that the kernel's counts stop moving.  Main thread.
 */
void live_quiesce(struct live *lv);

/* Reads PACKET_STATISTICS of every socket and adds it to the sums in lv->ifs.  Main thread. */
void live_poll_stats(struct live *lv);

/*
 * Whether every interface is still there (same name, same index); marks
 * those that are gone.  Returns the first one gone, or NULL.  Main thread.
 */
const char *live_check_ifaces(struct live *lv);

/* Reads the interfaces' counters at the end (sys_end).  Main thread. */
void live_read_sys_end(struct live *lv);

/* -D: the interfaces libpcap can capture from, as tcpdump -D prints them.  0 or 1. */
int live_list_interfaces(FILE *out);

#endif
