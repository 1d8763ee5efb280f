#!/bin/bash
# A rotating run: SIGHUP begins a new file now and the run goes on; SIGUSR1 writes the statistics and the
# summary line now; SIGINT then stops it cleanly with every file complete.
# usage: rotate-signals.sh DBCAP VERIFY
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
DBCAP=$1 VERIFY=$2
need "$PYTHON"
e2e_init

mkdir rot
# -C far above what the run writes: only SIGHUP rotates.
"$DBCAP" -w rot/cap.pcapng --duration 60 -C 100G --block-max 2000 --stats s.json -q \
	>dbcap.out 2>dbcap.err &
pid=$!
PIDS+=("$pid")
wait_for_file rot/cap-000001.pcapng.part 30
sleep 0.3
for i in 2 3; do
	kill -s HUP "$pid"
	wait_for_file "rot/cap-00000$((i - 1)).pcapng" 10
	wait_for_file "rot/cap-00000$i.pcapng.part" 10
	sleep 0.2
done
kill -0 "$pid" 2>/dev/null || fail "dbcap ended after SIGHUP"
kill -s USR1 "$pid"
wait_for_file s.json 10
for ((i = 0; i < 500; i++)); do
	grep -q '^dbcap: .* blocks .*running' dbcap.err && break
	sleep 0.01
done
grep -q '^dbcap: .* blocks .*running' dbcap.err || fail "no summary line after SIGUSR1"
expect "rotations after two SIGHUP" "$(jget s.json run.rotation.rotations)" 2
kill -s INT "$pid"
wait_rc "$pid"
((RC == 0)) || fail "exit status $RC: $(cat dbcap.err)"
expect stop_reason "$(jget s.json run.stop_reason)" "signal SIGINT"
expect files "$(ls rot | grep -c 'pcapng$')" 3
expect reconciliation.consistent "$(jget s.json reconciliation.consistent)" true
mergecap -a -w all.pcapng rot/cap-*.pcapng && verify all.pcapng s.json

# Started with SIGHUP ignored (nohup): a rotating run still takes it, to begin a new file.
rm -rf rot2 && mkdir rot2
(
	trap '' HUP
	exec "$DBCAP" -w rot2/cap.pcapng --duration 60 -C 100G --block-max 2000 -q 2>nohup.err
) &
pid=$!
PIDS+=("$pid")
wait_for_file rot2/cap-000001.pcapng.part 30
kill -s HUP "$pid"
wait_for_file rot2/cap-000001.pcapng 10
kill -0 "$pid" 2>/dev/null || fail "dbcap under nohup ended after SIGHUP"
kill -s INT "$pid"
wait_rc "$pid"
((RC == 0)) || fail "under nohup: exit status $RC: $(cat nohup.err)"
say "ok: SIGHUP rotated twice, SIGUSR1 reported, SIGINT stopped; SIGHUP rotates under nohup too"
