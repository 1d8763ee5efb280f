#!/bin/bash
# Privileges and a failing interface: no CAP_NET_RAW, a missing or down interface (a clear
# message, exit 1, no file), an interface deleted mid-run (a complete file, the statistics say
# why, exit 1), and -Z nobody (credentials and every capability set after the drop).
# An interface that goes down and up again: capture resumes.
# usage: privileges.sh no-cap-net-raw|missing|down|deleted|down-up|drop-user
# shellcheck source=tests/live/lib.sh
source "$(dirname "$0")/lib.sh"
CASE=$1
live_init
net_init

# refused TAG WORDS -- ARGS...: dbcap exits 1, stderr names WORDS, no capture file is left.
refused() {
	local tag=$1 words=$2
	shift 3
	RC=0
	"$@" >"$tag.out" 2>"$tag.err" || RC=$?
	cat "$tag.err"
	no_sanitizer_report "$tag.err"
	expect "exit status" "$RC" 1
	grep -q -- "$words" "$tag.err" || fail "the message does not say \"$words\""
	[[ ! -e got.pcap ]] || fail "a capture file was left"
	[[ ! -e s.json ]] || fail "a statistics file was left"
}

case $CASE in
no-cap-net-raw)
	need capsh
	refused c "CAP_NET_RAW" -- in_b capsh --drop=cap_net_raw -- -c \
		"exec $DBCAP -i $SIDE_B -w got.pcap --stats s.json"
	;;
missing)
	refused m "nosuch$$: no such interface" -- in_b "$DBCAP" -i "nosuch$$" -w got.pcap --stats s.json
	;;
down)
	in_b ip link set "$SIDE_B" down
	refused d "$SIDE_B: the interface is down" -- in_b "$DBCAP" -i "$SIDE_B" -w got.pcap --stats s.json
	;;
deleted)
	N=900
	"$PYTHON" "$LIVE_SRC/live.py" gen sent.pcap "$N"
	start_dbcap d -i "$SIDE_B" -w got.pcap --writers 2 --stats s.json
	send sent.pcap 3000
	sleep 0.3
	in_b ip link del "$SIDE_B"
	wait_dbcap # it stops by itself
	cat d.err
	expect "exit status" "$RC" 1
	grep -q "$SIDE_B: the interface disappeared" d.err || fail "no message that the interface disappeared"
	expect "stop reason" "$(jget s.json run.stop_reason)" "interface disappeared"
	expect "disappeared" "$(jget s.json run.interfaces.0.disappeared)" true
	expect "error" "$(jget s.json run.error)" "$SIDE_B: the interface disappeared"
	consistent s.json
	# Complete: every frame sent before the deletion, each record whole.
	"$PYTHON" "$LIVE_SRC/live.py" compare sent.pcap got.pcap
	n=$("$TCPDUMP" -n -r got.pcap 2>/dev/null | wc -l)
	expect "tcpdump's records" "$n" "$N"
	;;
down-up)
	N=180
	"$PYTHON" "$LIVE_SRC/live.py" gen sent.pcap "$N"
	start_dbcap d -i "$SIDE_B" -w got.pcap --writers 2 --stats s.json
	send sent.pcap 3000
	in_b ip link set "$SIDE_B" down
	sleep 0.3
	in_b ip link set "$SIDE_B" up
	in_a ip link set "$SIDE_A" up
	for ((i = 0; i < 100; i++)); do
		in_b ip link show "$SIDE_B" | grep -q "LOWER_UP" && break
		sleep 0.05
	done
	send sent.pcap 3000
	sleep 0.3
	stop_dbcap
	cat d.err
	expect "exit status" "$RC" 0
	expect "records" "$("$PYTHON" "$LIVE_SRC/live.py" count got.pcap)" $((2 * N))
	expect "disappeared" "$(jget s.json run.interfaces.0.disappeared)" false
	consistent s.json
	;;
drop-user)
	id nobody >/dev/null 2>&1 || fail "no user nobody"
	N=360
	"$PYTHON" "$LIVE_SRC/live.py" gen sent.pcap "$N"
	mkdir out
	chown nobody out
	chmod 755 "$WORK" # mktemp's 700 would keep nobody out
	start_dbcap d -i "$SIDE_B" -w out/got.pcap --writers 2 --stats out/s.json \
		--stats-interval 0.2 -Z nobody
	send sent.pcap 3000
	status=/proc/$DBCAP_PID/status
	uid=$(id -u nobody) gid=$(id -g nobody)
	cat "$status" | grep -E '^(Uid|Gid|Groups|Cap|NoNewPrivs)'
	expect "Uid" "$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "$status")" "$uid $uid $uid $uid"
	expect "Gid" "$(awk '/^Gid:/ { print $2, $3, $4, $5 }' "$status")" "$gid $gid $gid $gid"
	for set in CapInh CapPrm CapEff CapBnd CapAmb; do
		expect "$set" "$(awk -v s="$set:" '$1 == s { print $2 }' "$status")" 0000000000000000
	done
	expect "NoNewPrivs" "$(awk '/^NoNewPrivs:/ { print $2 }' "$status")" 1
	# Every thread, not only main.
	for t in /proc/"$DBCAP_PID"/task/*/status; do
		grep -H "^Name" "$t"
		expect "$t CapEff" "$(awk '$1 == "CapEff:" { print $2 }' "$t")" 0000000000000000
		expect "$t Uid" "$(awk '/^Uid:/ { print $2 }' "$t")" "$uid"
	done
	sleep 0.5 # a periodic statistics document, written as nobody
	stop_dbcap
	((RC == 0)) || { cat d.err >&2; fail "exit status $RC"; }
	"$PYTHON" "$LIVE_SRC/live.py" compare sent.pcap out/got.pcap
	consistent out/s.json
	expect "capture's owner" "$(stat -c %U out/got.pcap)" nobody
	expect "statistics' owner" "$(stat -c %U out/s.json)" nobody
	;;
*) fail "unknown case $CASE" ;;
esac
say "ok: $CASE"
