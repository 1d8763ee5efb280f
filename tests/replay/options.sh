#!/bin/bash
# tcpdump's conventions: a filter expression, -s, -c; --speed paces; the statistics reconcile and follow the schema.
# usage: options.sh
# shellcheck source=tests/replay/lib.sh
source "$(dirname "$0")/lib.sh"
need "$PYTHON" "$TCPDUMP"
replay_init

"$MKIMIX" -o imix.pcap --packets 20000 --flows 500 --vlan 10 --arp 5 --seed 5 2>/dev/null
docs=()

# replay NAME [DBCAP ARGS...]: replays imix.pcap into NAME.pcap (NAME.json), checks the books.
replay() {
	local name=$1
	shift
	run "$name" 0 "$DBCAP" -q -r imix.pcap -w "$name.pcap" --stats "$name.json" "$@"
	reconciles "$name.json"
	docs+=("$name.json")
}

# A filter: the records tcpdump keeps with the same expression, in order with
# one writer, by flow with four.
"$TCPDUMP" -r imix.pcap -w ref-udp.pcap udp and not vlan 2>/dev/null
replay filter-1 udp and not vlan
run cmp-filter-1 0 "$COMPARE" ref-udp.pcap filter-1.pcap
replay filter-4 --writers 4 udp and not vlan
run cmp-filter-4 0 "$COMPARE" --flows ref-udp.pcap filter-4.pcap
matched=$(jget filter-1.json totals.persisted_blocks)
filtered=$(jget filter-1.json totals.filtered_packets)
((matched > 0 && filtered > 0 && matched + filtered == 20000)) ||
	fail "filter: $matched matched and $filtered filtered of 20000"
[[ $(jget filter-1.json run.input.filter) == "udp and not vlan" ]] || fail "run.input.filter"

# -s: records cut to SNAPLEN, original lengths kept, the header says SNAPLEN.
replay snap -s 100
run cmp-snap 0 "$COMPARE" --snaplen 100 imix.pcap snap.pcap
[[ $(jget snap.json totals.persisted_bytes) == $(jget snap.json totals.read_bytes) ]] ||
	fail "-s: persisted bytes (original lengths) differ from the bytes read"
replay snap-filter-2 --writers 2 -s 64 tcp
"$TCPDUMP" -r imix.pcap -w ref-tcp.pcap tcp 2>/dev/null
run cmp-snap-filter-2 0 "$COMPARE" --flows --snaplen 64 ref-tcp.pcap snap-filter-2.pcap

# -c: like tcpdump -c, the first COUNT packets that pass the filter.
replay count -c 1234
run cmp-count 0 "$COMPARE" --count 1234 imix.pcap count.pcap
[[ $(jget count.json run.stop_reason) == count ]] || fail "-c: stop_reason is not count"
[[ $(jget count.json totals.read_packets) == 1234 ]] || fail "-c without a filter: read 1234 packets"
"$TCPDUMP" -c 300 -r imix.pcap -w ref-c300.pcap udp 2>/dev/null
for n in 1 3; do
	replay "count-filter-$n" --writers "$n" -c 300 udp
	run "cmp-count-filter-$n" 0 "$COMPARE" --flows ref-c300.pcap "count-filter-$n.pcap"
	[[ $(jget "count-filter-$n.json" totals.persisted_blocks) == 300 ]] || fail "-c 300 udp, $n writers"
done
# All writers stop after the same packet of the file: they read the same prefix.
[[ $(jget count-filter-1.json totals.read_packets) == $(jget count-filter-3.json totals.read_packets) ]] ||
	fail "-c 300 udp: 1 writer read $(jget count-filter-1.json totals.read_packets) packets, 3 read $(jget count-filter-3.json totals.read_packets)"
# -c beyond the file: the whole file, stopped by its end.
replay count-all -c 1000000
[[ $(jget count-all.json run.stop_reason) == "end of input" ]] || fail "stop_reason at the end of the file"

# --on-full drop: whatever is dropped is counted, by reason, and the books
# still balance (read = filtered + persisted + dropped).
"$MKIMIX" -o big.pcap --packets 300000 --flows 1000 --seed 9 2>/dev/null
run drop 0 "$DBCAP" -q -r big.pcap -w drop.pcap --stats drop.json --on-full drop \
	--buffer-size 64k --writers 2
reconciles drop.json
docs+=(drop.json)
dropped=$(jget drop.json totals.dropped_blocks)
[[ $dropped == $(jget drop.json totals.dropped.full) ]] || fail "drops not all counted as full"
say "note: --on-full drop with 64 KiB buffers dropped $dropped of 300000 packets"
# Lossless by default (wait): nothing dropped, every record there.
run wait 0 "$DBCAP" -q -r big.pcap -w wait.pcap --stats wait.json --buffer-size 64k --writers 2
[[ $(jget wait.json totals.dropped_blocks) == 0 ]] || fail "the default (wait) dropped packets"
run cmp-wait 0 "$COMPARE" --flows big.pcap wait.pcap
docs+=(wait.json)

# --speed: a capture of 0.5 s takes about 0.5 s at --speed 1, 0.25 s at 2.
# Generous bounds: this is behaviour, not a benchmark.
"$MKIMIX" -o span.pcap --packets 500 --span 0.5 --seed 2 2>/dev/null
timed() { # timed NAME ARGS...: the run's duration_seconds
	run "$1" 0 "$DBCAP" -q -r span.pcap -w "$1.pcap" --stats "$1.json" "${@:2}"
	reconciles "$1.json"
	docs+=("$1.json")
	jget "$1.json" run.duration_seconds
}
t1=$(timed speed-1 --speed 1)
t2=$(timed speed-2 --speed 2)
t4w=$(timed speed-1-writers --speed 1 --writers 2)
t0=$(timed top)
"$PYTHON" - "$t1" "$t2" "$t4w" "$t0" <<'PY' || fail "pacing: --speed 1: $t1 s, --speed 2: $t2 s, 2 writers: $t4w s, top speed: $t0 s"
import sys
t1, t2, tw, t0 = map(float, sys.argv[1:])
# The last packet is due 0.499 s (speed 1) or 0.2495 s (speed 2) after the start.
ok = 0.49 <= t1 <= 3.0 and 0.24 <= t2 <= 2.0 and t2 < t1 and 0.49 <= tw <= 3.0 and t0 < 0.45
sys.exit(0 if ok else 1)
PY
run cmp-speed 0 "$COMPARE" span.pcap speed-1.pcap
say "ok: a 0.5 s capture took $t1 s at --speed 1, $t2 s at --speed 2, $t4w s with 2 writers, $t0 s at top speed"

valid "${docs[@]}"
say "ok: filter, -s, -c, --on-full, --speed; ${#docs[@]} statistics documents reconcile and are valid"
