#!/bin/bash
# --io-engine pwrite, --buffered and --direct runs verify and report the engine and O_DIRECT they used.
# usage: io-mode.sh DBCAP VERIFY pwrite|buffered|direct
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
DBCAP=$1 VERIFY=$2 MODE=$3
COUNT=20000
need "$PYTHON"
e2e_init

case $MODE in
pwrite) opt=(--io-engine pwrite) ;;
buffered) opt=(--buffered) ;;
direct) opt=(--direct) ;;
*) fail "unknown mode $MODE" ;;
esac
run_ok dbcap "$DBCAP" -w out.pcapng --writers 2 -c "$COUNT" --stats s.json -q "${opt[@]}"
verify out.pcapng s.json
expect totals.persisted_blocks "$(jget s.json totals.persisted_blocks)" "$COUNT"
check_io_fields s.json
case $MODE in
pwrite)
	expect run.io_engine "$(jget s.json run.io_engine)" pwrite
	# Asked for: not a fallback, and no warning about it.
	expect run.io_fallback_reason "$(jget s.json run.io_fallback_reason)" null
	if grep -q 'io_uring' dbcap.err; then
		cat dbcap.err >&2
		fail "a message about io_uring although --io-engine pwrite was asked for"
	fi
	;;
buffered)
	expect run.config.direct "$(jget s.json run.config.direct)" off
	expect run.direct_io "$(jget s.json run.direct_io)" false
	;;
direct)
	expect run.config.direct "$(jget s.json run.config.direct)" on
	expect run.direct_io "$(jget s.json run.direct_io)" true
	;;
esac
say "ok: $MODE: engine $(jget s.json run.io_engine), direct_io $(jget s.json run.direct_io)"
