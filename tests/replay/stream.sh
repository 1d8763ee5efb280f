#!/bin/bash
# Replay through streams: -w - into tshark and into a file, -r - from a pipe or a file, -r FIFO, both at once; a stop while the input is awaited; a reader gone.
# usage: stream.sh CASE
#   out         -w - | tshark -r -, and -w - > file byte for byte as -w file (1 and 4 writers)
#   out-epipe   -w - | head -c 100: exit 1, not 141, the books balance (dropped.io_error)
#   in          -r - from a pipe, from a regular file, -r FIFO: the same output as -r FILE
#   in-signal   a FIFO without a writer, a pipe that stays quiet: SIGINT/SIGTERM end the wait
# The bash -c scripts below take their programs as $1, $2: single quotes on purpose.
# shellcheck disable=SC2016
# shellcheck source=tests/replay/lib.sh
source "$(dirname "$0")/lib.sh"
CASE=$1
need "$PYTHON" "$TCPDUMP" tshark
replay_init

"$MKIMIX" -o imix.pcap --packets 20000 --flows 300 --vlan 10 --arp 5 --seed 11 2>/dev/null
# The reference: what tcpdump writes, which a replay into pcap equals byte for byte.
"$TCPDUMP" -r imix.pcap -w ref.pcap 2>/dev/null

# in_kind JSON KIND BYTES: run.input as a stream fills it.
in_kind() {
	expect "run.input.kind" "$(jget "$1" run.input.kind)" "$2"
	expect "run.input.file_bytes" "$(jget "$1" run.input.file_bytes)" "$3"
	reconciles "$1"
	valid "$1" >/dev/null
}

expect() {
	[[ $2 == "$3" ]] || fail "$1: got '$2', want '$3'"
}

size=$(stat -c %s imix.pcap)
case $CASE in
out)
	timeout -k 5 120 bash -c '"$1" -q -r imix.pcap -w - --stats pipe.json 2>pipe.err |
		tshark -r - >tshark.out 2>tshark.err; echo "${PIPESTATUS[*]}" >rc.txt' _ "$DBCAP"
	no_sanitizer_report pipe.err
	expect "exit statuses (dbcap tshark)" "$(cat rc.txt)" "0 0"
	expect "packets tshark read from the pipe" "$(wc -l <tshark.out)" 20000
	expect "run.output_kind" "$(jget pipe.json run.output_kind)" stdout
	expect "run.output_format" "$(jget pipe.json run.output_format)" pcap
	reconciles pipe.json
	valid pipe.json >/dev/null
	run w1 0 "$DBCAP" -q -r imix.pcap -w - --stats w1.json
	cmp ref.pcap w1.out || fail "-w - > file differs from tcpdump -r -w"
	expect "file_bytes" "$(jget w1.json totals.file_bytes)" "$(stat -c %s w1.out)"
	run w4 0 "$DBCAP" -q -r imix.pcap -w - --writers 4
	run cmp-w4 0 "$COMPARE" --flows imix.pcap w4.out
	[[ ! -e ./- ]] || fail "a file named - was created"
	;;
out-epipe)
	"$MKIMIX" -o big.pcap --packets 200000 --seed 12 2>/dev/null
	timeout -k 5 120 bash -c '"$1" -r big.pcap -w - --stats s.json 2>dbcap.err |
		head -c 100 >head.out; echo "${PIPESTATUS[0]}" >rc.txt' _ "$DBCAP"
	rc=$(cat rc.txt)
	cat dbcap.err
	no_sanitizer_report dbcap.err
	((rc != 141)) || fail "dbcap died of SIGPIPE (exit 141)"
	expect "exit status" "$rc" 1
	grep -q 'the reader of the capture went away' dbcap.err || fail "no message naming the reader gone"
	reconciles s.json
	valid s.json >/dev/null
	io=$(jget s.json totals.dropped.io_error)
	per=$(jget s.json totals.persisted_blocks)
	((io > 0 && per < 200000)) || fail "persisted $per, io_error $io: the loss is not counted"
	;;
in)
	# From a pipe.
	run ref-run 0 "$DBCAP" -q -r imix.pcap -w file.pcap
	cmp ref.pcap file.pcap || fail "the file replay differs from tcpdump -r -w"
	timeout -k 5 120 bash -c 'cat imix.pcap | "$1" -q -r - -w pipe.pcap --stats pipe.json \
		2>pipe.err; echo $? >rc.txt' _ "$DBCAP"
	no_sanitizer_report pipe.err
	expect "exit status (-r - from a pipe)" "$(cat rc.txt)" 0
	cmp file.pcap pipe.pcap || fail "-r - from a pipe differs from -r FILE"
	in_kind pipe.json stdin "$size"
	# From a regular file as standard input (mapped as it is).
	run redirect 0 "$DBCAP" -q -r - -w redirect.pcap --stats redirect.json <imix.pcap
	cmp file.pcap redirect.pcap || fail "-r - < FILE differs from -r FILE"
	in_kind redirect.json stdin "$size"
	# pcapng through a pipe, four writers, to standard output.
	run ng 0 "$DBCAP" -q -r imix.pcap -w imix.pcapng
	run ng-file 0 "$DBCAP" -q -r imix.pcapng -w ng-file.pcap --writers 4
	timeout -k 5 120 bash -c 'cat imix.pcapng | "$1" -q -r - -w - --writers 4 >ng-pipe.pcap \
		2>ng-pipe.err; echo $? >rc.txt' _ "$DBCAP"
	expect "exit status (-r - -w -)" "$(cat rc.txt)" 0
	run cmp-ng 0 "$COMPARE" --flows imix.pcapng ng-pipe.pcap
	run cmp-ng-file 0 "$COMPARE" --flows ng-file.pcap ng-pipe.pcap
	# From a FIFO whose writer comes later.
	mkfifo in.fifo
	(sleep 0.3 && cat imix.pcap >in.fifo) &
	PIDS+=($!)
	run fifo 0 "$DBCAP" -q -r in.fifo -w fifo.pcap --stats fifo.json
	cmp file.pcap fifo.pcap || fail "-r FIFO differs from -r FILE"
	in_kind fifo.json fifo "$size"
	;;
in-signal)
	# stopped TAG SIG CMD...: CMD is waiting for its input; SIG ends it at once, exit 1, nothing created.
	stopped() {
		local tag=$1 sig=$2 pid start ms
		shift 2
		"$@" <"${STOP_STDIN:-/dev/null}" 2>"$tag.err" &
		pid=$!
		PIDS+=("$pid")
		sleep 0.5
		kill -0 "$pid" 2>/dev/null || fail "$tag: dbcap did not wait for its input: $(cat "$tag.err")"
		start=$(date +%s%N)
		kill -"$sig" "$pid"
		RC=0
		{ wait "$pid"; } 2>/dev/null || RC=$?
		ms=$((($(date +%s%N) - start) / 1000000))
		cat "$tag.err"
		no_sanitizer_report "$tag.err"
		expect "$tag: exit status after SIG$sig" "$RC" 1
		grep -q "SIG$sig while reading the input; nothing replayed" "$tag.err" ||
			fail "$tag: no message naming the signal"
		((ms < 5000)) || fail "$tag: SIG$sig took $ms ms"
		[[ ! -e $tag.pcap ]] || fail "$tag: an output was created"
	}
	mkfifo in.fifo
	stopped fifo INT "$DBCAP" -q -r in.fifo -w fifo.pcap
	# Standard input a pipe whose writer stays and says nothing (a FIFO we hold open for writing).
	mkfifo quiet.fifo
	exec 3<>quiet.fifo
	STOP_STDIN=quiet.fifo stopped pipe TERM "$DBCAP" -q -r - -w pipe.pcap
	exec 3>&-
	;;
*) fail "unknown case $CASE" ;;
esac
say "ok: $CASE"
