#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# A pcapng file with two named interfaces (microseconds and nanoseconds) and
# their options, section options, and a comment on every fifth packet, in
# either byte order, on standard output.
# usage: mkpcapng.py PACKETS le|be
import struct, sys
bo = "<" if sys.argv[2] == "le" else ">"
def opt(code, val):
    return struct.pack(bo + "HH", code, len(val)) + val + bytes((4 - len(val) % 4) % 4)
def block(t, body):
    n = 12 + len(body)
    return struct.pack(bo + "II", t, n) + body + struct.pack(bo + "I", n)
out = block(0x0A0D0D0A, struct.pack(bo + "IHHq", 0x1A2B3C4D, 1, 0, -1) +
            opt(2, b"test hardware") + opt(3, b"test os") + opt(4, b"mkng") + opt(0, b""))
idb = lambda name, desc, res, speed: block(1, struct.pack(bo + "HHI", 1, 0, 65535) + opt(2, name) +
    opt(3, desc) + opt(9, bytes([res])) + opt(8, struct.pack(bo + "Q", speed)) + opt(0, b""))
out += idb(b"eth-a", b"first port", 6, 1000000000) + idb(b"eth-b", b"second port", 9, 10000000000)
def frame(i):
    # Ethernet + IPv4 + UDP, flows differing by port.
    eth = bytes(6) + bytes([2, 0, 0, 0, 0, i % 7]) + b"\x08\x00"
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 28 + 20, i, 0, 64, 17, 0, bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
    udp = struct.pack("!HHHH", 1000 + i % 13, 53, 8 + 20, 0)
    return eth + ip + udp + bytes(range(20))
for i in range(int(sys.argv[1])):
    iface = i % 2
    ts = (1700000000 + i) * (10**6 if iface == 0 else 10**9) + i * 7
    d = frame(i)
    opts = opt(1, b"packet comment %d" % i) + opt(0, b"") if i % 5 == 0 else b""
    out += block(6, struct.pack(bo + "IIIII", iface, ts >> 32, ts & 0xffffffff, len(d), len(d) + 4) + d +
                 bytes((4 - len(d) % 4) % 4) + opts)
sys.stdout.buffer.write(out)
