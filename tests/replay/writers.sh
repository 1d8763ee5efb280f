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
