#!/bin/bash
# SIGKILL during rotation: every renamed file is complete (dbcap-verify --crash, tshark), at most one .part
# file is left, and it reads up to its last complete record.
# usage: rotate-kill.sh DBCAP VERIFY
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
DBCAP=$1 VERIFY=$2
need "$PYTHON"
e2e_init

for round in 1 2 3; do
	rm -rf rot && mkdir rot
	"$DBCAP" -w rot/cap.pcapng --duration 60 -C 4M --seed 3 --block-max 3000 -q 2>dbcap.err &
	pid=$!
	PIDS+=("$pid")
	# Killed while it writes its third file or later, at a different moment each round.
	wait_for_file rot/cap-000002.pcapng 60
	sleep "0.$((round * 2))"
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null || true
	shopt -s nullglob
	parts=(rot/*.part)
	((${#parts[@]} <= 1)) || fail "round $round: ${#parts[@]} temporary files: ${parts[*]}"
	files=(rot/cap-*.pcapng)
	((${#files[@]} >= 2)) || fail "round $round: ${#files[@]} files after the kill"
	# dbcap-verify reads every file; tshark the last two renamed ones and the temporary one.
	for f in "${files[@]}"; do
		"$VERIFY" --crash 3 10 3000 "$f" >crash.out 2>&1 || fail "$f: $(cat crash.out)"
		torn=$(awk '/torn tail bytes/ {print $4}' crash.out)
		((torn == 0)) || fail "$f: renamed with a torn tail of $torn bytes"
	done
	for f in "${files[@]: -2}" "${parts[@]}"; do
		"$VERIFY" --crash 3 10 3000 "$f" >crash.out 2>&1 || fail "$f: $(cat crash.out)"
		n=$(awk '/complete records/ {print $3}' crash.out)
		torn=$(awk '/torn tail bytes/ {print $4}' crash.out)
		[[ $f == *.part ]] || ((torn == 0)) || fail "$f: renamed with a torn tail of $torn bytes"
		# tshark stops at the torn record as the verifier does (a warning, not an error).
		t=$( (tshark -r "$f" 2>/dev/null || true) | wc -l)
		((t == n)) || fail "$f: tshark reads $t records, dbcap-verify $n complete ones"
	done
	say "round $round: ${#files[@]} complete files, ${#parts[@]} temporary"
done
say "ok: SIGKILL during rotation left complete files"
