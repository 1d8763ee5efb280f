#!/bin/bash
# --format pcapng for a replay keeps the input's interfaces and time stamps; pcap stays byte for byte tcpdump's; the extension decides by default and a contradiction warns once.
# usage: format.sh CASE
#   pcapng-in   a pcapng input (both byte orders) into pcapng: interfaces, their options, the
#               section's options, each packet's interface and time stamp kept (tshark, capinfos)
#   pcap-in     a pcap input (micro, nano) into pcapng: one interface, the same packets and times
#   names       the extension decides (.pcapng, .pcap, none: pcap), --format overrides with
#               one warning; pcap output still equals tcpdump -r -w
# shellcheck source=tests/replay/lib.sh
source "$(dirname "$0")/lib.sh"
CASE=$1
need "$PYTHON" "$TCPDUMP" tshark capinfos
replay_init

expect() {
	[[ $2 == "$3" ]] || fail "$1: got '$2', want '$3'"
}

# fields FILE: what tshark reads of every packet: interface, its name and description, time, lengths.
fields() {
	tshark -r "$1" -T fields -e frame.interface_id -e frame.interface_name \
		-e frame.interface_description -e frame.time_epoch -e frame.len -e frame.cap_len \
		-e frame.protocols 2>tshark.err || {
		cat tshark.err >&2
		fail "tshark -r $1 failed"
	}
}

# file_type FILE: capinfos' words for the format.
file_type() {
	capinfos -t -M "$1" 2>/dev/null | awk -F': *' '/^File type/ { print $2 }'
}

# interfaces FILE: capinfos' interface section, less the per-file counts.
interfaces() {
	capinfos -I -M "$1" 2>/dev/null | sed -n '/^Interface #/,$p' | grep -v 'Number of packets'
}

case $CASE in
pcapng-in)
	for bo in le be; do
		"$PYTHON" "$REPLAY_SRC/mkpcapng.py" 200 "$bo" >"$bo.pcapng"
		run "$bo-1" 0 "$DBCAP" -q -r "$bo.pcapng" -w "$bo-1.pcapng" --stats "$bo-1.json"
		expect "$bo: format" "$(file_type "$bo-1.pcapng")" pcapng
		expect "$bo: run.output_format" "$(jget "$bo-1.json" run.output_format)" pcapng
		reconciles "$bo-1.json"
		valid "$bo-1.json" >/dev/null
		fields "$bo.pcapng" >in.fields
		fields "$bo-1.pcapng" >out.fields
		diff in.fields out.fields >&2 || fail "$bo: packets, interfaces or times differ (above)"
		grep -q $'^1\teth-b\tsecond port\t' out.fields || fail "$bo: interface 1 lost its name"
		diff <(interfaces "$bo.pcapng") <(interfaces "$bo-1.pcapng") >&2 ||
			fail "$bo: interface descriptions differ (above)"
		capinfos -M "$bo-1.pcapng" >ci.out 2>/dev/null
		grep -q 'Capture hardware: *test hardware' ci.out || fail "$bo: shb_hardware lost"
		grep -q 'Capture oper-sys: *test os' ci.out || fail "$bo: shb_os lost"
		grep -q 'Capture application: *dbcap' ci.out || fail "$bo: shb_userappl is not dbcap's"
		# Two writers: the same packets, each flow in order.
		run "$bo-2" 0 "$DBCAP" -q -r "$bo.pcapng" -w "$bo-2.pcapng" --writers 2
		fields "$bo-2.pcapng" | sort >out2.fields
		diff <(sort in.fields) out2.fields >&2 || fail "$bo: two writers lost or changed packets"
	done
	# -s: the interfaces take the new snapshot length.
	run snap 0 "$DBCAP" -q -r le.pcapng -w snap.pcapng -s 40
	interfaces snap.pcapng | grep -c 'Capture length = 40' | grep -qx 2 ||
		fail "-s 40: the interfaces do not say 40: $(interfaces snap.pcapng)"
	;;
pcap-in)
	for prec in micro nano; do
		opt=()
		[[ $prec == nano ]] && opt=(--nano)
		"$MKIMIX" -o "$prec.pcap" --packets 5000 --flows 100 --seed 3 "${opt[@]}" 2>/dev/null
		run "$prec" 0 "$DBCAP" -q -r "$prec.pcap" -w "$prec.pcapng" --stats "$prec.json"
		expect "$prec: format" "$(file_type "$prec.pcapng")" pcapng
		reconciles "$prec.json"
		diff <(fields "$prec.pcap" | cut -f4-) <(fields "$prec.pcapng" | cut -f4-) >&2 ||
			fail "$prec: packets or times differ (above)"
		want=microseconds
		[[ $prec == nano ]] && want=nanoseconds
		interfaces "$prec.pcapng" | grep -q "Time precision = $want" ||
			fail "$prec: the interface's resolution is not $want: $(interfaces "$prec.pcapng")"
		expect "$prec: interfaces" "$(interfaces "$prec.pcapng" | grep -c '^Interface #')" 1
	done
	;;
names)
	"$MKIMIX" -o in.pcap --packets 3000 --seed 4 2>/dev/null
	"$TCPDUMP" -r in.pcap -w ref.pcap 2>/dev/null
	# By the name: .pcapng and .ntar pcapng; .pcap and no extension pcap, as tcpdump writes it.
	run ng 0 "$DBCAP" -q -r in.pcap -w out.pcapng
	expect ".pcapng" "$(file_type out.pcapng)" pcapng
	run ntar 0 "$DBCAP" -q -r in.pcap -w out.ntar
	expect ".ntar" "$(file_type out.ntar)" pcapng
	for name in out.pcap out; do
		run "plain-$name" 0 "$DBCAP" -q -r in.pcap -w "$name"
		cmp ref.pcap "$name" || fail "-w $name: not byte for byte tcpdump -r -w"
		[[ -s plain-$name.err ]] && fail "-w $name: unexpected words: $(cat "plain-$name.err")"
	done
	# --format against the name: it wins, and one warning says so.
	run force-ng 0 "$DBCAP" -q -r in.pcap -w forced.pcap --format pcapng
	expect "--format pcapng into .pcap" "$(file_type forced.pcap)" pcapng
	expect "warnings" "$(grep -c 'warning: -w forced.pcap: the name says pcap, --format says pcapng' force-ng.err)" 1
	expect "lines on stderr" "$(wc -l <force-ng.err)" 1
	run force-pcap 0 "$DBCAP" -q -r in.pcap -w forced.pcapng --format pcap
	cmp ref.pcap forced.pcapng || fail "--format pcap: not byte for byte tcpdump -r -w"
	expect "warnings" "$(grep -c 'the name says pcapng, --format says pcap' force-pcap.err)" 1
	# Agreeing or silent names: no warning.
	run agree 0 "$DBCAP" -q -r in.pcap -w agree.pcapng --format pcapng
	[[ -s agree.err ]] && fail "a warning where the name agrees: $(cat agree.err)"
	# The configuration file's key.
	printf '{ "format": "pcapng" }\n' >c.json
	run config 0 "$DBCAP" -q --config c.json -r in.pcap -w cfg.capture
	expect "\"format\": \"pcapng\"" "$(file_type cfg.capture)" pcapng
	;;
*) fail "unknown case $CASE" ;;
esac
say "ok: $CASE"
