#!/bin/bash
# N writers shard by flow: the output holds the input's records, each flow's (and all non-IP) in input order.
# usage: writers.sh
# shellcheck source=tests/replay/lib.sh
source "$(dirname "$0")/lib.sh"
need "$PYTHON"
replay_init

# 60,000 IMIX packets over 5,000 flows, a tenth of them VLAN-tagged, 3 % ARP.
"$MKIMIX" -o imix.pcap --packets 60000 --flows 5000 --vlan 10 --arp 3 --seed 11 2>/dev/null
arp=$("$PYTHON" - <<'PY'
import struct
f = open("imix.pcap", "rb").read()
off, n = 24, 0
while off + 16 <= len(f):
    caplen = struct.unpack_from("<I", f, off + 8)[0]
    if f[off + 16 + 12: off + 16 + 14] == b"\x08\x06":
        n += 1
    off += 16 + caplen
print(n)
PY
)
((arp > 0)) || fail "mkimix wrote no ARP packet"

# The check must be able to fail: the same records with two packets of one
# flow swapped is refused (two of different flows is not).
"$PYTHON" - <<'PY'
import struct
f = open("imix.pcap", "rb").read()
recs, off = [], 24
while off + 16 <= len(f):
    n = struct.unpack_from("<I", f, off + 8)[0]
    recs.append(f[off:off + 16 + n])
    off += 16 + n
def key(r):  # the IPv4 5-tuple of an untagged TCP/UDP frame, either way; None otherwise
    p = r[16:]
    if p[12:14] != b"\x08\x00" or p[23] not in (6, 17):
        return None
    a, b = (p[26:30], p[34:36]), (p[30:34], p[36:38])
    return (min(a, b), max(a, b), p[23])
first = {}
for i, r in enumerate(recs):
    k = key(r)
    if k is None:
        continue
    if k in first and first[k] != i - 1:
        j = first[k]
        break
    first.setdefault(k, i)
same = list(recs)
same[j], same[i] = same[i], same[j]
other = list(recs)
m = next(m for m in range(len(recs) - 1)
         if None not in (key(recs[m]), key(recs[m + 1])) and key(recs[m]) != key(recs[m + 1]))
other[m], other[m + 1] = other[m + 1], other[m]
for name, rs in (("swapped-flow.pcap", same), ("swapped-flows.pcap", other)):
    open(name, "wb").write(f[:24] + b"".join(rs))
PY
run cmp-swapped-flow 1 "$COMPARE" --flows imix.pcap swapped-flow.pcap
grep -q "out of its flow's order" cmp-swapped-flow.err || fail "pcap-compare --flows: $(cat cmp-swapped-flow.err)"
run cmp-swapped-flows 0 "$COMPARE" --flows imix.pcap swapped-flows.pcap

for layout in per-writer shared mutex; do
	for n in 2 4; do
		name=$layout-$n
		run "$name" 0 "$DBCAP" -q -r imix.pcap -w "$name.pcap" --writers "$n" --layout "$layout" \
			--buffer-size 1M --stats "$name.json"
		PCAP_COMPARE_VERBOSE=1 run "cmp-$name" 0 "$COMPARE" --flows imix.pcap "$name.pcap"
		grep -q "records in flow order checked" "cmp-$name.err"
		reconciles "$name.json"
		for ((w = 0; w < n; w++)); do
			got=$(jget "$name.json" "writers.$w.read_packets")
			# 5,000 flows over n writers: each gets about 1/n of them.
			((got > 60000 / n / 2)) || fail "$name: writer $w read $got packets: the shards are lopsided"
			other=$(jget "$name.json" "writers.$w.protocols.other")
			if ((w == 0)); then
				((other == arp)) || fail "$name: writer 0 counted $other non-IP packets, the file has $arp"
			else
				((other == 0)) || fail "$name: writer $w got $other non-IP packets; they all go to writer 0"
			fi
		done
	done
done

# Real captures of every kind: the same multiset of records with 4 writers.
n=0
for f in "$CORPUS"/tcpdump-tests/*.pcap "$CORPUS"/tcpdump-tests/*.pcapng; do
	# Every seventh file: a spread of link types, pcap and pcapng.
	(((n++ % 7) == 0)) || continue
	b=$(basename "$f")
	run "w4-$b" 0 "$DBCAP" -q -r "$f" -w "$b.w4.pcap" --writers 4 --buffer-size 512k \
		--stats "w4-$b.json"
	run "cmp-w4-$b" 0 "$COMPARE" --flows "$f" "$b.w4.pcap"
	reconciles "w4-$b.json"
done
say "ok: 2 and 4 writers in three layouts keep every record and each flow's order; $((n / 7)) corpus files with 4 writers"
