#!/bin/bash
# A stop comes in a bounded time however many writers share the cores, and a second stop signal cuts the drain short; both end with a verified file and final statistics.
# usage: stop.sh DBCAP VERIFY many|again BOUND_SECONDS
#   many:  256 writers on this machine's cores, --duration 1: dbcap must be
#          gone within BOUND_SECONDS after that second (it took 281 s here
#          before the fix, deaf to SIGTERM meanwhile).
#   again: a reader slowed by --reader-work has much left to drain when
#          SIGTERM comes; a second SIGTERM ends the run within BOUND_SECONDS,
#          what was not written counted as dropped (aborted).
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
DBCAP=$1 VERIFY=$2 CASE=$3 BOUND=$4
need "$PYTHON"
e2e_init

case $CASE in
many) args=(--writers 256 --duration 1) ;;
# 1024 full buffers of 64 KiB, each costing the reader about 4 ms of work: a drain of seconds.
again) args=(--writers 16 --buffers 64 --buffer-size 64k --block-max 2000 --reader-work 1000000
	--duration 600) ;;
*) fail "unknown case $CASE" ;;
esac
"$DBCAP" -w out.pcapng --stats s.json -q "${args[@]}" >dbcap.out 2>dbcap.err &
pid=$!
PIDS+=("$pid")
# The header is written just before the threads start, and the duration with them.
wait_for_file out.pcapng 60
sleep 1
sent=$(date +%s%N)
if [[ $CASE == again ]]; then
	kill -s TERM "$pid" || fail "dbcap exited before SIGTERM"
	sleep 0.5
	kill -0 "$pid" 2>/dev/null || fail "the drain was over within 0.5 s: nothing left to cut short"
	kill -s TERM "$pid"
	sent=$(date +%s%N)
fi
for ((i = 0; i < BOUND * 100; i++)); do
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.01
done
if kill -0 "$pid" 2>/dev/null; then
	kill -KILL "$pid"
	fail "dbcap still ran ${BOUND} s after its stop (the duration's end, or the second SIGTERM)"
fi
took_ms=$((($(date +%s%N) - sent) / 1000000))
wait_rc "$pid"
no_sanitizer_report dbcap.err
((RC == 0)) || fail "exit status $RC, want 0: $(cat dbcap.err)"
expect final "$(jget s.json final)" true
[[ $CASE == many ]] && want_reason=duration || want_reason="signal SIGTERM"
expect run.stop_reason "$(jget s.json run.stop_reason)" "$want_reason"
expect reconciliation.consistent "$(jget s.json reconciliation.consistent)" true
expect totals.pending_blocks "$(jget s.json totals.pending_blocks)" 0
aborted=$(jget s.json totals.dropped.aborted)
if [[ $CASE == again ]]; then
	((aborted > 0)) || fail "totals.dropped.aborted is 0 after the second SIGTERM"
	grep -q 'stopping now' dbcap.err || fail "no message about the second signal: $(cat dbcap.err)"
else
	expect totals.dropped.aborted "$aborted" 0
fi
verify out.pcapng s.json
say "ok: $CASE: gone ${took_ms} ms after the stop; $(jget s.json totals.persisted_blocks) persisted, closed $(jget s.json totals.dropped.closed), aborted $aborted"
