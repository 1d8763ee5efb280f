#!/bin/bash
# Forced loss: a tiny ring, and a burst while dbcap is stopped (SIGSTOP): the kernel drops
# what does not fit, and the statistics count it exactly: sent = captured + kernel drops.
# shellcheck source=tests/live/lib.sh
source "$(dirname "$0")/lib.sh"
live_init
net_init
N=400
"$PYTHON" "$LIVE_SRC/live.py" gen sent.pcap "$N"
rx() { in_b cat "/sys/class/net/$SIDE_B/statistics/rx_packets"; }

# Two blocks of 4 KiB: a few dozen frames at most.
start_dbcap d -i "$SIDE_B" -w got.pcap --ring-block-size 4k --ring-blocks 2 --stats s.json \
	ether src "$SRC_MAC"
rx0=$(rx)
kill -STOP "$DBCAP_PID"
send sent.pcap 2000
kill -CONT "$DBCAP_PID"
sleep 0.3
stop_dbcap
((RC == 0)) || { cat d.err >&2; fail "exit status $RC"; }
cat d.err
# Every frame reached the interface (none lost before the socket).
expect "frames received by $SIDE_B" "$(($(rx) - rx0))" "$N"
seen=$(jget s.json totals.kernel.seen_packets)
drops=$(jget s.json totals.kernel.dropped_packets)
captured=$(jget s.json reconciliation.captured_packets)
records=$("$PYTHON" "$LIVE_SRC/live.py" count got.pcap)
say "sent $N, seen $seen, captured $captured, dropped by the kernel $drops, $records records"
((drops > 0)) || fail "no kernel drops: the ring was not overrun"
expect "seen by the kernel" "$seen" "$N"
expect "sent - captured" "$((N - captured))" "$drops"
expect "records" "$records" "$captured"
((captured > 0)) || fail "nothing captured"
(($(jget s.json totals.kernel.freezes) > 0)) || fail "no ring freeze counted"
expect "writer 0's kernel drops" "$(jget s.json writers.0.live.dropped_packets)" "$drops"
consistent s.json
grep -q "$drops packets dropped by kernel" d.err || fail "the summary does not say $drops packets dropped by kernel"
# What was captured is what was sent (a subset, each frame whole).
"$PYTHON" - sent.pcap got.pcap "$LIVE_SRC" <<'PY' || fail "captured frames are not sent frames"
import sys
sys.path.insert(0, sys.argv[3])
from live import read_records
sent = {r[3] for r in read_records(sys.argv[1])}
assert all(r[3] in sent and r[1] == r[2] for r in read_records(sys.argv[2]))
PY
say "ok: $drops kernel drops counted exactly"
