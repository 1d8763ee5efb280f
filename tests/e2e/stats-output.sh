#!/bin/bash
# Where the statistics go: --stats - to standard output, --force over an old document, the capture's mode.
# usage: stats-output.sh DBCAP VERIFY CASE   (CASE: stdout, force, mode-022, mode-077)
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
DBCAP=$1 VERIFY=$2 CASE=$3
need "$PYTHON"
e2e_init

case $CASE in
stdout)
	# One document, the final one, on stdout; the summary stays on stderr; no file named "-".
	run_ok dbcap "$DBCAP" -w out.pcapng --writers 2 -c 5000 --stats -
	"$PYTHON" "$E2E_SRC/e2e.py" validate "$SCHEMA" dbcap.out || fail "stdout is not a valid document"
	expect final "$(jget dbcap.out final)" true
	expect run.config.stats_file "$(jget dbcap.out run.config.stats_file)" -
	verify out.pcapng dbcap.out
	grep -q '^dbcap: 5000 blocks' dbcap.err || fail "no summary line on stderr: $(cat dbcap.err)"
	[[ ! -e - ]] || fail "a file named '-' was created"
	;;
force)
	# An old document is replaced only with --force (without it: bad-input-stats-exists).
	printf '{ "an old": "document" }\n' >s.json
	run_ok dbcap "$DBCAP" -w out.pcapng -c 5000 --stats s.json --force -q
	verify out.pcapng s.json
	grep -q 'an old' s.json && fail "the old document is still in s.json"
	;;
mode-022 | mode-077)
	# Every document, periodic and final, has the capture's permission bits.
	umask "${CASE#mode-}"
	want=$([[ $CASE == mode-022 ]] && echo 640 || echo 600)
	"$DBCAP" -w out.pcapng --duration 1 --stats-interval 0.1 --stats s.json -q \
		>dbcap.out 2>dbcap.err &
	pid=$!
	PIDS+=("$pid")
	wait_for_file s.json 10
	expect "periodic document's mode" "$(mode_of s.json)" "$want"
	wait_rc "$pid"
	((RC == 0)) || fail "exit status $RC: $(cat dbcap.err)"
	expect "capture's mode" "$(mode_of out.pcapng)" "$want"
	expect "final document's mode" "$(mode_of s.json)" "$want"
	expect final "$(jget s.json final)" true
	verify out.pcapng s.json
	;;
*) fail "unknown case $CASE" ;;
esac
say "ok: $CASE"
