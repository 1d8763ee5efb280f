#!/bin/bash
# A progress line on a terminal (percent, packets, bytes, rates), cleared at exit; none when stderr is not a terminal.
# usage: progress.sh
# shellcheck source=tests/replay/lib.sh
source "$(dirname "$0")/lib.sh"
need script
replay_init

# 0.6 s of traffic at --speed 1: two or more lines at four a second.
"$MKIMIX" -o span.pcap --packets 600 --span 0.6 --seed 4 2>/dev/null
# script(1) gives dbcap a pseudo-terminal; what dbcap wrote comes back on stdout.
script -qefc "'$DBCAP' -r span.pcap -w tty.pcap --speed 1 --stats tty.json" /dev/null >tty.out ||
	fail "dbcap under script(1) failed: $(cat tty.out)"
no_sanitizer_report tty.out
lines=$(grep -o $'\rdbcap: *[0-9.]*% of span.pcap: [0-9]* packets, [0-9.]* MB; [0-9]* packets/s, [0-9.]* MB/s\e\\[K' tty.out | wc -l)
((lines >= 1)) || { od -c tty.out | head -20 >&2; fail "no progress line on the terminal"; }
# Cleared before the summary: the line goes, then the summary is printed.
grep -q $'\r\e\\[Kdbcap: 600 packets read' tty.out || { od -c tty.out | tail -12 >&2; fail "the progress line was not cleared"; }

# Not a terminal: no progress line.
run pipe 0 "$DBCAP" -r span.pcap -w pipe.pcap --speed 1
if grep -q '% of span.pcap' pipe.err; then
	fail "a progress line although stderr is a file: $(cat pipe.err)"
fi
# -q: no progress line either, even on a terminal.
script -qefc "'$DBCAP' -q -r span.pcap -w quiet.pcap --speed 1" /dev/null >quiet.out
if grep -q '% of span.pcap' quiet.out; then
	fail "a progress line under -q"
fi
say "ok: $lines progress lines on a terminal, cleared at exit; none on a file or under -q"
