#!/bin/bash
# A run killed with SIGKILL leaves complete, correct records and at most one torn block at the end.
# usage: crash.sh DBCAP VERIFY auto|direct|buffered [REPETITIONS]
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
DBCAP=$1 VERIFY=$2 MODE=$3 REPS=${4:-2}
need "$TSHARK" "$PYTHON"
e2e_init

case $MODE in
auto) opt=() ;;
direct) opt=(--direct) ;;
buffered) opt=(--buffered) ;;
*) fail "unknown mode $MODE" ;;
esac
# Random moments, reproducible: DBCAP_E2E_SEED=N repeats a run.
SEED=${DBCAP_E2E_SEED:-$(date +%s)}
RANDOM=$SEED
say "seed $SEED (DBCAP_E2E_SEED=$SEED repeats these moments)"
# Blocks of 10..1000 bytes at about 70,000 a second: tens of MB per run.
SYNTH=(--seed 7 --block-min 10 --block-max 1000)
# tshark's words for a torn last block; anything else it says is a failure.
TORN='appears to have been cut short in the middle of a packet'

hits=0 # kills that found records in the file
for ((rep = 1; rep <= REPS; rep++)); do
	for base in 300 700 1300; do
		ms=$((base + RANDOM % 200))
		rm -f out.pcapng
		"$DBCAP" -w out.pcapng --duration 30 --writer-work 1000 "${SYNTH[@]}" "${opt[@]}" -q \
			>dbcap.out 2>dbcap.err &
		pid=$!
		PIDS=("$pid")
		# Count from the header on: a sanitizer build starts slower.
		wait_for_file out.pcapng 60
		sleep "$((ms / 1000)).$(printf %03d $((ms % 1000)))"
		kill -KILL "$pid" || fail "dbcap exited before the kill: $(cat dbcap.err)"
		wait_rc "$pid"
		((RC == 137)) || fail "exit status $RC after SIGKILL, want 137: $(cat dbcap.err)"
		no_sanitizer_report dbcap.err

		size=$(stat -c %s out.pcapng)
		if ! "$VERIFY" --crash 7 10 1000 out.pcapng >crash.out 2>crash.err; then
			cat crash.out crash.err >&2
			cp out.pcapng "/var/tmp/dbcap-e2e-crash-$SEED.pcapng" 2>/dev/null &&
				say "kept the file as /var/tmp/dbcap-e2e-crash-$SEED.pcapng"
			fail "dbcap-verify --crash failed after a kill at $ms ms ($MODE, $size bytes)"
		fi
		records=$(awk -F': ' '/^complete records:/ { print $2 }' crash.out)
		torn=$(awk -F': ' '/^torn tail bytes:/ { print $2 }' crash.out)
		[[ -n $records && -n $torn ]] || fail "dbcap-verify --crash printed no counts: $(cat crash.out)"

		trc=0
		"$TSHARK" -r out.pcapng >tshark.out 2>tshark.err || trc=$?
		n=$(wc -l <tshark.out)
		other=$(grep -Ev "$ROOT_NOTICE" tshark.err | grep -v "$TORN" || true)
		if [[ -n $other ]]; then
			cat tshark.err >&2
			fail "tshark complained about more than a torn last block (kill at $ms ms, $MODE)"
		fi
		if ((torn == 0)) && { ((trc != 0)) || grep -q "$TORN" tshark.err; }; then
			cat tshark.err >&2
			fail "tshark found a torn block (exit $trc) where dbcap-verify found none"
		fi
		expect "records tshark reads vs. dbcap-verify --crash (kill at $ms ms, $MODE)" "$n" "$records"
		say "kill at $ms ms: $size bytes, $records complete records, $torn torn bytes"
		((records == 0)) || hits=$((hits + 1))
	done
done
# On a loaded machine an early kill may come before the first write; not all may.
((hits > 0)) || fail "no kill found a record in the file: the test tested nothing"
say "ok: $MODE, $((REPS * 3)) kills, $hits of them with records in the file"
