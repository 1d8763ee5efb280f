#!/bin/bash
# SIGUSR1 writes the statistics now and prints the summary line, and the run goes on to a clean stop.
# usage: signal-usr1.sh DBCAP VERIFY
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
DBCAP=$1 VERIFY=$2
need "$PYTHON"
e2e_init

# -q: no summary at exit; the one asked for by the signal is printed all the same.
"$DBCAP" -w out.pcapng --duration 30 --block-max 2000 --stats s.json -q >dbcap.out 2>dbcap.err &
pid=$!
PIDS+=("$pid")
wait_for_file out.pcapng 60
sleep 0.5
[[ ! -e s.json ]] || fail "s.json exists before SIGUSR1 (no --stats-interval)"
kill -s USR1 "$pid" || fail "dbcap exited before SIGUSR1"
wait_for_file s.json 10
kill -0 "$pid" 2>/dev/null || fail "dbcap ended after SIGUSR1"
expect "final, after SIGUSR1" "$(jget s.json final)" false
expect "run.stop_reason, after SIGUSR1" "$(jget s.json run.stop_reason)" running
early=$(jget s.json totals.persisted_blocks)
for ((i = 0; i < 500; i++)); do
	grep -q '^dbcap: .* blocks .*running' dbcap.err && break
	sleep 0.01
done
grep -q '^dbcap: .* blocks .*running' dbcap.err || fail "no summary line after SIGUSR1: $(cat dbcap.err)"

sleep 0.3
kill -s INT "$pid"
wait_rc "$pid"
no_sanitizer_report dbcap.err
((RC == 0)) || fail "exit status $RC after SIGINT, want 0: $(cat dbcap.err)"
expect final "$(jget s.json final)" true
expect run.stop_reason "$(jget s.json run.stop_reason)" "signal SIGINT"
late=$(jget s.json totals.persisted_blocks)
((late > early)) || fail "the run did not go on after SIGUSR1: $early then $late blocks"
verify out.pcapng s.json
say "ok: SIGUSR1 gave $early blocks while running, the run ended with $late"
