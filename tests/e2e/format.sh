#!/bin/bash
# A synthetic capture in either format: the name's extension decides by default (none: pcapng), --format overrides with one warning; dbcap-verify, capinfos and tshark read both.
# usage: format.sh DBCAP VERIFY
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
DBCAP=$1 VERIFY=$2
need "$PYTHON" "$CAPINFOS" "$TSHARK"
e2e_init

# capture NAME WANT_FORMAT [ARGS...]: 3000 blocks from 2 writers into NAME, which must be WANT_FORMAT.
capture() {
	local name=$1 want=$2 got
	shift 2
	run_ok "cap-$name" "$DBCAP" -q -c 3000 --writers 2 -w "$name" --stats "$name.json" "$@"
	verify "$name" "$name.json"
	expect "$name: run.output_format" "$(jget "$name.json" run.output_format)" "$want"
	got=$("$CAPINFOS" -t -M "$name" 2>/dev/null | awk -F': *' '/^File type/ { print $2 }')
	case $want in
	pcap) expect "$name: capinfos' file type" "$got" nsecpcap ;;
	pcapng) expect "$name: capinfos' file type" "$got" pcapng ;;
	esac
	expect "$name: packets capinfos reads" "$(capinfos_count "$name")" 3000
	expect "$name: packets tshark reads" "$(tshark_count "$name")" 3000
}

capture syn.pcap pcap
expect "run.config.format" "$(jget syn.pcap.json run.config.format)" auto
grep -q 'the name says' cap-syn.pcap.err && fail "a warning for a name that agrees: $(cat cap-syn.pcap.err)"
capture syn.pcapng pcapng
capture syn pcapng
capture forced.pcap pcapng --format pcapng
expect "warnings" "$(grep -c 'warning: -w forced.pcap: the name says pcap, --format says pcapng; writing pcapng' cap-forced.pcap.err)" 1
expect "run.config.format" "$(jget forced.pcap.json run.config.format)" pcapng
capture forced.pcapng pcap --format pcap
expect "warnings" "$(grep -c 'the name says pcapng, --format says pcap;' cap-forced.pcapng.err)" 1
# To standard output, where no name speaks: the option alone.
run_ok stdout-pcap "$DBCAP" -q -c 3000 --writers 2 -w - --format pcap --stats stdout.json
verify stdout-pcap.out stdout.json
expect "run.output_format" "$(jget stdout.json run.output_format)" pcap
say "ok"
