#!/bin/bash
# dbcap -i with tcpdump's options: the filter (run in the kernel), -s, -c, -p, -D, frames
# longer than a ring block (stored cut, counted), and two interfaces into one pcapng file.
# A tun device: raw IP records.
# usage: options.sh filter|snaplen|count|promisc|list|cut|two-interfaces|tun
# shellcheck source=tests/live/lib.sh
source "$(dirname "$0")/lib.sh"
CASE=$1
live_init
net_init
N=1800
"$PYTHON" "$LIVE_SRC/live.py" gen sent.pcap "$N"

case $CASE in
filter)
	# Flow 3 alone: UDP source port 20003, 100 of the 1800 frames.
	start_dbcap d -i "$SIDE_B" -w got.pcap --writers 2 --stats s.json udp and src port 20003
	send sent.pcap 4000
	stop_dbcap
	((RC == 0)) || { cat d.err >&2; fail "exit status $RC"; }
	"$TCPDUMP" -n -r sent.pcap -w want.pcap udp and src port 20003 2>/dev/null
	"$PYTHON" "$LIVE_SRC/live.py" compare want.pcap got.pcap
	consistent s.json
	# The kernel's filter refused the rest: it saw only these.
	expect "kernel seen" "$(jget s.json totals.kernel.seen_packets)" 100
	expect "filter" "$(jget s.json run.interfaces.0.filter)" "udp and src port 20003"
	;;
snaplen)
	start_dbcap d -i "$SIDE_B" -w got.pcap --writers 2 -s 100 --stats s.json
	send sent.pcap 4000
	stop_dbcap
	((RC == 0)) || { cat d.err >&2; fail "exit status $RC"; }
	"$PYTHON" "$LIVE_SRC/live.py" snap sent.pcap got.pcap 100
	consistent s.json
	# -s is asked for: not a cut by the ring.
	expect "cut" "$(jget s.json totals.kernel.cut_packets)" 0
	head=$("$TCPDUMP" -n -c 1 -r got.pcap 2>&1 >/dev/null)
	[[ $head == *"snapshot length 100"* ]] || fail "the file's snapshot length is not 100: $head"
	;;
count)
	start_dbcap d -i "$SIDE_B" -w got.pcap --writers 2 -c 500 --stats s.json
	send sent.pcap 4000
	wait_dbcap # -c stops it
	((RC == 0)) || { cat d.err >&2; fail "exit status $RC"; }
	expect "records" "$("$PYTHON" "$LIVE_SRC/live.py" count got.pcap)" 500
	expect "stop reason" "$(jget s.json run.stop_reason)" count
	expect "captured" "$(jget s.json reconciliation.captured_packets)" 500
	consistent s.json
	seen=$(jget s.json totals.kernel.seen_packets)
	after=$(jget s.json totals.kernel.after_count_packets)
	drops=$(jget s.json totals.kernel.dropped_packets)
	((seen == 500 + after + drops)) || fail "seen $seen != 500 + after -c $after + drops $drops"
	;;
promisc)
	promiscuity() { in_b ip -d link show "$SIDE_B" | grep -o 'promiscuity [0-9]*' | cut -d' ' -f2; }
	expect "promiscuity before" "$(promiscuity)" 0
	start_dbcap d -i "$SIDE_B" -w got.pcap --writers 2 --stats s.json
	# One membership per socket: one per writer.
	expect "promiscuity (default)" "$(promiscuity)" 2
	stop_dbcap
	expect "promiscuity after" "$(promiscuity)" 0
	expect "promiscuous" "$(jget s.json run.interfaces.0.promiscuous)" true
	start_dbcap p -i "$SIDE_B" -w got-p.pcap --writers 2 -p --stats p.json
	expect "promiscuity (-p)" "$(promiscuity)" 0
	send sent.pcap 4000
	stop_dbcap
	((RC == 0)) || { cat p.err >&2; fail "exit status $RC"; }
	expect "promiscuous (-p)" "$(jget p.json run.interfaces.0.promiscuous)" false
	# veth hands every frame over whatever the mode: all captured.
	"$PYTHON" "$LIVE_SRC/live.py" compare sent.pcap got-p.pcap
	consistent p.json
	;;
list)
	in_b "$DBCAP" -D >list.out 2>list.err || fail "dbcap -D exit status $?"
	cat list.out
	grep -Eq "^[0-9]+\.$SIDE_B " list.out || fail "dbcap -D does not list $SIDE_B"
	grep -Eq "^[0-9]+\.lo " list.out || fail "dbcap -D does not list lo"
	;;
cut)
	# 8000-byte frames (MTU 9000) into ring blocks of 4 KiB: stored cut, with their length.
	in_a ip link set "$SIDE_A" mtu 9000
	in_b ip link set "$SIDE_B" mtu 9000
	"$PYTHON" "$LIVE_SRC/live.py" gen big.pcap 50 8000
	start_dbcap d -i "$SIDE_B" -w got.pcap --ring-block-size 4k --ring-blocks 64 --stats s.json
	send big.pcap 500
	stop_dbcap
	((RC == 0)) || { cat d.err >&2; fail "exit status $RC"; }
	expect "cut" "$(jget s.json totals.kernel.cut_packets)" 50
	expect "records" "$("$PYTHON" "$LIVE_SRC/live.py" count got.pcap)" 50
	"$TCPDUMP" -n -r got.pcap 2>/dev/null | head -2
	"$PYTHON" - got.pcap "$LIVE_SRC" <<'PY' || fail "cut records are wrong"
import sys
sys.path.insert(0, sys.argv[2])
from live import read_records
for _, cap, orig, data in read_records(sys.argv[1]):
    assert orig == 8000 and cap < 4096 and cap == len(data), (cap, orig)
PY
	consistent s.json
	;;
two-interfaces)
	need "$TSHARK"
	SIDE_C=dcC$$ SIDE_D=dcD$$
	ip link add "$SIDE_C" netns "$NS_A" type veth peer name "$SIDE_D" netns "$NS_B"
	in_a ip link set "$SIDE_C" up
	in_b ip link set "$SIDE_D" up
	start_dbcap d -i "$SIDE_B" -i "$SIDE_D" -w got.pcapng --writers 2 --stats s.json udp
	send sent.pcap 4000
	send sent.pcap 4000 "$SIDE_C"
	stop_dbcap
	((RC == 0)) || { cat d.err >&2; fail "exit status $RC"; }
	"$TSHARK" -r got.pcapng -T fields -e frame.interface_name | sort | uniq -c >names
	cat names
	udp=$("$TCPDUMP" -n -r sent.pcap udp 2>/dev/null | wc -l)
	grep -Eq "^ *$udp $SIDE_B\$" names || fail "not $udp frames from $SIDE_B"
	grep -Eq "^ *$udp $SIDE_D\$" names || fail "not $udp frames from $SIDE_D"
	"$TSHARK" -r got.pcapng -T fields -e frame.time_epoch -c 1 | grep -Eq '\.[0-9]{9}$' ||
		fail "no nanosecond time stamps"
	expect "interface 1" "$(jget s.json run.interfaces.1.name)" "$SIDE_D"
	consistent s.json
	;;
tun)
	# A tun device has no link layer: raw IP records (LINKTYPE_RAW).  The test holds the
	# device open (its carrier) and sends 50 UDP datagrams through it.
	TUN=dcT$$
	in_b ip tuntap add dev "$TUN" mode tun
	in_b ip addr add 198.51.100.5 peer 198.51.100.6/32 dev "$TUN"
	in_b ip link set "$TUN" up
	ip netns exec "$NS_B" "$PYTHON" - "$TUN" <<'PY' &
import fcntl, os, socket, struct, sys, time
fd = os.open("/dev/net/tun", os.O_RDWR)
fcntl.ioctl(fd, 0x400454ca, struct.pack("16sH", sys.argv[1].encode(), 0x0001 | 0x1000))  # TUNSETIFF: IFF_TUN | IFF_NO_PI
for _ in range(600):  # until dbcap listens (the file "go"), 30 s at most
    if os.path.exists("go"):
        break
    time.sleep(0.05)
else:
    sys.exit("dbcap never listened")
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(50):
    s.sendto(b"dbcap-tun %d" % i, ("198.51.100.6", 9))
    os.read(fd, 2048)
PY
	SENDER=$!
	PIDS+=("$SENDER")
	start_dbcap d -i "$TUN" -w got.pcap --stats s.json
	touch go
	wait "$SENDER" || fail "the sender failed"
	sleep 0.3
	stop_dbcap
	((RC == 0)) || { cat d.err >&2; fail "exit status $RC"; }
	expect "link type" "$(jget s.json run.interfaces.0.linktype)" 101
	head=$("$TCPDUMP" -n -c 1 -r got.pcap 2>&1 >/dev/null)
	[[ $head == *"link-type RAW"* ]] || fail "not a raw IP file: $head"
	n=$("$TCPDUMP" -n -r got.pcap 'udp and dst host 198.51.100.6 and dst port 9' 2>/dev/null | wc -l)
	expect "datagrams" "$n" 50
	consistent s.json
	;;
*) fail "unknown case $CASE" ;;
esac
say "ok: $CASE"
