/* SPDX-License-Identifier: MIT */
/*
 * The live source (live.h): AF_PACKET sockets with TPACKET_V3 rings, one per
 * writer and interface, in one PACKET_FANOUT group per interface.  The
 * writers walk their rings in user space; main opens, counts and closes.
 */
#define _GNU_SOURCE
#include <net/if.h> /* before the linux/ headers, which then leave out their copies */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/ethtool.h>
#include <linux/filter.h>
#include <linux/if_arp.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/sockios.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "live.h"
#include "dbuf.h" /* dbuf_cpu_relax() */
#include "../util/counter.h"

/* An idle writer polls its rings this many times before it waits in poll(2). */
#define LIVE_SPIN 4096u
/* How long one poll(2) waits: it bounds how late an idle writer sees a stop. */
#define LIVE_POLL_MS 20

struct live_cursor {
	struct live *lv;
	struct live_ring *rings;          /* this writer's, one per interface */
	unsigned nrings;
	struct pollfd pfd[LIVE_MAX_IFACES];
	unsigned ring;                    /* the ring being walked, or the next to look at */
	struct tpacket_block_desc *blk;   /* the block being walked; NULL: none */
	const uint8_t *frame;             /* its next frame */
	uint32_t left;                    /* frames left in it */
	bool counted;                     /* -c was reached: frames are taken, not returned */
};

static void say(char *msg, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *msg, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, n, fmt, ap);
	va_end(ap);
}

/* ------------------------------------------------------------- the hot path */

static inline struct tpacket_block_desc *block_of(const struct live_ring *r, uint32_t i)
{
	return (struct tpacket_block_desc *)(r->map + (size_t)i * r->block_size);
}

/*
 * Gives the block back to the kernel.  release: pairs with the kernel's read
 * of block_status before it reopens the block (prb_dispatch_next_block() in
 * net/packet/af_packet.c, behind its smp_rmb()): our reads of the frames
 * happen before the kernel overwrites them.
 */
static inline void give_back(struct live_cursor *c, struct live_counts *lc)
{
	struct live_ring *r = &c->rings[c->ring];

	__atomic_store_n(&c->blk->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
	counter_add(&lc->blocks, 1);
	r->cur = r->cur + 1 == r->nblocks ? 0 : r->cur + 1;
	c->blk = NULL;
	c->ring = c->ring + 1 == c->nrings ? 0 : c->ring + 1;
}

/*
 * The next block user space owns, in any of the writer's rings, starting
 * with c->ring.  acquire: pairs with the kernel's smp_wmb() before it stores
 * TP_STATUS_USER into block_status (prb_close_block()): the frames and the
 * block header it wrote are visible once we see the status.
 */
static inline bool next_block(struct live_cursor *c)
{
	for (unsigned k = 0; k < c->nrings; k++) {
		unsigned i = c->ring + k < c->nrings ? c->ring + k : c->ring + k - c->nrings;
		struct live_ring *r = &c->rings[i];
		struct tpacket_block_desc *b = block_of(r, r->cur);

		if (!(__atomic_load_n(&b->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER))
			continue;
		c->ring = i;
		c->blk = b;
		c->left = b->hdr.bh1.num_pkts;
		c->frame = (const uint8_t *)b + b->hdr.bh1.offset_to_first_pkt;
		return true;
	}
	return false;
}

static inline void put16(uint8_t *d, uint16_t v)
{
	d[0] = (uint8_t)(v >> 8);
	d[1] = (uint8_t)v;
}

/*
 * -i any: the LINKTYPE_LINUX_SLL2 header of the frame at h, from the
 * sockaddr_ll the kernel wrote after the frame's header: protocol,
 * reserved, interface index, ARPHRD type, packet type, address length,
 * 8 address bytes (all big-endian).  A VLAN tag the kernel took off goes
 * back as the protocol (its TPID), then the TCI and the frame's protocol,
 * as in an 802.1Q frame.  Returns the bytes written into pk->head.
 */
static inline uint32_t cook(const struct tpacket3_hdr *h, struct live_pkt *pk,
			    struct live_counts *lc)
{
	const struct sockaddr_ll *sa =
		(const struct sockaddr_ll *)((const uint8_t *)h +
					     TPACKET_ALIGN(sizeof(struct tpacket3_hdr)));
	uint8_t *d = pk->head;
	uint16_t proto = ntohs(sa->sll_protocol);
	uint32_t ifindex = (uint32_t)sa->sll_ifindex;
	uint32_t head = LIVE_SLL2_LEN;
	uint8_t alen = sa->sll_halen < 8 ? sa->sll_halen : 8;

	if (h->tp_status & TP_STATUS_VLAN_VALID) {
		put16(d + LIVE_SLL2_LEN, h->hv1.tp_vlan_tci);
		put16(d + LIVE_SLL2_LEN + 2, proto);
		proto = (h->tp_status & TP_STATUS_VLAN_TPID_VALID) ? h->hv1.tp_vlan_tpid
								   : ETH_P_8021Q;
		head += 4;
		counter_add(&lc->vlan_restored, 1);
	}
	put16(d, proto);
	put16(d + 2, 0);
	put16(d + 4, (uint16_t)(ifindex >> 16));
	put16(d + 6, (uint16_t)ifindex);
	put16(d + 8, sa->sll_hatype);
	d[10] = sa->sll_pkttype;
	d[11] = sa->sll_halen;
	memset(d + 12, 0, 8);
	memcpy(d + 12, sa->sll_addr, alen);
	pk->head_len = head;
	return head;
}

/* Fills pk from the frame at h; the record's length after the tag and -s. */
static inline void fill_pkt(const struct live *lv, const struct live_ring *r,
			    const struct tpacket3_hdr *h, struct live_pkt *pk, struct live_counts *lc)
{
	const struct live_iface *ifc = &lv->ifs[r->iface];
	uint32_t snap = h->tp_snaplen, len = h->tp_len;

	pk->data = (const uint8_t *)h + h->tp_mac;
	pk->ringlen = snap;
	pk->iface = r->iface;
	pk->dlt = ifc->dlt;
	pk->sec = h->tp_sec;
	pk->nsec = h->tp_nsec;
	pk->ts_ns = (uint64_t)h->tp_sec * 1000000000u + h->tp_nsec;
	/*
	 * The ring stores at most a block's room of a frame; beyond -s the cut
	 * is the ring's (with -s the filter's return value cuts to it).
	 */
	if (snap < len && (!lv->o.snaplen || snap < lv->o.snaplen)) {
		counter_add(&lc->cut, 1);
		counter_add(&lc->cut_bytes, len);
	}
	pk->head_len = 0;
	if (ifc->any) {
		uint32_t head = cook(h, pk, lc);
		snap += head;
		len += head;
	}
	pk->vlan = ifc->ethernet && (h->tp_status & TP_STATUS_VLAN_VALID) && snap >= 12;
	if (pk->vlan) {
		uint16_t tpid = (h->tp_status & TP_STATUS_VLAN_TPID_VALID) ? h->hv1.tp_vlan_tpid
									   : ETH_P_8021Q;
		uint16_t tci = h->hv1.tp_vlan_tci;
		pk->tag[0] = (uint8_t)(tpid >> 8);
		pk->tag[1] = (uint8_t)tpid;
		pk->tag[2] = (uint8_t)(tci >> 8);
		pk->tag[3] = (uint8_t)tci;
		snap += 4;
		len += 4;
		counter_add(&lc->vlan_restored, 1);
	}
	if (lv->o.snaplen && snap > lv->o.snaplen)
		snap = lv->o.snaplen;
	pk->caplen = snap;
	pk->origlen = len;
}

/*
 * The idle wait: a system call, but only on a writer that found nothing to
 * take.  POLLERR (the interface went down: ENETDOWN) is read and cleared,
 * or poll would return at once forever; capture resumes when it is up.
 */
static void idle_wait(struct live_cursor *c, struct live_counts *lc)
{
	int n = poll(c->pfd, c->nrings, LIVE_POLL_MS);

	counter_add(&lc->waits, 1);
	for (unsigned i = 0; n > 0 && i < c->nrings; i++) {
		if (c->pfd[i].revents & POLLERR) {
			int err;
			socklen_t l = sizeof(err);
			getsockopt(c->pfd[i].fd, SOL_SOCKET, SO_ERROR, &err, &l);
		}
	}
}

int live_next(struct live_cursor *c, struct live_pkt *pk, struct replay_counts *st,
	      struct live_counts *lc, const _Atomic bool *stop)
{
	struct live *lv = c->lv;
	unsigned spins = 0;

	for (;;) {
		if (c->blk && c->left) {
			const struct tpacket3_hdr *h = (const struct tpacket3_hdr *)c->frame;

			c->frame += h->tp_next_offset;
			c->left--;
			if (lv->o.count && !c->counted &&
			    /* relaxed: a count; the frames it guards are this writer's own */
			    atomic_fetch_add_explicit(&lv->claimed, 1, memory_order_relaxed) >=
				    lv->o.count)
				c->counted = true;
			if (c->counted) {
				counter_add(&lc->after_count, 1);
				continue;
			}
			fill_pkt(lv, &c->rings[c->ring], h, pk, lc);
			counter_add(&st->read, 1);
			counter_add(&st->read_bytes, pk->origlen);
			return 1;
		}
		if (c->blk)
			give_back(c, lc);
		/*
		 * The stop is read before the rings: main sets it only after
		 * every frame the kernel counted was taken (live_quiesce() and
		 * the wait in dbcap.c), so a look that began after the stop and
		 * found nothing is the last one.  relaxed: it carries no data.
		 */
		bool stopping = atomic_load_explicit(stop, memory_order_relaxed);
		if (next_block(c))
			continue;
		if (stopping)
			return 0;
		if (++spins < LIVE_SPIN) {
			dbuf_cpu_relax();
			continue;
		}
		idle_wait(c, lc);
		spins = 0;
	}
}

bool live_count_reached(const struct live *lv)
{
	/* relaxed: only decides to stop; the writers' counts are reconciled after the join */
	return lv->o.count &&
	       atomic_load_explicit(&((struct live *)lv)->claimed, memory_order_relaxed) >=
		       lv->o.count;
}

/* ------------------------------------------------------------- main's side */

int live_cursor_open(struct live *lv, unsigned id, struct live_cursor **out)
{
	struct live_cursor *c = calloc(1, sizeof(*c));

	*out = NULL;
	if (!c)
		return -ENOMEM;
	c->lv = lv;
	c->nrings = lv->nifaces;
	c->rings = &lv->rings[(size_t)id * lv->nifaces];
	for (unsigned i = 0; i < c->nrings; i++) {
		c->pfd[i].fd = c->rings[i].fd;
		c->pfd[i].events = POLLIN | POLLERR;
	}
	*out = c;
	return 0;
}

void live_cursor_close(struct live_cursor *c)
{
	free(c);
}

/* One counter of /sys/class/net/NAME/statistics; false if it cannot be read. */
static bool read_sys(const char *name, const char *counter, uint64_t *v)
{
	char path[128];
	FILE *f;
	bool ok;

	snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/%s", name, counter);
	f = fopen(path, "re");
	if (!f)
		return false;
	ok = fscanf(f, "%" SCNu64, v) == 1;
	fclose(f);
	return ok;
}

static bool read_sys_all(const char *name, uint64_t *v)
{
	bool ok = true;
	for (unsigned k = 0; k < LIVE_SYS_N; k++)
		ok &= read_sys(name, live_sys_name((enum live_sys)k), &v[k]);
	return ok;
}

/* The link type from the interface's hardware type.  0, or -1 with msg. */
static int link_type(struct live_iface *ifc, int fd, char *msg, size_t n)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, ifc->name, sizeof(ifc->name));
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) {
		say(msg, n, "%s: cannot read its hardware type: %s", ifc->name, strerror(errno));
		return -1;
	}
	switch (ifr.ifr_hwaddr.sa_family) {
	case ARPHRD_ETHER:
	case ARPHRD_LOOPBACK: /* Linux's loopback frames carry an Ethernet header */
		ifc->dlt = DLT_EN10MB;
		ifc->linktype = 1; /* LINKTYPE_ETHERNET */
		ifc->ethernet = true;
		break;
	case ARPHRD_NONE: /* tun and other devices without a link layer: raw IP */
		ifc->dlt = DLT_RAW;
		ifc->linktype = 101; /* LINKTYPE_RAW */
		break;
	default:
		say(msg, n, "%s: link type (ARPHRD %u) not supported; Ethernet, loopback and raw "
			    "IP (tun) interfaces are", ifc->name, ifr.ifr_hwaddr.sa_family);
		return -1;
	}
	ifc->linktype_name = pcap_datalink_val_to_name(ifc->dlt);
	if (ioctl(fd, SIOCGIFMTU, &ifr) == 0)
		ifc->mtu = (uint32_t)ifr.ifr_mtu;
	return 0;
}

/* The offloads that make captured frames differ from wire frames, named in ifc->offloads. */
static void find_offloads(struct live_iface *ifc, int fd)
{
	static const struct {
		uint32_t cmd, flag;
		const char *name;
	} k[] = {
		{ETHTOOL_GGRO, 0, "gro"},
		{ETHTOOL_GFLAGS, ETH_FLAG_LRO, "lro"},
		{ETHTOOL_GTSO, 0, "tso"},
		{ETHTOOL_GGSO, 0, "gso"},
	};
	size_t used = 0;

	ifc->offloads[0] = '\0';
	for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		struct ethtool_value ev = {.cmd = k[i].cmd};
		struct ifreq ifr;

		memset(&ifr, 0, sizeof(ifr));
		memcpy(ifr.ifr_name, ifc->name, sizeof(ifc->name));
		ifr.ifr_data = (void *)&ev;
		if (ioctl(fd, SIOCETHTOOL, &ifr) < 0)
			continue;
		if (k[i].flag ? !(ev.data & k[i].flag) : !ev.data)
			continue;
		int m = snprintf(ifc->offloads + used, sizeof(ifc->offloads) - used, "%s%s",
				 used ? ", " : "", k[i].name);
		if (m > 0 && (size_t)m < sizeof(ifc->offloads) - used)
			used += (size_t)m;
	}
}

/*
 * -i any: every interface (ifindex 0), cooked.  The MTU is the largest of
 * the interfaces up at the start (it sizes the ring's frames); the offloads
 * are named with their interfaces.  No /sys counters: no single interface.
 */
static int open_any(struct live_iface *ifc, char *msg, size_t n)
{
	ifc->ifindex = 0;
	ifc->any = true;
	ifc->dlt = DLT_LINUX_SLL2;
	ifc->linktype = 276; /* LINKTYPE_LINUX_SLL2 */
	ifc->linktype_name = pcap_datalink_val_to_name(ifc->dlt);
	ifc->mtu = 1500;
	ifc->offloads[0] = '\0';

	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		say(msg, n, "any: socket: %s", strerror(errno));
		return -1;
	}
	struct if_nameindex *all = if_nameindex();
	size_t used = 0;
	for (struct if_nameindex *p = all; p && p->if_index; p++) {
		struct live_iface one;
		struct ifreq ifr;

		memset(&one, 0, sizeof(one));
		memset(&ifr, 0, sizeof(ifr));
		snprintf(one.name, sizeof(one.name), "%s", p->if_name);
		memcpy(ifr.ifr_name, one.name, sizeof(one.name));
		if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0 || !(ifr.ifr_flags & IFF_UP))
			continue;
		if (ioctl(fd, SIOCGIFMTU, &ifr) == 0 && (uint32_t)ifr.ifr_mtu > ifc->mtu)
			ifc->mtu = (uint32_t)ifr.ifr_mtu;
		find_offloads(&one, fd);
		if (!one.offloads[0] || used >= sizeof(ifc->offloads))
			continue;
		int m = snprintf(ifc->offloads + used, sizeof(ifc->offloads) - used, "%s%s: %s",
				 used ? "; " : "", one.name, one.offloads);
		used = m > 0 && (size_t)m < sizeof(ifc->offloads) - used ? used + (size_t)m
									 : sizeof(ifc->offloads);
	}
	if (all)
		if_freenameindex(all);
	close(fd);
	return 0;
}

/* Interface checks and what the rings need to know of it.  0, or -1 with msg. */
static int open_iface(struct live_iface *ifc, const char *name, char *msg, size_t n)
{
	if (strlen(name) >= sizeof(ifc->name) || !*name) {
		say(msg, n, "\"%s\": not an interface name", name);
		return -1;
	}
	snprintf(ifc->name, sizeof(ifc->name), "%s", name);
	if (strcmp(name, "any") == 0)
		return open_any(ifc, msg, n);
	ifc->ifindex = (int)if_nametoindex(name);
	if (!ifc->ifindex) {
		say(msg, n, "%s: no such interface (dbcap -D lists them)", name);
		return -1;
	}
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		say(msg, n, "%s: socket: %s", name, strerror(errno));
		return -1;
	}
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, ifc->name, sizeof(ifc->name));
	int ret = -1;
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		say(msg, n, "%s: cannot read its flags: %s", name, strerror(errno));
	else if (!(ifr.ifr_flags & IFF_UP))
		say(msg, n, "%s: the interface is down (ip link set %s up)", name, name);
	else if (link_type(ifc, fd, msg, n) == 0)
		ret = 0;
	if (ret == 0)
		find_offloads(ifc, fd);
	close(fd);
	return ret;
}

/*
 * -i any: libpcap compiles the filter for LINKTYPE_LINUX_SLL2, with the
 * 20-byte cooked header in front of the frame, but the kernel runs it on a
 * SOCK_DGRAM socket's packet, which starts at the network header: there is
 * no cooked header, dbcap writes it later.  So every load from the packet
 * is rewritten: past the header, 20 bytes earlier; a field of the header
 * becomes the kernel's ancillary load of the same value (protocol,
 * interface index, ARPHRD type, packet type).  What has no ancillary twin
 * (the link-layer address and its length, the reserved bytes, a load at an
 * offset from X into the header) and the packet's length (len, greater,
 * less: the kernel's is 20 bytes shorter, and a fix would need an
 * instruction more) are refused: a filter is never run wrong.  0, or -1
 * with msg.
 */
static int uncook_filter(struct bpf_program *prog, const char *expr, char *msg, size_t n)
{
	for (u_int i = 0; i < prog->bf_len; i++) {
		struct bpf_insn *p = &prog->bf_insns[i];
		uint16_t cls = BPF_CLASS(p->code), mode = BPF_MODE(p->code), size = BPF_SIZE(p->code);

		if (cls != BPF_LD && cls != BPF_LDX)
			continue;
		if (mode == BPF_LEN) {
			say(msg, n, "any: filter \"%s\": tests the frame's length (len, greater, "
				    "less), which -i any cannot do in the kernel; name the interface "
				    "(-i IFACE)", expr);
			return -1;
		}
		if (mode != BPF_ABS && mode != BPF_IND && mode != BPF_MSH)
			continue;
		if (p->k >= (uint32_t)SKF_AD_OFF) /* already an ancillary load */
			continue;
		if ((int32_t)p->k >= LIVE_SLL2_LEN) {
			p->k -= LIVE_SLL2_LEN;
			continue;
		}
		if ((int32_t)p->k < 0) {
			say(msg, n, "any: filter \"%s\": a load at a negative offset, which -i any "
				    "cannot translate; name the interface (-i IFACE)", expr);
			return -1;
		}
		int32_t ad = -1; /* SKF_AD_PROTOCOL is 0 */
		if (cls == BPF_LD && mode == BPF_ABS) {
			if (p->k == 0 && size == BPF_H)
				ad = SKF_AD_PROTOCOL;
			else if (p->k == 4 && size == BPF_W)
				ad = SKF_AD_IFINDEX;
			else if (p->k == 8 && size == BPF_H)
				ad = SKF_AD_HATYPE;
			else if (p->k == 10 && size == BPF_B)
				ad = SKF_AD_PKTTYPE;
		}
		if (ad < 0) {
			say(msg, n, "any: filter \"%s\": reads byte %" PRId32 " of the cooked header, "
				    "which the kernel cannot give a filter on -i any (only the "
				    "protocol, the interface index, the ARPHRD type and the packet "
				    "type); name the interface (-i IFACE)", expr, (int32_t)p->k);
			return -1;
		}
		p->k = (uint32_t)(SKF_AD_OFF + ad);
	}
	return 0;
}

/* The compiled filter for the interface's link type, or -1 with msg. */
static int compile_filter(const struct live *lv, const struct live_iface *ifc,
			  struct bpf_program *prog, char *msg, size_t n)
{
	/* The filter's return value is the snapshot length the kernel keeps. */
	pcap_t *p = pcap_open_dead_with_tstamp_precision(ifc->dlt, (int)lv->snaplen,
							 PCAP_TSTAMP_PRECISION_NANO);
	int ret = 0;

	if (!p) {
		say(msg, n, "out of memory");
		return -1;
	}
	if (pcap_compile(p, prog, lv->o.filter, 1, PCAP_NETMASK_UNKNOWN) < 0) {
		say(msg, n, "%s: bad filter \"%s\": %s", ifc->name, lv->o.filter, pcap_geterr(p));
		ret = -1;
	} else if (ifc->any && uncook_filter(prog, lv->o.filter, msg, n) < 0) {
		pcap_freecode(prog);
		ret = -1;
	}
	pcap_close(p);
	return ret;
}

/* The kernel's words for a failed call on a packet socket, with the capability it wants. */
static void say_errno(char *msg, size_t n, const char *iface, const char *what, int err)
{
	if (err == EPERM || err == EACCES)
		say(msg, n, "%s: %s: %s: capturing needs CAP_NET_RAW (run as root, or give dbcap "
			    "the capability: setcap cap_net_raw+ep)", iface, what, strerror(err));
	else if (err == ENOMEM || err == ENOBUFS)
		say(msg, n, "%s: %s: %s: the ring does not fit in memory (lower --ring-blocks or "
			    "--ring-block-size, or --writers)", iface, what, strerror(err));
	else
		say(msg, n, "%s: %s: %s", iface, what, strerror(err));
}

/*
 * One ring: the socket, TPACKET_V3, the filter (before the bind: no frame
 * passes unfiltered), the ring and its mapping, the bind, the fanout group
 * (the first socket asks the kernel for a unique id), promiscuous mode.
 */
static int open_ring(struct live *lv, unsigned iface, struct live_ring *r,
		     const struct bpf_program *prog, char *msg, size_t n)
{
	struct live_iface *ifc = &lv->ifs[iface];
	int v = TPACKET_V3;

	r->fd = -1;
	r->iface = iface;
	/*
	 * protocol 0: nothing is received before the bind names the interface.
	 * -i any: cooked, the kernel drops each frame's link-layer header.
	 */
	r->fd = socket(AF_PACKET, (ifc->any ? SOCK_DGRAM : SOCK_RAW) | SOCK_CLOEXEC, 0);
	if (r->fd < 0) {
		say_errno(msg, n, ifc->name, "socket(AF_PACKET)", errno);
		return -1;
	}
	if (setsockopt(r->fd, SOL_PACKET, PACKET_VERSION, &v, sizeof(v)) < 0) {
		say_errno(msg, n, ifc->name, "PACKET_VERSION TPACKET_V3", errno);
		return -1;
	}
	if (prog) {
		struct sock_fprog fp = {.len = (unsigned short)prog->bf_len,
					.filter = (struct sock_filter *)prog->bf_insns};
		if (setsockopt(r->fd, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof(fp)) < 0) {
			say_errno(msg, n, ifc->name, "SO_ATTACH_FILTER", errno);
			return -1;
		}
	}
	/*
	 * V3 frames have variable lengths inside a block: the frame size only
	 * feeds the kernel's checks of the geometry (made from the MTU, a VLAN
	 * tag and the headers).  Any frame up to a block's room, less its
	 * header, is stored whole; a longer one is cut, and counted.
	 */
	uint32_t frame = TPACKET_ALIGN(TPACKET3_HDRLEN + ETH_HLEN + 4 + ifc->mtu);
	if (frame > lv->o.block_size)
		frame = lv->o.block_size;
	struct tpacket_req3 req = {
		.tp_block_size = lv->o.block_size,
		.tp_block_nr = lv->o.block_count,
		.tp_frame_size = frame,
		.tp_frame_nr = (lv->o.block_size / frame) * lv->o.block_count,
		.tp_retire_blk_tov = lv->o.retire_ms,
		.tp_sizeof_priv = 0,
		.tp_feature_req_word = 0,
	};
	if (setsockopt(r->fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req)) < 0) {
		say_errno(msg, n, ifc->name, "PACKET_RX_RING", errno);
		return -1;
	}
	r->block_size = lv->o.block_size;
	r->nblocks = lv->o.block_count;
	r->map_len = (size_t)r->block_size * r->nblocks;
	void *m = mmap(NULL, r->map_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
		       r->fd, 0);
	if (m == MAP_FAILED) {
		r->map = NULL;
		say_errno(msg, n, ifc->name, "mmap of the ring", errno);
		return -1;
	}
	r->map = m;
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_ALL),
		.sll_ifindex = ifc->ifindex,
	};
	if (bind(r->fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		say_errno(msg, n, ifc->name, "bind", errno);
		return -1;
	}
	/* id in the low 16 bits, mode and flags above: unsigned, the defrag flag reaches bit 31 */
	uint32_t mode = PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_DEFRAG;
	uint32_t word = ifc->fanout_id < 0 ? (mode | PACKET_FANOUT_FLAG_UNIQUEID) << 16
					   : (uint32_t)ifc->fanout_id | mode << 16;
	int fan;
	memcpy(&fan, &word, sizeof(fan));
	if (setsockopt(r->fd, SOL_PACKET, PACKET_FANOUT, &fan, sizeof(fan)) < 0) {
		say_errno(msg, n, ifc->name, "PACKET_FANOUT", errno);
		return -1;
	}
	if (ifc->fanout_id < 0) {
		int got = 0;
		socklen_t l = sizeof(got);
		if (getsockopt(r->fd, SOL_PACKET, PACKET_FANOUT, &got, &l) < 0) {
			say_errno(msg, n, ifc->name, "PACKET_FANOUT (its id)", errno);
			return -1;
		}
		ifc->fanout_id = got & 0xffff;
	}
	if (lv->o.promisc && !ifc->any) { /* "any" has no promiscuous mode (as libpcap's) */
		/* A membership, not the interface's flag: it goes with the socket. */
		struct packet_mreq mr = {.mr_ifindex = ifc->ifindex, .mr_type = PACKET_MR_PROMISC};
		if (setsockopt(r->fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0) {
			say_errno(msg, n, ifc->name, "promiscuous mode", errno);
			return -1;
		}
	}
	return 0;
}

static int check_geometry(const struct live_opts *o, char *msg, size_t n)
{
	long page = sysconf(_SC_PAGESIZE);
	uint32_t pg = page > 0 ? (uint32_t)page : 4096;

	if (o->block_size < pg || (o->block_size & (o->block_size - 1)) != 0) {
		say(msg, n, "--ring-block-size %" PRIu32 ": must be a power of two of at least "
			    "the page size (%" PRIu32 ")", o->block_size, pg);
		return -1;
	}
	if (o->block_count < 2) {
		say(msg, n, "--ring-blocks %" PRIu32 ": at least 2", o->block_count);
		return -1;
	}
	return 0;
}

int live_open(struct live *lv, const struct live_opts *o, FILE *warn, char *msg, size_t msglen)
{
	struct bpf_program progs[LIVE_MAX_IFACES];
	bool have_prog[LIVE_MAX_IFACES] = {false};
	int ret = LIVE_FAIL;

	memset(lv, 0, sizeof(*lv));
	lv->o = *o;
	lv->snaplen = o->snaplen ? o->snaplen : 262144u;
	if (check_geometry(o, msg, msglen))
		return LIVE_FAIL;
	lv->names = strdup(o->ifaces ? o->ifaces : "");
	if (!lv->names) {
		say(msg, msglen, "out of memory");
		return LIVE_FAIL;
	}
	char *save = NULL;
	for (char *t = strtok_r(lv->names, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (lv->nifaces == LIVE_MAX_IFACES) {
			say(msg, msglen, "more than %d interfaces", LIVE_MAX_IFACES);
			goto fail;
		}
		for (unsigned i = 0; i < lv->nifaces; i++) {
			if (strcmp(lv->ifs[i].name, t) == 0) {
				say(msg, msglen, "%s: named twice", t);
				goto fail;
			}
		}
		if (lv->nifaces && (strcmp(t, "any") == 0 || lv->ifs[0].any)) {
			say(msg, msglen, "-i any takes every interface: it cannot be named with "
					 "another -i");
			goto fail;
		}
		struct live_iface *ifc = &lv->ifs[lv->nifaces];
		ifc->fanout_id = -1;
		if (open_iface(ifc, t, msg, msglen))
			goto fail;
		lv->nifaces++;
		if (o->filter) {
			if (compile_filter(lv, ifc, &progs[lv->nifaces - 1], msg, msglen)) {
				ret = LIVE_BAD_FILTER;
				goto fail;
			}
			have_prog[lv->nifaces - 1] = true;
		}
	}
	if (!lv->nifaces) {
		say(msg, msglen, "no interface named");
		goto fail;
	}
	lv->rings = calloc((size_t)o->writers * lv->nifaces, sizeof(*lv->rings));
	if (!lv->rings) {
		say(msg, msglen, "out of memory");
		goto fail;
	}
	for (unsigned w = 0; w < o->writers; w++) {
		for (unsigned i = 0; i < lv->nifaces; i++) {
			struct live_ring *r = &lv->rings[w * lv->nifaces + i];
			lv->nrings = w * lv->nifaces + i + 1;
			if (open_ring(lv, i, r, have_prog[i] ? &progs[i] : NULL, msg, msglen))
				goto fail;
		}
	}
	for (unsigned i = 0; i < lv->nifaces; i++) {
		struct live_iface *ifc = &lv->ifs[i];
		ifc->sys_start_ok = !ifc->any && read_sys_all(ifc->name, ifc->sys_start);
		if (warn && ifc->any && ifc->offloads[0])
			fprintf(warn, "dbcap: warning: any: offloads on (%s): captured frames may be "
				      "larger than the frames on the wire; "
				      "ethtool -K IFACE gro off lro off tso off gso off turns them off\n",
				ifc->offloads);
		else if (warn && ifc->offloads[0])
			fprintf(warn, "dbcap: warning: %s: offloads on (%s): captured frames may be "
				      "larger than the frames on the wire; "
				      "ethtool -K %s gro off lro off tso off gso off turns them off\n",
				ifc->name, ifc->offloads, ifc->name);
	}
	ret = 0;
fail:
	for (unsigned i = 0; i < lv->nifaces; i++)
		if (have_prog[i])
			pcap_freecode(&progs[i]);
	if (ret)
		live_close(lv);
	return ret;
}

void live_close(struct live *lv)
{
	for (unsigned i = 0; lv->rings && i < lv->nrings; i++) {
		struct live_ring *r = &lv->rings[i];
		if (r->map)
			munmap(r->map, r->map_len);
		if (r->fd >= 0)
			close(r->fd);
	}
	free(lv->rings);
	lv->rings = NULL;
	lv->nrings = 0;
	free(lv->names);
	lv->names = NULL;
}

void live_quiesce(struct live *lv)
{
	/* "ret #0": the kernel takes nothing more, and counts nothing more. */
	struct sock_filter none = BPF_STMT(BPF_RET | BPF_K, 0);
	struct sock_fprog fp = {.len = 1, .filter = &none};

	for (unsigned i = 0; i < lv->nrings; i++)
		setsockopt(lv->rings[i].fd, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof(fp));
}

void live_poll_stats(struct live *lv)
{
	for (unsigned i = 0; i < lv->nrings; i++) {
		struct tpacket_stats_v3 s;
		socklen_t l = sizeof(s);
		struct live_iface *ifc = &lv->ifs[lv->rings[i].iface];

		memset(&s, 0, sizeof(s));
		if (getsockopt(lv->rings[i].fd, SOL_PACKET, PACKET_STATISTICS, &s, &l) < 0)
			continue;
		/* The kernel's tp_packets includes its drops. */
		ifc->seen += s.tp_packets;
		ifc->drops += s.tp_drops;
		ifc->freezes += s.tp_freeze_q_cnt;
		lv->rings[i].seen += s.tp_packets;
		lv->rings[i].drops += s.tp_drops;
		lv->rings[i].freezes += s.tp_freeze_q_cnt;
	}
}

const char *live_check_ifaces(struct live *lv)
{
	const char *first = NULL;

	for (unsigned i = 0; i < lv->nifaces; i++) {
		struct live_iface *ifc = &lv->ifs[i];
		if (!ifc->gone && !ifc->any && (int)if_nametoindex(ifc->name) != ifc->ifindex)
			ifc->gone = true;
		if (ifc->gone && !first)
			first = ifc->name;
	}
	return first;
}

void live_read_sys_end(struct live *lv)
{
	for (unsigned i = 0; i < lv->nifaces; i++) {
		struct live_iface *ifc = &lv->ifs[i];
		ifc->sys_end_ok = !ifc->gone && !ifc->any && read_sys_all(ifc->name, ifc->sys_end);
	}
}

int live_list_interfaces(FILE *out)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_if_t *all = NULL;
	int i = 0;

	if (pcap_findalldevs(&all, err) < 0) {
		fprintf(stderr, "dbcap: cannot list the interfaces: %s\n", err);
		return 1;
	}
	for (pcap_if_t *d = all; d; d = d->next) {
		fprintf(out, "%d.%s", ++i, d->name);
		if (d->description)
			fprintf(out, " (%s)", d->description);
		fprintf(out, " [%s%s%s]\n", d->flags & PCAP_IF_UP ? "Up" : "Down",
			d->flags & PCAP_IF_RUNNING ? ", Running" : "",
			d->flags & PCAP_IF_LOOPBACK ? ", Loopback" : "");
	}
	pcap_freealldevs(all);
	return fflush(out) == 0 ? 0 : 1;
}
