#!/bin/bash
# VLAN-tagged frames are stored with their tag, which the kernel strips on receive: the same
# frames as tcpdump -i stores for the same traffic.  The sender's VLAN device when the kernel
# has 802.1Q (module 8021q), else frames tagged in the file tcpreplay sends (the same on the wire).
# shellcheck source=tests/live/lib.sh
source "$(dirname "$0")/lib.sh"
live_init
need "$TCPDUMP"
net_init
N=900
VLAN=dcV$$
if in_a ip link add link "$SIDE_A" name "$VLAN" type vlan id 5 2>/dev/null; then
	in_a ip link set "$VLAN" up
	"$PYTHON" "$LIVE_SRC/live.py" gen sent.pcap "$N"
else
	say "no 802.1Q in this kernel: sending frames tagged in the file"
	VLAN=$SIDE_A
	"$PYTHON" "$LIVE_SRC/live.py" gen sent.pcap "$N" 0 5
fi

# tcpdump beside dbcap, on the same interface, for the same frames.
# -c: tcpdump ends on its own once it has read every frame (a SIGINT would leave
# those still in its kernel buffer unread on a loaded machine).
ip netns exec "$NS_B" "$TCPDUMP" -n -i "$SIDE_B" -c "$N" -w td.pcap >td.out 2>td.err &
TD=$!
PIDS+=("$TD")
for ((i = 0; i < 200; i++)); do
	grep -q "listening on" td.err && break
	sleep 0.05
done
start_dbcap d -i "$SIDE_B" -w got.pcap --writers 2 --stats s.json
send sent.pcap 3000 "$VLAN"
sleep 0.3
stop_dbcap
((RC == 0)) || { cat d.err >&2; fail "exit status $RC"; }
for ((i = 0; i < 200; i++)); do
	kill -0 "$TD" 2>/dev/null || break
	sleep 0.05
done
kill -INT "$TD" 2>/dev/null || true
wait "$TD" || true
"$PYTHON" "$LIVE_SRC/live.py" vlan got.pcap 5
"$PYTHON" "$LIVE_SRC/live.py" same td.pcap got.pcap || fail "dbcap's frames differ from tcpdump's"
expect "records" "$("$PYTHON" "$LIVE_SRC/live.py" count got.pcap)" "$N"
expect "VLAN tags put back" "$(jget s.json totals.kernel.vlan_restored_packets)" "$N"
# The dissector saw the tag: every frame counted as VLAN.
expect "protocols.vlan" "$(jget s.json totals.protocols.vlan)" "$N"
consistent s.json
say "ok: $N tagged frames, as tcpdump stores them"
