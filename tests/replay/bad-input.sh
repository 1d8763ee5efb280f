#!/bin/bash
# Bad input: a clear error naming the file and libpcap's reason, the documented exit status, no crash, no output left behind.
# usage: bad-input.sh
# shellcheck source=tests/replay/lib.sh
source "$(dirname "$0")/lib.sh"
need "$PYTHON"
replay_init

# refused NAME RC WORDS FILE [OPTIONS...]: dbcap exits RC, says WORDS and
# names the file, and leaves no output file.
refused() {
	local name=$1 rc=$2 words=$3 file=$4
	shift 4
	run "$name" "$rc" "$DBCAP" -q -r "$file" -w "$name.out.pcap" "$@"
	grep -qF -- "$words" "$name.err" || fail "$name: the message lacks \"$words\": $(cat "$name.err")"
	if ((rc != 2)); then # a bad filter names the filter instead
		grep -qF -- "$file" "$name.err" || fail "$name: the message does not name $file: $(cat "$name.err")"
	fi
	[[ ! -e $name.out.pcap ]] || fail "$name: an output file was left behind"
	say "ok: $name: $(head -1 "$name.err")"
}

# The three files libpcap's own tests refuse, with its words.
refused invalid-version 1 "archaic pcap savefile format" \
	"$CORPUS/libpcap-invalid/pcap-invalid-version-1.pcap"
refused invalid-pcapng-version 1 "unsupported pcapng savefile version 0.1" \
	"$CORPUS/libpcap-invalid/pcapng-invalid-vers-1.pcapng"
refused shb-option-too-long 1 "block total length in header and trailer don't match" \
	"$CORPUS/libpcap-invalid/shb-option-too-long.pcapng"

refused missing 1 "No such file or directory" "$PWD/no-such-file.pcap"
mkdir adir
refused directory 1 "Is a directory" adir
: >empty.pcap
refused empty 1 "truncated dump file; tried to read 4 file header bytes, only got 0" empty.pcap
printf 'this is not a capture file at all\n' >text.pcap
refused not-a-capture 1 "unknown file format" text.pcap

# pcapng files made here: python writes the blocks.
mkpcapng() { # mkpcapng OUT SPEC...: SPEC is idb:LINKTYPE or epb:IFACE:LEN
	"$PYTHON" - "$@" <<'PY'
import struct, sys
out = open(sys.argv[1], "wb")
def block(t, body):
    body += b"\0" * (-len(body) % 4)
    n = 12 + len(body)
    out.write(struct.pack("<II", t, n) + body + struct.pack("<I", n))
block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
ts = 1700000000 * 1000000
for spec in sys.argv[2:]:
    kind, *args = spec.split(":")
    if kind == "idb":
        block(1, struct.pack("<HHI", int(args[0]), 0, 65535))
    else:
        n = int(args[1])
        ts += 1000
        pkt = bytes(range(256)) * (n // 256 + 1)
        block(6, struct.pack("<IIIII", int(args[0]), ts >> 32, ts & 0xffffffff, n, n) + pkt[:n])
PY
}
# Two interfaces of different link types before any packet: refused.
mkpcapng mixed.pcapng idb:1 idb:228 epb:0:60 epb:1:40
refused mixed-linktypes 1 "an interface has a type 228 different from the type of the first interface" \
	mixed.pcapng

# The filter must compile (exit 2, like a bad option); nothing is created.
refused bad-filter 2 "syntax error" "$CORPUS/tcpdump-tests/02-sunrise-sunset-esp.pcap" \
	tcp and and port 80
refused bad-filter-port 2 "illegal port number 99999 > 65535" "$CORPUS/tcpdump-tests/02-sunrise-sunset-esp.pcap" \
	port 99999

# Replay options without --pcap.
run snaplen-alone 2 "$DBCAP" -q -w x.pcap -s 100
grep -q -- "--snaplen 100 needs --pcap FILE" snaplen-alone.err
run speed-alone 2 "$DBCAP" -q -w x.pcap --speed 2
grep -q -- "--speed 2 needs --pcap FILE" speed-alone.err
run snaplen-range 2 "$DBCAP" -q -r empty.pcap -w x.pcap -s 300000
grep -q -- "--snaplen: 300000 is out of range" snaplen-range.err
run speed-range 2 "$DBCAP" -q -r empty.pcap -w x.pcap --speed -1
grep -q -- "--speed: -1 is out of range" speed-range.err
[[ ! -e x.pcap ]] || fail "a refused option left x.pcap behind"

# Cut in the middle of a record: the complete records are replayed, with a
# warning in libpcap's words, exit status 3, and the statistics count it.
cut_test() { # cut_test NAME SOURCE BYTES WORDS
	local name=$1 src=$2 bytes=$3 words=$4
	head -c "$bytes" "$src" >"$name.in"
	run "$name" 3 "$DBCAP" -q -r "$name.in" -w "$name.pcap" --stats "$name.json"
	grep -qF "warning: $name.in: $words" "$name.err" ||
		fail "$name: no warning with \"$words\": $(cat "$name.err")"
	run "cmp-$name" 0 "$COMPARE" "$name.in" "$name.pcap"
	[[ $(jget "$name.json" run.input.truncated) == true ]] || fail "$name: run.input.truncated is not true"
	local unread
	unread=$(jget "$name.json" run.input.unread_bytes)
	((unread > 0 && unread < bytes)) || fail "$name: run.input.unread_bytes is $unread"
	[[ $(jget "$name.json" run.stop_reason) == "input error" ]] || fail "$name: stop_reason"
	jget "$name.json" run.input.error | grep -qF "$words" || fail "$name: run.input.error"
	reconciles "$name.json"
	valid "$name.json"
	say "ok: $name: $(jget "$name.json" totals.persisted_blocks) records replayed, $unread bytes not"
}
"$MKIMIX" -o imix.pcap --packets 2000 --seed 3 2>/dev/null
# 24 + 1000 records of (16 + 60..1514): somewhere inside a record for sure.
size=$(stat -c %s imix.pcap)
cut_test cut-pcap imix.pcap $((size / 2 + 7)) "truncated dump file; tried to read"
# shellcheck disable=SC2046 # one word per block
mkpcapng blocks.pcapng idb:1 $(for i in $(seq 1 60); do echo "epb:0:$((60 + i * 23))"; done)
cut_test cut-pcapng blocks.pcapng $(($(stat -c %s blocks.pcapng) * 2 / 3 + 1)) \
	"truncated pcapng dump file"
# A record header cut short: libpcap's words for that too.
cut_test cut-header imix.pcap $((24 + 16 + $(od -An -tu4 -j32 -N4 imix.pcap) + 5)) \
	"truncated dump file; tried to read 16 header bytes, only got 5"

# Cut inside the first record: there is nothing to replay, so the file is
# refused like any unreadable one.
head -c 50 imix.pcap >first.pcap
refused cut-first-record 1 "truncated dump file" first.pcap

# An interface of another link type after some packets: the packets before
# it are replayed, then dbcap stops as at a cut (exit 3), in libpcap's words.
mkpcapng late-mixed.pcapng idb:1 epb:0:60 epb:0:100 epb:0:1500 idb:228 epb:1:40 epb:0:60
run late-mixed 3 "$DBCAP" -q -r late-mixed.pcapng -w late-mixed.pcap --stats late-mixed.json
grep -qF "an interface has a type 228 different from the type of the first interface" late-mixed.err
[[ $(jget late-mixed.json totals.persisted_blocks) == 3 ]] || fail "late-mixed: want the 3 packets before the second interface"
run cmp-late-mixed 0 "$COMPARE" late-mixed.pcapng late-mixed.pcap
say "ok: every bad input refused or cut as documented"
