#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Helpers of the live-capture tests: known traffic, and checks of what dbcap captured.

  gen OUT N [SIZE [VID]]      a pcap of N frames (all of SIZE bytes unless 0; with an
                              802.1Q tag of VLAN VID): 16 UDP flows, one TCP flow and one
                              ICMP flow, round-robin, sizes 60..1514, each frame's
                              payload naming its flow and sequence number
  compare SENT GOT            GOT holds exactly SENT's frames (a multiset of bytes),
                              each flow's in order
  same SENT GOT               the same frames, as a multiset, nothing about order
  flows STATS N               each writer's TCP, UDP and ICMP counts are 0 or the
                              whole flow's: no flow was split between writers
  get FILE PATH               one value of a JSON document (a.b.0.c)
  schema FILE SCHEMA          the document fits the JSON schema
  count FILE                  the number of records of a pcap or pcapng file
  cookedvlan TD GOT VID       GOT's cooked records carry VLAN VID's tag; without it, TD's
  cooked SENT GOT IFINDEX     GOT (-i any, Linux cooked v2) holds SENT's frames after their
                              Ethernet headers, each from interface IFINDEX
"""
import json
import struct
import sys

UDP_FLOWS = 16
DST = bytes.fromhex("020000000002")
SRC = bytes.fromhex("020000000001")


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ipv4(proto, payload):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0, 0x4000, 64, proto, 0,
                    bytes([198, 51, 100, 1]), bytes([198, 51, 100, 2]))
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload


def frame(i, fixed=0):
    """Frame i: its flow (i mod 18) and its sequence number within the flow."""
    nflows = UDP_FLOWS + 2
    flow, seq = i % nflows, i // nflows
    size = fixed or 60 + (i * 37) % (1514 - 60 + 1)
    body = struct.pack("!II", flow, seq)
    if flow < UDP_FLOWS:
        pad = max(0, size - 14 - 20 - 8 - len(body))
        data = body + bytes(pad)
        udp = struct.pack("!HHHH", 20000 + flow, 9, 8 + len(data), 0) + data
        l3 = ipv4(17, udp)
    elif flow == UDP_FLOWS:
        pad = max(0, size - 14 - 20 - 20 - len(body))
        tcp = struct.pack("!HHIIBBHHH", 30000, 80, seq, 0, 0x50, 0x18, 1024, 0, 0) + body + bytes(pad)
        l3 = ipv4(6, tcp)
    else:
        pad = max(0, size - 14 - 20 - 8 - len(body))
        icmp = struct.pack("!BBHHH", 8, 0, 0, 7, seq & 0xFFFF) + body + bytes(pad)
        l3 = ipv4(1, icmp)
    return DST + SRC + b"\x08\x00" + l3


def flow_of(f):
    """(flow, seq) of a frame made by frame(), from its IPv4 payload (a VLAN tag skipped)."""
    off = 14
    if f[12:14] in (b"\x81\x00", b"\x88\xa8"):
        off = 18
    proto = f[off + 9]
    l4 = off + 20 + (8 if proto in (17, 1) else 20)
    return struct.unpack("!II", f[l4:l4 + 8])


def write_pcap(path, frames):
    with open(path, "wb") as out:
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for k, f in enumerate(frames):
            out.write(struct.pack("<IIII", 1, k, len(f), len(f)) + f)


def read_records(path):
    """[(iface, caplen, origlen, bytes)] of a pcap (either precision) or pcapng file."""
    data = open(path, "rb").read()
    out = []
    magic = struct.unpack("<I", data[:4])[0]
    if magic in (0xA1B2C3D4, 0xA1B23C4D):
        off = 24
        while off + 16 <= len(data):
            _, _, cap, orig = struct.unpack("<IIII", data[off:off + 16])
            out.append((0, cap, orig, data[off + 16:off + 16 + cap]))
            off += 16 + cap
        return out
    if magic != 0x0A0D0D0A:
        raise SystemExit("%s: not a pcap or pcapng file" % path)
    off = 0
    while off + 12 <= len(data):
        btype, blen = struct.unpack("<II", data[off:off + 8])
        if btype == 6:
            iface, _, _, cap, orig = struct.unpack("<IIIII", data[off + 8:off + 28])
            out.append((iface, cap, orig, data[off + 28:off + 28 + cap]))
        off += blen
    return out


def get(doc, path):
    v = doc
    for p in path.split("."):
        v = v[int(p)] if isinstance(v, list) else v[p]
    return v


def main(argv):
    cmd = argv[1]
    if cmd == "gen":
        fixed = int(argv[4]) if len(argv) > 4 else 0
        frames = [frame(i, fixed) for i in range(int(argv[3]))]
        if len(argv) > 5:
            # an 802.1Q tag (VLAN id argv[5], priority 3) after the MAC addresses
            tag = struct.pack("!HH", 0x8100, (3 << 13) | int(argv[5]))
            frames = [f[:12] + tag + f[12:] for f in frames]
        write_pcap(argv[2], frames)
    elif cmd in ("compare", "same"):
        sent = [r[3] for r in read_records(argv[2])]
        got_recs = read_records(argv[3])
        got = [r[3] for r in got_recs]
        for r in got_recs:
            if r[1] != r[2]:
                raise SystemExit("a record cut short: %d of %d bytes" % (r[1], r[2]))
        if sorted(sent) != sorted(got):
            missing = len(set(sent) - set(got))
            extra = len(set(got) - set(sent))
            raise SystemExit("frames differ: %d sent, %d captured; %d sent frames missing, "
                             "%d captured frames not sent" % (len(sent), len(got), missing, extra))
        if cmd == "compare":
            last = {}
            for f in got:
                flow, seq = flow_of(f)
                if flow in last and seq != last[flow] + 1:
                    raise SystemExit("flow %d out of order: %d after %d" % (flow, seq, last[flow]))
                last[flow] = seq
        print("%d frames equal" % len(got))
    elif cmd == "flows":
        doc = json.load(open(argv[2]))
        n = int(argv[3])
        nflows = UDP_FLOWS + 2
        per = [sum(1 for i in range(n) if i % nflows == f) for f in range(nflows)]
        want = {"tcp": per[UDP_FLOWS], "icmp": per[UDP_FLOWS + 1]}
        for w in doc["writers"]:
            for proto, total in want.items():
                got = w["protocols"][proto]
                if got not in (0, total):
                    raise SystemExit("writer %d has %d of the %s flow's %d packets: split"
                                     % (w["id"], got, proto, total))
            # The UDP flows: each writer's count is a sum of whole flows.
            udp = w["protocols"]["udp"]
            sums = {0}
            for f in range(UDP_FLOWS):
                sums |= {s + per[f] for s in sums}
            if udp not in sums:
                raise SystemExit("writer %d has %d UDP packets: no sum of whole flows" % (w["id"], udp))
        print("flows whole: " + ", ".join("w%d tcp %d udp %d icmp %d" % (
            w["id"], w["protocols"]["tcp"], w["protocols"]["udp"], w["protocols"]["icmp"])
            for w in doc["writers"]))
    elif cmd == "get":
        v = get(json.load(open(argv[2])), argv[3])
        print("null" if v is None else json.dumps(v) if isinstance(v, bool) else v)
    elif cmd == "schema":
        import jsonschema
        jsonschema.validate(json.load(open(argv[2])), json.load(open(argv[3])))
    elif cmd == "vlan":
        # every record of GOT carries an 802.1Q tag with VLAN id argv[3]
        vid = int(argv[3])
        recs = read_records(argv[2])
        for r in recs:
            f = r[3]
            if f[12:14] != b"\x81\x00" or (struct.unpack("!H", f[14:16])[0] & 0xFFF) != vid:
                raise SystemExit("a record without the VLAN %d tag: %s" % (vid, f[:18].hex()))
        print("%d records tagged with VLAN %d" % (len(recs), vid))
    elif cmd == "snap":
        # GOT's records are SENT's cut to argv[4] bytes, their original lengths kept
        snap = int(argv[4])
        sent = sorted(r[3][:snap] + struct.pack("<I", len(r[3])) for r in read_records(argv[2]))
        got_recs = read_records(argv[3])
        for r in got_recs:
            if r[1] != min(r[2], snap):
                raise SystemExit("caplen %d of a %d-byte frame, want %d" % (r[1], r[2], min(r[2], snap)))
        got = sorted(r[3] + struct.pack("<I", r[2]) for r in got_recs)
        if sent != got:
            raise SystemExit("the cut records differ from the frames sent")
        print("%d records cut to %d bytes" % (len(got), snap))
    elif cmd == "cooked":
        # GOT (-i any, LINKTYPE_LINUX_SLL2) holds SENT's frames as a multiset of network-layer
        # bytes (after the 20-byte cooked header, after the 14-byte Ethernet header); every
        # cooked header names interface argv[4] (its index), IPv4, Ethernet, the source MAC.
        ifindex = int(argv[4])
        sent = sorted(r[3][14:] for r in read_records(argv[2]))
        got = []
        for _, cap, orig, f in read_records(argv[3]):
            if cap != orig:
                raise SystemExit("a record cut short: %d of %d bytes" % (cap, orig))
            proto, rsv, ifi, hatype, pkttype, alen = struct.unpack("!HHIHBB", f[:12])
            if (proto, rsv, ifi, hatype, alen, f[12:18]) != (0x0800, 0, ifindex, 1, 6, SRC):
                raise SystemExit("a wrong cooked header: %s" % f[:20].hex())
            got.append(f[20:])
        got.sort()
        if sent != got:
            raise SystemExit("frames differ: %d sent, %d captured; %d sent missing, %d captured "
                             "not sent" % (len(sent), len(got), len(set(sent) - set(got)),
                                           len(set(got) - set(sent))))
        print("%d frames equal after the cooked header" % len(got))
    elif cmd == "cookedvlan":
        # GOT's cooked records carry VLAN argv[4]'s tag behind the header (protocol 0x8100,
        # then the TCI and the frame's protocol); without it they are TD's (tcpdump -i any,
        # which drops the tag), as a multiset.
        vid = int(argv[4])
        want = sorted(r[3] for r in read_records(argv[2]))
        got = []
        for _, cap, orig, f in read_records(argv[3]):
            if cap != orig or f[:2] != b"\x81\x00" or (struct.unpack("!H", f[20:22])[0] & 0xFFF) != vid:
                raise SystemExit("a record without the VLAN %d tag: %s" % (vid, f[:24].hex()))
            got.append(f[22:24] + f[2:20] + f[24:])
        got.sort()
        if want != got:
            raise SystemExit("untagged, the records differ from tcpdump's: %d sent missing, %d "
                             "not sent" % (len(set(want) - set(got)), len(set(got) - set(want))))
        print("%d cooked records tagged with VLAN %d, tcpdump's without the tag" % (len(got), vid))
    elif cmd == "count":
        print(len(read_records(argv[2])))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
