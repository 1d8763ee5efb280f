#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# run-model.sh [WORKDIR] - model-check the "shared" layout with SPIN.
#
# Runs tests/model/shared.pml through spin -a, the C compiler and pan:
#   - the correct model, in several workloads: each must end with errors: 0
#     after a complete search (assertions, invalid end states, no cycle);
#   - the deliberately broken variants: each must end with errors: 1;
#   - the reachability probes: each must end with errors: 1 (the situation
#     it names happens, so the assertions are not vacuous).
# Exits 0 only when every check gave what it must, 1 otherwise, and 77 (the
# "skipped" code of meson and automake) when spin is not installed.
#
# Each check runs in its own directory under a fresh mktemp directory (pan
# writes its trail files to the current directory), made inside WORKDIR when
# given, else inside $TMPDIR or /tmp.  That directory is removed when every
# check passed, and kept (its path is printed) when one did not, or when
# DBCAP_MODEL_KEEP=1.
#
# Environment: SPIN (the spin program), CC (the C compiler for pan.c),
# DBCAP_MODEL_JOBS (checks run at once, default 2, at most the CPU count;
# the two largest need about 1.8 and 1.0 GiB and run side by side),
# DBCAP_MODEL_QUICK=1 (skip those two: a quick look while editing the model).

set -u

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd) || exit 1
model="$here/shared.pml"

SPIN=${SPIN:-spin}
if ! command -v "$SPIN" >/dev/null 2>&1; then
	echo "run-model.sh: spin is not installed: skipped"
	exit 77
fi
if [ -z "${CC:-}" ]; then
	for c in gcc cc clang; do
		if command -v "$c" >/dev/null 2>&1; then CC=$c; break; fi
	done
fi
if [ -z "${CC:-}" ]; then
	echo "run-model.sh: no C compiler found to build pan (set CC)" >&2
	exit 1
fi
if [ ! -r "$model" ]; then
	echo "run-model.sh: $model not found" >&2
	exit 1
fi

base=${1:-${TMPDIR:-/tmp}}
mkdir -p -- "$base" || exit 1
work=$(mktemp -d "$base/dbcap-model.XXXXXX") || exit 1

jobs_max=${DBCAP_MODEL_JOBS:-2}
ncpu=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)
if [ "$ncpu" -lt "$jobs_max" ] 2>/dev/null; then jobs_max=$ncpu; fi
if [ "$jobs_max" -lt 1 ] 2>/dev/null; then jobs_max=1; fi

# pan options: a depth bound far above the depths reached (about 300), and
# a memory bound below 4 GiB so that a search that would not fit stops and
# is reported as incomplete instead of swapping.
SAFETY_BIG="-O2 -DSAFETY -DCOLLAPSE -DMEMLIM=3800"
SAFETY_SMALL="-O0 -DSAFETY"
CYCLES="-O2 -DNP -DCOLLAPSE -DMEMLIM=3800"
DEPTH="-m200000"

# run_check NAME EXPECT CFLAGS PANARGS [SPIN -D OPTIONS...]
# EXPECT is "pass" (errors: 0, complete search) or "fail" (a violation).
# Writes one line to $work/NAME/result: OK|BAD <tab> text.
run_check() {
	local name=$1 expect=$2 cflags=$3 panargs=$4
	shift 4
	local d="$work/$name"
	mkdir -p "$d" || return
	(
		cd "$d" || exit 1
		res() { printf '%s\t%s\n' "$1" "$2" >result; exit 0; }
		echo "$SPIN $* -a $model" >spin.cmd
		"$SPIN" "$@" -a "$model" >spin.log 2>&1 ||
			res BAD "spin -a failed, see $d/spin.log"
		# shellcheck disable=SC2086
		$CC -w $cflags -o pan pan.c >cc.log 2>&1 ||
			res BAD "$CC failed on pan.c, see $d/cc.log"
		# shellcheck disable=SC2086
		./pan $panargs >pan.log 2>&1
		local errors states trans mem secs incomplete why
		errors=$(sed -n 's/.*errors: \([0-9][0-9]*\).*/\1/p' pan.log | tail -n 1)
		states=$(awk '/states, stored/ { print $1; exit }' pan.log)
		trans=$(awk '/ transitions \(= / { print $1; exit }' pan.log)
		mem=$(awk '/total actual memory usage/ { print $1; exit }' pan.log)
		secs=$(sed -n 's/^pan: elapsed time \([0-9.e+]*\) seconds.*/\1/p' pan.log | tail -n 1)
		incomplete=$(grep -E -m 1 'max search depth too small|MEMLIM|out of memory|[Ss]earch not completed' pan.log)
		why=$(grep -E -m 1 'assertion violated|invalid end state|non-progress cycle|acceptance cycle' pan.log)
		local nums="${states:-?} states, ${trans:-?} transitions, ${mem:-?} MB, ${secs:-?} s"
		if [ -z "$errors" ]; then
			res BAD "pan gave no result, see $d/pan.log"
		elif [ "$expect" = pass ]; then
			if [ "$errors" = 0 ] && [ -z "$incomplete" ]; then
				res OK "errors: 0; $nums"
			elif [ "$errors" = 0 ]; then
				res BAD "search incomplete: $incomplete; $nums"
			else
				res BAD "errors: $errors: $why; trail in $d"
			fi
		else
			if [ "$errors" != 0 ] && [ -n "$why" ]; then
				res OK "errors: $errors, as it must: ${why#pan:1: }"
			else
				res BAD "no violation found (errors: $errors${incomplete:+, $incomplete}); $nums"
			fi
		fi
	)
}

names=()
launch() {
	names+=("$1")
	while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do
		wait -n 2>/dev/null || sleep 1
	done
	run_check "$@" &
}

echo "run-model.sh: $("$SPIN" -V 2>&1 | head -n 1); $CC; model $model"
echo "run-model.sh: working in $work ($jobs_max check(s) at a time)"
t0=$(date +%s)

# The correct model: safety (assertions, invalid end states), exhaustive.
if [ "${DBCAP_MODEL_QUICK:-0}" != 1 ]; then
	# the defaults of shared.pml: 3 writers with 2+1+1 blocks of 2, 3 | 1 |
	# 2 bytes, copy then commit, one flush before close, drop or wait
	launch safety-main pass "$SAFETY_BIG" "$DEPTH -w26"
	# 3 writers, 1 block each of ANY length 1..3, one flush before close
	launch safety-lengths pass "$SAFETY_BIG" "$DEPTH -w25" \
		-DNB0=1 -DLEN_CHOICE=1 -DMAXLEN=3 -DMAXFLUSH=1
fi
# 3 writers, 1 block each (2 | 3 | 1 bytes) copied byte by byte, flushes
# at any time
launch safety-bytes pass "$SAFETY_BIG" "$DEPTH" -DNB0=1 -DCOPY_STEPS=2 -DMAXFLUSH=255
# no cycle at all (non-progress cycle search, no progress label): with the
# safety runs of the same workloads, every run of the model ends, drained
launch cycles-flush pass "$CYCLES" "-l $DEPTH" -DNB0=1 -DMAXFLUSH=255
launch cycles-main pass "$CYCLES" "-l $DEPTH -w25" -DMAXFLUSH=0

# The broken variants must fail, with all the assertions and (where the bug
# shows outside the ghost bookkeeping) with only the end-to-end ones: the
# reader's checks, the end of the run, deadlocks.
for b in NOGEN NOCOMMITWAIT NOFREECHECK NOSTUCK; do
	lb=$(echo "$b" | tr '[:upper:]' '[:lower:]')
	launch "broken-$lb" fail "$SAFETY_SMALL" "$DEPTH" "-DBROKEN_$b"
	if [ "$b" != NOSTUCK ]; then
		launch "broken-$lb-e2e" fail "$SAFETY_SMALL" "$DEPTH" "-DBROKEN_$b" -DONLY_END_TO_END
	fi
done

# The probes must fail: each situation they name is reachable.
for p in 1 2 3 4 5 6 7 8 9 10; do
	launch "probe-$p" fail "$SAFETY_SMALL" "$DEPTH" "-DPROBE=$p"
done

wait
t1=$(date +%s)

status=0
for n in "${names[@]}"; do
	if [ -r "$work/$n/result" ]; then
		IFS=$'\t' read -r verdict text <"$work/$n/result"
	else
		verdict=BAD text="no result (see $work/$n)"
	fi
	if [ "$verdict" = OK ]; then
		printf 'ok   %-22s %s\n' "$n" "$text"
	else
		printf 'FAIL %-22s %s\n' "$n" "$text"
		status=1
	fi
done
echo "run-model.sh: $((t1 - t0)) s in all"

if [ "$status" = 0 ] && [ "${DBCAP_MODEL_KEEP:-0}" != 1 ]; then
	rm -rf -- "$work"
else
	echo "run-model.sh: kept $work"
fi
if [ "$status" = 0 ]; then
	echo "run-model.sh: PASS: the model holds, and every broken variant and probe fails as it must"
else
	echo "run-model.sh: FAILED"
fi
exit "$status"
