#!/bin/bash
# -w - and -w FIFO stream the capture (write(2), in order) to its reader; a reader that goes away ends the run cleanly.
# usage: stream-out.sh DBCAP VERIFY CASE
#   stdout          -w - into capinfos and into a file: dbcap-verify passes, run.output_kind stdout
#   fifo            -w FIFO with a reader: the same; then no reader and SIGTERM: ends the wait
#   epipe-ENGINE    | head -c 100 (ENGINE io_uring or pwrite, as asked for): exit 1, not 141,
#                   a message, the records the pipe did not take counted as dropped (io_error)
# The bash -c scripts below take their programs as $1, $2: single quotes on purpose.
# shellcheck disable=SC2016
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
DBCAP=$1 VERIFY=$2 CASE=$3
need "$PYTHON" "$CAPINFOS"
e2e_init

# stream_stats STATS KIND: what the document says of a stream.
stream_stats() {
	expect "run.output_kind" "$(jget "$1" run.output_kind)" "$2"
	expect "run.io_engine" "$(jget "$1" run.io_engine)" write
	expect "run.direct_io" "$(jget "$1" run.direct_io)" false
	expect "run.sync_at_close" "$(jget "$1" run.sync_at_close)" false
	"$PYTHON" "$E2E_SRC/e2e.py" validate "$SCHEMA" "$1" >/dev/null 2>validate.err || {
		cat validate.err >&2
		fail "$1 does not validate against the schema"
	}
}

case $CASE in
stdout)
	# Into a pipe: capinfos reads the stream itself.
	timeout -k 5 "$RUN_TIMEOUT" bash -c '"$1" -c 1000 -w - --stats pipe.json 2>pipe.err |
		"$2" -c -M - >capinfos.out 2>capinfos.err; echo "${PIPESTATUS[*]}" >rc.txt' \
		_ "$DBCAP" "$CAPINFOS"
	no_sanitizer_report pipe.err
	expect "exit statuses (dbcap capinfos)" "$(cat rc.txt)" "0 0"
	expect "packets capinfos read from the pipe" \
		"$(awk -F: '/^Number of packets/ { gsub(/[ \t]/, "", $2); print $2 }' capinfos.out)" 1000
	grep -q '^dbcap: 1000 blocks' pipe.err || fail "no summary line on stderr"
	stream_stats pipe.json stdout
	# Into a file: the bytes a reader got are the capture the statistics describe.
	run_ok file "$DBCAP" -c 5000 --writers 2 -w - --stats file.json
	verify file.out file.json
	expect "file_bytes against the stream's length" "$(jget file.json totals.file_bytes)" \
		"$(stat -c %s file.out)"
	stream_stats file.json stdout
	[[ ! -e ./- ]] || fail "a file named - was created"
	;;
fifo)
	mkfifo cap.fifo
	cat cap.fifo >got.pcapng &
	PIDS+=($!)
	run_ok dbcap "$DBCAP" -c 5000 --writers 2 -w cap.fifo --stats s.json
	wait_rc "${PIDS[-1]}"
	expect "the FIFO's reader (cat)" "$RC" 0
	verify got.pcapng s.json
	stream_stats s.json fifo
	[[ -p cap.fifo ]] || fail "cap.fifo is no longer a FIFO"
	# Nobody reads: dbcap waits, says so, and a stop signal ends the wait.
	"$DBCAP" -c 100 -w cap.fifo --stats w.json >wait.out 2>wait.err &
	pid=$!
	PIDS+=("$pid")
	for ((i = 0; i < 500; i++)); do
		grep -q 'waiting for a reader' wait.err && break
		sleep 0.01
	done
	grep -q 'waiting for a reader' wait.err || fail "no word of the wait: $(cat wait.err)"
	kill -TERM "$pid"
	start=$(date +%s%N)
	wait_rc "$pid"
	ms=$((($(date +%s%N) - start) / 1000000))
	cat wait.err
	no_sanitizer_report wait.err
	expect "exit status after SIGTERM while waiting for a reader" "$RC" 1
	grep -q 'SIGTERM while waiting for a reader' wait.err || fail "no message naming the signal"
	((ms < 5000)) || fail "SIGTERM took $ms ms to end the wait"
	[[ ! -e w.json ]] || fail "statistics were written for a run that did not start"
	;;
epipe-io_uring | epipe-pwrite)
	engine=${CASE#epipe-}
	# head takes 100 bytes and exits; the pipe's reader is gone.
	timeout -k 5 "$RUN_TIMEOUT" bash -c '"$1" -c 200000 -w - --io-engine "$2" --stats s.json \
		2>dbcap.err | head -c 100 >head.out; echo "${PIPESTATUS[0]}" >rc.txt' _ "$DBCAP" "$engine"
	rc=$(cat rc.txt)
	cat dbcap.err
	no_sanitizer_report dbcap.err
	((rc != 141)) || fail "dbcap died of SIGPIPE (exit 141)"
	expect "exit status" "$rc" 1
	grep -q 'standard output: the reader of the capture went away (write: Broken pipe)' dbcap.err ||
		fail "no message naming the reader gone"
	expect "bytes head got" "$(stat -c %s head.out)" 100
	stream_stats s.json stdout
	expect "consistent" "$(jget s.json reconciliation.consistent)" true
	gen=$(jget s.json totals.generated_blocks)
	per=$(jget s.json totals.persisted_blocks)
	io=$(jget s.json totals.dropped.io_error)
	fb=$(jget s.json totals.file_bytes)
	((io > 0)) || fail "no record counted as lost to the closed pipe"
	((per + io == gen)) || fail "persisted $per + io_error $io != generated $gen"
	# The pipe took at most its size (64 KiB by default) plus what head read.
	((fb <= 1048576)) || fail "file_bytes $fb: more than a pipe can have taken"
	expect "run.stop_reason" "$(jget s.json run.stop_reason)" error
	;;
*) fail "unknown case $CASE" ;;
esac
say "ok: $CASE"
