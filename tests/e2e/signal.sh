#!/bin/bash
# A stop signal in the middle of a run stops it cleanly: exit 0, final stats, a verified file; under nohup SIGHUP is ignored.
# usage: signal.sh DBCAP VERIFY INT|TERM|HUP|QUIT|HUP-nohup
#   HUP-nohup: dbcap runs under nohup(1); SIGHUP must not stop it, then SIGTERM does.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
DBCAP=$1 VERIFY=$2 SIG=$3
need "$PYTHON"
e2e_init

nohup=()
if [[ $SIG == HUP-nohup ]]; then
	need nohup
	nohup=(nohup)
fi
# --block-max 2000: a second at full speed stays a few hundred MB.
"${nohup[@]}" "$DBCAP" -w out.pcapng --duration 30 --block-max 2000 --stats s.json -q \
	>dbcap.out 2>dbcap.err &
pid=$!
PIDS+=("$pid")
# The header is written after the signals are blocked: from then on they are handled.
wait_for_file out.pcapng 60
sleep 1
if [[ $SIG == HUP-nohup ]]; then
	kill -s HUP "$pid" || fail "dbcap exited before SIGHUP"
	sleep 1
	kill -0 "$pid" 2>/dev/null || fail "dbcap under nohup ended on SIGHUP"
	SIG=TERM
fi
kill -s "$SIG" "$pid" || fail "dbcap exited before the signal"
sent=$(date +%s%N)
for ((i = 0; i < 3000; i++)); do
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.01
done
kill -0 "$pid" 2>/dev/null && fail "dbcap still runs 30 s after SIG$SIG"
wait_rc "$pid"
took_ms=$((($(date +%s%N) - sent) / 1000000))
no_sanitizer_report dbcap.err
((RC < 128)) || fail "dbcap killed by signal $((RC - 128))"
if ((RC != 0)); then
	cat dbcap.err >&2
	fail "exit status $RC after SIG$SIG, want 0"
fi

expect final "$(jget s.json final)" true
expect run.stop_reason "$(jget s.json run.stop_reason)" "signal SIG$SIG"
expect run.error "$(jget s.json run.error)" null
expect reconciliation.consistent "$(jget s.json reconciliation.consistent)" true
expect totals.pending_blocks "$(jget s.json totals.pending_blocks)" 0
persisted=$(jget s.json totals.persisted_blocks)
((persisted > 0)) || fail "nothing persisted in a second"
verify out.pcapng s.json
say "ok: SIG$SIG: stopped ${took_ms} ms after the signal, $persisted records"
