#!/bin/bash
# Every frame sent over a veth pair is captured, once, as sent: 0 kernel drops, the
# frames equal as a multiset and in order within each flow, no flow split between writers.
# usage: capture.sh WRITERS
# shellcheck source=tests/live/lib.sh
source "$(dirname "$0")/lib.sh"
WRITERS=${1:-1}
N=3600
live_init
net_init
"$PYTHON" "$LIVE_SRC/live.py" gen sent.pcap "$N"

start_dbcap d -i "$SIDE_B" -w got.pcap --writers "$WRITERS" --stats s.json
send sent.pcap 4000
stop_dbcap
((RC == 0)) || { cat d.err >&2; fail "exit status $RC"; }
cat d.err
"$PYTHON" "$LIVE_SRC/live.py" compare sent.pcap got.pcap || fail "the capture differs from what was sent"
"$PYTHON" "$LIVE_SRC/live.py" flows s.json "$N" || fail "a flow was split between writers"
consistent s.json
expect "kernel drops" "$(jget s.json totals.kernel.dropped_packets)" 0
expect "kernel seen" "$(jget s.json totals.kernel.seen_packets)" "$N"
expect "captured" "$(jget s.json reconciliation.captured_packets)" "$N"
expect "persisted" "$(jget s.json totals.persisted_blocks)" "$N"
# Per writer: the kernel's count of its rings equals what it captured (none dropped).
"$PYTHON" - s.json <<'PY' || fail "a writer's kernel count differs from its captures"
import json, sys
for w in json.load(open(sys.argv[1]))["writers"]:
    l = w["live"]
    assert l["seen_packets"] == l["captured_packets"] + l["dropped_packets"], l
PY
expect "mode" "$(jget s.json run.mode)" live
expect "link type" "$(jget s.json run.interfaces.0.linktype_name)" EN10MB
grep -q "packets dropped by kernel" d.err || fail "the summary does not say the kernel's drops"
# veth has TSO and GSO on: one warning, naming the command that turns them off.
grep -q "warning: $SIDE_B: offloads on (.*): .* ethtool -K $SIDE_B gro off lro off tso off gso off" d.err ||
	fail "no warning about the offloads"
# tcpdump reads the file the same way.
n=$("$TCPDUMP" -n -r got.pcap 2>/dev/null | wc -l)
expect "tcpdump's records" "$n" "$N"
say "ok: $N frames with $WRITERS writer(s)"
