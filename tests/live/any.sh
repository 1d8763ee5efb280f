#!/bin/bash
# dbcap -i any: every interface, cooked (LINKTYPE_LINUX_SLL2, as Debian's tcpdump -i any
# writes), the filter translated for the kernel's cooked socket, exact accounting.  And the
# bad inputs of any interface: a filter that does not compile, a ring the kernel refuses.
# usage: any.sh capture|vlan|filter|filter-host|filter-fields|filter-refused|bad-filter|ring-refused [SANITIZER]
# shellcheck source=tests/live/lib.sh
source "$(dirname "$0")/lib.sh"
CASE=$1
live_init
net_init
N=1800
"$PYTHON" "$LIVE_SRC/live.py" gen sent.pcap "$N"
IFINDEX=$(in_b cat "/sys/class/net/$SIDE_B/ifindex")

# tcpdump -i any beside dbcap, for the same frames (as in vlan.sh: -c ends it once it has
# read them all).  td_start N / td_wait.
td_start() {
	ip netns exec "$NS_B" "$TCPDUMP" -n -i any -c "$1" -w td.pcap >td.out 2>td.err &
	TD=$!
	PIDS+=("$TD")
	for ((i = 0; i < 200; i++)); do
		grep -q "listening on" td.err && return 0
		sleep 0.05
	done
	fail "tcpdump did not start: $(cat td.err)"
}
td_wait() {
	for ((i = 0; i < 200; i++)); do
		kill -0 "$TD" 2>/dev/null || break
		sleep 0.05
	done
	kill -INT "$TD" 2>/dev/null || true
	wait "$TD" || true
}

case $CASE in
capture)
	need "$TSHARK" "$TCPDUMP"
	td_start "$N"
	start_dbcap d -i any -w got.pcap --writers 2 --stats s.json
	grep -q "listening on any, link-type LINUX_SLL2" d.err || fail "not a cooked v2 capture: $(cat d.err)"
	send sent.pcap 4000
	sleep 0.3
	stop_dbcap
	((RC == 0)) || { cat d.err >&2; fail "exit status $RC"; }
	td_wait
	# The same records as tcpdump -i any's, cooked headers included.
	"$PYTHON" "$LIVE_SRC/live.py" same td.pcap got.pcap || fail "dbcap's records differ from tcpdump -i any's"
	# What $NS_B saw on every interface: the sent frames (lo is down, IPv6 off, nothing answered).
	"$PYTHON" "$LIVE_SRC/live.py" cooked sent.pcap got.pcap "$IFINDEX"
	consistent s.json
	expect "kernel seen" "$(jget s.json totals.kernel.seen_packets)" "$N"
	expect "kernel drops" "$(jget s.json totals.kernel.dropped_packets)" 0
	expect "interface" "$(jget s.json run.interfaces.0.name)" any
	expect "ifindex" "$(jget s.json run.interfaces.0.ifindex)" 0
	expect "link type" "$(jget s.json run.interfaces.0.linktype)" 276
	expect "link type name" "$(jget s.json run.interfaces.0.linktype_name)" LINUX_SLL2
	expect "counters" "$(jget s.json run.interfaces.0.counters_start)" null
	# tshark reads it as it reads tcpdump -i any's files: cooked v2, the interface named.
	"$TSHARK" -r got.pcap -T fields -e frame.encap_type -e sll.ifindex -e ip.src | sort | uniq -c >t.out
	cat t.out
	expect "tshark" "$(wc -l <t.out)" 1
	grep -Eq "^ *$N [0-9]+\s+$IFINDEX\s+198\.51\.100\.1$" t.out || fail "tshark does not read $N cooked frames from ifindex $IFINDEX"
	enc=$(capinfos -E got.pcap 2>/dev/null | sed -n 's/^File encapsulation: *//p')
	[[ -z $enc || $enc == "Linux cooked-mode capture v2" ]] || fail "capinfos: $enc"
	head=$("$TCPDUMP" -n -c 1 -r got.pcap 2>&1 >/dev/null)
	[[ $head == *"LINUX_SLL2"* ]] || fail "tcpdump does not read a cooked v2 file: $head"
	# veth's segmentation offloads (on by default), named with their interface.
	grep -q "warning: any: offloads on ($SIDE_B: .*ethtool -K" d.err || fail "no offloads warning naming $SIDE_B: $(cat d.err)"
	[[ $(jget s.json run.interfaces.0.offloads) == "$SIDE_B: "* ]] || fail "offloads: $(jget s.json run.interfaces.0.offloads)"
	# -D lists it, as tcpdump -D does.
	in_b "$DBCAP" -D | grep -Eq '^[0-9]+\.any ' || fail "dbcap -D does not list any"
	;;
vlan)
	# Tagged frames (the sender's VLAN device, or tagged in the file): the tag, which the kernel strips, put back
	# behind the cooked header (tcpdump -i any drops it).
	need "$TCPDUMP"
	VLAN=dcV$$
	if in_a ip link add link "$SIDE_A" name "$VLAN" type vlan id 5 2>/dev/null; then
		in_a ip link set "$VLAN" up
	else
		say "no 802.1Q in this kernel: sending frames tagged in the file"
		VLAN=$SIDE_A
		"$PYTHON" "$LIVE_SRC/live.py" gen sent.pcap "$N" 0 5
	fi
	td_start "$N"
	start_dbcap d -i any -w got.pcap --writers 2 --stats s.json
	send sent.pcap 3000 "$VLAN"
	sleep 0.3
	stop_dbcap
	((RC == 0)) || { cat d.err >&2; fail "exit status $RC"; }
	td_wait
	# tcpdump -i any (libpcap 1.10) drops the tag; dbcap keeps it: otherwise the same records.
	"$PYTHON" "$LIVE_SRC/live.py" cookedvlan td.pcap got.pcap 5
	if [[ -x $(command -v "$TSHARK") ]]; then
		expect "tshark's VLAN 5 frames" "$("$TSHARK" -r got.pcap -Y 'vlan.id == 5 && sll.etype == 0x8100' 2>/dev/null | wc -l)" "$N"
	fi
	expect "records" "$("$PYTHON" "$LIVE_SRC/live.py" count got.pcap)" "$N"
	expect "VLAN tags put back" "$(jget s.json totals.kernel.vlan_restored_packets)" "$N"
	expect "protocols.vlan" "$(jget s.json totals.protocols.vlan)" "$N"
	consistent s.json
	;;
filter | filter-host)
	# The filter reads the cooked header's protocol (now the kernel's) and the IP and UDP
	# headers (20 bytes earlier for the kernel): exactly the matching frames.
	if [[ $CASE == filter ]]; then f=(udp and src port 20003); else f=(host 198.51.100.1 and icmp); fi
	start_dbcap d -i any -w got.pcap --writers 2 --stats s.json "${f[@]}"
	send sent.pcap 4000
	stop_dbcap
	((RC == 0)) || { cat d.err >&2; fail "exit status $RC"; }
	"$TCPDUMP" -n -r sent.pcap -w want.pcap "${f[@]}" 2>/dev/null
	want=$("$PYTHON" "$LIVE_SRC/live.py" count want.pcap)
	((want == 100)) || fail "the test's filter selects $want frames, not 100"
	"$PYTHON" "$LIVE_SRC/live.py" cooked want.pcap got.pcap "$IFINDEX"
	consistent s.json
	expect "kernel seen" "$(jget s.json totals.kernel.seen_packets)" "$want"
	;;
filter-fields)
	# The cooked header's interface index and packet type, as the kernel's ancillary values:
	# the UDP frames that came in on $SIDE_B, all of them (none is outgoing).
	f=(ifindex "$IFINDEX" and inbound and udp)
	start_dbcap d -i any -w got.pcap --writers 2 --stats s.json "${f[@]}"
	send sent.pcap 4000
	stop_dbcap
	((RC == 0)) || { cat d.err >&2; fail "exit status $RC"; }
	"$TCPDUMP" -n -r sent.pcap -w want.pcap udp 2>/dev/null
	"$PYTHON" "$LIVE_SRC/live.py" cooked want.pcap got.pcap "$IFINDEX"
	consistent s.json
	expect "kernel seen" "$(jget s.json totals.kernel.seen_packets)" "$("$PYTHON" "$LIVE_SRC/live.py" count want.pcap)"
	# Another interface's index: nothing passes.
	start_dbcap e -i any -w none.pcap --stats e.json ifindex $((IFINDEX + 1000))
	send sent.pcap 4000
	stop_dbcap
	((RC == 0)) || { cat e.err >&2; fail "exit status $RC"; }
	expect "records (another ifindex)" "$("$PYTHON" "$LIVE_SRC/live.py" count none.pcap)" 0
	expect "kernel seen (another ifindex)" "$(jget e.json totals.kernel.seen_packets)" 0
	;;
filter-refused)
	# The frame's length is not the kernel's on a cooked socket: refused, not run wrong.
	in_b "$DBCAP" -i any -w got.pcap greater 100 >d.out 2>d.err && fail "a length filter on -i any was accepted"
	RC=$?
	cat d.err
	expect "exit status" "$RC" 2
	grep -q "length" d.err || fail "the message does not name the length"
	[[ ! -e got.pcap ]] || fail "an output file was left"
	# The link-layer address (link[11], its length) has no kernel value: refused too.
	in_b "$DBCAP" -i any -w got.pcap 'link[11] = 6' >d.out 2>d.err && fail "a filter on the address length was accepted"
	RC=$?
	cat d.err
	expect "exit status (link[11])" "$RC" 2
	grep -q "reads byte 11 of the cooked header" d.err || fail "the message does not name the byte"
	[[ ! -e got.pcap ]] || fail "an output file was left"
	;;
bad-filter)
	# A filter that does not compile: exit 2 (a bad option), libpcap's words, no file.
	for i in "$SIDE_B" any; do
		in_b "$DBCAP" -i "$i" -w got.pcap no such keyword >d.out 2>d.err && fail "-i $i: a bad filter was accepted"
		RC=$?
		cat d.err
		expect "-i $i: exit status" "$RC" 2
		grep -q 'bad filter "no such keyword"' d.err || fail "-i $i: the message does not name the filter"
		[[ ! -e got.pcap ]] || fail "-i $i: an output file was left"
	done
	;;
ring-refused)
	# A ring the kernel cannot map.  RLIMIT_MEMLOCK does not bound AF_PACKET rings (the
	# kernel allocates them itself, charged to no limit), so the address-space limit
	# makes the mmap(2) of a 96 MiB ring fail in a 64 MiB process.  Sanitizers reserve
	# terabytes of shadow memory, which no address-space limit allows: meson.build
	# registers this case in the plain builds only.
	[[ ${2:-none} == none ]] || fail "ring-refused cannot run under $2 (RLIMIT_AS)"
	need prlimit
	for i in "$SIDE_B" any; do
		in_b prlimit --as=$((64 << 20)) "$DBCAP" -i "$i" -w got.pcap --writers 1 \
			--ring-blocks 96 --ring-block-size 1m >d.out 2>d.err &&
			fail "-i $i: a ring past RLIMIT_AS was mapped"
		RC=$?
		cat d.err
		expect "-i $i: exit status" "$RC" 1
		grep -q "mmap of the ring: Cannot allocate memory: the ring does not fit" d.err ||
			fail "-i $i: the message does not name the ring"
		[[ ! -e got.pcap ]] || fail "-i $i: an output file was left"
	done
	;;
*) fail "unknown case $CASE" ;;
esac
say "ok: $CASE"
